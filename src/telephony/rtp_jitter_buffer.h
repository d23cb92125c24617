#pragma once
// One RTP stream's media side: datagrams in, sample-exact audio and gaps out. The
// SIPREC adapter keeps one per forked stream (one per participant) and hands both to
// the same IngestSink as two tracks; it owns the sockets, the SDP and on_stream_start.
//
// Placement is by RTP timestamp (RFC 3550 §5.1), play-out by the stream's own clock:
//  - Each packet's payload is stored, undecoded, at its timestamp in a ring of fixed
//    capacity (one octet per 8 kHz RTP clock tick: PCMU and PCMA carry one octet per
//    sample, G.722 one octet per two 16 kHz samples at its 8 kHz RTP clock, RFC 3551
//    §4.5.2). Play-out is in timestamp order: audio that continues what was played goes
//    out as soon as it is here, and a hole (a packet missing) waits until the newest
//    packet's end is `depth_ms` past it; that depth is the reorder window, and the
//    delay is paid only where a packet is missing or late, not on an in-order stream.
//    (The alignment's first `depth_ms` are held once, so that a packet reordered at the
//    very start finds its place.) G.722 is decoded at play-out, in order, because its
//    decoder state runs from octet to octet.
//  - Time that is due and holds nothing becomes a `lost` TrackGap of exactly its length,
//    delivered as one gap when the audio after it comes (or at flush()).
//  - Sequence numbers (RFC 3550 §A.1, with 16-bit wrap) find duplicates, which are
//    dropped, and count packets never received (RFC 3550 §6.4.1 "cumulative lost").
//  - A packet entirely behind the play-out point is late: counted and dropped.
//  - A new alignment starts on an SSRC change, on a timestamp more than
//    `max_forward_jump_s` ahead (`max_pause_s` after a declared pause: declare_pause),
//    or on an in-sequence audio packet whose timestamp went
//    back behind the play-out point. What is held is played out first; the new
//    alignment's first packet is placed at its arrival time, or right after the audio
//    already delivered if that is later (stream time never runs backward), the hole
//    between becoming a lost gap (a `discarded` one before the stream's very first packet:
//    the sender had not begun, nothing was lost). So the stream's length follows the arrival clock
//    across every realignment, and two streams of one call, fed the same arrival
//    clock, stay aligned with each other (to within the jitter of each first packet).
//    Within an alignment the sender's timestamps rule, so the stream is sample-exact
//    to the sender's clock. Until the alignment first plays out, a packet up to the
//    depth before its first one (reordered at the very start) still finds its place:
//    the alignment starts earlier, taking the time from the hole before it.
//    The anchor is the arrival clock, not RTCP sender reports' NTP times: enough for
//    alignment within a jitter, without waiting seconds for the first reports.
//  - Comfort noise (RFC 3389, PT 13) declares silence: from its timestamp to the next
//    audio, time is a `discarded` gap (the sender chose not to send it), not a loss.
//  - telephone-event (RFC 4733) packets are counted; each event reports its digit once
//    (DtmfEvent); the time an event covers without audio is a `discarded` gap too.
//  - RTCP, on the RTP port (RFC 5761 §4) or fed from the RTCP port, is read and
//    counted, never fatal.
// No allocation after construction, no locks, no I/O: every entry point is noexcept.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/g722_decoder.h"
#include "dsp/halfband_decimator.h"
#include "telephony/ingest_sink.h"
#include "telephony/rtp_packet.h"

