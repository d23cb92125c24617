#pragma once
// Analysis threads for live calls. Each call is owned by one worker for its whole
// life; a worker polls its calls every few milliseconds (cheaper than a wake-up per
// packet at hundreds of calls) and moves the audio of those that got some (their
// ready flag, set by the connections) through their sessions; the others it sweeps
// only a few times a second (a one-leg call's wait for its other party). A worker
// with no calls sleeps until one is added: polling, an idle server's two workers
// took 1.4 % of a core (each wake-up cost about 34 us of CPU on the test guest). A call's
// packets may be let gather (block_s) so that its analysis runs on larger blocks:
// each pump walks the call's whole cold state and fills the transforms' four lanes
// better with more hops; a block ends early where detection decides
// (LiveCall::decision_due), so alerts never wait for one. A
// finished call goes to a finisher thread that writes its outputs, so file I/O
// never holds up the other calls' analysis.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "alerts/bounded_queue.h"
#include "server/live_call.h"
#include "server/metrics.h"

namespace tw::server {

class WorkerPool {
 public:
  using FinishedHandler = std::function<void(const std::shared_ptr<LiveCall>&)>;

  /// Starts `workers` analysis threads (0: one per core) and the finisher.
  /// `on_finished` runs on the finisher thread after a call's outputs are written.
  /// A call with new audio is analysed once every leg still sending holds `block_s`
  /// of it, or the audio that completes a decision (LiveCall::decision_due), or once
  /// its first waiting packet has waited `block_s` (0: at the next poll, whatever it
  /// holds).
  WorkerPool(unsigned workers, Metrics& metrics, FinishedHandler on_finished, double poll_s = kPollS,
             double block_s = 0.0);
  /// How often a worker looks at its calls (s): at 20 ms packets, a quarter of one.
  static constexpr double kPollS = 0.005;
  /// Stops every call, finishes and writes them, and joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Hands a call to the least loaded worker. Returns false if its queue is full.
  bool add(std::shared_ptr<LiveCall> call);
  /// Ends every call now (shutdown); they are finished and written as usual.
  void stop_all_calls();
  /// Waits until no call is left (every one finished and written), or the timeout passes.
  bool wait_idle(double timeout_s);

  unsigned workers() const noexcept { return static_cast<unsigned>(workers_.size()); }
  /// Rounds the workers have made over their calls so far (one per poll while a worker
  /// has calls; a worker with none sleeps and makes none).
  std::uint64_t rounds() const noexcept;
  /// Calls being analysed or waiting to be written.
  std::size_t active_calls() const noexcept { return active_.load(std::memory_order_acquire); }

 private:
  struct Worker {
    explicit Worker(std::size_t capacity) : incoming(capacity) {}
    alerts::BoundedQueue<std::shared_ptr<LiveCall>> incoming;
    std::atomic<std::size_t> load{0};
    // Bumped (and notified) when a call is added or the pool stops: a worker with no
    // calls waits on it instead of polling.
    std::atomic<std::uint32_t> wake{0};
    std::atomic<std::uint64_t> rounds{0};  // written by the worker only
    std::thread thread;
  };
  void run(Worker& worker);
  void finisher();
  void finished(std::shared_ptr<LiveCall> call);

  FinishedHandler on_finished_;
  const std::int64_t poll_ns_;
  const double block_s_;
  const std::int64_t block_ns_;
  Histogram& lag_;
  Counter& analysed_seconds_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stop_calls_{false};
  std::atomic<std::size_t> active_{0};

  std::mutex finish_mutex_;
  std::condition_variable finish_cv_;
  std::deque<std::shared_ptr<LiveCall>> to_finish_;
  std::condition_variable idle_cv_;
  std::thread finisher_;
};

}  // namespace tw::server
