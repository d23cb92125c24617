#include "server/worker_pool.h"

#include <algorithm>
#include <chrono>
#include <pthread.h>

#include "dsp/stream_spec.h"

namespace tw::server {
namespace {
constexpr std::size_t kQueueCapacity = 4096;  // calls waiting to be picked up by one worker
// Every call is pumped at least this often, data or not: a call waiting for its second
// leg starts on time (CallSettings::second_leg_wait_s) even if its first leg fell silent.
constexpr std::int64_t kSweepNs = 100'000'000;
}

WorkerPool::WorkerPool(unsigned workers, Metrics& metrics, FinishedHandler on_finished, double poll_s, double block_s)
    : on_finished_(std::move(on_finished)),
      poll_ns_(static_cast<std::int64_t>(poll_s * 1e9)),
      block_s_(std::max(0.0, block_s)),
      block_ns_(static_cast<std::int64_t>(block_s_ * 1e9)),
      lag_(metrics.histogram("tonewatch_analysis_lag_seconds",
                             "How long the newest audio read by a worker had waited since it arrived",
                             {0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0})),
      analysed_seconds_(metrics.counter("tonewatch_audio_analysed_seconds_total",
                                        "Call audio analysed, in seconds of call time (both channels count once)")) {
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < workers; ++i) workers_.push_back(std::make_unique<Worker>(kQueueCapacity));
  // Named for top -H, perf and serve_load's CPU per thread.
  for (auto& w : workers_) {
    w->thread = std::thread([this, &w = *w] {
      pthread_setname_np(pthread_self(), "tw-worker");
      run(w);
    });
  }
  finisher_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "tw-finisher");
    finisher();
  });
}

WorkerPool::~WorkerPool() {
  stop_all_calls();
  wait_idle(3600.0);
  stopping_.store(true, std::memory_order_release);
  for (auto& w : workers_) {
    w->wake.fetch_add(1, std::memory_order_acq_rel);
    w->wake.notify_one();
  }
  for (auto& w : workers_) w->thread.join();
  {
    std::lock_guard<std::mutex> lock(finish_mutex_);
  }
  finish_cv_.notify_all();
  finisher_.join();
}

bool WorkerPool::add(std::shared_ptr<LiveCall> call) {
  Worker* best = workers_.front().get();
  for (auto& w : workers_) {
    if (w->load.load(std::memory_order_relaxed) < best->load.load(std::memory_order_relaxed)) best = w.get();
  }
  active_.fetch_add(1, std::memory_order_acq_rel);
  if (stop_calls_.load(std::memory_order_acquire)) call->stop();
  if (!best->incoming.try_push(call)) {
    active_.fetch_sub(1, std::memory_order_acq_rel);
    return false;
  }
  best->load.fetch_add(1, std::memory_order_relaxed);
  // After the push: a worker that saw the old value before finding its queue empty
  // does not sleep past this call (its wait returns at once).
  best->wake.fetch_add(1, std::memory_order_acq_rel);
  best->wake.notify_one();
  return true;
}

std::uint64_t WorkerPool::rounds() const noexcept {
  std::uint64_t sum = 0;
  for (const auto& w : workers_) sum += w->rounds.load(std::memory_order_relaxed);
  return sum;
}

void WorkerPool::stop_all_calls() { stop_calls_.store(true, std::memory_order_release); }

bool WorkerPool::wait_idle(double timeout_s) {
  std::unique_lock<std::mutex> lock(finish_mutex_);
  return idle_cv_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                           [this] { return active_.load(std::memory_order_acquire) == 0; });
}

