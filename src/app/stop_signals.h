#pragma once
// Ctrl-C and `kill` stop a batch cleanly instead of killing it.

#include <atomic>

namespace tw::app {

/// While an instance lives, SIGINT and SIGTERM set a flag instead of ending the
/// process; the batch checks it between 100 ms blocks, abandons running calls
/// (their temporaries removed) and starts no more. The handler only stores to
/// lock-free atomics, which is async-signal-safe (C++20 [support.signal]). It
/// is installed with SA_RESETHAND: a second signal ends the process at once
/// (the next run removes what it leaves). One instance at a time.
class StopSignals {
 public:
  /// Installs the handlers. Throws std::runtime_error if sigaction fails.
  StopSignals();
  /// Restores the handlers that were there before.
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// Set once a signal arrived.
  const std::atomic<bool>& flag() const noexcept;
  /// The signal that arrived first (SIGINT or SIGTERM), 0 if none.
  int signal_number() const noexcept;
};

/// "SIGINT", "SIGTERM", ... for messages.
const char* signal_name(int signal_number) noexcept;

}  // namespace tw::app
