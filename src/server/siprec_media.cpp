#include "server/siprec_media.h"

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace tw::server {
// One stream: its port pair's datagrams into its jitter buffer, on the receiver's
// loop thread, placed on the session's arrival clock.
class SiprecMedia::Stream final : public net::DatagramSink {
 public:
  Stream(telephony::IngestSink& sink, const SiprecStream& stream, const telephony::RtpJitterConfig& config,
         std::int64_t& start_ns)
      : jitter_(sink, config), rate_hz_(config.sample_rate_hz), start_ns_(start_ns) {
    if (!stream.srtp_key.empty()) srtp_ = std::make_unique<telephony::SrtpReceiver>(stream.srtp_suite, stream.srtp_key);
  }

  void on_datagram(std::span<const std::uint8_t> bytes, bool, std::int64_t arrival_ns, bool) noexcept override {
    last_ns_.store(arrival_ns, std::memory_order_relaxed);
    // A hold declared since the last datagram: what follows is after a pause.
    const std::uint32_t declared = pauses_declared_.load(std::memory_order_acquire);
    if (declared != pauses_applied_) {
      pauses_applied_ = declared;
      jitter_.declare_pause();
    }
    if (srtp_) {
      // SRTP: only what authenticates goes on (refusals are counted by the receiver).
      bytes = srtp_->unprotect(bytes);
      if (bytes.empty()) return;
    }
    // The session's clock starts with its first datagram, on either stream (both are
    // handled on the loop thread, so the shared start needs no atomics).
    if (start_ns_ < 0) start_ns_ = arrival_ns;
    // RTP or RTCP, from either port: the buffer tells them apart (RFC 5761 §4) and
    // counts a datagram the receiver had to cut as malformed if it no longer parses.
    const std::int64_t since_ns = arrival_ns > start_ns_ ? arrival_ns - start_ns_ : 0;
    const std::int64_t arrival_samples = static_cast<std::int64_t>(static_cast<double>(since_ns) * 1e-9 * rate_hz_);
    jitter_.on_datagram(bytes, arrival_samples);
  }

  telephony::RtpJitterBuffer jitter_;
  std::unique_ptr<telephony::SrtpReceiver> srtp_;  // SDES-keyed streams only
  std::unique_ptr<net::UdpReceiver::Pair> pair_;
  std::atomic<std::int64_t> last_ns_{-1};               // newest datagram (any thread reads)
  std::atomic<std::uint32_t> pauses_declared_{0};       // holds the signalling declared
  std::uint32_t pauses_applied_ = 0;                    // of which passed to jitter_ (loop thread)

 private:
  int rate_hz_;
  std::int64_t& start_ns_;  // the session's, -1 until its first datagram
};

namespace {
// Throws std::invalid_argument for streams one session cannot analyse.
void check_streams(const std::vector<SiprecStream>& streams, const std::string& call_id) {
  if (streams.empty() || streams.size() > 2) {
    throw std::invalid_argument("SIPREC session " + call_id + ": a recording has one or two audio streams, got " +
                                std::to_string(streams.size()));
  }
  if (streams.size() == 2 && streams[0].role == streams[1].role) {
    throw std::invalid_argument("SIPREC session " + call_id + ": both streams carry the " +
                                std::string(features::to_string(streams[0].role)));
  }
  // The call's tracks share one rate (StreamStart); a G.722 stream beside a G.711 one
  // would need resampling on one side, which this does not do yet.
  for (const SiprecStream& s : streams) {
    if (s.rtp.sample_rate_hz != streams[0].rtp.sample_rate_hz) {
      throw std::invalid_argument("SIPREC session " + call_id + ": streams at " +
                                  std::to_string(streams[0].rtp.sample_rate_hz) + " and " +
                                  std::to_string(s.rtp.sample_rate_hz) + " Hz in one call are not supported");
    }
  }
}

// A port pair per stream, once the streams are known to be acceptable: a session
// refused for its streams takes no ports, even for a moment.
std::vector<std::unique_ptr<net::UdpReceiver::Pair>> reserve_pairs(net::UdpReceiver& receiver,
                                                                   const std::vector<SiprecStream>& streams,
                                                                   const std::string& call_id) {
  check_streams(streams, call_id);
  std::vector<std::unique_ptr<net::UdpReceiver::Pair>> pairs;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    pairs.push_back(receiver.reserve());
    if (!pairs.back()) throw std::runtime_error("SIPREC session " + call_id + ": no free RTP port pair in the --rtp-ports range");
  }
  return pairs;
}
}  // namespace