void WorkerPool::run(Worker& worker) {
  // The worker's calls, each with what the worker keeps of it.
  struct Owned {
    std::shared_ptr<LiveCall> call;
    std::int64_t seconds = 0;         // whole seconds analysed so far, for the audio-seconds counter
    std::int64_t waiting_since = -1;  // the poll that first saw its waiting audio, or -1
  };
  std::vector<Owned> calls;
  std::int64_t last_sweep_ns = 0;
  for (;;) {
    const std::uint32_t wake = worker.wake.load(std::memory_order_acquire);
    const bool stopping = stopping_.load(std::memory_order_acquire);
    for (std::shared_ptr<LiveCall> call; worker.incoming.try_pop(call);) calls.push_back({std::move(call)});
    if (calls.empty()) {
      if (stopping) return;
      worker.wake.wait(wake, std::memory_order_acquire);  // until add() or the destructor
      continue;
    }
    worker.rounds.store(worker.rounds.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    const bool stop_calls = stop_calls_.load(std::memory_order_acquire);
    const std::int64_t now = steady_now_ns();
    const bool sweep = now - last_sweep_ns >= kSweepNs;
    if (sweep) last_sweep_ns = now;
    for (std::size_t i = 0; i < calls.size();) {
      Owned& owned = calls[i];
      LiveCall& call = *owned.call;
      if (stop_calls) call.stop();
      // A call with nothing new is not touched beyond its flag: at 20 ms packets and a
      // 5 ms poll, three polls in four would otherwise walk every call's cold state.
      const bool fresh = call.take_ready();
      if (fresh && owned.waiting_since < 0) owned.waiting_since = now;
      if (owned.waiting_since < 0 && !sweep) {
        ++i;
        continue;
      }
      // Let the packets gather into a block, unless they have waited long enough (a
      // sweep too: it is for calls with nothing new), or they reach a moment at which
      // detection decides (an alert waits for no block). What the legs hold changes
      // only with new audio (its ready flag), so the legs' rings, which the network
      // thread has just written, are read then and not at every poll.
      if (block_ns_ > 0 && owned.waiting_since >= 0 && now - owned.waiting_since < block_ns_ &&
          !(fresh && (call.holds_audio(block_s_) || call.decision_due()))) {
        ++i;
        continue;
      }
      owned.waiting_since = -1;
      std::int64_t lag_ns = -1;
      call.pump(now, &lag_ns);
      if (lag_ns >= 0) lag_.observe(static_cast<double>(lag_ns) * 1e-9);
      const auto whole = static_cast<std::int64_t>(call.analysed_frames()) / dsp::kAnalysisRateHz;
      if (whole > owned.seconds) {
        analysed_seconds_.add(static_cast<std::uint64_t>(whole - owned.seconds));
        owned.seconds = whole;
      }
      if (call.finished()) {
        finished(std::move(owned.call));
        owned = std::move(calls.back());
        calls.pop_back();
        worker.load.fetch_sub(1, std::memory_order_relaxed);
        continue;
      }
      ++i;
    }
    // Poll again after the period, less the time this round took.
    const std::int64_t spent = steady_now_ns() - now;
    if (spent < poll_ns_) std::this_thread::sleep_for(std::chrono::nanoseconds(poll_ns_ - spent));
  }
}

void WorkerPool::finished(std::shared_ptr<LiveCall> call) {
  {
    std::lock_guard<std::mutex> lock(finish_mutex_);
    to_finish_.push_back(std::move(call));
  }
  finish_cv_.notify_all();
}

void WorkerPool::finisher() {
  std::unique_lock<std::mutex> lock(finish_mutex_);
  for (;;) {
    finish_cv_.wait(lock, [this] { return !to_finish_.empty() || (stopping_.load() && active_.load() == 0); });
    if (to_finish_.empty()) return;
    std::shared_ptr<LiveCall> call = std::move(to_finish_.front());
    to_finish_.pop_front();
    lock.unlock();
    call->write_outputs();
    if (on_finished_) on_finished_(call);
    call.reset();
    lock.lock();
    active_.fetch_sub(1, std::memory_order_acq_rel);
    idle_cv_.notify_all();
  }
}

}  // namespace tw::server
