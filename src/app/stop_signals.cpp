#include "app/stop_signals.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace tw::app {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "a signal handler may only touch lock-free atomics");

struct sigaction g_previous_int {};
struct sigaction g_previous_term {};

extern "C" void on_stop_signal(int signal_number) {
  int none = 0;
  g_signal.compare_exchange_strong(none, signal_number);
  g_stop.store(true);
}

}  // namespace

StopSignals::StopSignals() {
  g_stop = false;
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART is needed: workers poll the flag between blocks. SA_RESETHAND
  // makes a second Ctrl-C the usual immediate end.
  action.sa_flags = SA_RESETHAND;
  if (sigaction(SIGINT, &action, &g_previous_int) != 0 || sigaction(SIGTERM, &action, &g_previous_term) != 0) {
    throw std::runtime_error(std::string("cannot install the signal handlers: ") + std::strerror(errno));
  }
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

const std::atomic<bool>& StopSignals::flag() const noexcept { return g_stop; }
int StopSignals::signal_number() const noexcept { return g_signal.load(); }

const char* signal_name(int signal_number) noexcept {
  switch (signal_number) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    case SIGKILL: return "SIGKILL";
    default: return "a signal";
  }
}

}  // namespace tw::app
