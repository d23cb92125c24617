#include "siprec/libre_diagnostics.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

// libre last: its re_types.h defines MIN/MAX macros (and, without HAVE_STDBOOL_H, true and false).
#include <re.h>

namespace tw::siprec {

// The calling thread's handler (the SIP thread sets its signalling's).
thread_local DiagnosticHandler t_handler = nullptr;
thread_local void* t_context = nullptr;

void set_thread_diagnostic_handler(DiagnosticHandler handler, void* context) noexcept {
  t_handler = handler;
  t_context = context;
}

}  // namespace tw::siprec

// See libre_diagnostics.h: libre's own re_fprintf, replaced.
extern "C" int re_fprintf(FILE* stream, const char* fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  int length = re_vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (length < 0) {
    // Longer than the buffer (libre returns -1 then): what fits is kept, and said to be cut.
    text[sizeof text - 1] = '\0';
    length = static_cast<int>(std::strlen(text));
    if (length == 0) std::snprintf(text, sizeof text, "(a diagnostic libre could not format)");
    length = static_cast<int>(std::strlen(text));
  }
  if (stream == stderr && tw::siprec::t_handler != nullptr) {
    tw::siprec::t_handler(tw::siprec::t_context, text);
    return length;
  }
  return std::fputs(text, stream) < 0 ? -1 : length;
}
