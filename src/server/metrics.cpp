#include "server/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace tw::server {
namespace {

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char text[40];
  // Shortest text that reads back as the same double (0.005, not 0.0050000000000000001).
  const auto result = std::to_chars(text, text + sizeof text, v);
  return std::string(text, result.ptr);
}

std::string braces(const std::string& labels) { return labels.empty() ? "" : "{" + labels + "}"; }

void add_double(std::atomic<double>& a, double d) noexcept {
  double v = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(v, v + d, std::memory_order_relaxed)) {
  }
}

}  // namespace

std::string stat_line(const char* name, const char* help, const char* type, std::uint64_t value) {
  return std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         std::to_string(value) + "\n";
}

std::string label(const std::string& key, const std::string& value) {
  std::string out = key + "=\"";
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out + "\"";
}

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  if (bounds_.empty() || bounds_.size() > kMaxBuckets) throw std::invalid_argument("Histogram: 1-16 buckets");
  for (std::size_t i = 1; i < bounds_.size(); ++i) {
    if (!(bounds_[i] > bounds_[i - 1])) throw std::invalid_argument("Histogram: bounds must increase");
  }
}

void Histogram::observe(double v) noexcept {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  add_double(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  s.count = running;
  return s;
}

double Histogram::Snapshot::quantile(double q) const {
  if (count == 0) return NAN;
  const double rank = q * static_cast<double>(count);
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (static_cast<double>(cumulative[i]) >= rank) {
      const double lower = i == 0 ? 0.0 : bounds[i - 1];
      const double below = i == 0 ? 0.0 : static_cast<double>(cumulative[i - 1]);
      const double in_bucket = static_cast<double>(cumulative[i]) - below;
      return in_bucket > 0 ? lower + (bounds[i] - lower) * (rank - below) / in_bucket : bounds[i];
    }
  }
  return bounds.back();  // in the +Inf bucket: the highest finite bound, as Prometheus does
}

Metrics::Family& Metrics::family(const std::string& name, const char* type, const std::string& help) {
  Family& f = families_[name];
  if (f.type.empty()) {
    f.type = type;
    f.help = help;
  } else if (f.type != type) {
    throw std::logic_error("metric " + name + " registered as " + f.type + " and " + type);
  }
  return f;
}

Counter& Metrics::counter(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = family(name, "counter", help).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = family(name, "gauge", help).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help, const std::vector<double>& bounds,
                              const std::string& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = family(name, "histogram", help).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
    for (const auto& [labels, c] : f.counters) out += name + braces(labels) + " " + std::to_string(c->value()) + "\n";
    for (const auto& [labels, g] : f.gauges) out += name + braces(labels) + " " + number(g->value()) + "\n";
    for (const auto& [labels, h] : f.histograms) {
      const Histogram::Snapshot s = h->snapshot();
      const std::string sep = labels.empty() ? "" : labels + ",";
      for (std::size_t i = 0; i < s.bounds.size(); ++i) {
        out += name + "_bucket{" + sep + label("le", number(s.bounds[i])) + "} " + std::to_string(s.cumulative[i]) + "\n";
      }
      out += name + "_bucket{" + sep + "le=\"+Inf\"} " + std::to_string(s.cumulative.back()) + "\n";
      out += name + "_sum" + braces(labels) + " " + number(s.sum) + "\n";
      out += name + "_count" + braces(labels) + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

}  // namespace tw::server
