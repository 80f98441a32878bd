// Metrics: counters, gauges, histograms and info metrics with labels, kept by a Registry and
// rendered in the Prometheus text exposition format 0.0.4. An update is one relaxed atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace vimur::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into buckets with fixed upper bounds (integer units, e.g. ms).
class Histogram {
 public:
  explicit Histogram(std::vector<int64_t> bounds);
  void Observe(int64_t v);
  const std::vector<int64_t>& bounds() const { return bounds_; }
  // Per-bucket counts (not cumulative), the last one for values above every bound.
  std::vector<uint64_t> BucketCounts() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  int64_t sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<int64_t> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_{0};
};

// A text value (a position, a version) exposed as a gauge of 1 with the text as a label.
// Set takes a lock: call it per batch, not per event.
class Info {
 public:
  void Set(std::string text);
  std::string text() const;

 private:
  mutable std::mutex mu_;
  std::string text_;
};

enum class Type { kCounter, kGauge, kHistogram, kInfo, kComputedGauge, kComputedCounter };

// Owns every metric; a metric, once made, lives as long as the registry (references stay valid).
// Making or looking up a metric takes a lock; updating it does not.
class Registry {
 public:
  // The process's registry, which `vimur run` serves.
  static Registry& Default();

  // The metric `name` with `labels`, made on first use. A name has one type and help text.
  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels);
  Gauge& GetGauge(const std::string& name, const std::string& help, const Labels& labels);
  Histogram& GetHistogram(const std::string& name, const std::string& help, const Labels& labels,
                          const std::vector<int64_t>& bounds);
  // Rendered as `name{labels..., value_label="text"} 1`.
  Info& GetInfo(const std::string& name, const std::string& help, const Labels& labels,
                const std::string& value_label);
  // A value computed at each rendering (process CPU time, memory). `counter`: rendered as one.
  void AddComputed(const std::string& name, const std::string& help, const Labels& labels,
                   bool counter, std::function<double()> read);

  // The Prometheus text format (version 0.0.4) of every metric, families sorted by name.
  std::string Render() const;
  // The current values of the gauges named `name`, with their labels.
  std::vector<std::pair<Labels, double>> GaugeValues(const std::string& name) const;

 private:
  struct Child {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::unique_ptr<Info> info;
    std::function<double()> computed;
  };
  struct Family {
    Type type = Type::kGauge;
    std::string help;
    std::string value_label;  // kInfo
    std::vector<std::unique_ptr<Child>> children;
  };
  Child& Find(const std::string& name, const std::string& help, Type type, const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// Escapes a label value for the text format: backslash, double quote and newline.
std::string EscapeLabelValue(const std::string& value);
// A sample value as the text format writes it: integers without a fraction, +Inf, NaN.
std::string FormatValue(double value);

}  // namespace vimur::metrics
