// libFuzzer target: TwilioStreamAdapter. The input is a sequence of text
// messages separated by 0x1E; a message starting with 0x01 is sent as binary.

#include "fuzz_sink.h"
#include "telephony/twilio_stream_adapter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tw::fuzz::CheckingSink sink;
  tw::telephony::TwilioConfig config;
  // serve's largest JSON message (--max-json-bytes up to 256 KiB in the tests): deep
  // nesting needs the room (100,000 levels are 200 KB).
  config.max_message_bytes = 256 * 1024;
  config.max_gap_s = 2.0;  // keeps silence filling cheap per input
  tw::telephony::TwilioStreamAdapter adapter(sink, config);
  tw::fuzz::for_each_piece(data, size, [&](std::span<const std::uint8_t> piece) {
    const auto status = !piece.empty() && piece[0] == 0x01 ? adapter.on_binary(piece.subspan(1))
                                                           : adapter.on_text(tw::fuzz::as_text(piece));
    return !status.close;
  });
  adapter.on_disconnect();
  return 0;
}
