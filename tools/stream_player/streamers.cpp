#include "streamers.h"

#include <chrono>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "wire_format.h"

namespace tw::player {
namespace {

using nlohmann::json;

std::string mulaw_payload(const PlayerAudio& audio, int channel, std::size_t first, std::size_t count) {
  std::string out(count, '\0');
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<char>(mulaw_encode(audio.at(first + i, channel)));
  return out;
}

void put_le16(std::string& out, std::int16_t v) {
  out += static_cast<char>(static_cast<std::uint16_t>(v) & 0xFF);
  out += static_cast<char>(static_cast<std::uint16_t>(v) >> 8);
}

// ---- Twilio Media Streams (twilio.com/docs/voice/media-streams/websocket-messages) ----
class TwilioStreamer : public Streamer {
 public:
  TwilioStreamer(boost::asio::io_context& io, const PlayerOptions& o, const PlayerAudio& audio, bool split)
      : audio_(audio), split_(split) {
    if (audio.rate_hz != 8000) throw std::invalid_argument("Twilio streams are 8000 Hz mu-law: resample the file (sox in.wav -r 8000 out.wav)");
    std::mt19937_64 rng(o.seed);
    call_sid_ = o.call_id.empty() ? "CA" + random_uuid(rng).substr(0, 8) + "0000000000000000000000aa" : o.call_id;
    custom_parameters_ = json{{"player", "tonewatch-stream-player"}};
    for (const auto& [key, value] : o.params) custom_parameters_[key] = value;
    for (int leg = 0; leg < (split ? 2 : 1); ++leg) {
      // twilio-split with --agent-port: the outbound track to another server (a fleet's
      // split stream, docs/fleet.md).
      const std::string& port = split && leg == 1 && !o.agent_port.empty() ? o.agent_port : o.port;
      auto ws = std::make_shared<WebSocketLeg>(io, o.host, port, o.path.empty() ? "/twilio" : o.path,
                                               std::vector<std::pair<std::string, std::string>>{}, [](const std::string&) {});
      ws->name = split ? (leg == 0 ? "twilio inbound" : "twilio outbound") : "twilio";
      legs.push_back(ws);
      stream_sids_.push_back("MZ" + std::to_string(leg) + random_uuid(rng).substr(0, 8) + "00000000000000000000000");
      sequence_.push_back(0);
    }
  }
  void begin(std::function<void()> ready) override {
    for (std::size_t leg = 0; leg < legs.size(); ++leg) {
      const json tracks = split_ ? json::array({leg == 0 ? "inbound" : "outbound"}) : json::array({"inbound", "outbound"});
      send(leg, {{"event", "connected"}, {"protocol", "Call"}, {"version", "1.0.0"}}, false);
      send(leg,
           {{"event", "start"},
            {"start",
             {{"accountSid", "AC00000000000000000000000000000000"},
              {"streamSid", stream_sids_[leg]},
              {"callSid", call_sid_},
              {"tracks", tracks},
              {"mediaFormat", {{"encoding", "audio/x-mulaw"}, {"sampleRate", 8000}, {"channels", 1}}},
              {"customParameters", custom_parameters_}}},
            {"streamSid", stream_sids_[leg]}},
           true);
    }
    ready();
  }
  void chunk(std::size_t index, std::size_t first, std::size_t count) override {
    // inbound = the caller (left channel), outbound = the agent (right channel).
    for (int track = 0; track < 2; ++track) {
      const std::string payload = mulaw_payload(audio_, track, first, count);
      const std::size_t leg = split_ ? static_cast<std::size_t>(track) : 0;
      send(leg,
           {{"event", "media"},
            {"media",
             {{"track", track == 0 ? "inbound" : "outbound"},
              {"chunk", std::to_string(index + 1)},
              {"timestamp", std::to_string(first * 1000 / 8000)},
              {"payload", base64(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size())}}},
            {"streamSid", stream_sids_[leg]}},
           true);
    }
  }
  void end(std::function<void()> done) override {
    for (std::size_t leg = 0; leg < legs.size(); ++leg)
      send(leg, {{"event", "stop"}, {"stop", {{"accountSid", "AC00000000000000000000000000000000"}, {"callSid", call_sid_}}},
                 {"streamSid", stream_sids_[leg]}},
           true);
    done();
  }

