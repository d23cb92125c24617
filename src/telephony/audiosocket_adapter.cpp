#include "telephony/audiosocket_adapter.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "telephony/audio_encoding.h"

namespace tw::telephony {

int audiosocket_sample_rate_hz(std::uint8_t type) noexcept {
  // include/asterisk/res_audiosocket.h, enum ast_audiosocket_msg_kind.
  switch (type) {
    case 0x10: return 8000;
    case 0x11: return 12000;
    case 0x12: return 16000;
    case 0x13: return 24000;
    case 0x14: return 32000;
    case 0x15: return 44100;
    case 0x16: return 48000;
    case 0x17: return 96000;
    case 0x18: return 192000;
    default: return 0;
  }
}

AudioSocketAdapter::AudioSocketAdapter(IngestSink& sink, features::SpeakerRole role, const AudioSocketConfig& config)
    : sink_(&sink), role_(role), config_(config), output_(sink, counters_) {
  if (config.max_payload_bytes < 16 || config.max_payload_bytes > 65535)
    throw std::invalid_argument("AudioSocketConfig.max_payload_bytes must be in [16, 65535]");
}

AdapterStatus AudioSocketAdapter::end(EndReason reason, std::string_view why) noexcept {
  const bool was_streaming = state_ == State::streaming;
  if (was_streaming) sink_->on_stream_end(reason, why);
  state_ = was_streaming || state_ == State::ended_after_start ? State::ended_after_start : State::ended;
  const std::uint16_t code = reason == EndReason::stop ? close_code::kNormal : close_code::kPolicyViolation;
  return AdapterStatus::closing(code, why);
}

void AudioSocketAdapter::on_disconnect(bool peer_closed) noexcept {
  if (ended()) return;
  const bool mid_message = header_filled_ > 0;  // a header, or a payload after its header, not yet whole
  if (mid_message) counters_.count(Malformed::truncated);
  if (state_ == State::streaming) {
    if (mid_message) {
      sink_->on_stream_end(EndReason::connection_lost, "connection closed in the middle of a message");
    } else if (!peer_closed) {
      sink_->on_stream_end(EndReason::connection_lost, "connection lost");
    } else {
      sink_->on_stream_end(EndReason::stop, "hangup: the peer closed the socket at a message boundary");
    }
  }
  state_ = state_ == State::streaming ? State::ended_after_start : State::ended;
}

AdapterStatus AudioSocketAdapter::on_bytes(std::span<const std::uint8_t> bytes) noexcept {
  counters_.bytes += bytes.size();
  while (!bytes.empty()) {
    if (ended()) {
      // Bytes after hangup or error: nothing more belongs to this stream.
      return AdapterStatus::closing(close_code::kNormal, "stream already ended");
    }
    if (header_filled_ < header_.size()) {
      const std::size_t n = std::min(header_.size() - header_filled_, bytes.size());
      std::copy_n(bytes.begin(), n, header_.begin() + static_cast<std::ptrdiff_t>(header_filled_));
      header_filled_ += n;
      bytes = bytes.subspan(n);
      if (header_filled_ < header_.size()) break;
      // Header complete: 1 type byte, 16-bit big-endian payload length.
      payload_length_ = (std::size_t{header_[1]} << 8) | header_[2];
      payload_filled_ = 0;
      const std::uint8_t type = header_[0];
      const bool known = type == kHangup || type == kUuid || type == kDtmf || type == kError ||
                         audiosocket_sample_rate_hz(type) != 0;
      if (payload_length_ > config_.max_payload_bytes) {
        counters_.count(Malformed::oversize);
        return end(EndReason::protocol_error, "message length exceeds the maximum payload");
      }
      skipping_ = !known;
      if (known) {
        payload_ = output_.bytes(payload_length_);
        if (payload_.empty() && payload_length_ > 0) return end(EndReason::protocol_error, "out of memory");
      }
    }
    if (payload_filled_ < payload_length_) {
      const std::size_t n = std::min(payload_length_ - payload_filled_, bytes.size());
      if (!skipping_) std::copy_n(bytes.begin(), n, payload_.begin() + static_cast<std::ptrdiff_t>(payload_filled_));
      payload_filled_ += n;
      bytes = bytes.subspan(n);
      if (payload_filled_ < payload_length_) break;
    }
    // A whole message.
    header_filled_ = 0;
    ++counters_.messages;
    if (skipping_) {
      counters_.count(Malformed::unknown_message);
      continue;
    }
    const AdapterStatus status = on_message(header_[0], payload_.first(payload_length_));
    if (status.close) return status;
  }
  return AdapterStatus::ok();
}

AdapterStatus AudioSocketAdapter::on_message(std::uint8_t type, std::span<const std::uint8_t> payload) noexcept {
  switch (type) {
    case kHangup:
      return end(EndReason::stop, "hangup");
    case kError: {
      // The payload is an optional application-specific error code.
      if (payload.empty()) {
        std::snprintf(end_detail_.data(), end_detail_.size(), "asterisk reported an error");
      } else {
        std::snprintf(end_detail_.data(), end_detail_.size(), "asterisk reported error 0x%02x", payload[0]);
      }
      return end(EndReason::peer_error, std::string_view(end_detail_.data()));
    }
    case kUuid: {
      if (payload.size() != 16) {
        counters_.count(Malformed::bad_value);
        return end(EndReason::protocol_error, "uuid payload must be 16 bytes");
      }
      char text[37];
      static constexpr char kHex[] = "0123456789abcdef";
      std::size_t o = 0;
      for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) text[o++] = '-';
        text[o++] = kHex[payload[i] >> 4];
        text[o++] = kHex[payload[i] & 0x0F];
      }
      const std::string_view id(text, o);
      if (state_ == State::awaiting_uuid) {
        try {
          uuid_.assign(id);
        } catch (...) {
          return end(EndReason::protocol_error, "out of memory");
        }
        state_ = State::awaiting_audio;
      } else if (id != uuid_) {
        counters_.count(Malformed::out_of_order);
        return end(EndReason::protocol_error, "a second uuid differs from the first");
      }
      return AdapterStatus::ok();
    }
    case kDtmf: {
      if (payload.size() != 1 || std::string_view("0123456789*#ABCD").find(static_cast<char>(payload[0])) == std::string_view::npos) {
        counters_.count(Malformed::bad_value);
        return AdapterStatus::ok();
      }
      if (state_ != State::streaming) {
        // Before the first audio there is no stream to attach the digit to.
        counters_.count(Malformed::out_of_order);
        return AdapterStatus::ok();
      }
      ++counters_.dtmf;
      sink_->on_dtmf(DtmfEvent{0, static_cast<char>(payload[0]), next_sample_});
      return AdapterStatus::ok();
    }
    default:
      return on_audio(audiosocket_sample_rate_hz(type), payload);
  }
}

