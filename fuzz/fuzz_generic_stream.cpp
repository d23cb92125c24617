// libFuzzer target: GenericStreamAdapter. Pieces separated by 0x1E; the first
// is the metadata text, later pieces are binary unless they start with 0x02
// (then text).

#include "fuzz_sink.h"
#include "telephony/generic_stream_adapter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tw::fuzz::CheckingSink sink;
  tw::telephony::GenericStreamConfig config;
  config.max_message_bytes = 4096;
  // Deep nesting needs room (100,000 levels are 200 KB): the JSON limit is serve's largest tested one.
  config.max_json_bytes = 256 * 1024;
  tw::telephony::GenericStreamAdapter adapter(sink, config);
  bool first = true;
  tw::fuzz::for_each_piece(data, size, [&](std::span<const std::uint8_t> piece) {
    tw::telephony::AdapterStatus status;
    if (first) {
      status = adapter.on_text(tw::fuzz::as_text(piece));
      first = false;
    } else if (!piece.empty() && piece[0] == 0x02) {
      status = adapter.on_text(tw::fuzz::as_text(piece.subspan(1)));
    } else {
      status = adapter.on_binary(piece);
    }
    return !status.close;
  });
  adapter.on_disconnect(size % 2 == 0);
  return 0;
}
