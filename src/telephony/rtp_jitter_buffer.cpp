#include "telephony/rtp_jitter_buffer.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "telephony/audio_encoding.h"

namespace tw::telephony {

namespace {

// RFC 3550 §A.1: a sequence number further than MAX_DROPOUT from the highest one is
// not a loss or a reorder but a restarted numbering.
constexpr std::int64_t kMaxDropout = 3000;
// Ticks decoded per sink call at play-out (the scratch's size).
constexpr auto kChunkTicks = static_cast<std::int64_t>(RtpJitterBuffer::kPlayoutChunkTicks);
// Arrival times are clamped to [0, this]: 2^48 samples is centuries at 16 kHz, and the
// clamp keeps every position sum far from int64 overflow whatever a caller passes.
constexpr std::int64_t kMaxArrivalSamples = std::int64_t{1} << 48;
// RFC 4733 §3.2: events 0-15 are the DTMF digits, in this order.
constexpr char kDtmfDigits[] = "0123456789*#ABCD";

std::uint64_t next_power_of_two(std::uint64_t n) noexcept {
  std::uint64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

RtpJitterBuffer::RtpJitterBuffer(IngestSink& sink, const RtpJitterConfig& config) : sink_(&sink), config_(config) {
  if (config.sample_rate_hz != 8000 && config.sample_rate_hz != 16000)
    throw std::invalid_argument("RtpJitterConfig.sample_rate_hz must be 8000 (PCMU, PCMA) or 16000 (G.722), not " +
                                std::to_string(config.sample_rate_hz));
  if (config.depth_ms < 10 || config.depth_ms > 2000)
    throw std::invalid_argument("RtpJitterConfig.depth_ms must be in [10, 2000], not " + std::to_string(config.depth_ms));
  if (config.max_packet_ms < 10 || config.max_packet_ms > 1000)
    throw std::invalid_argument("RtpJitterConfig.max_packet_ms must be in [10, 1000], not " +
                                std::to_string(config.max_packet_ms));
  // RFC 3551 §3: telephone-event has no static type; the SDP binds it to a dynamic one.
  if (config.telephone_event_payload_type != -1 &&
      (config.telephone_event_payload_type < 96 || config.telephone_event_payload_type > 127))
    throw std::invalid_argument("RtpJitterConfig.telephone_event_payload_type must be -1 (none) or a dynamic type in "
                                "[96, 127], not " + std::to_string(config.telephone_event_payload_type));
  if (!(config.max_forward_jump_s >= 1.0 && config.max_forward_jump_s <= 3600.0))
    throw std::invalid_argument("RtpJitterConfig.max_forward_jump_s must be in [1, 3600]");
  if (!(config.max_pause_s >= config.max_forward_jump_s && config.max_pause_s <= 86400.0))
    throw std::invalid_argument("RtpJitterConfig.max_pause_s must be in [max_forward_jump_s, 86400]");
  if (config.track < 0) throw std::invalid_argument("RtpJitterConfig.track must be >= 0");

  samples_per_tick_ = config.sample_rate_hz / kRtpClockHz;
  depth_ticks_ = std::int64_t{config.depth_ms} * kRtpClockHz / 1000;
  max_packet_ticks_ = std::int64_t{config.max_packet_ms} * kRtpClockHz / 1000;
  max_jump_ticks_ = static_cast<std::int64_t>(config.max_forward_jump_s * kRtpClockHz);
  max_pause_ticks_ = static_cast<std::int64_t>(config.max_pause_s * kRtpClockHz);
  // Room for the depth held back plus the longest packet placed ahead of it.
  const std::uint64_t capacity = next_power_of_two(static_cast<std::uint64_t>(depth_ticks_ + max_packet_ticks_ + 1));
  ring_mask_ = capacity - 1;
  slots_.assign(capacity, kEmpty);
  octets_.assign(capacity, 0);
  decoded_.assign(static_cast<std::size_t>(kChunkTicks * samples_per_tick_), 0.0f);
  if (samples_per_tick_ == 1) wideband_.assign(static_cast<std::size_t>(2 * kChunkTicks), 0.0f);
}

void RtpJitterBuffer::reset() noexcept {
  counters_ = RtpCounters{};
  g722_.reset();
  decimator_.reset();
  std::fill(slots_.begin(), slots_.end(), std::uint8_t{kEmpty});
  aligned_ = false;
  ever_aligned_ = false;
  ssrc_ = 0;
  has_previous_ssrc_ = false;
  previous_ssrc_ = 0;
  ssrc_change_arrival_ = 0;
  timestamp_reference_ = 0;
  played_ = 0;
  held_end_ = 0;
  next_sample_ = 0;
  declared_silence_ = false;
  paused_ = false;
  sequence_started_ = false;
  highest_sequence_ = 0;
  lowest_sequence_ = 0;
  received_ = 0;
  lost_before_ = 0;
  seen_.fill(0);
  has_event_ = false;
  last_event_tick_ = 0;
  pending_gap_samples_ = 0;
  pending_gap_kind_ = dsp::GapKind::lost;
  priming_ = false;
  realign_slack_samples_ = 0;
  slack_is_start_offset_ = false;
}

void RtpJitterBuffer::on_datagram(std::span<const std::uint8_t> datagram, std::int64_t arrival_samples) noexcept {
  ++counters_.datagrams;
  counters_.bytes += datagram.size();
  if (classify_datagram(datagram) == DatagramKind::rtcp) {
    // Read, counted, never acted on here: a BYE is the session's to weigh (SIP's BYE
    // ends a SIPREC call), and reception reports are for senders.
    ++counters_.rtcp_packets;
    const RtcpSummary rtcp = read_rtcp(datagram);
    if (!rtcp.valid) ++counters_.rtcp_malformed;
    if (rtcp.has_bye) ++counters_.rtcp_byes;
    return;
  }
  RtpPacket packet;
  const RtpError error = parse_rtp(datagram, packet);
  if (error != RtpError::none) {
    ++counters_.malformed;
    ++counters_.malformed_by_reason[static_cast<std::size_t>(error)];
    return;
  }
  on_packet(packet, arrival_samples);
}

RtpJitterBuffer::Payload RtpJitterBuffer::classify(const RtpPacket& packet, Slot& slot) const noexcept {
  const int type = packet.payload_type;
  if (type == config_.telephone_event_payload_type) return Payload::telephone_event;
  if (type == rtp_payload_type::kComfortNoise) return Payload::comfort_noise;
  // One output rate per stream: G.711 and G.722 in an 8 kHz stream (G.722 decoded at
  // 16 kHz and decimated: a wideband party in a call with a narrowband one), G.722 in a
  // 16 kHz one. G.711 in a 16 kHz stream is dropped (counted); its time becomes a gap.
  if (config_.sample_rate_hz == 8000) {
    if (type == rtp_payload_type::kPcmu) return slot = kPcmu, Payload::audio;
    if (type == rtp_payload_type::kPcma) return slot = kPcma, Payload::audio;
    if (type == rtp_payload_type::kG722) return slot = kG722, Payload::audio;
  } else if (type == rtp_payload_type::kG722) {
    return slot = kG722, Payload::audio;
  }
  return Payload::unsupported;
}

void RtpJitterBuffer::on_packet(const RtpPacket& packet, std::int64_t arrival_samples) noexcept {
  ++counters_.rtp_packets;
  arrival_samples = std::clamp<std::int64_t>(arrival_samples, 0, kMaxArrivalSamples);
  Slot slot = kEmpty;
  const Payload payload = classify(packet, slot);
  if (payload == Payload::unsupported) {
    // It did arrive: its sequence number is not a lost packet. But it cannot start or
    // change an alignment, so a stray source of unknown packets disturbs nothing.
    ++counters_.unsupported_packets;
    if (aligned_ && packet.ssrc == ssrc_) {
      check_sequence(packet.sequence);
      update_lost();
    }
    return;
  }
  if (!aligned_) {
    start_alignment(packet, arrival_samples, true);
  } else if (packet.ssrc != ssrc_) {
    // RFC 3550 §8.2: a new SSRC is a new source, with its own sequence and timestamp
    // spaces. Packets of the source it replaced that were still in flight (arriving
    // within two depths of the change) are dropped, or each would swap the alignment
    // back; later, that source coming back is a change like any other.
    if (has_previous_ssrc_ && packet.ssrc == previous_ssrc_ &&
        arrival_samples - ssrc_change_arrival_ <= 2 * depth_ticks_ * samples_per_tick_) {
      ++counters_.stale_ssrc_packets;
      return;
    }
    ++counters_.ssrc_changes;
    has_previous_ssrc_ = true;
    previous_ssrc_ = ssrc_;
    ssrc_change_arrival_ = arrival_samples;
    start_alignment(packet, arrival_samples, true);
  }
  const SequenceCheck sequence = check_sequence(packet.sequence);
  update_lost();
  if (sequence.duplicate) {
    ++counters_.duplicate_packets;
    return;
  }
  if (sequence.too_old) {
    ++counters_.late_packets;
    return;
  }
  const std::int64_t tick = extend_timestamp(packet.timestamp);
  switch (payload) {
    case Payload::audio: place_audio(packet, slot, tick, sequence.in_order, arrival_samples); break;
    case Payload::comfort_noise: place_comfort_noise(tick); break;
    case Payload::telephone_event: place_event(packet, tick); break;
    case Payload::unsupported: break;
  }
}

void RtpJitterBuffer::start_alignment(const RtpPacket& packet, std::int64_t arrival_samples, bool new_source) noexcept {
  if (aligned_) play_until(held_end_);  // what the old alignment holds goes out first
  emit_pending_gap();
  // The new first packet goes where the arrival clock puts it, never before what was
  // delivered. The hole is lost audio, unless comfort noise had declared a silence.
  const std::int64_t anchor = std::max(next_sample_, arrival_samples);
  realign_slack_samples_ = anchor - next_sample_;
  slack_is_start_offset_ = !ever_aligned_;
  if (anchor > next_sample_ && !ever_aligned_) {
    // The call's time before this stream's first packet: the SRC had not begun sending
    // it (a party forked later, or a first packet a few milliseconds behind the other
    // stream's). Nothing was lost on the way, so it is not a lost gap.
    counters_.start_offset_samples += static_cast<std::uint64_t>(anchor - next_sample_);
    add_gap(anchor - next_sample_, dsp::GapKind::discarded);
  } else if (anchor > next_sample_) {
    counters_.realign_samples += static_cast<std::uint64_t>(anchor - next_sample_);
    add_gap(anchor - next_sample_, hole_kind());
  }
  ever_aligned_ = true;
  priming_ = true;
  if (new_source) {
    // A new encoder: the G.722 decoder's state belonged to the old one. Sequence
    // numbers start over too (RFC 3550 §8.2).
    g722_.reset();
    decimator_.reset();
    ssrc_ = packet.ssrc;
    lost_before_ = counters_.lost_packets;
    sequence_started_ = false;
  }
  // Ticks restart from this packet's timestamp: those of the old alignment, the last
  // event's start among them, mean nothing in the new one.
  timestamp_reference_ = packet.timestamp;
  played_ = timestamp_reference_;
  held_end_ = timestamp_reference_;
  declared_silence_ = false;
  has_event_ = false;
  aligned_ = true;
}

RtpJitterBuffer::SequenceCheck RtpJitterBuffer::check_sequence(std::uint16_t sequence) noexcept {
  SequenceCheck check;
  const auto bit = [](std::int64_t extended) -> std::pair<std::size_t, std::uint64_t> {
    const auto i = static_cast<std::uint64_t>(extended) % static_cast<std::uint64_t>(kRememberedSequences);
    return {static_cast<std::size_t>(i / 64), std::uint64_t{1} << (i % 64)};
  };
  const auto restart = [&](std::int64_t extended) {
    sequence_started_ = true;
    highest_sequence_ = lowest_sequence_ = extended;
    received_ = 1;
    seen_.fill(0);
    const auto [word, mask] = bit(extended);
    seen_[word] |= mask;
    check.in_order = true;
  };
  if (!sequence_started_) {
    restart(sequence);
    return check;
  }
  // RFC 3550 §A.1: the 16-bit number extended by the shortest way round from the highest.
  const std::int64_t extended =
      highest_sequence_ + static_cast<std::int16_t>(static_cast<std::uint16_t>(sequence - static_cast<std::uint16_t>(highest_sequence_)));
  const std::int64_t delta = extended - highest_sequence_;
  if (delta > kMaxDropout || delta < -kMaxDropout) {
    ++counters_.sequence_resyncs;
    lost_before_ = counters_.lost_packets;
    restart(extended);
    return check;
  }
  if (delta > 0) {
    // Forget the numbers one window back that these new ones will reuse.
    if (delta >= kRememberedSequences) {
      seen_.fill(0);
    } else {
      for (std::int64_t s = highest_sequence_ + 1; s <= extended; ++s) {
        const auto [word, mask] = bit(s);
        seen_[word] &= ~mask;
      }
    }
    highest_sequence_ = extended;
    check.in_order = true;
  } else if (delta <= -kRememberedSequences) {
    check.too_old = true;  // out of the remembered window: whether seen or not, too late
    return check;
  }
  const auto [word, mask] = bit(extended);
  if ((seen_[word] & mask) != 0) {
    check.duplicate = true;
    return check;
  }
  seen_[word] |= mask;
  ++received_;
  lowest_sequence_ = std::min(lowest_sequence_, extended);
  return check;
}

void RtpJitterBuffer::update_lost() noexcept {
  // RFC 3550 §6.4.1 / §A.3: expected is the span of sequence numbers seen; late packets
  // count as received (they came, only too late), duplicates once.
  if (!sequence_started_) return;
  const auto expected = static_cast<std::uint64_t>(highest_sequence_ - lowest_sequence_ + 1);
  counters_.lost_packets = lost_before_ + (expected > received_ ? expected - received_ : 0);
}

std::int64_t RtpJitterBuffer::extend_timestamp(std::uint32_t timestamp) const noexcept {
  // The 32-bit timestamp extended by the shortest way round from the newest one: a
  // wrap at 2^32 is a step of a few ticks like any other.
  const auto delta = static_cast<std::int32_t>(timestamp - static_cast<std::uint32_t>(timestamp_reference_));
  return timestamp_reference_ + delta;
}

void RtpJitterBuffer::place_audio(const RtpPacket& packet, Slot slot, std::int64_t tick, bool in_order,
                                  std::int64_t arrival_samples) noexcept {
  // One octet per RTP clock tick for PCMU, PCMA (RFC 3551 §4.5.14) and G.722 (§4.5.2).
  const auto duration = static_cast<std::int64_t>(packet.payload.size());
  if (duration == 0) {
    ++counters_.empty_packets;
    return;
  }
  if (duration > max_packet_ticks_) {
    ++counters_.oversize_packets;
    return;
  }
  // After a declared pause the sender's clock ran on while it sent nothing (RFC 3550 §5.1:
  // timestamps advance linearly in time), so a jump up to max_pause_s is the pause's exact
  // length, not a reset. (A sender that restarts its clock after a hold is a new source
  // with a new SSRC, RFC 3550 §8.2, and realigns on the arrival clock above.)
  if (tick - held_end_ > (paused_ ? max_pause_ticks_ : max_jump_ticks_)) {
    // Too far ahead to be a hole in this alignment: the sender's clock jumped.
    ++counters_.timestamp_jumps;
    start_alignment(packet, arrival_samples, false);
    tick = played_;
  } else if (tick < played_ && !in_order && priming_ && played_ - tick <= depth_ticks_ &&
             held_end_ - tick <= static_cast<std::int64_t>(ring_mask_)) {
    // The alignment's first packet was not its earliest (reordered at the very start)
    // and nothing has been played yet: the alignment starts earlier. The hole before it
    // shrinks by as much, and where there is no hole to take it from, the alignment's
    // whole time moves later: nothing of it was delivered.
    const std::int64_t reach_samples = (played_ - tick) * samples_per_tick_;
    const std::int64_t taken = std::min(reach_samples, realign_slack_samples_);
    realign_slack_samples_ -= taken;
    pending_gap_samples_ -= taken;
    next_sample_ -= taken;
    (slack_is_start_offset_ ? counters_.start_offset_samples : counters_.realign_samples) -= static_cast<std::uint64_t>(taken);
    played_ = tick;
  } else if (tick + duration <= played_) {
    if (!in_order) {
      ++counters_.late_packets;
      return;
    }
    // Newer than every packet before it, yet its time was played out: the sender's
    // timestamps went back. Late packets have old sequence numbers; this one does not.
    ++counters_.timestamp_jumps;
    start_alignment(packet, arrival_samples, false);
    tick = played_;
  }
  timestamp_reference_ = std::max(timestamp_reference_, tick);
  const std::int64_t end = tick + duration;
  const auto capacity = static_cast<std::int64_t>(ring_mask_ + 1);
  if (end - played_ > capacity) play_until(end - capacity);  // far ahead (within the jump bound): make room
  const std::int64_t from = std::max(tick, played_);
  counters_.overlap_ticks_dropped += static_cast<std::uint64_t>(from - tick);
  for (std::int64_t t = from; t < end; ++t) {
    const std::size_t i = index(t);
    // Audio takes the place of comfort noise or an event marked there, never of audio.
    if (slots_[i] == kEmpty || slots_[i] == kComfortNoise || slots_[i] == kEvent) {
      slots_[i] = slot;
      octets_[i] = packet.payload[static_cast<std::size_t>(t - tick)];
    } else {
      ++counters_.overlap_ticks_dropped;
    }
  }
  ++counters_.audio_packets;
  held_end_ = std::max(held_end_, end);
  play_until(held_end_ - depth_ticks_);
  play_contiguous();
}

// Audio that continues what was played leaves at once: only a hole (a packet not here
// yet) waits, up to the depth, for its packet. So an in-order stream costs no play-out
// delay and the depth is paid only where packets are missing or reordered. Not while
// the alignment is priming: until its first play-out a packet from before the first
// one may still come (reordered at the very start), and the alignment would move.
void RtpJitterBuffer::play_contiguous() noexcept {
  if (priming_ || !aligned_) return;
  std::int64_t end = played_;
  while (end < held_end_) {
    const auto slot = static_cast<Slot>(slots_[index(end)]);
    if (slot != kPcmu && slot != kPcma && slot != kG722) break;
    ++end;
  }
  if (end > played_) play_until(end);
}

void RtpJitterBuffer::place_comfort_noise(std::int64_t tick) noexcept {
  ++counters_.comfort_noise_packets;
  // RFC 3389 §4: a CN packet's timestamp is where the silence starts; it lasts until
  // the next audio. It is kept as one marked tick; play-out turns it and the empty time
  // after it into a discarded gap.
  // Senders may repeat CN through a silence to update the noise level (RFC 3389 §4),
  // so one may come well after the last audio: anything within the jump bound is taken.
  if (tick < played_ || tick - held_end_ > max_jump_ticks_) {
    ++counters_.stray_packets;
    return;
  }
  const auto capacity = static_cast<std::int64_t>(ring_mask_ + 1);
  if (tick + 1 - played_ > capacity) play_until(tick + 1 - capacity);
  const std::size_t i = index(tick);
  if (slots_[i] == kEmpty) slots_[i] = kComfortNoise;
  held_end_ = std::max(held_end_, tick + 1);
  play_until(held_end_ - depth_ticks_);
}

void RtpJitterBuffer::place_event(const RtpPacket& packet, std::int64_t tick) noexcept {
  ++counters_.telephone_event_packets;
  // RFC 4733 §2.3: event (8 bits), E, R, volume (6 bits), duration (16 bits, RTP ticks
  // since the event's start, which is the packet's timestamp).
  if (packet.payload.size() < 4) {
    ++counters_.bad_payload_packets;
    return;
  }
  if (tick - held_end_ > max_jump_ticks_) {
    ++counters_.stray_packets;
    return;
  }
  const int event = packet.payload[0];
  const std::int64_t duration = (std::int64_t{packet.payload[2]} << 8) | packet.payload[3];
  // Every packet of one event carries its start timestamp (RFC 4733 §2.5.1.2), and the
  // end packet is sent three times: one report per new start.
  if (!has_event_ || tick > last_event_tick_) {
    has_event_ = true;
    last_event_tick_ = tick;
    if (event < 16) {
      ++counters_.dtmf_digits;
      const std::int64_t at = std::max<std::int64_t>(0, next_sample_ + (tick - played_) * samples_per_tick_);
      sink_->on_dtmf(DtmfEvent{config_.track, kDtmfDigits[event], at});
    }
  }
  // The event's time is declared: a sender that stops audio for the tone leaves no
  // loss behind. Its packets come as it goes on, so it reaches no further than a
  // packet past the newest time held.
  const auto capacity = static_cast<std::int64_t>(ring_mask_ + 1);
  const std::int64_t from = std::max(tick, played_);
  const std::int64_t end = std::min({tick + duration, std::max(held_end_, from) + max_packet_ticks_, played_ + capacity});
  if (from >= end) return;
  mark_declared(from, end, kEvent);
  held_end_ = std::max(held_end_, end);
  play_until(held_end_ - depth_ticks_);
}

void RtpJitterBuffer::mark_declared(std::int64_t from_tick, std::int64_t to_tick, Slot slot) noexcept {
  for (std::int64_t t = from_tick; t < to_tick; ++t) {
    const std::size_t i = index(t);
    if (slots_[i] == kEmpty) slots_[i] = slot;
  }
}

void RtpJitterBuffer::flush() noexcept {
  if (aligned_) play_until(held_end_);
  emit_pending_gap();
}

void RtpJitterBuffer::declare_pause() noexcept {
  flush();
  paused_ = true;
  ++counters_.pauses;
}

void RtpJitterBuffer::play_until(std::int64_t tick) noexcept {
  if (played_ < tick) priming_ = false;
  while (played_ < tick) {
    if (played_ >= held_end_) {
      // Nothing is ever marked past held_end_: the rest is one stretch, whatever its length.
      add_gap((tick - played_) * samples_per_tick_, hole_kind());
      played_ = tick;
      break;
    }
    const std::int64_t stop = std::min(tick, held_end_);
    const auto slot = static_cast<Slot>(slots_[index(played_)]);
    std::int64_t run = played_ + 1;
    if (slot == kComfortNoise) {
      declared_silence_ = true;
    } else {
      while (run < stop && slots_[index(run)] == slot) ++run;
    }
    for (std::int64_t t = played_; t < run; ++t) slots_[index(t)] = kEmpty;
    switch (slot) {
      case kEmpty:
        add_gap((run - played_) * samples_per_tick_, hole_kind());
        break;
      case kComfortNoise:
      case kEvent:
        add_gap((run - played_) * samples_per_tick_, dsp::GapKind::discarded);
        break;
      case kPcmu:
      case kPcma:
      case kG722:
        declared_silence_ = false;
        paused_ = false;
        emit_audio(slot, played_, run);
        break;
    }
    played_ = run;
  }
}

void RtpJitterBuffer::emit_audio(Slot slot, std::int64_t from_tick, std::int64_t to_tick) noexcept {
  emit_pending_gap();
  std::array<std::uint8_t, kChunkTicks> octets;
  while (from_tick < to_tick) {
    const auto n = static_cast<std::size_t>(std::min(kChunkTicks, to_tick - from_tick));
    for (std::size_t k = 0; k < n; ++k) octets[k] = octets_[index(from_tick + static_cast<std::int64_t>(k))];
    const std::span<const std::uint8_t> in(octets.data(), n);
    const std::span<float> out(decoded_.data(), n * static_cast<std::size_t>(samples_per_tick_));
    switch (slot) {
      case kPcmu: decode_samples(Encoding::pcmu, in, out); break;
      case kPcma: decode_samples(Encoding::pcma, in, out); break;
      default:
        if (samples_per_tick_ == 1) {
          // G.722 in an 8 kHz stream: 16 kHz decoded, then brought down to 8 kHz.
          const std::span<float> wide(wideband_.data(), 2 * n);
          g722_.decode(in, wide);
          decimator_.process(wide, out);
          // The low-pass rings (Gibbs) on full-scale steps and can overshoot by a few per
          // cent; a sink is promised samples in [-1, 1], as every codec's own output is.
          // Found by fuzz_rtp.
          for (float& s : out) s = std::clamp(s, -1.0f, 1.0f);
        } else {
          g722_.decode(in, out);
        }
        break;
    }
    TrackAudio audio;
    audio.track = config_.track;
    audio.first_sample = next_sample_;
    audio.channels = 1;
    audio.samples = out;
    sink_->on_audio(audio);
    counters_.audio_samples += out.size();
    next_sample_ += static_cast<std::int64_t>(out.size());
    from_tick += static_cast<std::int64_t>(n);
  }
}

// A hole is played out a packet's worth at a time; it is delivered whole, as one
// TrackGap, when audio or a gap of another kind follows it, or at flush().
void RtpJitterBuffer::add_gap(std::int64_t samples, dsp::GapKind kind) noexcept {
  if (samples <= 0) return;
  if (pending_gap_samples_ > 0 && kind != pending_gap_kind_) emit_pending_gap();
  pending_gap_samples_ += samples;
  pending_gap_kind_ = kind;
  next_sample_ += samples;
}

void RtpJitterBuffer::emit_pending_gap() noexcept {
  if (pending_gap_samples_ <= 0) return;
  const std::int64_t frames = pending_gap_samples_;
  pending_gap_samples_ = 0;
  realign_slack_samples_ = 0;  // a hole delivered cannot shrink any more
  ++counters_.gaps;
  (dsp::declared(pending_gap_kind_) ? counters_.declared_samples : counters_.lost_samples) += static_cast<std::uint64_t>(frames);
  sink_->on_gap(TrackGap{config_.track, next_sample_ - frames, frames, pending_gap_kind_});
}

}  // namespace tw::telephony
