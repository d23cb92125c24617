#include "telephony/audiohook_adapter.h"

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "telephony/json_parse.h"

#include "telephony/iso_duration.h"

namespace tw::telephony {
namespace {

using features::SpeakerRole;
using nlohmann::json;

constexpr std::string_view kNilUuid = "00000000-0000-0000-0000-000000000000";

std::optional<SpeakerRole> channel_role(const json& name) {
  if (!name.is_string()) return std::nullopt;
  const auto& text = name.get_ref<const std::string&>();
  if (text == "external") return SpeakerRole::caller;  // the customer's side of the conversation
  if (text == "internal") return SpeakerRole::agent;   // the Genesys Cloud user's side
  return std::nullopt;
}

const json* member(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// A member holding an AudioHook duration, in samples.
bool duration_member(const json* value, std::int64_t& samples) {
  if (value == nullptr || !value->is_string()) return false;
  const auto parsed = parse_iso_duration_samples(value->get_ref<const std::string&>(), AudioHookAdapter::kSampleRateHz);
  if (!parsed) return false;
  samples = *parsed;
  return true;
}

}  // namespace

AudioHookAdapter::AudioHookAdapter(IngestSink& sink, const AudioHookConfig& config)
    : sink_(&sink),
      config_(config),
      output_(sink, counters_),
      // Positions are decimal seconds; 1 ms either way is taken as contiguous.
      aligner_(kSampleRateHz / 1000, static_cast<std::int64_t>(config.max_gap_s * kSampleRateHz)) {
  if (config.max_message_bytes < 1024) throw std::invalid_argument("AudioHookConfig.max_message_bytes must be at least 1024");
  if (config.max_json_bytes < 1024) throw std::invalid_argument("AudioHookConfig.max_json_bytes must be at least 1024");
  if (config.max_json_depth < 8 || config.max_json_depth > 1000)
    throw std::invalid_argument("AudioHookConfig.max_json_depth must be 8 to 1000");
  if (!(config.max_gap_s > 0.0) || config.max_gap_s > 3600.0)
    throw std::invalid_argument("AudioHookConfig.max_gap_s must be in (0, 3600]");
}

AudioHookAdapter::~AudioHookAdapter() = default;

void AudioHookAdapter::finish(EndReason reason, std::string_view why) noexcept {
  if (started_ && state_ != State::closed) sink_->on_stream_end(reason, why);
  state_ = State::closed;
}

void AudioHookAdapter::reply(std::string_view type, const json& parameters) {
  json message = {{"version", "2"},       {"type", type},           {"seq", ++server_seq_},
                  {"clientseq", client_seq_}, {"id", session_id_}, {"parameters", parameters}};
  sink_->send_text(message.dump());
}

AdapterStatus AudioHookAdapter::fail(std::uint16_t code, std::string_view why) noexcept {
  // The server's way to end a session on error is a disconnect message with reason "error".
  if (state_ != State::closed && !session_id_.empty()) {
    try {
      reply("disconnect", {{"reason", "error"}, {"info", std::string(why)}});
    } catch (...) {
    }
  }
  finish(EndReason::protocol_error, why);
  return AdapterStatus::closing(code, why);
}

void AudioHookAdapter::on_disconnect(bool clean_close) noexcept {
  finish(EndReason::connection_lost, clean_close ? "connection closed before close" : "connection lost");
}

AdapterStatus AudioHookAdapter::on_text(std::string_view message) noexcept {
  ++counters_.messages;
  counters_.bytes += message.size();
  if (message.size() > config_.max_json_bytes) {
    counters_.count(Malformed::oversize);
    return fail(close_code::kMessageTooBig, "text message exceeds the maximum JSON size");
  }
  if (state_ == State::closed) return AdapterStatus::closing(close_code::kNormal, "session closed");
  try {
    JsonRefusal refusal = JsonRefusal::none;
    const json j = parse_json_object(message, config_.max_json_depth, &refusal);
    if (refusal == JsonRefusal::too_deep) {
      counters_.count(Malformed::too_deep);
      return fail(close_code::kPolicyViolation, "message JSON nests deeper than the limit");
    }
    if (j.is_discarded()) {
      counters_.count(Malformed::invalid_json);
      return fail(close_code::kInvalidPayload, "message is not a JSON object");
    }
    const json* version = member(j, "version");
    const json* type = member(j, "type");
    const json* seq = member(j, "seq");
    const json* serverseq = member(j, "serverseq");
    const json* id = member(j, "id");
    if (version == nullptr || *version != "2" || type == nullptr || !type->is_string() || seq == nullptr ||
        !seq->is_number_integer() || serverseq == nullptr || !serverseq->is_number_integer() || id == nullptr ||
        !id->is_string()) {
      counters_.count(Malformed::missing_field);
      return fail(close_code::kInvalidPayload, "message lacks version 2, type, seq, serverseq or id");
    }
    // seq counts client messages from 1 without gaps; serverseq cannot exceed what we sent.
    if (seq->get<std::int64_t>() != client_seq_ + 1) {
      counters_.count(Malformed::out_of_order);
      return fail(close_code::kProtocolError, "seq is not one more than the previous message's");
    }
    client_seq_ = seq->get<std::int64_t>();
    if (serverseq->get<std::int64_t>() > server_seq_ || serverseq->get<std::int64_t>() < 0) {
      counters_.count(Malformed::bad_value);
      return fail(close_code::kProtocolError, "serverseq is beyond the last server message");
    }
    if (session_id_.empty()) {
      session_id_ = id->get<std::string>();
    } else if (id->get_ref<const std::string&>() != session_id_) {
      counters_.count(Malformed::bad_value);
      return fail(close_code::kProtocolError, "session id changed");
    }
    return on_message(j, type->get_ref<const std::string&>());
  } catch (const std::exception&) {
    counters_.count(Malformed::bad_value);
    return fail(close_code::kInvalidPayload, "message could not be read");
  }
}

bool AudioHookAdapter::request_pause(bool pause) noexcept {
  // AudioHook protocol specification, "pause" and "resume" (server to client): the
  // server may ask at any time while the session is open; asking twice is harmless.
  if (!started_ || probe_ || (state_ != State::active && state_ != State::paused)) return false;
  try {
    reply(pause ? "pause" : "resume", nlohmann::json::object());
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

AdapterStatus AudioHookAdapter::align_to(std::int64_t position) noexcept {
  if (!started_) return AdapterStatus::ok();
  const Placement placement = aligner_.place(position, 0);
  if (placement.kind == Placement::Kind::jump) {
    counters_.count(Malformed::bad_timestamp);
    return fail(close_code::kInvalidPayload, "position jumps beyond the maximum gap");
  }
  if (placement.kind == Placement::Kind::accept) {
    output_.emit_gap(0, placement.first_sample, placement.gap_samples, dsp::GapKind::lost);
  }
  return AdapterStatus::ok();
}

AdapterStatus AudioHookAdapter::advance_to(std::int64_t position) noexcept {
  // `position` counts paused time too, so a message sent during a pause (an update,
  // or the close that ends a call still on hold) moves the stream through the pause:
  // that stretch was declared, not lost.
  if (state_ == State::paused) {
    declared_gap_to(position, dsp::GapKind::paused);
    return AdapterStatus::ok();
  }
  return align_to(position);
}

void AudioHookAdapter::declared_gap_to(std::int64_t position, dsp::GapKind kind) noexcept {
  if (!started_) return;
  const Placement placement = aligner_.declare_gap_to(position);
  output_.emit_gap(0, placement.first_sample, placement.gap_samples, kind);
}

AdapterStatus AudioHookAdapter::on_message(const json& j, std::string_view type) noexcept {
  try {
    static const json kEmpty = json::object();
    const json* params = member(j, "parameters");
    if (params != nullptr && !params->is_object()) {
      counters_.count(Malformed::bad_value);
      return fail(close_code::kInvalidPayload, "parameters is not an object");
    }
    const json& parameters = params != nullptr ? *params : kEmpty;
    // position: audio the client has streamed so far (missing only on malformed messages).
    std::optional<std::int64_t> position;
    if (const json* p = member(j, "position"); p != nullptr && p->is_string()) {
      position = parse_iso_duration_samples(p->get_ref<const std::string&>(), kSampleRateHz);
    }
    if (!position) {
      counters_.count(Malformed::bad_timestamp);
      return fail(close_code::kInvalidPayload, "position is not an ISO 8601 duration");
    }

    if (type == "open") {
      if (state_ != State::awaiting_open) {
        counters_.count(Malformed::out_of_order);
        return fail(close_code::kProtocolError, "open received twice");
      }
      return on_open(parameters);
    }
    if (state_ == State::awaiting_open && type != "ping" && type != "close" && type != "error") {
      counters_.count(Malformed::out_of_order);
      return fail(close_code::kProtocolError, "message before open");
    }
    if (type == "ping") {
      reply("pong", kEmpty);
      return AdapterStatus::ok();
    }
    if (type == "close") {
      const json* reason = member(parameters, "reason");
      reply("closed", kEmpty);
      const AdapterStatus aligned = advance_to(*position);
      if (aligned.close) return aligned;
      finish(peer_error_ ? EndReason::peer_error : EndReason::stop,
             reason != nullptr && *reason == "error" ? "client closed on error" : "client closed the session");
      return AdapterStatus::closing(close_code::kNormal, "session closed");
    }
    if (type == "error") {
      // The client reports a problem ({code, message}); it normally closes next.
      peer_error_ = true;
      const json* text = member(parameters, "message");
      sink_->on_notice("error", text != nullptr && text->is_string() ? text->get_ref<const std::string&>() : "");
      return AdapterStatus::ok();
    }
    if (type == "paused") {
      // The client stopped sending audio at `position` (specification: "paused").
      // Audio it sent before is all there; a position ahead of it was lost. A second
      // `paused` while paused (a client pause inside a server one, say) changes nothing.
      if (state_ == State::paused) return AdapterStatus::ok();
      state_ = State::paused;
      sink_->on_notice("paused", "");
      return align_to(*position);
    }
    if (type == "resumed" || type == "discarded") {
      // {start, discarded}: audio from `start` for `discarded` was not sent
      // (discarded) / the stream resumes at `start` after a pause (resumed).
      const json* start = member(parameters, "start");
      const json* discarded = member(parameters, "discarded");
      std::int64_t start_samples = 0;
      std::int64_t discarded_samples = 0;
      if (!duration_member(start, start_samples) || !duration_member(discarded, discarded_samples)) {
        counters_.count(Malformed::bad_timestamp);
        return fail(close_code::kInvalidPayload, "start or discarded is not an ISO 8601 duration");
      }
      // The stretch is the client's own declaration, of any length (a hold can last
      // an hour): it is passed on as a gap, not as silence, and refused by no
      // maximum. Both messages name the stretch the same way: it begins at `start`
      // and lasts `discarded`, and audio goes on after it. For resumed, `start` is
      // where the pause began (Genesys' reference client sends the position it paused
      // at, with the pause's length; its `position` is their sum).
      if (type == "resumed") {
        state_ = State::active;
        sink_->on_notice("resumed", discarded->get_ref<const std::string&>());
        declared_gap_to(start_samples + discarded_samples, dsp::GapKind::paused);
        return AdapterStatus::ok();
      }
      sink_->on_notice("discarded", discarded->get_ref<const std::string&>());
      const AdapterStatus aligned = align_to(start_samples);  // audio before `start` that did not come was lost
      if (aligned.close) return aligned;
      declared_gap_to(start_samples + discarded_samples, dsp::GapKind::discarded);
      return AdapterStatus::ok();
    }
    if (type == "update") {
      sink_->on_notice("update", parameters.dump());
      return advance_to(*position);
    }
    counters_.count(Malformed::unknown_message);
    return fail(close_code::kProtocolError, "not an AudioHook client message");
  } catch (const std::exception&) {
    counters_.count(Malformed::bad_value);
    return fail(close_code::kInvalidPayload, "message could not be read");
  }
}

AdapterStatus AudioHookAdapter::on_open(const json& parameters) {
  const json* conversation = member(parameters, "conversationId");
  const json* media = member(parameters, "media");
  if (conversation == nullptr || !conversation->is_string() || conversation->get_ref<const std::string&>().empty() ||
      media == nullptr || !media->is_array()) {
    counters_.count(Malformed::missing_field);
    return fail(close_code::kInvalidPayload, "open lacks conversationId or media");
  }
  // Choose one offer: both parties beat one, then the preferred format.
  const json* best = nullptr;
  int best_score = -1;
  for (const json& offer : *media) {
    if (!offer.is_object() || offer.value("type", json()) != "audio" || offer.value("rate", json()) != json(kSampleRateHz))
      continue;
    const json format = offer.value("format", json());
    const bool l16 = format == "L16";
    if (!l16 && format != "PCMU") continue;
    const json* channels = member(offer, "channels");
    if (channels == nullptr || !channels->is_array() || channels->empty() || channels->size() > 2) continue;
    bool valid = true;
    for (const json& c : *channels) valid &= channel_role(c).has_value();
    if (!valid || (channels->size() == 2 && (*channels)[0] == (*channels)[1])) continue;
    const int score = static_cast<int>(channels->size()) * 2 + (l16 == config_.prefer_l16 ? 1 : 0);
    if (score > best_score) {
      best_score = score;
      best = &offer;
    }
  }
  if (best == nullptr) {
    counters_.count(Malformed::bad_value);
    return fail(close_code::kUnsupportedData, "no offered media format is PCMU or L16 at 8000 Hz");
  }
  encoding_ = (*best)["format"] == "L16" ? Encoding::l16 : Encoding::pcmu;
  const json& channels = (*best)["channels"];
  channels_ = static_cast<int>(channels.size());
  frame_bytes_ = bytes_per_sample(encoding_) * static_cast<std::size_t>(channels_);
  probe_ = conversation->get_ref<const std::string&>() == kNilUuid;

  if (!probe_) {
    StreamStart start;
    start.protocol = Protocol::audiohook;
    start.call_id = conversation->get<std::string>();
    start.stream_id = session_id_;
    start.sample_rate_hz = kSampleRateHz;
    TrackInfo track;
    for (const json& c : channels) {
      if (!track.name.empty()) track.name += '+';
      track.name += c.get<std::string>();
      track.channel_roles.push_back(*channel_role(c));
    }
    start.tracks.push_back(std::move(track));
    for (const char* key : {"organizationId", "participant", "language", "customConfig", "continuedSessions"}) {
      if (const json* value = member(parameters, key)) start.metadata[key] = *value;
    }
    start.metadata["format"] = std::string(to_string(encoding_));
    started_ = true;
    sink_->on_stream_start(start);
  }
  state_ = State::active;
  reply("opened", {{"startPaused", false}, {"media", json::array({*best})}});
  return AdapterStatus::ok();
}

AdapterStatus AudioHookAdapter::on_binary(std::span<const std::uint8_t> message) noexcept {
  ++counters_.messages;
  counters_.bytes += message.size();
  if (message.size() > config_.max_message_bytes) {
    counters_.count(Malformed::oversize);
    return fail(close_code::kMessageTooBig, "message exceeds the maximum size");
  }
  if (state_ == State::closed) return AdapterStatus::closing(close_code::kNormal, "session closed");
  // An empty audio frame carries no audio and is legal in any state: the Genesys
  // client sends one on a connection probe (the open for the nil conversation)
  // after opened, to check the binary path. It is taken and ignored.
  if (message.empty()) return AdapterStatus::ok();
  if (state_ == State::awaiting_open || probe_) {
    // The client sends no audio before opened, and none in a probe.
    counters_.count(Malformed::out_of_order);
    return fail(close_code::kProtocolError, "audio before the session was opened");
  }
  const std::size_t frames = message.size() / frame_bytes_;
  if (frames * frame_bytes_ != message.size()) counters_.count(Malformed::partial_sample);
  if (frames == 0) return AdapterStatus::ok();
  const std::span<float> samples = output_.floats(frames * static_cast<std::size_t>(channels_));
  if (samples.empty()) return fail(close_code::kInternalError, "out of memory");
  decode_samples(encoding_, message.first(frames * frame_bytes_), samples);
  output_.emit(0, channels_, aligner_.next_sample(), samples);
  aligner_.advance(static_cast<std::int64_t>(frames));
  return AdapterStatus::ok();
}

}  // namespace tw::telephony
