// serve_load: live capacity of `tonewatch serve`. Opens N concurrent Twilio Media
// Streams calls (both tracks on one socket, as <Stream track="both_tracks"> sends
// them) at real-time pace over loopback, each playing the example call (repeated for as long as the run lasts), and
// measures what a contact center would: analysis lag (the server's histogram),
// alert latency (from the moment the audio that completed the decision — the second
// judged and the 40 ms past it that judging it needs — was
// handed to its socket to the moment the alert arrived on the /events feed, read on
// a thread of its own so that neither end waits on the generator's other work), CPU and memory per
// call (the server process, from /proc), and every frame dropped or filled.
//
// Messages follow Twilio's "Media Streams - WebSocket Messages" document
// (https://www.twilio.com/docs/voice/media-streams/websocket-messages): connected,
// start, then media messages of 20 ms of base64 mu-law per track, then stop.

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <sndfile.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "kissfft_reference.h"
#include "siprec_load.h"
#include "wire_format.h"
#include "build_paths.h"

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

constexpr int kRateHz = 8000;
constexpr std::size_t kChunkFrames = 160;  // 20 ms, Twilio's packet size
constexpr auto kChunk = std::chrono::milliseconds(20);
/// Audio past a second's end that the server's once-a-second judgement of it needs
/// (pipeline::CallAnalyzer::summary_lookahead_frames(), 320 frames at 8 kHz: the last
/// hop's 40 ms frame whole, its pitch decided 30 ms later; tests/pipeline's
/// next_summary_frame case holds it to this). An alert at time_s cannot be decided before
/// the packet holding time_s + this has come, whatever the server does, so its latency
/// counts from that packet. Alerts decided at a hop (an agent cutting into a venting
/// caller) need 10 ms more: for them 10 ms of look-ahead counts as latency.
constexpr double kSummaryLookahead_s = 320.0 / kRateHz;

/// The example's 20 ms chunks, base64 mu-law per track, shared by every call.
struct Chunks {
  std::vector<std::string> caller, agent;
  std::vector<std::array<std::uint8_t, kChunkFrames>> caller_raw, agent_raw;  // the same as µ-law octets (RTP)
  std::size_t size() const { return caller.size(); }
};

Chunks load_chunks(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (f == nullptr || info.channels != 2 || info.samplerate != kRateHz) {
    throw std::runtime_error(path + ": need an 8 kHz stereo file (caller left, agent right)");
  }
  std::vector<short> samples(static_cast<std::size_t>(info.frames) * 2);
  sf_readf_short(f, samples.data(), info.frames);
  sf_close(f);
  Chunks c;
  for (std::size_t first = 0; first + kChunkFrames <= static_cast<std::size_t>(info.frames); first += kChunkFrames) {
    std::uint8_t left[kChunkFrames], right[kChunkFrames];
    for (std::size_t i = 0; i < kChunkFrames; ++i) {
      left[i] = tw::player::mulaw_encode(samples[(first + i) * 2]);
      right[i] = tw::player::mulaw_encode(samples[(first + i) * 2 + 1]);
    }
    c.caller_raw.emplace_back();
    c.agent_raw.emplace_back();
    std::copy(left, left + kChunkFrames, c.caller_raw.back().begin());
    std::copy(right, right + kChunkFrames, c.agent_raw.back().begin());
    c.caller.push_back(tw::player::base64(left, kChunkFrames));
    c.agent.push_back(tw::player::base64(right, kChunkFrames));
  }
  return c;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct ProcSample {
  double cpu_s = 0.0;
  double rss_kib = 0.0;
};

/// CPU seconds of a /proc/.../stat file (a process's or one thread's): user (utime)
/// and kernel (stime); nullopt if it cannot be read (the thread ended meanwhile).
struct CpuSeconds {
  double user = 0.0;
  double kernel = 0.0;
  double total() const { return user + kernel; }
};
std::optional<CpuSeconds> stat_cpu_s(const std::string& path) {
  std::ifstream stat(path);
  const std::string text((std::istreambuf_iterator<char>(stat)), {});
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  CpuSeconds ticks;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) ticks.user = std::stod(field);
    if (i == 15) ticks.kernel = std::stod(field);
  }
  const auto hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  return CpuSeconds{ticks.user / hz, ticks.kernel / hz};
}

