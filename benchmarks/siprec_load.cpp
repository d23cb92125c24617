#include "siprec_load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

#include "build_paths.h"

extern char** environ;

namespace bench {
namespace {

constexpr std::size_t kPacketBytes = 12 + 160;
constexpr auto kChunk = std::chrono::milliseconds(20);

void rtp_header(std::uint8_t* p, std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc) {
  p[0] = 0x80;  // RFC 3550 §5.1: version 2, no padding, extension or CSRC
  p[1] = 0;     // PT 0: PCMU (RFC 3551 §6)
  p[2] = static_cast<std::uint8_t>(sequence >> 8);
  p[3] = static_cast<std::uint8_t>(sequence);
  for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<std::uint8_t>(timestamp >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
}

}  // namespace

SiprecLoad::SiprecLoad(std::vector<std::array<std::uint8_t, 160>> caller, std::vector<std::array<std::uint8_t, 160>> agent,
                       std::string server_log)
    : caller_(std::move(caller)), agent_(std::move(agent)), log_path_(std::move(server_log)) {
  socket_ = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (socket_ < 0) throw std::runtime_error("siprec load: no UDP socket");
  const int buffer = 4 << 20;
  ::setsockopt(socket_, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  std::ifstream log(log_path_, std::ios::ate);  // sessions before this one are not ours
  if (log) log_offset_ = static_cast<std::size_t>(log.tellg());
}

SiprecLoad::~SiprecLoad() {
  if (sipp_ > 0) {
    ::kill(sipp_, SIGKILL);
    ::waitpid(sipp_, nullptr, 0);
  }
  if (socket_ >= 0) ::close(socket_);
}

void SiprecLoad::start_sipp(std::uint16_t sip_port, int calls, double ramp_s, double hold_s) {
  const std::string scenario = tw::build::source_dir() + "/tests/siprec/scenarios/siprec_media_call.xml";
  // -r/-rp: calls per period, so that `calls` start evenly over the ramp; -l: all at once
  // at most; -m: then stop; -d: each session's pause (the run) before its BYE.
  const double rate = calls / std::max(ramp_s, 1.0);
  std::vector<std::string> args = {"sipp", "127.0.0.1:" + std::to_string(sip_port), "-sf", scenario,
                                   "-m", std::to_string(calls), "-l", std::to_string(calls),
                                   "-r", std::to_string(static_cast<int>(std::ceil(rate * 10))), "-rp", "10000",
                                   "-d", std::to_string(static_cast<long>(hold_s * 1000)), "-i", "127.0.0.1",
                                   "-t", "u1", "-nostdin", "-timeout", std::to_string(static_cast<long>(hold_s + ramp_s + 60)) + "s",
                                   "-recv_timeout", "30000", "-max_socket", "4096"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const int spawned = ::posix_spawnp(&sipp_, "sipp", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    sipp_ = -1;
    throw std::runtime_error("siprec load: cannot start sipp (Debian sip-tester): " + std::string(std::strerror(spawned)));
  }
}

int SiprecLoad::wait_sipp(double timeout_s) {
  if (sipp_ <= 0) return -1;
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  int status = 0;
  while (::waitpid(sipp_, &status, WNOHANG) == 0) {
    if (Clock::now() > until) {
      ::kill(sipp_, SIGKILL);
      ::waitpid(sipp_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sipp_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void SiprecLoad::read_log() {
  std::ifstream log(log_path_);
  if (!log) return;
  log.seekg(static_cast<std::streamoff>(log_offset_));
  std::string chunk((std::istreambuf_iterator<char>(log)), {});
  log_offset_ += chunk.size();
  partial_line_ += chunk;
  static const std::regex started(R"(is call (\S+), RTP ports caller=(\d+) agent=(\d+))");
  std::size_t end;
  while ((end = partial_line_.find('\n')) != std::string::npos) {
    const std::string line = partial_line_.substr(0, end);
    partial_line_.erase(0, end + 1);
    std::smatch m;
    if (!std::regex_search(line, m, started)) continue;
    auto call = std::make_unique<Call>();
    call->id = m[1];
    call->ports = {static_cast<std::uint16_t>(std::stoi(m[2])), static_cast<std::uint16_t>(std::stoi(m[3]))};
    call->started_at = Clock::now();
    calls_[call->id] = std::move(call);
  }
}

void SiprecLoad::tick(Clock::time_point now) {
  read_log();
  if (stopped_) return;
  // Every due packet of every call, then sendmmsg in batches.
  constexpr std::size_t kBatch = 256;
  static thread_local std::vector<std::array<std::uint8_t, kPacketBytes>> packets(kBatch);
  static thread_local std::vector<sockaddr_in> to(kBatch);
  static thread_local std::vector<iovec> iov(kBatch);
  static thread_local std::vector<mmsghdr> headers(kBatch);
  std::size_t n = 0;
  auto flush = [&] {
    std::size_t done = 0;
    while (done < n) {
      const int sent = ::sendmmsg(socket_, headers.data() + done, static_cast<unsigned>(n - done), 0);
      if (sent <= 0) {
        send_errors_ += n - done;
        break;
      }
      done += static_cast<std::size_t>(sent);
    }
    sent_ += done;
    n = 0;
  };
  for (auto& [id, call] : calls_) {
    while (call->started_at + kChunk * static_cast<long>(call->next + 1) <= now) {
      const std::size_t at = call->next % caller_.size();
      for (int s = 0; s < 2; ++s) {
        if (n == kBatch) flush();
        std::uint8_t* p = packets[n].data();
        rtp_header(p, static_cast<std::uint16_t>(call->next + 1000 * s),
                   static_cast<std::uint32_t>(160 * call->next + 7777 * s), 0x1234u + static_cast<std::uint32_t>(s));
        std::memcpy(p + 12, (s == 0 ? caller_[at] : agent_[at]).data(), 160);
        to[n] = sockaddr_in{};
        to[n].sin_family = AF_INET;
        to[n].sin_port = htons(call->ports[static_cast<std::size_t>(s)]);
        to[n].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        iov[n] = iovec{p, kPacketBytes};
        headers[n] = mmsghdr{};
        headers[n].msg_hdr.msg_name = &to[n];
        headers[n].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        headers[n].msg_hdr.msg_iov = &iov[n];
        headers[n].msg_hdr.msg_iovlen = 1;
        ++n;
      }
      call->sent_at.push_back(now);
      ++call->next;
    }
  }
  flush();
}

}  // namespace bench