 private:
  void send(std::size_t leg, json message, bool numbered) {
    if (numbered) message["sequenceNumber"] = std::to_string(++sequence_[leg]);
    legs[leg]->send(message.dump(), true);
  }
  const PlayerAudio& audio_;
  bool split_;
  std::string call_sid_;
  json custom_parameters_;
  std::vector<std::string> stream_sids_;
  std::vector<int> sequence_;
};

// ---- Asterisk AudioSocket (docs.asterisk.org/Configuration/Channel-Drivers/AudioSocket) ----
class AudioSocketStreamer : public Streamer {
 public:
  AudioSocketStreamer(boost::asio::io_context& io, const PlayerOptions& o, const PlayerAudio& audio) : audio_(audio) {
    // Message types by rate, from Asterisk's include/asterisk/res_audiosocket.h.
    const std::pair<int, std::uint8_t> kinds[] = {{8000, 0x10},  {12000, 0x11}, {16000, 0x12}, {24000, 0x13}, {32000, 0x14},
                                                  {44100, 0x15}, {48000, 0x16}, {96000, 0x17}, {192000, 0x18}};
    for (const auto& [rate, kind] : kinds)
      if (rate == audio.rate_hz) kind_ = kind;
    if (kind_ == 0) throw std::invalid_argument("AudioSocket carries 8, 12, 16, 24, 32, 44.1, 48, 96 or 192 kHz: resample the file");
    if (o.agent_port.empty()) throw std::invalid_argument("audiosocket needs --agent-port for the agent leg");
    std::mt19937_64 rng(o.seed);
    const std::string uuid = o.call_id.empty() ? random_uuid(rng) : o.call_id;
    if (uuid.size() != 36) throw std::invalid_argument("an AudioSocket call id must be a UUID (8-4-4-4-12 hex)");
    for (std::size_t i = 0, o_i = 0; i < uuid.size(); ++i) {
      if (uuid[i] == '-') continue;
      const int v = std::stoi(uuid.substr(i, 2), nullptr, 16);
      uuid_[o_i++] = static_cast<char>(v);
      ++i;
    }
    for (const auto& [name, port] : {std::pair<std::string, std::string>{"audiosocket caller", o.port}, {"audiosocket agent", o.agent_port}}) {
      auto leg = std::make_shared<TcpLeg>(io, o.host, port);
      leg->name = name;
      legs.push_back(leg);
    }
  }
  void begin(std::function<void()> ready) override {
    for (auto& leg : legs) leg->send(message(0x01, std::string(uuid_, 16)), false);
    ready();
  }
  void chunk(std::size_t, std::size_t first, std::size_t count) override {
    for (int channel = 0; channel < 2; ++channel) {
      std::string payload;
      for (std::size_t i = 0; i < count; ++i) put_le16(payload, audio_.at(first + i, channel));
      legs[static_cast<std::size_t>(channel)]->send(message(kind_, payload), false);
    }
  }
  void end(std::function<void()> done) override {
    for (auto& leg : legs) leg->send(message(0x00, ""), false);  // hangup
    done();
  }