ProcSample sample_process(int pid) {
  ProcSample s;
  s.cpu_s = stat_cpu_s("/proc/" + std::to_string(pid) + "/stat").value_or(CpuSeconds{}).total();
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::stod(line.substr(6));
  }
  return s;
}

/// CPU seconds so far of each of the process's threads, summed by thread name
/// (/proc/PID/task/*/comm and stat; the server names its threads tw-io, tw-worker, ...).
std::map<std::string, CpuSeconds> thread_cpu_by_name(int pid) {
  std::map<std::string, CpuSeconds> by_name;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    const std::optional<CpuSeconds> cpu_s = stat_cpu_s(task.path() / "stat");
    if (name.empty() || !cpu_s) continue;  // the thread ended meanwhile
    by_name[name].user += cpu_s->user;
    by_name[name].kernel += cpu_s->kernel;
  }
  return by_name;
}

double self_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

/// The machine's speed at the time of the run: CPU ns of one 320-point KissFFT real
/// transform (the analysis's every-hop transform), median of three rounds of
/// 100,000, measured before the load starts: tw_bench's "KissFFT reference" unit,
/// so runs on other days or machines can be scaled.
double reference_fft_ns() {
  tw::bench::KissFftReference reference(320, false);
  std::vector<double> ns;
  for (int round = 0; round < 3; ++round) ns.push_back(reference.ns_per_call(100000));
  std::sort(ns.begin(), ns.end());
  return ns[1];
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double rank = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

/// One call: a WebSocket to /twilio with its own queue of messages to write.
class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(asio::io_context& io, std::string sid) : ws_(io), call_sid_(std::move(sid)) {
    stream_sid_ = "MZ" + call_sid_.substr(2);
  }

  void connect(const tcp::endpoint& server, std::function<void(bool)> done) {
    beast::get_lowest_layer(ws_).async_connect(server, [self = shared_from_this(), server, done](beast::error_code ec) {
      if (ec) return done(false);
      beast::get_lowest_layer(self->ws_).expires_never();
      self->ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
      self->ws_.async_handshake("127.0.0.1:" + std::to_string(server.port()), "/twilio", [self, done](beast::error_code e) {
        if (e) return done(false);
        self->open_ = true;
        self->push(R"({"event":"connected","protocol":"Call","version":"1.0.0"})");
        self->push(R"({"event":"start","sequenceNumber":"1","start":{"accountSid":"AC00000000000000000000000000000000","streamSid":")" +
                   self->stream_sid_ + R"(","callSid":")" + self->call_sid_ +
                   R"(","tracks":["inbound","outbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{}},"streamSid":")" +
                   self->stream_sid_ + R"("})");
        self->started_at = Clock::now();
        done(true);
        self->read_loop();
      });
    });
  }

  /// Sends every chunk due by now (catching up after a late tick). Returns chunks sent.
  /// `one_write`: the tick's WebSocket messages (both tracks, every due chunk) go out
  /// in one socket write, as a media server sending both tracks of a 20 ms tick does
  /// with Nagle's algorithm or writev; otherwise one write per message.
  std::size_t tick(Clock::time_point now, const Chunks& chunks, bool one_write) {
    if (!open_ || stopped_) return 0;
    std::size_t sent = 0;
    std::string frames;
    const std::size_t first = next_;
    // The example is played over and over: a call lasts as long as the run, so long
    // calls (their memory grows with their timeline) can be measured too.
    while (started_at + kChunk * static_cast<long>(next_ + 1) <= now) {
      const std::size_t at = next_ % chunks.size();
      sent_at.push_back(now);  // until push() stamps it
      for (int track = 0; track < 2; ++track) {
        // Built in one reused buffer: the generator shares the server's cores, so its
        // own cost per message is kept small.
        message_.clear();
        message_.append(R"({"event":"media","sequenceNumber":")").append(decimal(++sequence_));
        message_.append(R"(","media":{"track":")").append(track == 0 ? "inbound" : "outbound");
        message_.append(R"(","chunk":")").append(decimal(next_ + 1));
        message_.append(R"(","timestamp":")").append(decimal(next_ * 20));
        message_.append(R"(","payload":")").append(track == 0 ? chunks.caller[at] : chunks.agent[at]);
        message_.append(R"("},"streamSid":")").append(stream_sid_).append(R"("})");
        if (one_write) {
          append_client_frame(frames, message_);
        } else if (track == 0) {
          push(message_);
        } else {
          push(message_, false, next_, 1);  // the chunk is sent with its second track
        }
      }
      ++next_;
      ++sent;
    }
    if (!frames.empty()) push(std::move(frames), true, first, next_ - first);
    return sent;
  }

  void stop() {
    if (!open_ || stopped_) return;
    stopped_ = true;
    push(R"({"event":"stop","sequenceNumber":")" + std::to_string(++sequence_) +
         R"(","stop":{"accountSid":"AC00000000000000000000000000000000","callSid":")" + call_sid_ + R"("},"streamSid":")" +
         stream_sid_ + R"("})");
    closing_ = true;
  }

  const std::string& sid() const { return call_sid_; }
  bool failed() const { return failed_; }
  Clock::time_point started_at;
  std::vector<Clock::time_point> sent_at;  // when chunk k was sent (put in its socket's queue)

 private:
  /// Appends `payload` as one masked text frame (RFC 6455 §5.2; a client masks every
  /// frame, §5.3), for writing straight to the socket beside Beast's own frames: the
  /// stream never writes on its own (the server sends no pings), so they cannot interleave.
  void append_client_frame(std::string& out, const std::string& payload) {
    out.push_back(static_cast<char>(0x81));  // FIN, opcode 1 (text)
    const std::size_t n = payload.size();
    if (n < 126) {
      out.push_back(static_cast<char>(0x80 | n));
    } else if (n <= 0xFFFF) {
      out.push_back(static_cast<char>(0x80 | 126));
      out.push_back(static_cast<char>(n >> 8));
      out.push_back(static_cast<char>(n & 0xFF));
    } else {
      out.push_back(static_cast<char>(0x80 | 127));
      for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xFF));
    }
    // A fresh masking key per frame (xorshift32: unpredictability does not matter to a load test).
    mask_state_ ^= mask_state_ << 13;
    mask_state_ ^= mask_state_ >> 17;
    mask_state_ ^= mask_state_ << 5;
    const unsigned char key[4] = {static_cast<unsigned char>(mask_state_), static_cast<unsigned char>(mask_state_ >> 8),
                                  static_cast<unsigned char>(mask_state_ >> 16), static_cast<unsigned char>(mask_state_ >> 24)};
    out.append(reinterpret_cast<const char*>(key), 4);
    const std::size_t at = out.size();
    out.append(payload);
    // Eight bytes at a time: the key repeats every four.
    std::uint64_t key8 = 0;
    std::memcpy(&key8, key, 4);
    key8 |= key8 << 32;
    char* p = out.data() + at;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      w ^= key8;
      std::memcpy(p + i, &w, 8);
    }
    for (; i < n; ++i) p[i] = static_cast<char>(p[i] ^ key[i & 3]);
  }

  /// A number as decimal digits, without a std::string of its own.
  std::string_view decimal(std::uint64_t v) {
    char* end = digits_ + sizeof digits_;
    char* p = end;
    do {
      *--p = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    return {p, static_cast<std::size_t>(end - p)};
  }

  /// Queues a message for the socket; it holds chunks [first, first + chunks), which
  /// are stamped sent now: the tick builds every call's messages before any is
  /// written, and that time of the generator's is no part of the server's latency.
  /// Called on the io_context's one thread (the tick, the handshake's handler), so it
  /// queues and starts the write at once.
  void push(std::string message, bool raw = false, std::size_t first = 0, std::size_t chunks = 0) {
    const Clock::time_point now = Clock::now();
    for (std::size_t k = first; k < first + chunks && k < sent_at.size(); ++k) sent_at[k] = now;
    queue_.push_back({std::move(message), raw});
    if (!writing_) write_next();
  }
  void write_next() {
    if (queue_.empty()) {
      writing_ = false;
      if (closing_ && open_) {
        open_ = false;
        ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) {});
      }
      return;
    }
    writing_ = true;
    auto done = [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->queue_.pop_front();
      if (ec) {
        self->failed_ = !self->closing_;
        self->writing_ = false;
        return;
      }
      self->write_next();
    };
    if (queue_.front().raw) {
      asio::async_write(beast::get_lowest_layer(ws_), asio::buffer(queue_.front().bytes), std::move(done));
      return;
    }
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front().bytes), std::move(done));
  }
  void read_loop() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        if (!self->closing_) self->failed_ = true;
        return;
      }
      self->buffer_.consume(self->buffer_.size());
      self->read_loop();
    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::string call_sid_, stream_sid_;
  struct Pending {
    std::string bytes;
    bool raw = false;  // ready-made WebSocket frames, written to the socket as they are
  };
  std::deque<Pending> queue_;
  std::uint32_t mask_state_ = 0x9E3779B9u;
  std::string message_;  // the media message being built
  char digits_[20];
  beast::flat_buffer buffer_;
  std::size_t next_ = 0;
  std::uint64_t sequence_ = 1;
  bool open_ = false, writing_ = false, stopped_ = false, closing_ = false, failed_ = false;
};