namespace tw::telephony {

/// Static RTP payload types of RFC 3551 §6 Table 4 that the buffer knows.
namespace rtp_payload_type {
inline constexpr int kPcmu = 0;           ///< G.711 µ-law, 8 kHz
inline constexpr int kPcma = 8;           ///< G.711 A-law, 8 kHz
inline constexpr int kG722 = 9;           ///< G.722, 16 kHz audio on an 8 kHz RTP clock (RFC 3551 §4.5.2)
inline constexpr int kComfortNoise = 13;  ///< CN, RFC 3389
}  // namespace rtp_payload_type

/// Set once per stream, from the SDP the session negotiated.
struct RtpJitterConfig {
  int sample_rate_hz = 8000;       ///< output rate: 8000 (PCMU, PCMA, or G.722 brought down) or 16000 (G.722)
  int depth_ms = 80;               ///< reorder window and play-out delay, 10..2000 ms
  int max_packet_ms = 120;         ///< longest audio payload accepted, 10..1000 ms (longer: counted oversize)
  int telephone_event_payload_type = 101;  ///< dynamic PT of telephone-event/8000 in the SDP, 96..127; -1: none
  double max_forward_jump_s = 10.0;        ///< a timestamp further ahead than this starts a new alignment, 1..3600 s
  /// The same bound after declare_pause(): the sender's timestamps measure the pause up to
  /// this long (max_forward_jump_s..86400 s).
  double max_pause_s = 3600.0;
  int track = 0;                   ///< the track index this stream's audio goes to in the sink
};

/// Counters of one stream, plain integers read on the stream's own thread.
struct RtpCounters {
  std::uint64_t datagrams = 0;           ///< datagrams taken by on_datagram
  std::uint64_t bytes = 0;               ///< their bytes
  std::uint64_t rtp_packets = 0;         ///< well-formed RTP packets (whatever their payload)
  std::uint64_t malformed = 0;           ///< datagrams that failed to parse as RTP (by reason below)
  std::array<std::uint64_t, static_cast<std::size_t>(RtpError::kCount)> malformed_by_reason{};
  std::uint64_t rtcp_packets = 0;        ///< RTCP datagrams (compound packets count once)
  std::uint64_t rtcp_malformed = 0;      ///< RTCP datagrams whose packet lengths do not add up
  std::uint64_t rtcp_byes = 0;           ///< RTCP datagrams holding a BYE
  std::uint64_t audio_packets = 0;       ///< audio packets placed in the buffer (in time, not duplicates)
  std::uint64_t duplicate_packets = 0;   ///< packets whose sequence number was already received: dropped
  std::uint64_t late_packets = 0;        ///< packets wholly behind the play-out point: dropped
  std::uint64_t lost_packets = 0;        ///< sequence numbers expected and never received (late ones count as received)
  std::uint64_t unsupported_packets = 0; ///< payload types not known, or a codec of another rate: dropped
  std::uint64_t oversize_packets = 0;    ///< audio payloads longer than max_packet_ms: dropped
  std::uint64_t empty_packets = 0;       ///< audio packets with no payload (nothing to place)
  std::uint64_t bad_payload_packets = 0; ///< telephone-event payloads shorter than 4 octets
  std::uint64_t stray_packets = 0;       ///< comfort-noise or event packets outside the buffer's window: dropped
  std::uint64_t comfort_noise_packets = 0;    ///< RFC 3389 packets
  std::uint64_t telephone_event_packets = 0;  ///< RFC 4733 packets
  std::uint64_t dtmf_digits = 0;         ///< events reported as DTMF digits (once per event)
  std::uint64_t ssrc_changes = 0;        ///< new alignments for a new SSRC
  std::uint64_t stale_ssrc_packets = 0;  ///< packets of the SSRC just replaced, arriving within two depths of the change: dropped
  std::uint64_t timestamp_jumps = 0;     ///< new alignments for a timestamp jump (forward or back)
  std::uint64_t sequence_resyncs = 0;    ///< sequence numbers jumping by more than 3000 (RFC 3550 §A.1 MAX_DROPOUT)
  std::uint64_t overlap_ticks_dropped = 0;  ///< RTP clock ticks of audio already held or played: dropped
  std::uint64_t audio_samples = 0;       ///< samples delivered as audio
  std::uint64_t lost_samples = 0;        ///< samples delivered as lost gaps (realignment holes included)
  std::uint64_t realign_samples = 0;     ///< of which the holes before a new alignment's first packet
  /// Samples of the call's clock before the stream's first packet: a `discarded` gap (not
  /// sent yet), not a loss.
  std::uint64_t start_offset_samples = 0;
  std::uint64_t declared_samples = 0;    ///< samples delivered as discarded gaps (comfort noise, events)
  std::uint64_t gaps = 0;                ///< gaps delivered
  std::uint64_t pauses = 0;              ///< declare_pause() calls (holds)

