// libFuzzer target: the AudioHook upgrade-request check. The input is the
// request line target, then header lines "name: value" separated by '\n'.

#include <cstdint>
#include <string>
#include <string_view>

#include "telephony/http_signature.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t first_line = text.find('\n');
  const std::string target(text.substr(0, first_line));
  tw::telephony::HttpHeaders headers;
  std::size_t at = first_line == std::string_view::npos ? text.size() : first_line + 1;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) headers.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
    at = end + 1;
  }
  tw::telephony::AudioHookAuthConfig config;
  config.credentials.push_back({"SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh", "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU="});
  config.credentials.push_back({"open-key", ""});
  const tw::telephony::HttpRequestInfo request{"GET", target, "audiohook.example.com"};
  const auto verdict = tw::telephony::verify_audiohook_request(request, headers, config, 1641013205);
  if (verdict.ok == !verdict.reason.empty()) __builtin_trap();  // a verdict is ok xor has a reason
  tw::telephony::verify_hmac_signature(request, headers, "key");
  return 0;
}