/// Reads the /events feed on a thread of its own, noting when each alert arrived:
/// on the generator's thread the arrival would wait behind its next tick (hundreds
/// of calls' messages built and written), time the server is not to blame for. The
/// latencies are worked out after the run (latencies()), from the calls' send times.
class Feed {
 public:
  /// `sent_at`: a call's send times by chunk (null for a call not ours).
  using SentAt = std::function<const std::vector<Clock::time_point>*(const std::string& call)>;
  Feed() : ws_(io_) {}
  ~Feed() { stop(); }
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;
  void start(const tcp::endpoint& server, bool realtime) {
    beast::get_lowest_layer(ws_).connect(server);
    beast::get_lowest_layer(ws_).expires_never();
    ws_.handshake("127.0.0.1:" + std::to_string(server.port()), "/events");
    read();
    thread_ = std::thread([this] { io_.run(); });
    // The reader shares the machine's cores with the generator and the server under
    // test. At normal priority an alert that has arrived waits until the scheduler
    // gets round to this thread, behind hundreds of calls' work on both sides, and
    // that wait is the tool's, not the server's. Under SCHED_FIFO it runs as soon as
    // the feed's socket has data (a few microseconds per event: alerts are rare).
    // Needs CAP_SYS_NICE (root, as CI runs); otherwise it reads at normal priority
    // and the figures say so (reader_priority).
    if (!realtime) return;
    sched_param param{};
    param.sched_priority = 10;
    const int error = pthread_setschedparam(thread_.native_handle(), SCHED_FIFO, &param);
    reader_priority = error == 0 ? "SCHED_FIFO" : std::string("normal (SCHED_FIFO refused: ") + std::strerror(error) + ")";
  }
  /// How the reader thread was scheduled.
  std::string reader_priority = "normal";
  /// Stops reading; the counts and arrivals are final after it.
  void stop() {
    if (!thread_.joinable()) return;
    io_.stop();
    thread_.join();
  }
  /// Each alert's latency: from the send of the 20 ms chunk that held the last sample
  /// its decision read (`lookahead_s` past its time_s) to its arrival here. After stop().
  std::vector<double> latencies(const SentAt& sent_at, double lookahead_s) const {
    std::vector<double> out;
    for (const Arrival& a : arrivals_) {
      const std::vector<Clock::time_point>* sent = sent_at(a.call);
      if (sent == nullptr) continue;
      const double last_read_s = a.time_s + lookahead_s;
      const auto k = static_cast<std::size_t>(std::max(0.0, std::ceil(last_read_s * kRateHz / kChunkFrames - 1e-9) - 1));
      if (k < sent->size()) out.push_back(std::chrono::duration<double>(a.at - (*sent)[k]).count());
    }
    return out;
  }
  std::size_t events = 0, alerts = 0;