  /// How many datagrams failed for one reason.
  std::uint64_t count_of(RtpError reason) const noexcept { return malformed_by_reason[static_cast<std::size_t>(reason)]; }
};

/// The jitter buffer of one RTP stream. One instance per stream, one thread.
class RtpJitterBuffer {
 public:
  /// RTP clock of every payload format handled here (RFC 3551 §4.5: PCMU, PCMA, G.722,
  /// CN; telephone-event/8000 as negotiated).
  static constexpr int kRtpClockHz = 8000;
  /// Ticks decoded at a time at play-out.
  static constexpr std::size_t kPlayoutChunkTicks = 512;

  /// Allocates the ring and the decode scratch. Throws std::invalid_argument naming
  /// the bad config field.
  RtpJitterBuffer(IngestSink& sink, const RtpJitterConfig& config);
  RtpJitterBuffer(const RtpJitterBuffer&) = delete;
  RtpJitterBuffer& operator=(const RtpJitterBuffer&) = delete;

  /// A datagram from the stream's RTP port (RTP, or RTCP multiplexed on it) or from its
  /// RTCP port. `arrival_samples`: when it arrived, on the call's arrival clock in
  /// output samples (0 when the call started; the same clock for both streams of a
  /// call). Real-time safe: no allocation, no locks, never throws.
  void on_datagram(std::span<const std::uint8_t> datagram, std::int64_t arrival_samples) noexcept;

  /// A parsed RTP packet (what on_datagram does after parsing). Real-time safe.
  void on_packet(const RtpPacket& packet, std::int64_t arrival_samples) noexcept;

  /// Plays out everything held (the stream is ending, or the session pauses it).
  /// Packets may still follow; those behind what was played are late. Real-time safe.
  void flush() noexcept;

  /// The session declared the stream paused (SIPREC: a re-INVITE putting it on hold with
  /// a=inactive or a=recvonly, RFC 7866 §8.1.4 / RFC 3264 §8.4): plays out what it holds,
  /// and the time until its next audio becomes a `paused` gap, not a loss, wherever the
  /// sender's timestamps put that audio. Real-time safe.
  void declare_pause() noexcept;

  /// Behaves exactly like a fresh instance afterwards, counters included; keeps its
  /// buffers. Real-time safe.
  void reset() noexcept;

  /// The counters. Real-time safe.
  const RtpCounters& counters() const noexcept { return counters_; }
  /// Stream position played out, in output samples: what was delivered, plus a gap
  /// still open (delivered whole when audio follows it, or at flush()).
  std::int64_t next_sample() const noexcept { return next_sample_; }
  /// Output samples of stream time held (received or not) and not yet played out.
  std::int64_t held_samples() const noexcept { return aligned_ ? (held_end_ - played_) * samples_per_tick_ : 0; }
  /// Whether a first packet has set the stream's alignment.
  bool started() const noexcept { return aligned_; }

 private:
  // What one tick of the ring holds.
  enum Slot : std::uint8_t { kEmpty = 0, kPcmu, kPcma, kG722, kComfortNoise, kEvent };
  enum class Payload { audio, comfort_noise, telephone_event, unsupported };

  struct SequenceCheck {
    bool duplicate = false;
    bool too_old = false;   // older than the window of remembered sequence numbers
    bool in_order = false;  // newer than every sequence number before it
  };

