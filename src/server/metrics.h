#pragma once
// Prometheus metrics: counters, gauges and histograms kept in atomics (updating
// one is a relaxed atomic add, fine on any thread), rendered in the Prometheus
// text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
// The renderer knows nothing of HTTP (the prometheus-cpp shape).

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tw::server {

/// A monotonically increasing count.
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down.
class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept {
    double v = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(v, v + d, std::memory_order_relaxed)) {
    }
  }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// A histogram with fixed upper bounds (seconds, for latencies).
class Histogram {
 public:
  static constexpr std::size_t kMaxBuckets = 16;
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v) noexcept;
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  ///< per bound, then +Inf last
    double sum = 0.0;
    std::uint64_t count = 0;
    /// The q-quantile by linear interpolation within buckets (as PromQL's histogram_quantile).
    double quantile(double q) const;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::array<std::atomic<std::uint64_t>, kMaxBuckets + 1> buckets_{};
  std::atomic<double> sum_{0.0};
  std::atomic<std::uint64_t> count_{0};
};

/// Every metric of the server, by name and labels. Metrics are created on first
/// use (under a lock, at connection or call start, never per packet) and live as
/// long as the registry; hold the returned reference for hot updates.
class Metrics {
 public:
  /// `help` is kept from the first call for a name.
  Counter& counter(const std::string& name, const std::string& help, const std::string& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const std::string& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const std::vector<double>& bounds,
                       const std::string& labels = {});
  /// The text exposition of every metric, families sorted by name.
  std::string render() const;

 private:
  struct Family {
    std::string type, help;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(const std::string& name, const char* type, const std::string& help);
  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

/// One unlabelled sample with its HELP and TYPE lines, for counts kept outside Metrics
/// (the network's, an ingest's) rendered at scrape time.
std::string stat_line(const char* name, const char* help, const char* type, std::uint64_t value);

/// `key="value"` with the value escaped as the exposition format requires (\\, \", \n).
std::string label(const std::string& key, const std::string& value);

}  // namespace tw::server
