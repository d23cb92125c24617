#pragma once
// A Genesys AudioHook client for end-to-end tests, written from the AudioHook
// protocol specification (developer.genesys.cloud, "AudioHook protocol
// specification"): a signed WebSocket upgrade, then client messages carrying
// version "2", id, type, seq (1, 2, ...), serverseq (the last server seq seen),
// position (ISO 8601 duration of audio sent so far) and parameters; audio as
// binary frames. Every server message read is kept, in order, for checks.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/ws_client.h"

namespace tw::test {

class AudioHookClient {
 public:
  /// Connects to 127.0.0.1:port/audiohook, signed with `api_key` and the base64 `client_secret`.
  AudioHookClient(std::uint16_t port, const std::string& api_key, const std::string& client_secret_base64);

  bool connected() const { return ws_.connected(); }
  const std::string& session_id() const noexcept { return session_id_; }

  /// Sends one client message with the next seq and the current position.
  bool send(const std::string& type, const nlohmann::json& parameters = nlohmann::json::object());
  /// Sends `open` for `conversation_id` offering `media` (an array of media objects).
  bool open(const std::string& conversation_id, const nlohmann::json& media);
  /// Sends one binary audio frame and advances the position by `frames` samples.
  bool send_audio(const std::string& bytes, std::int64_t frames);
  /// Advances the position without audio (a pause or a discarded stretch).
  void advance(std::int64_t frames) noexcept { position_ += frames; }
  std::int64_t position_samples() const noexcept { return position_; }

  /// The next server message (JSON), or nullopt after timeout_s or at the close.
  std::optional<nlohmann::json> read(double timeout_s);
  /// Reads until a message of `type` (kept in received()); nullopt if none came.
  std::optional<nlohmann::json> read_until(const std::string& type, double timeout_s);
  /// Reads until the server closes; true if it did within timeout_s.
  bool wait_closed(double timeout_s);
  int close_code() const { return ws_.close_code(); }
  std::string close_reason() const { return ws_.close_reason(); }
  void close() { ws_.close(); }
  WsClient& ws() noexcept { return ws_; }

  /// Every server message read so far, in order.
  const std::vector<nlohmann::json>& received() const noexcept { return received_; }

  /// "PT<seconds>S" with millisecond precision, as the Genesys client writes positions.
  static std::string duration(std::int64_t samples_8k);

 private:
  std::string session_id_;
  WsClient ws_;
  std::int64_t seq_ = 0, serverseq_ = 0, position_ = 0;
  std::vector<nlohmann::json> received_;
};

/// A media offer: format "PCMU" or "L16", channels e.g. {"external", "internal"}.
nlohmann::json audiohook_media(const std::string& format, const std::vector<std::string>& channels);

}  // namespace tw::test