AdapterStatus AudioSocketAdapter::on_audio(int rate_hz, std::span<const std::uint8_t> payload) noexcept {
  if (state_ == State::awaiting_uuid) {
    counters_.count(Malformed::out_of_order);
    return end(EndReason::protocol_error, "audio before uuid");
  }
  if (state_ == State::awaiting_audio) {
    try {
      StreamStart start;
      start.protocol = Protocol::audiosocket;
      start.call_id = uuid_;
      start.stream_id = uuid_;
      start.sample_rate_hz = rate_hz;
      start.tracks.push_back(TrackInfo{"slin", {role_}});
      start.metadata["role"] = std::string(features::to_string(role_));
      rate_hz_ = rate_hz;
      state_ = State::streaming;
      sink_->on_stream_start(start);
    } catch (...) {
      return end(EndReason::protocol_error, "out of memory");
    }
  } else if (rate_hz != rate_hz_) {
    counters_.count(Malformed::bad_value);
    return end(EndReason::protocol_error, "audio sample rate changed mid-stream");
  }
  if (payload.size() % 2 != 0) {
    counters_.count(Malformed::partial_sample);  // the odd byte cannot be half a sample of the next message
    payload = payload.first(payload.size() - 1);
  }
  const std::size_t n = payload.size() / 2;
  if (n == 0) return AdapterStatus::ok();
  const std::span<float> samples = output_.floats(n);
  if (samples.empty()) return end(EndReason::protocol_error, "out of memory");
  decode_samples(Encoding::l16, payload, samples);
  output_.emit(0, 1, next_sample_, samples);
  next_sample_ += static_cast<std::int64_t>(n);
  return AdapterStatus::ok();
}

}  // namespace tw::telephony
