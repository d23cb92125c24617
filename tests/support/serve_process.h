#pragma once
// A real `tonewatch serve` for end-to-end tests: started on free ports, its
// addresses read from what it prints, stopped with a signal.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tw::test {

class ServeProcess {
 public:
  /// Starts `tonewatch serve --listen 127.0.0.1:0 <extra>`; with `audiosocket`, also
  /// caller and agent AudioSocket listeners on free ports. Waits until it listens.
  /// `http_port` non-zero: listens on that port instead (a restart on the same address).
  /// `extra` holding --listen replaces the default one. `prefix`, if given, runs
  /// before the command (e.g. {"/usr/bin/prlimit", "--nofile=256", "--"}).
  ServeProcess(const std::string& out_dir, const std::vector<std::string>& extra, bool audiosocket = false,
               std::uint16_t http_port = 0, const std::vector<std::string>& prefix = {});
  /// Stops it (SIGKILL) if still running.
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  std::uint16_t http_port() const noexcept { return http_port_; }
  std::uint16_t caller_port() const noexcept { return caller_port_; }
  std::uint16_t agent_port() const noexcept { return agent_port_; }
  /// The SIPREC SIP port (with --siprec), 0 without.
  std::uint16_t siprec_port() const noexcept { return siprec_port_; }
  pid_t pid() const noexcept { return pid_; }

  /// Sends `signal` and waits for the exit (at most timeout_s, then SIGKILL); returns
  /// the exit status (128 + signal if it died of one).
  int stop(int signal, double timeout_s = 60.0);
  /// What it printed so far.
  std::string out() const;
  std::string err() const;

 private:
  std::string out_path_, err_path_;
  pid_t pid_ = -1;
  std::uint16_t http_port_ = 0, caller_port_ = 0, agent_port_ = 0, siprec_port_ = 0;
};

/// A call's events file (<call>.events.jsonl): one JSON object per line.
std::vector<nlohmann::json> read_events(const std::string& path);

/// The stream player tool of this build (tools/stream_player).
std::string stream_player_binary();

/// A minimal HTTP/1.1 GET or POST on 127.0.0.1 (status and body), for /metrics and /api.
struct ServerReply {
  int status = 0;
  std::string body;
};
ServerReply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = {});

/// The value of an unlabelled or labelled Prometheus sample in `metrics` text
/// (e.g. `tonewatch_calls_total{protocol="twilio"}`), or -1 if absent.
double metric_value(const std::string& metrics, const std::string& sample);

/// GET /api/calls until the server lists at least `n` ended calls ("recent"), or
/// `timeout_s` has passed; returns the last listing (empty if none answered).
nlohmann::json wait_for_ended_calls(std::uint16_t port, std::size_t n, double timeout_s);

/// GET /api/calls until the ended calls ("recent") include every one of `call_ids`, or
/// `timeout_s` has passed; true if they all ended. A count of ended calls is not
/// enough where other calls (refused, cut, malformed) may end first.
bool wait_for_calls_ended(std::uint16_t port, const std::vector<std::string>& call_ids, double timeout_s);

}  // namespace tw::test