SiprecMedia::SiprecMedia(IngestContext& context, net::UdpReceiver& receiver, const std::string& call_id,
                         const std::string& remote, std::vector<SiprecStream> streams, nlohmann::json metadata)
    // The streams copied, not moved: the arguments' order of evaluation is unspecified,
    // and reserve_pairs reads them.
    : SiprecMedia(context, reserve_pairs(receiver, streams, call_id), call_id, remote,
                  std::vector<SiprecStream>(streams), std::move(metadata)) {}

SiprecMedia::SiprecMedia(IngestContext& context, std::vector<std::unique_ptr<net::UdpReceiver::Pair>> pairs,
                         const std::string& call_id, const std::string& remote, std::vector<SiprecStream> streams,
                         nlohmann::json metadata)
    : leg_(context, nullptr, remote) {
  check_streams(streams, call_id);
  if (pairs.size() != streams.size() || std::any_of(pairs.begin(), pairs.end(), [](const auto& p) { return !p; })) {
    throw std::invalid_argument("SIPREC session " + call_id + ": a port pair per stream is needed");
  }
  // (On a throw below, streams_ is destroyed before leg_, and each Pair, never attached,
  // closes its ports as it goes.)
  for (std::size_t i = 0; i < streams.size(); ++i) {
    telephony::RtpJitterConfig config = streams[i].rtp;
    config.track = static_cast<int>(i);
    streams_.push_back(std::make_unique<Stream>(leg_, streams[i], config, start_ns_));
    streams_.back()->pair_ = std::move(pairs[i]);
  }
  telephony::StreamStart start;
  start.protocol = telephony::Protocol::siprec;
  start.call_id = call_id;
  start.stream_id = call_id;
  start.sample_rate_hz = streams[0].rtp.sample_rate_hz;
  for (const SiprecStream& s : streams) start.tracks.push_back({s.label, {s.role}});
  start.metadata = std::move(metadata);
  leg_.on_stream_start(start);
  if (!leg_.call()) throw std::runtime_error("SIPREC session " + call_id + " refused: " + leg_.refused());
  // Only now is there a call to write into: the loop starts reading, and what the kernel
  // held since the answer comes first.
  for (auto& s : streams_) s->pair_->attach(*s);
}

SiprecMedia::~SiprecMedia() {
  if (!ended_) end(telephony::EndReason::connection_lost, "session dropped");
}

std::vector<std::uint16_t> SiprecMedia::rtp_ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& s : streams_) ports.push_back(s->pair_ ? s->pair_->rtp_port() : 0);
  return ports;
}

void SiprecMedia::end(telephony::EndReason reason, std::string_view detail) {
  if (ended_) return;
  ended_ = true;
  // Closed and waited for: from here the loop thread no longer touches the buffers.
  for (auto& s : streams_) s->pair_->close();
  for (auto& s : streams_) s->jitter_.flush();
  leg_.on_stream_end(reason, detail);
}

void SiprecMedia::declare_pause(std::size_t index) noexcept {
  if (index < streams_.size()) streams_[index]->pauses_declared_.fetch_add(1, std::memory_order_release);
}

std::int64_t SiprecMedia::last_datagram_ns() const noexcept {
  std::int64_t last = -1;
  for (const auto& s : streams_) last = std::max(last, s->last_ns_.load(std::memory_order_relaxed));
  return last;
}

void SiprecMedia::update_metadata(const nlohmann::json& metadata) {
  if (const auto& call = leg_.call()) call->update_metadata(metadata);
}

SiprecMediaCounters SiprecMedia::counters() const {
  SiprecMediaCounters c;
  for (const auto& s : streams_) {
    c.streams.push_back(s->jitter_.counters());
    c.srtp.push_back(s->srtp_ ? s->srtp_->counters() : telephony::SrtpCounters{});
  }
  return c;
}

}  // namespace tw::server
