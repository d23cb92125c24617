#include "support/audiohook_client.h"

#include <chrono>
#include <cstdio>
#include <random>

#include "stream_player/wire_format.h"

namespace tw::test {
namespace {

std::vector<std::pair<std::string, std::string>> signed_headers(std::uint16_t port, const std::string& api_key,
                                                                const std::string& secret, std::string& session_id) {
  static std::mt19937_64 rng(std::random_device{}());
  session_id = player::random_uuid(rng);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return player::audiohook_signed_headers("/audiohook", "127.0.0.1:" + std::to_string(port), api_key, secret,
                                          player::random_uuid(rng), session_id, player::random_uuid(rng), now, rng)
      .headers;
}

}  // namespace

AudioHookClient::AudioHookClient(std::uint16_t port, const std::string& api_key, const std::string& client_secret_base64)
    : ws_(port, "/audiohook", false, signed_headers(port, api_key, client_secret_base64, session_id_)) {}

std::string AudioHookClient::duration(std::int64_t samples_8k) {
  char text[48];
  std::snprintf(text, sizeof text, "PT%.3fS", static_cast<double>(samples_8k) / 8000.0);
  return text;
}

bool AudioHookClient::send(const std::string& type, const nlohmann::json& parameters) {
  const nlohmann::json message = {{"version", "2"},        {"id", session_id_},           {"type", type},
                                  {"seq", ++seq_},         {"serverseq", serverseq_},     {"position", duration(position_)},
                                  {"parameters", parameters}};
  return ws_.send_text(message.dump());
}

bool AudioHookClient::open(const std::string& conversation_id, const nlohmann::json& media) {
  return send("open", {{"organizationId", "d7934305-0972-4844-938e-9060eef73d05"},
                       {"conversationId", conversation_id},
                       {"participant",
                        {{"id", "883efee8-3d6c-4537-b500-6d7ca4b92fa0"}, {"ani", "+1-555-555-1234"}, {"aniName", "John Doe"},
                         {"dnis", "+1-800-555-6789"}}},
                       {"media", media},
                       {"language", "en-US"}});
}

bool AudioHookClient::send_audio(const std::string& bytes, std::int64_t frames) {
  position_ += frames;
  return ws_.send_binary(bytes);
}

std::optional<nlohmann::json> AudioHookClient::read(double timeout_s) {
  const std::optional<std::string> text = ws_.read(timeout_s);
  if (!text) return std::nullopt;
  nlohmann::json message = nlohmann::json::parse(*text, nullptr, false);
  if (message.is_object() && message.contains("seq") && message["seq"].is_number_integer()) {
    serverseq_ = message["seq"].get<std::int64_t>();
  }
  received_.push_back(message);
  return message;
}

std::optional<nlohmann::json> AudioHookClient::read_until(const std::string& type, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return std::nullopt;
    const auto message = read(left);
    if (!message) return std::nullopt;
    if (message->value("type", "") == type) return message;
  }
}

bool AudioHookClient::wait_closed(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    if (!read(left)) return ws_.close_code() != 0;
  }
}

nlohmann::json audiohook_media(const std::string& format, const std::vector<std::string>& channels) {
  return {{"type", "audio"}, {"format", format}, {"channels", channels}, {"rate", 8000}};
}

}  // namespace tw::test