 private:
  struct Arrival {
    std::string call;
    double time_s = 0.0;
    Clock::time_point at;
  };
  void read() {
    // Its own thread runs the handler, and stop() joins that thread before the feed
    // goes: `this` outlives every read.
    ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
      if (ec) return;
      const Clock::time_point now = Clock::now();
      const json e = json::parse(beast::buffers_to_string(buffer_.data()), nullptr, false);
      buffer_.consume(buffer_.size());
      ++events;
      if (e.is_object() && e.value("kind", "") == "alert") {
        ++alerts;
        arrivals_.push_back({e.value("call", ""), e.value("time_s", 0.0), now});
      }
      read();
    });
  }
  asio::io_context io_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::vector<Arrival> arrivals_;
  std::thread thread_;
};

std::string http_get(const tcp::endpoint& server, const std::string& target) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(server);
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  asio::write(s, asio::buffer(request));
  std::string text;
  beast::error_code ec;
  char buffer[65536];
  for (std::size_t n; (n = s.read_some(asio::buffer(buffer), ec)) > 0 && !ec;) text.append(buffer, n);
  const std::size_t body = text.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : text.substr(body + 4);
}

/// Quantile of a Prometheus histogram family in `metrics` (linear within buckets).
double histogram_quantile(const std::string& metrics, const std::string& name, double q) {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative)
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    const std::string prefix = name + "_bucket{le=\"";
    if (line.rfind(prefix, 0) != 0) continue;
    const std::size_t end = line.find('"', prefix.size());
    const std::string le = line.substr(prefix.size(), end - prefix.size());
    buckets.emplace_back(le == "+Inf" ? INFINITY : std::stod(le), std::stod(line.substr(line.rfind(' ') + 1)));
  }
  if (buckets.empty() || buckets.back().second == 0) return NAN;
  const double rank = q * buckets.back().second;
  double lower = 0.0, below = 0.0;
  for (const auto& [le, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(le)) return lower;
      return count > below ? lower + (le - lower) * (rank - below) / (count - below) : le;
    }
    lower = le;
    below = count;
  }
  return lower;
}

