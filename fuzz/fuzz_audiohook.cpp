// libFuzzer target: AudioHookAdapter. Pieces separated by 0x1E are text
// messages, or binary audio when they start with 0x01.

#include "fuzz_sink.h"
#include "telephony/audiohook_adapter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tw::fuzz::CheckingSink sink;
  tw::telephony::AudioHookConfig config;
  config.max_message_bytes = 4096;
  // Deep nesting needs room (100,000 levels are 200 KB): the JSON limit is serve's largest tested one.
  config.max_json_bytes = 256 * 1024;
  config.max_gap_s = 2.0;
  tw::telephony::AudioHookAdapter adapter(sink, config);
  tw::fuzz::for_each_piece(data, size, [&](std::span<const std::uint8_t> piece) {
    const auto status = !piece.empty() && piece[0] == 0x01 ? adapter.on_binary(piece.subspan(1))
                                                           : adapter.on_text(tw::fuzz::as_text(piece));
    return !status.close;
  });
  adapter.on_disconnect();
  return 0;
}
