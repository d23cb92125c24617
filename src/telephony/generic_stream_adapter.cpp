#include "telephony/generic_stream_adapter.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "telephony/json_parse.h"

namespace tw::telephony {

using features::SpeakerRole;

GenericStreamAdapter::GenericStreamAdapter(IngestSink& sink, const GenericStreamConfig& config)
    : sink_(&sink), config_(config), output_(sink, counters_) {
  if (config.max_message_bytes < 256) throw std::invalid_argument("GenericStreamConfig.max_message_bytes must be at least 256");
  if (config.max_json_bytes < 256) throw std::invalid_argument("GenericStreamConfig.max_json_bytes must be at least 256");
  if (config.max_json_depth < 8 || config.max_json_depth > 1000)
    throw std::invalid_argument("GenericStreamConfig.max_json_depth must be 8 to 1000");
}

AdapterStatus GenericStreamAdapter::refuse(std::uint16_t code, std::string_view why) noexcept {
  if (started_ && !ended_) sink_->on_stream_end(EndReason::protocol_error, why);
  ended_ = true;
  return AdapterStatus::closing(code, why);
}

void GenericStreamAdapter::on_disconnect(bool clean_close) noexcept {
  if (ended_) return;
  if (carried_ > 0) counters_.count(Malformed::partial_sample);
  carried_ = 0;
  if (started_) {
    sink_->on_stream_end(clean_close ? EndReason::stop : EndReason::connection_lost,
                         clean_close ? "connection closed" : "connection lost");
  }
  ended_ = true;
}

AdapterStatus GenericStreamAdapter::on_text(std::string_view message) noexcept {
  ++counters_.messages;
  counters_.bytes += message.size();
  if (message.size() > config_.max_json_bytes) {
    counters_.count(Malformed::oversize);
    return refuse(close_code::kMessageTooBig, "text message exceeds the maximum JSON size");
  }
  if (ended_) return AdapterStatus::closing(close_code::kNormal, "stream already ended");
  if (started_) {
    counters_.count(Malformed::unknown_message);  // only the first text message means anything
    return AdapterStatus::ok();
  }
  try {
    JsonRefusal refusal = JsonRefusal::none;
    nlohmann::json meta = parse_json_object(message, config_.max_json_depth, &refusal);
    if (refusal == JsonRefusal::too_deep) {
      counters_.count(Malformed::too_deep);
      return refuse(close_code::kPolicyViolation, "metadata JSON nests deeper than the limit");
    }
    if (meta.is_discarded()) {
      counters_.count(Malformed::invalid_json);
      return refuse(close_code::kInvalidPayload, "metadata is not a JSON object");
    }
    StreamStart start;
    start.protocol = Protocol::generic_ws;
    const auto call_id = meta.find("call_id");
    if (call_id == meta.end() || !call_id->is_string() || call_id->get_ref<const std::string&>().empty()) {
      counters_.count(Malformed::missing_field);
      return refuse(close_code::kInvalidPayload, "metadata needs a non-empty string call_id");
    }
    start.call_id = call_id->get<std::string>();
    start.stream_id = start.call_id;

    const auto rate = meta.find("sample_rate");
    if (rate == meta.end() || !rate->is_number_integer()) {
      counters_.count(Malformed::missing_field);
      return refuse(close_code::kInvalidPayload, "metadata needs an integer sample_rate");
    }
    const auto rate_hz = rate->get<std::int64_t>();
    if (rate_hz < kMinRateHz || rate_hz > kMaxRateHz) {
      counters_.count(Malformed::bad_value);
      return refuse(close_code::kUnsupportedData, "sample_rate must be 8000 to 48000 Hz");
    }
    start.sample_rate_hz = static_cast<int>(rate_hz);

    std::int64_t channels = 1;
    if (const auto it = meta.find("channels"); it != meta.end()) {
      if (!it->is_number_integer()) {
        counters_.count(Malformed::bad_value);
        return refuse(close_code::kInvalidPayload, "channels must be an integer");
      }
      channels = it->get<std::int64_t>();
      if (channels < 1 || channels > kMaxChannels) {
        counters_.count(Malformed::bad_value);
        return refuse(close_code::kUnsupportedData, "channels must be 1 or 2");
      }
    }
    Encoding encoding = Encoding::l16;
    if (const auto it = meta.find("encoding"); it != meta.end()) {
      const auto parsed = it->is_string() ? parse_encoding(it->get<std::string>()) : std::nullopt;
      if (!parsed) {
        counters_.count(Malformed::bad_value);
        return refuse(close_code::kUnsupportedData, "encoding must be L16, PCMU or PCMA");
      }
      encoding = *parsed;
    }
    if (encoding != Encoding::l16 && rate_hz != 8000) {
      counters_.count(Malformed::bad_value);
      return refuse(close_code::kUnsupportedData, "G.711 (PCMU/PCMA) streams must be 8000 Hz");
    }
    TrackInfo track;
    track.name = std::string(to_string(encoding));
    if (const auto it = meta.find("roles"); it != meta.end()) {
      if (!it->is_array() || static_cast<std::int64_t>(it->size()) != channels) {
        counters_.count(Malformed::bad_value);
        return refuse(close_code::kInvalidPayload, "roles must name one role per channel");
      }
      for (const auto& role : *it) {
        const auto parsed = role.is_string() ? features::parse_speaker_role(role.get<std::string>()) : std::nullopt;
        if (!parsed || std::find(track.channel_roles.begin(), track.channel_roles.end(), *parsed) != track.channel_roles.end()) {
          counters_.count(Malformed::bad_value);
          return refuse(close_code::kInvalidPayload, "roles must be caller or agent, each at most once");
        }
        track.channel_roles.push_back(*parsed);
      }
    } else {
      track.channel_roles = {SpeakerRole::caller};
      if (channels == 2) track.channel_roles.push_back(SpeakerRole::agent);
    }
    start.tracks.push_back(std::move(track));
    for (const char* known : {"call_id", "sample_rate", "channels", "encoding", "roles"}) meta.erase(known);
    start.metadata = std::move(meta);

    encoding_ = encoding;
    channels_ = static_cast<int>(channels);
    frame_bytes_ = bytes_per_sample(encoding) * static_cast<std::size_t>(channels);
    started_ = true;
    sink_->on_stream_start(start);
    return AdapterStatus::ok();
  } catch (const std::exception&) {
    counters_.count(Malformed::bad_value);
    return refuse(close_code::kInvalidPayload, "metadata could not be read");
  }
}

AdapterStatus GenericStreamAdapter::on_binary(std::span<const std::uint8_t> message) noexcept {
  ++counters_.messages;
  counters_.bytes += message.size();
  if (message.size() > config_.max_message_bytes) {
    counters_.count(Malformed::oversize);
    return refuse(close_code::kMessageTooBig, "message exceeds the maximum size");
  }
  if (ended_) return AdapterStatus::closing(close_code::kNormal, "stream already ended");
  if (!started_) {
    counters_.count(Malformed::out_of_order);
    return refuse(close_code::kPolicyViolation, "audio before metadata");
  }
  if (message.empty()) return AdapterStatus::ok();
  // Join the carried partial frame and this message, decode whole frames, carry the rest.
  const std::size_t total = carried_ + message.size();
  const std::size_t frames = total / frame_bytes_;
  const std::size_t whole = frames * frame_bytes_;
  if (frames > 0) {
    const std::span<std::uint8_t> bytes = output_.scratch_bytes(whole);
    const std::span<float> samples = output_.floats(frames * static_cast<std::size_t>(channels_));
    if (bytes.empty() || samples.empty()) return refuse(close_code::kInternalError, "out of memory");
    std::memcpy(bytes.data(), carry_.data(), carried_);
    std::memcpy(bytes.data() + carried_, message.data(), whole - carried_);
    decode_samples(encoding_, bytes, samples);
    output_.emit(0, channels_, next_frame_, samples);
    next_frame_ += static_cast<std::int64_t>(frames);
    const std::size_t rest = total - whole;
    std::memcpy(carry_.data(), message.data() + (message.size() - rest), rest);
    carried_ = rest;
  } else {
    std::memcpy(carry_.data() + carried_, message.data(), message.size());
    carried_ = total;
  }
  return AdapterStatus::ok();
}

}  // namespace tw::telephony