double metric_sum(const std::string& metrics, const std::string& prefix) {
  double sum = 0.0;
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0 && (line[prefix.size()] == ' ' || line[prefix.size()] == '{')) {
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"serve_load: N concurrent Twilio both-track calls at real-time pace against a running `tonewatch serve`"};
  int port = 8080, calls = 100, server_pid = 0;
  double seconds = 60.0, ramp_s = 10.0;
  std::string example = tw::build::source_dir() + "/examples/example_call.wav", json_out;
  app.add_option("--port", port, "The server's HTTP/WebSocket port on 127.0.0.1")->capture_default_str();
  app.add_option("--calls", calls, "Concurrent calls")->capture_default_str();
  app.add_option("--seconds", seconds, "How long to run (calls start over --ramp and play the example, repeated, until the end)")->capture_default_str();
  app.add_option("--ramp", ramp_s, "Calls start evenly over this many seconds")->capture_default_str();
  app.add_option("--server-pid", server_pid, "The server's pid, to read its CPU time and memory from /proc")->required();
  app.add_option("--example", example, "8 kHz stereo WAV each call plays")->capture_default_str();
  app.add_option("--json", json_out, "Also write the figures as JSON here");
  bool feed_normal_priority = false;
  app.add_flag("--feed-normal-priority", feed_normal_priority,
               "Read the /events feed at normal priority, not SCHED_FIFO: alert latency then includes the "
               "reader's own wait for a core");
  bool separate_writes = false;
  app.add_flag("--separate-writes", separate_writes,
               "One socket write per WebSocket message (default: one per call per 20 ms tick, both tracks together)");
  int siprec_port = 0;
  std::string serve_log;
  std::string protocol_label;
  app.add_option("--protocol-label", protocol_label,
                 "What the JSON and the table call the run (default: twilio or siprec), e.g. twilio-bus for a server on the bus");
  app.add_option("--siprec-port", siprec_port,
                 "SIPREC calls instead of Twilio: SIPp sets up each session with the server's SIP on this port "
                 "(tests/siprec/scenarios/siprec_media_call.xml) and this sends its two PCMU RTP streams");
  app.add_option("--serve-log", serve_log, "With --siprec-port: the server's stderr file (each session's RTP ports are read from it)");
  CLI11_PARSE(app, argc, argv);
  if (siprec_port != 0 && serve_log.empty()) {
    std::cerr << "serve_load: --siprec-port needs --serve-log\n";
    return 2;
  }

  const Chunks chunks = load_chunks(example);
  const tcp::endpoint server(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  asio::io_context io;
  std::map<std::string, std::shared_ptr<Call>> by_sid;
  std::vector<std::shared_ptr<Call>> all;
  std::unique_ptr<bench::SiprecLoad> siprec;
  if (siprec_port != 0) siprec = std::make_unique<bench::SiprecLoad>(chunks.caller_raw, chunks.agent_raw, serve_log);
  for (int i = 0; i < calls && !siprec; ++i) {
    char sid[40];
    std::snprintf(sid, sizeof sid, "CAload%026d", i);
    all.push_back(std::make_shared<Call>(io, sid));
    by_sid[sid] = all.back();
  }
  const double fft_ns = reference_fft_ns();
  const Feed::SentAt sent_at = [&](const std::string& call) -> const std::vector<Clock::time_point>* {
    if (siprec) {
      const auto it = siprec->calls().find(call);
      return it == siprec->calls().end() ? nullptr : &it->second->sent_at;
    }
    const auto it = by_sid.find(call);
    return it == by_sid.end() ? nullptr : &it->second->sent_at;
  };
  Feed feed;
  feed.start(server, !feed_normal_priority);

  const ProcSample idle = sample_process(server_pid);
  const double idle_heap = metric_sum(http_get(server, "/metrics"), "tonewatch_heap_bytes");
  double steady_heap = 0.0;
  const Clock::time_point t0 = Clock::now();
  std::size_t next_call = 0, connected = 0, refused = 0;
  // SIPREC: SIPp starts the sessions over the ramp and holds each until 2 s after the
  // run (its BYE then comes after the RTP has stopped).
  if (siprec) siprec->start_sipp(static_cast<std::uint16_t>(siprec_port), calls, ramp_s, seconds + 2.0);
  std::optional<ProcSample> steady_start;
  std::map<std::string, CpuSeconds> threads_start, threads_end;  // CPU seconds by thread name
  std::optional<Clock::time_point> steady_at;
  double self_cpu_start = 0.0;
  ProcSample steady_end;
  double peak_rss = 0.0;
  asio::steady_timer timer(io);
  std::function<void()> tick = [&] {
    const Clock::time_point now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - t0).count();
    while (next_call < all.size() && elapsed >= ramp_s * static_cast<double>(next_call) / static_cast<double>(calls)) {
      all[next_call++]->connect(server, [&](bool ok) { (ok ? connected : refused)++; });
    }
    for (auto& c : all) c->tick(now, chunks, !separate_writes);
    if (siprec) siprec->tick(now);
    // The steady state: every call running, from the end of the ramp plus a few seconds.
    if (!steady_start && elapsed >= ramp_s + 5.0) {
      steady_start = sample_process(server_pid);
      threads_start = thread_cpu_by_name(server_pid);
      steady_at = now;
      self_cpu_start = self_cpu_s();
    }
    if (steady_start) peak_rss = std::max(peak_rss, sample_process(server_pid).rss_kib);
    if (elapsed >= seconds) {
      steady_heap = metric_sum(http_get(server, "/metrics"), "tonewatch_heap_bytes");
      steady_end = sample_process(server_pid);
      threads_end = thread_cpu_by_name(server_pid);
      for (auto& c : all) c->stop();
      if (siprec) siprec->stop();
      return;
    }
    timer.expires_at(timer.expiry() + kChunk);
    timer.async_wait([&](beast::error_code ec) {
      if (!ec) tick();
    });
  };
  timer.expires_at(Clock::now());
  timer.async_wait([&](beast::error_code) { tick(); });
  io.run_for(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds + 15.0)));
  const double steady_s = steady_at ? seconds_since(*steady_at) : 0.0;
  const double generator_cpu = self_cpu_s() - self_cpu_start;

  int sipp_status = 0;
  if (siprec) {
    sipp_status = siprec->wait_sipp(ramp_s + 60.0);  // the BYEs
    connected = siprec->calls().size();
    refused = static_cast<std::size_t>(calls) - std::min<std::size_t>(connected, static_cast<std::size_t>(calls));
  }
  // Let the server finish the calls, then read its figures.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::string metrics = http_get(server, "/metrics");
  feed.stop();
  const std::vector<double> alert_latency_s = feed.latencies(sent_at, kSummaryLookahead_s);
  // The same alerts from the packet holding their time_s: what a supervisor waits after the
  // moment the alert is about, the look-ahead included.
  const std::vector<double> alert_after_moment_s = feed.latencies(sent_at, 0.0);
  std::size_t failed = 0;
  for (auto& c : all) failed += c->failed() ? 1 : 0;
  const double server_cpu = steady_start ? steady_end.cpu_s - steady_start->cpu_s : NAN;
  const double run_window = steady_start ? seconds - (ramp_s + 5.0) : NAN;

  json out;
  out["protocol"] = !protocol_label.empty() ? protocol_label : siprec ? "siprec" : "twilio";
  out["calls"] = calls;
  out["connected"] = connected;
  out["refused"] = refused;
  out["failed_during_call"] = failed;
  out["reference_kiss_fftr_320_ns"] = fft_ns;
  out["one_write_per_tick"] = !separate_writes;
  out["analysis_lag_ms"] = {{"p50", 1e3 * histogram_quantile(metrics, "tonewatch_analysis_lag_seconds", 0.50)},
                            {"p99", 1e3 * histogram_quantile(metrics, "tonewatch_analysis_lag_seconds", 0.99)}};
  out["alert_feed_reader"] = feed.reader_priority;
  out["alerts"] = feed.alerts;
  out["events"] = feed.events;
  out["alert_latency_ms"] = {{"p50", 1e3 * percentile(alert_latency_s, 0.50)},
                             {"p99", 1e3 * percentile(alert_latency_s, 0.99)},
                             {"max", alert_latency_s.empty() ? NAN : 1e3 * *std::max_element(alert_latency_s.begin(), alert_latency_s.end())},
                             {"samples", alert_latency_s.size()},
                             {"from", "the packet completing the decision's audio (time_s + look-ahead)"},
                             {"lookahead_ms", 1e3 * kSummaryLookahead_s}};
  out["alert_latency_from_moment_ms"] = {{"p50", 1e3 * percentile(alert_after_moment_s, 0.50)},
                                         {"p99", 1e3 * percentile(alert_after_moment_s, 0.99)},
                                         {"from", "the packet holding the alert's time_s"}};
  out["server_cpu_cores"] = server_cpu / run_window;
  out["server_cpu_ms_per_call_second"] = 1e3 * server_cpu / run_window / calls;
  out["generator_cpu_cores"] = generator_cpu / std::max(steady_s, 1e-9);
  // Per thread name over the same window: the network thread against the workers.
  // The kernel's part (system time) apart: for the network thread it is the sockets'
  // receive path, which no change to tonewatch's own code can remove. (Softirq time the
  // kernel accounts apart from any thread, e.g. loopback delivery, is in neither.)
  json per_thread = json::object(), per_thread_kernel = json::object();
  for (const auto& [name, end_s] : threads_end) {
    const auto start = threads_start.find(name);
    const CpuSeconds begin = start == threads_start.end() ? CpuSeconds{} : start->second;
    per_thread[name] = (end_s.total() - begin.total()) / run_window;
    per_thread_kernel[name] = (end_s.kernel - begin.kernel) / run_window;
  }
  out["server_cpu_cores_by_thread"] = per_thread;
  out["server_kernel_cpu_cores_by_thread"] = per_thread_kernel;
  out["server_rss_mib"] = {{"idle", idle.rss_kib / 1024.0}, {"peak", peak_rss / 1024.0}};
  out["memory_kib_per_call"] = (peak_rss - idle.rss_kib) / calls;
  out["heap_kib_per_call"] = (steady_heap - idle_heap) / 1024.0 / calls;
  out["dropped_frames"] = {{"ring_overflow", metric_sum(metrics, "tonewatch_dropped_frames_total{cause=\"ring_overflow\"}")},
                           {"late_leg", metric_sum(metrics, "tonewatch_dropped_frames_total{cause=\"late_leg\"}")},
                           {"missing_filled", metric_sum(metrics, "tonewatch_ingest_missing_frames_total")},
                           {"late_chunks", metric_sum(metrics, "tonewatch_ingest_late_chunks_total")},
                           {"event_queue_dropped", metric_sum(metrics, "tonewatch_event_queue_dropped_total")}};
  if (siprec) {
    out["sipp_exit"] = sipp_status;
    out["rtp_datagrams_sent"] = siprec->datagrams_sent();
    out["rtp_send_errors"] = siprec->send_errors();
    out["rtp"] = {{"lost_packets", metric_sum(metrics, "tonewatch_rtp_lost_packets_total")},
                  {"late_packets", metric_sum(metrics, "tonewatch_rtp_late_packets_total")},
                  {"kernel_dropped", metric_sum(metrics, "tonewatch_udp_kernel_dropped_total")}};
  }
  std::cout << out.dump(2) << "\n";
  if (!json_out.empty()) std::ofstream(json_out) << out.dump(2) << "\n";
  return 0;
}
