#include "server/siprec_media.h"

#include <stdexcept>

namespace tw::server {
// One stream: its port pair's datagrams into its jitter buffer, on the receiver's
// loop thread, placed on the session's arrival clock.
class SiprecMedia::Stream final : public net::DatagramSink {
 public:
  Stream(telephony::IngestSink& sink, const telephony::RtpJitterConfig& config, std::int64_t& start_ns)
      : jitter_(sink, config), rate_hz_(config.sample_rate_hz), start_ns_(start_ns) {}

  void on_datagram(std::span<const std::uint8_t> bytes, bool, std::int64_t arrival_ns, bool) noexcept override {
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
  std::unique_ptr<net::UdpReceiver::Pair> pair_;

 private:
  int rate_hz_;
  std::int64_t& start_ns_;  // the session's, -1 until its first datagram
};

SiprecMedia::SiprecMedia(IngestContext& context, net::UdpReceiver& receiver, const std::string& call_id,
                         const std::string& remote, std::vector<SiprecStream> streams, nlohmann::json metadata)
    : leg_(context, nullptr, remote) {
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
  // The ports first: a session the range cannot serve never becomes a call. (On a throw
  // below, streams_ is destroyed before leg_, and each Pair closes its ports as it goes.)
  for (std::size_t i = 0; i < streams.size(); ++i) {
    telephony::RtpJitterConfig config = streams[i].rtp;
    config.track = static_cast<int>(i);
    streams_.push_back(std::make_unique<Stream>(leg_, config, start_ns_));
  }
  for (auto& s : streams_) {
    s->pair_ = receiver.open(*s);
    if (!s->pair_) throw std::runtime_error("SIPREC session " + call_id + ": no free RTP port pair in the --rtp-ports range");
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

SiprecMediaCounters SiprecMedia::counters() const {
  SiprecMediaCounters c;
  for (const auto& s : streams_) c.streams.push_back(s->jitter_.counters());
  return c;
}

}  // namespace tw::server