  Payload classify(const RtpPacket& packet, Slot& slot) const noexcept;
  void start_alignment(const RtpPacket& packet, std::int64_t arrival_samples, bool new_source) noexcept;
  void restart_sequence(std::uint16_t sequence) noexcept;
  SequenceCheck check_sequence(std::uint16_t sequence) noexcept;
  void update_lost() noexcept;
  std::int64_t extend_timestamp(std::uint32_t timestamp) const noexcept;
  void place_audio(const RtpPacket& packet, Slot slot, std::int64_t at_tick, bool in_order, std::int64_t arrival_samples) noexcept;
  void place_event(const RtpPacket& packet, std::int64_t at_tick) noexcept;
  void place_comfort_noise(std::int64_t at_tick) noexcept;
  void mark_declared(std::int64_t from_tick, std::int64_t to_tick, Slot slot) noexcept;
  void play_until(std::int64_t tick) noexcept;
  void play_contiguous() noexcept;
  // What a stretch without audio is: a declared pause (hold), a declared silence
  // (comfort noise, events), or lost audio.
  dsp::GapKind hole_kind() const noexcept {
    return paused_ ? dsp::GapKind::paused : declared_silence_ ? dsp::GapKind::discarded : dsp::GapKind::lost;
  }
  void emit_audio(Slot slot, std::int64_t from_tick, std::int64_t to_tick) noexcept;
  void add_gap(std::int64_t samples, dsp::GapKind kind) noexcept;
  void emit_pending_gap() noexcept;
  std::size_t index(std::int64_t tick) const noexcept { return static_cast<std::size_t>(static_cast<std::uint64_t>(tick) & ring_mask_); }

  IngestSink* sink_;
  RtpJitterConfig config_;
  RtpCounters counters_;
  dsp::G722Decoder g722_;
  dsp::HalfbandDecimator decimator_{2 * kPlayoutChunkTicks};  // G.722 in an 8 kHz stream
  std::vector<float> wideband_;      // its 16 kHz decode (8 kHz streams only)
  int samples_per_tick_ = 1;        // 1 at 8 kHz, 2 for G.722 at 16 kHz
  std::int64_t depth_ticks_ = 0;
  std::int64_t max_packet_ticks_ = 0;
  std::int64_t max_jump_ticks_ = 0;
  std::int64_t max_pause_ticks_ = 0;
  std::uint64_t ring_mask_ = 0;     // ring capacity (a power of two) - 1
  std::vector<std::uint8_t> slots_;  // Slot per tick
  std::vector<std::uint8_t> octets_; // payload octet per tick
  std::vector<float> decoded_;       // play-out scratch

  // Alignment: ticks are RTP timestamps extended to 64 bits within the alignment.
  bool aligned_ = false;
  bool ever_aligned_ = false;  // a first packet has been placed since construction or reset()
  bool slack_is_start_offset_ = false;  // realign_slack_samples_ is the hole before the first alignment
  std::uint32_t ssrc_ = 0;
  bool has_previous_ssrc_ = false;
  std::uint32_t previous_ssrc_ = 0;
  std::int64_t ssrc_change_arrival_ = 0;  // when the last SSRC change arrived
  std::int64_t timestamp_reference_ = 0;  // extended timestamp the next one is extended against
  std::int64_t played_ = 0;               // first tick not yet played out
  std::int64_t held_end_ = 0;             // end of the latest time anything covers
  std::int64_t next_sample_ = 0;          // output position of played_
  bool declared_silence_ = false;         // comfort noise began a silence not yet ended by audio
  bool paused_ = false;                   // declare_pause() began a pause not yet ended by audio
  bool priming_ = false;                  // nothing of the current alignment played yet
  std::int64_t realign_slack_samples_ = 0;  // the pending hole before the alignment, still shrinkable

  // Sequence numbers of the current source (RFC 3550 §A.1), extended to 64 bits.
  static constexpr std::int64_t kRememberedSequences = 1024;
  bool sequence_started_ = false;
  std::int64_t highest_sequence_ = 0;
  std::int64_t lowest_sequence_ = 0;
  std::uint64_t received_ = 0;            // distinct sequence numbers since restart_sequence
  std::uint64_t lost_before_ = 0;         // lost packets counted before the last restart
  std::array<std::uint64_t, kRememberedSequences / 64> seen_{};

  // telephone-event: the start of the last event reported, so each is reported once.
  bool has_event_ = false;
  std::int64_t last_event_tick_ = 0;

  // A gap being accumulated by play_until, delivered when something else comes.
  std::int64_t pending_gap_samples_ = 0;
  dsp::GapKind pending_gap_kind_ = dsp::GapKind::lost;
};

}  // namespace tw::telephony
