// libFuzzer target: AudioSocketAdapter. The first byte chooses the read size
// (1..64 bytes per on_bytes call, 0: all at once); the rest is the TCP stream.

#include "fuzz_sink.h"
#include "telephony/audiosocket_adapter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  tw::fuzz::CheckingSink sink;
  tw::telephony::AudioSocketConfig config;
  config.max_payload_bytes = 8192;
  tw::telephony::AudioSocketAdapter adapter(sink, tw::features::SpeakerRole::caller, config);
  const std::size_t step = data[0] % 65 == 0 ? size : data[0] % 65;
  std::span<const std::uint8_t> stream(data + 1, size - 1);
  while (!stream.empty()) {
    const std::size_t n = std::min(step, stream.size());
    if (adapter.on_bytes(stream.first(n)).close) break;
    stream = stream.subspan(n);
  }
  adapter.on_disconnect();
  return 0;
}
