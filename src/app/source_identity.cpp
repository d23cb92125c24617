#include "app/source_identity.h"

#include "source_identity.inc"  // generated at every build: TW_SOURCES_SHA256

namespace tw::app {

std::string_view source_identity() noexcept { return TW_SOURCES_SHA256; }

}  // namespace tw::app