 private:
  static std::string message(std::uint8_t kind, const std::string& payload) {
    std::string out;
    out += static_cast<char>(kind);
    out += static_cast<char>((payload.size() >> 8) & 0xFF);  // 16-bit big-endian length
    out += static_cast<char>(payload.size() & 0xFF);
    return out + payload;
  }
  const PlayerAudio& audio_;
  std::uint8_t kind_ = 0;
  char uuid_[16] = {};
};

// ---- Generic WebSocket: metadata text, then binary audio ----
class GenericStreamer : public Streamer {
 public:
  GenericStreamer(boost::asio::io_context& io, const PlayerOptions& o, const PlayerAudio& audio) : audio_(audio) {
    pcmu_ = o.encoding == "PCMU";
    if (!o.encoding.empty() && o.encoding != "PCMU" && o.encoding != "L16") throw std::invalid_argument("--encoding must be L16 or PCMU");
    if (pcmu_ && audio.rate_hz != 8000) throw std::invalid_argument("PCMU needs an 8000 Hz file");
    std::mt19937_64 rng(o.seed);
    call_id_ = o.call_id.empty() ? random_uuid(rng) : o.call_id;
    params_ = o.params;
    auto ws = std::make_shared<WebSocketLeg>(io, o.host, o.port, o.path.empty() ? "/stream" : o.path,
                                             std::vector<std::pair<std::string, std::string>>{}, [](const std::string&) {});
    ws->name = "generic";
    legs.push_back(ws);
  }
  void begin(std::function<void()> ready) override {
    const json roles = audio_.channels == 2 ? json::array({"caller", "agent"}) : json::array({"caller"});
    json metadata{{"call_id", call_id_}, {"sample_rate", audio_.rate_hz}, {"channels", audio_.channels},
                  {"encoding", pcmu_ ? "PCMU" : "L16"}, {"roles", roles}, {"player", "tonewatch-stream-player"}};
    for (const auto& [key, value] : params_) metadata[key] = value;
    legs[0]->send(metadata.dump(), true);
    ready();
  }
  void chunk(std::size_t, std::size_t first, std::size_t count) override {
    std::string payload;
    for (std::size_t i = 0; i < count; ++i) {
      for (int c = 0; c < audio_.channels; ++c) {
        if (pcmu_) payload += static_cast<char>(mulaw_encode(audio_.at(first + i, c)));
        else put_le16(payload, audio_.at(first + i, c));
      }
    }
    legs[0]->send(std::move(payload), false);
  }
  void end(std::function<void()> done) override { done(); }

 private:
  const PlayerAudio& audio_;
  bool pcmu_ = false;
  std::string call_id_;
  std::vector<std::pair<std::string, std::string>> params_;
};

// ---- Genesys AudioHook (developer.genesys.cloud/devapps/audiohook) ----
class AudioHookStreamer : public Streamer {
 public:
  AudioHookStreamer(boost::asio::io_context& io, const PlayerOptions& o, const PlayerAudio& audio) : audio_(audio) {
    if (audio.rate_hz != 8000) throw std::invalid_argument("AudioHook streams are 8000 Hz: resample the file");
    if (o.api_key.empty()) throw std::invalid_argument("audiohook needs --api-key (and --client-secret if the server has one)");
    format_ = o.encoding.empty() ? "PCMU" : o.encoding;
    if (format_ != "PCMU" && format_ != "L16") throw std::invalid_argument("--encoding must be PCMU or L16 for audiohook");
    std::mt19937_64 rng(o.seed);
    session_id_ = random_uuid(rng);
    conversation_id_ = o.call_id.empty() ? random_uuid(rng) : o.call_id;
    organization_id_ = o.organization_id.empty() ? random_uuid(rng) : o.organization_id;
    const std::string path = o.path.empty() ? "/audiohook" : o.path;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    // The signature's nonce is never reproducible, --seed or not: a server refuses a nonce
    // it has seen (replay protection), and players started with the same seed would share it.
    std::mt19937_64 nonce_rng(std::random_device{}());
    auto headers = audiohook_signed_headers(path, o.host + ":" + o.port, o.api_key, o.client_secret, organization_id_,
                                            session_id_, random_uuid(rng), now, nonce_rng);
    auto ws = std::make_shared<WebSocketLeg>(io, o.host, o.port, path, headers.headers,
                                             [this](const std::string& text) { on_server_text(text); });
    ws->name = "audiohook";
    legs.push_back(ws);
  }
  void begin(std::function<void()> ready) override {
    ready_ = std::move(ready);
    const json both = {{"type", "audio"}, {"format", format_}, {"channels", {"external", "internal"}}, {"rate", 8000}};
    const json external = {{"type", "audio"}, {"format", format_}, {"channels", {"external"}}, {"rate", 8000}};
    const json internal = {{"type", "audio"}, {"format", format_}, {"channels", {"internal"}}, {"rate", 8000}};
    send("open", {{"organizationId", organization_id_},
                  {"conversationId", conversation_id_},
                  {"participant", {{"id", "00000000-0000-4000-8000-000000000001"}, {"ani", "+15555550100"}, {"aniName", "Player"}, {"dnis", "+15555550199"}}},
                  {"media", audio_.channels == 2 ? json::array({both, external, internal}) : json::array({external})},
                  {"language", "en-US"}});
  }
  void chunk(std::size_t, std::size_t first, std::size_t count) override {
    if (!opened_) return;
    std::string payload;
    for (std::size_t i = 0; i < count; ++i) {
      for (const int c : channel_map_) {
        if (format_ == "PCMU") payload += static_cast<char>(mulaw_encode(audio_.at(first + i, c)));
        else put_le16(payload, audio_.at(first + i, c));
      }
    }
    legs[0]->send(std::move(payload), false);
    position_ = first + count;
    if (position_ - last_ping_ >= 5 * 8000) {  // the client pings every few seconds
      last_ping_ = position_;
      send("ping", json::object());
    }
  }
  void end(std::function<void()> done) override {
    done_ = std::move(done);
    send("close", {{"reason", "end"}});
  }

