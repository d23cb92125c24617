#include "telephony/twilio_stream_adapter.h"

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "telephony/json_parse.h"

#include "telephony/audio_encoding.h"
#include "telephony/base64.h"
#include "telephony/decimal.h"
#include "telephony/json_scan.h"

namespace tw::telephony {
namespace {

using features::SpeakerRole;

// media.timestamp is in milliseconds; audio/x-mulaw is 8 kHz, so 8 samples a millisecond.
constexpr std::int64_t kSamplesPerMs = TwilioStreamAdapter::kSampleRateHz / 1000;

// Twilio's track names, in the order of track_of_.
constexpr std::string_view kTwilioTracks[2] = {"inbound", "outbound"};

int twilio_track_slot(std::string_view name) noexcept {
  if (name == "inbound" || name == "inbound_track") return 0;
  if (name == "outbound" || name == "outbound_track") return 1;
  return -1;
}

std::string string_or_empty(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

TwilioStreamAdapter::TwilioStreamAdapter(IngestSink& sink, const TwilioConfig& config)
    : sink_(&sink),
      config_(config),
      output_(sink, counters_),
      // Timestamps are whole milliseconds: a chunk within 1 ms of where the
      // previous one ended is contiguous, so chunk sizes that are not whole
      // milliseconds never create false gaps.
      aligners_{TrackAligner(kSamplesPerMs, static_cast<std::int64_t>(config.max_gap_s * kSampleRateHz)),
                TrackAligner(kSamplesPerMs, static_cast<std::int64_t>(config.max_gap_s * kSampleRateHz))} {
  if (config.max_message_bytes < 256) throw std::invalid_argument("TwilioConfig.max_message_bytes must be at least 256");
  if (config.max_json_depth < 8 || config.max_json_depth > 1000)
    throw std::invalid_argument("TwilioConfig.max_json_depth must be 8 to 1000");
  if (!(config.max_gap_s > 0.0) || config.max_gap_s > 3600.0)
    throw std::invalid_argument("TwilioConfig.max_gap_s must be in (0, 3600]");
}

int TwilioStreamAdapter::track_index(std::string_view twilio_track) const noexcept {
  const int slot = twilio_track_slot(twilio_track);
  return slot < 0 ? kNoTrack : track_of_[static_cast<std::size_t>(slot)];
}

AdapterStatus TwilioStreamAdapter::end(EndReason reason, std::uint16_t code, std::string_view why) noexcept {
  if (state_ == State::streaming) sink_->on_stream_end(reason, why);
  state_ = State::ended;
  return AdapterStatus::closing(code, why);
}

AdapterStatus TwilioStreamAdapter::refuse(std::uint16_t code, std::string_view why) noexcept {
  return end(EndReason::protocol_error, code, why);
}

AdapterStatus TwilioStreamAdapter::on_binary(std::span<const std::uint8_t> message) noexcept {
  ++counters_.messages;
  counters_.bytes += message.size();
  counters_.count(Malformed::unknown_message);
  return refuse(close_code::kUnsupportedData, "twilio media streams carry text messages only");
}

void TwilioStreamAdapter::on_disconnect() noexcept {
  if (state_ == State::streaming) sink_->on_stream_end(EndReason::connection_lost, "connection closed before stop");
  state_ = State::ended;
}

AdapterStatus TwilioStreamAdapter::on_text(std::string_view message) noexcept {
  ++counters_.messages;
  counters_.bytes += message.size();
  if (message.size() > config_.max_message_bytes) {
    counters_.count(Malformed::oversize);
    return refuse(close_code::kMessageTooBig, "message exceeds the maximum size");
  }

  // Fast path: a media message is scanned in place; everything else is rare and
  // goes through nlohmann::json.
  std::string_view event, track, timestamp, payload;
  bool needs_full_parse = false;
  const bool valid = scan_json_object(message, [&](std::string_view parent, std::string_view key, const JsonValue& value) {
    const bool text = value.kind == JsonValue::Kind::string;
    if (parent.empty()) {
      if (key == "event" && text) {
        event = value.raw;
        needs_full_parse |= value.escaped;
      }
    } else if (parent == "media") {
      std::string_view* field = key == "track" ? &track : key == "timestamp" ? &timestamp : key == "payload" ? &payload : nullptr;
      if (field == nullptr) return;
      if (text || (field == &timestamp && value.kind == JsonValue::Kind::number)) {
        *field = value.raw;
        needs_full_parse |= value.escaped;
      }
    }
  }, config_.max_json_depth);
  if (!valid) {
    // The scanner stops at the first level past the limit; telling that apart from
    // a syntax error costs a second pass, only over messages already refused.
    if (!json_depth_within(message, config_.max_json_depth)) {
      counters_.count(Malformed::too_deep);
      return refuse(close_code::kPolicyViolation, "message JSON nests deeper than the limit");
    }
    counters_.count(Malformed::invalid_json);
    return AdapterStatus::ok();
  }
  if (event == "media" && !needs_full_parse) {
    if (track.empty() || timestamp.empty() || payload.data() == nullptr) {
      counters_.count(Malformed::missing_field);
      return state_ == State::awaiting_start ? refuse(close_code::kPolicyViolation, "media before start")
                                             : AdapterStatus::ok();
    }
    return on_media(track, timestamp, payload);
  }
  return on_other(message);
}

AdapterStatus TwilioStreamAdapter::on_media(std::string_view track, std::string_view timestamp,
                                            std::string_view payload) noexcept {
  if (state_ == State::awaiting_start) {
    counters_.count(Malformed::out_of_order);
    return refuse(close_code::kPolicyViolation, "media before start");
  }
  if (state_ == State::ended) {
    counters_.count(Malformed::out_of_order);
    return AdapterStatus::ok();
  }
  const int index = track_index(track);
  if (index == kNoTrack) {
    counters_.count(Malformed::unknown_track);
    return AdapterStatus::ok();
  }
  const auto ms = parse_decimal(timestamp, 12);
  if (!ms) {
    counters_.count(Malformed::bad_timestamp);
    return AdapterStatus::ok();
  }
  const std::span<std::uint8_t> bytes = output_.scratch_bytes(base64_decoded_capacity(payload.size()));
  if (bytes.empty() && !payload.empty()) return refuse(close_code::kInternalError, "out of memory");
  const auto decoded = base64_decode(payload, bytes);
  if (!decoded) {
    counters_.count(Malformed::bad_base64);
    return AdapterStatus::ok();
  }
  const std::size_t n = *decoded;  // one µ-law byte per sample: the frame size comes from the payload
  if (n == 0) return AdapterStatus::ok();
  const std::span<float> samples = output_.floats(n);
  if (samples.empty()) return refuse(close_code::kInternalError, "out of memory");
  decode_samples(Encoding::pcmu, bytes.first(n), samples);

  TrackAligner& aligner = aligners_[static_cast<std::size_t>(index)];
  const Placement placement = aligner.place(*ms * kSamplesPerMs, static_cast<std::int64_t>(n));
  if (placement.kind == Placement::Kind::jump) {
    counters_.count(Malformed::bad_timestamp);
    return refuse(close_code::kInvalidPayload, "media timestamp jumps beyond the maximum gap");
  }
  output_.emit_placed(index, 1, placement, samples);
  return AdapterStatus::ok();
}

AdapterStatus TwilioStreamAdapter::on_other(std::string_view message) noexcept {
  try {
    const nlohmann::json j = parse_json_object(message, config_.max_json_depth);  // the scanner checked the depth
    if (j.is_discarded()) {
      counters_.count(Malformed::invalid_json);
      return AdapterStatus::ok();
    }
    const std::string event = string_or_empty(j, "event");
    if (event == "connected") {
      if (state_ != State::awaiting_start) counters_.count(Malformed::out_of_order);
      return AdapterStatus::ok();
    }
    if (event == "media") {
      const auto it = j.find("media");
      if (it == j.end() || !it->is_object()) {
        counters_.count(Malformed::missing_field);
        return AdapterStatus::ok();
      }
      const nlohmann::json& media = *it;
      std::string timestamp = string_or_empty(media, "timestamp");
      if (timestamp.empty() && media.contains("timestamp") && media["timestamp"].is_number_unsigned())
        timestamp = std::to_string(media["timestamp"].get<std::uint64_t>());
      const auto payload = media.find("payload");
      if (payload == media.end() || !payload->is_string()) {
        counters_.count(Malformed::missing_field);
        return AdapterStatus::ok();
      }
      return on_media(string_or_empty(media, "track"), timestamp, payload->get_ref<const std::string&>());
    }
    if (event == "start") {
      if (state_ != State::awaiting_start) {
        counters_.count(Malformed::out_of_order);
        return AdapterStatus::ok();
      }
      const auto start_it = j.find("start");
      if (start_it == j.end() || !start_it->is_object()) {
        counters_.count(Malformed::missing_field);
        return refuse(close_code::kInvalidPayload, "start message without a start object");
      }
      const nlohmann::json& start = *start_it;
      StreamStart info;
      info.protocol = Protocol::twilio;
      info.sample_rate_hz = kSampleRateHz;
      info.call_id = string_or_empty(start, "callSid");
      info.stream_id = string_or_empty(start, "streamSid");
      if (info.stream_id.empty()) info.stream_id = string_or_empty(j, "streamSid");
      if (info.call_id.empty() || info.stream_id.empty()) {
        counters_.count(Malformed::missing_field);
        return refuse(close_code::kInvalidPayload, "start message without callSid or streamSid");
      }
      // mediaFormat: Twilio documents audio/x-mulaw, 8000 Hz, one channel; anything else we cannot decode.
      const auto format = start.find("mediaFormat");
      if (format == start.end() || !format->is_object() || string_or_empty(*format, "encoding") != "audio/x-mulaw" ||
          format->value("sampleRate", nlohmann::json()) != nlohmann::json(kSampleRateHz) ||
          format->value("channels", nlohmann::json()) != nlohmann::json(1)) {
        counters_.count(Malformed::bad_value);
        return refuse(close_code::kUnsupportedData, "mediaFormat is not audio/x-mulaw 8000 Hz mono");
      }
      // tracks: which media flows follow; Twilio's default stream track is inbound.
      std::vector<int> slots;
      const auto tracks = start.find("tracks");
      if (tracks == start.end()) {
        slots.push_back(0);
      } else if (tracks->is_array() && !tracks->empty() && tracks->size() <= 2) {
        for (const auto& t : *tracks) {
          const int slot = t.is_string() ? twilio_track_slot(t.get<std::string>()) : -1;
          if (slot < 0 || (slots.size() == 1 && slots[0] == slot)) {
            counters_.count(Malformed::bad_value);
            return refuse(close_code::kInvalidPayload, "start.tracks must name inbound and/or outbound once each");
          }
          slots.push_back(slot);
        }
      } else {
        counters_.count(Malformed::bad_value);
        return refuse(close_code::kInvalidPayload, "start.tracks must name inbound and/or outbound once each");
      }
      // Roles: inbound = caller, outbound = agent, unless customParameters.callerTrack says otherwise.
      int caller_slot = 0;
      nlohmann::json custom = nlohmann::json::object();
      if (const auto params = start.find("customParameters"); params != start.end() && params->is_object()) {
        custom = *params;
        if (const auto caller = params->find("callerTrack"); caller != params->end()) {
          const int slot = caller->is_string() ? twilio_track_slot(caller->get<std::string>()) : -1;
          if (slot < 0) {
            counters_.count(Malformed::bad_value);
            return refuse(close_code::kInvalidPayload, "customParameters.callerTrack must be inbound or outbound");
          }
          caller_slot = slot;
        }
      }
      for (const int slot : slots) {
        track_of_[static_cast<std::size_t>(slot)] = static_cast<int>(info.tracks.size());
        TrackInfo track;
        track.name = std::string(kTwilioTracks[slot]);
        track.channel_roles = {slot == caller_slot ? SpeakerRole::caller : SpeakerRole::agent};
        info.tracks.push_back(std::move(track));
      }
      info.metadata["customParameters"] = std::move(custom);
      info.metadata["accountSid"] = string_or_empty(start, "accountSid");
      info.metadata["tracks"] = start.value("tracks", nlohmann::json::array({"inbound"}));
      state_ = State::streaming;
      sink_->on_stream_start(info);
      return AdapterStatus::ok();
    }
    if (event == "dtmf") {
      if (state_ != State::streaming) {
        counters_.count(Malformed::out_of_order);
        return AdapterStatus::ok();
      }
      const auto dtmf = j.find("dtmf");
      const std::string digit = dtmf != j.end() && dtmf->is_object() ? string_or_empty(*dtmf, "digit") : std::string();
      if (digit.size() != 1 || std::string_view("0123456789*#ABCD").find(digit[0]) == std::string_view::npos) {
        counters_.count(Malformed::bad_value);
        return AdapterStatus::ok();
      }
      DtmfEvent event_out;
      event_out.track = track_index(string_or_empty(*dtmf, "track"));
      event_out.digit = digit[0];
      event_out.at_sample = event_out.track >= 0 ? aligners_[static_cast<std::size_t>(event_out.track)].next_sample()
                                                 : aligners_[0].next_sample();
      ++counters_.dtmf;
      sink_->on_dtmf(event_out);
      return AdapterStatus::ok();
    }
    if (event == "mark") {
      const auto mark = j.find("mark");
      sink_->on_notice("mark", mark != j.end() && mark->is_object() ? string_or_empty(*mark, "name") : std::string());
      return AdapterStatus::ok();
    }
    if (event == "stop") {
      if (state_ != State::streaming) {
        counters_.count(Malformed::out_of_order);
        return state_ == State::awaiting_start ? refuse(close_code::kNormal, "stop before start") : AdapterStatus::ok();
      }
      return end(EndReason::stop, close_code::kNormal, "stream stopped");
    }
    counters_.count(Malformed::unknown_message);
    return AdapterStatus::ok();
  } catch (const std::exception&) {
    // nlohmann type errors on fields of unexpected types, or memory.
    counters_.count(Malformed::bad_value);
    return AdapterStatus::ok();
  }
}

}  // namespace tw::telephony