 private:
  void send(const std::string& type, const json& parameters) {
    const double seconds = static_cast<double>(position_) / 8000.0;
    char position[40];
    std::snprintf(position, sizeof position, "PT%.3fS", seconds);
    legs[0]->send(json{{"version", "2"}, {"id", session_id_}, {"type", type}, {"seq", ++seq_}, {"serverseq", serverseq_},
                       {"position", position}, {"parameters", parameters}}
                      .dump(),
                  true);
  }
  void on_server_text(const std::string& text) {
    const json message = json::parse(text, nullptr, false);
    if (message.is_discarded() || !message.is_object()) {
      protocol_error = "server sent a text message that is not JSON";
      return;
    }
    serverseq_ = message.value("seq", serverseq_);
    const std::string type = message.value("type", "");
    if (type == "opened") {
      const json media = message["parameters"].value("media", json::array());
      if (media.size() != 1 || media[0].value("format", "") != format_) {
        protocol_error = "opened did not select one offered format";
        return;
      }
      for (const auto& channel : media[0]["channels"]) channel_map_.push_back(channel == "external" ? 0 : 1);
      opened_ = true;
      if (ready_) ready_();
    } else if (type == "closed") {
      if (done_) done_();
    } else if (type == "disconnect") {
      const std::string reason = message["parameters"].value("reason", "");
      if (reason != "completed") protocol_error = "server disconnected: " + reason + " " + message["parameters"].value("info", "");
      if (done_) done_();
    }
  }
  const PlayerAudio& audio_;
  std::string format_, session_id_, conversation_id_, organization_id_;
  std::int64_t seq_ = 0, serverseq_ = 0;
  std::size_t position_ = 0, last_ping_ = 0;
  bool opened_ = false;
  std::vector<int> channel_map_;
  std::function<void()> ready_, done_;
};

}  // namespace

std::unique_ptr<Streamer> make_streamer(boost::asio::io_context& io, const PlayerOptions& options, const PlayerAudio& audio) {
  if (options.protocol == "twilio") return std::make_unique<TwilioStreamer>(io, options, audio, false);
  if (options.protocol == "twilio-split") return std::make_unique<TwilioStreamer>(io, options, audio, true);
  if (options.protocol == "audiosocket") return std::make_unique<AudioSocketStreamer>(io, options, audio);
  if (options.protocol == "generic") return std::make_unique<GenericStreamer>(io, options, audio);
  if (options.protocol == "audiohook") return std::make_unique<AudioHookStreamer>(io, options, audio);
  throw std::invalid_argument("unknown protocol '" + options.protocol + "'");
}

}  // namespace tw::player
