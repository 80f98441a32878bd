// MetricsHistory: samples the figures the status page charts (per source events and lag, per
// sink records and lag, queue bytes, memory, CPU) at a fixed interval and keeps the last hour.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/metrics.h"

namespace vimur::server {

class MetricsHistory {
 public:
  // Keeps 3600 / interval_s samples (one hour), at most 3600.
  MetricsHistory(metrics::Registry& registry, int interval_s);
  ~MetricsHistory() { Stop(); }
  MetricsHistory(const MetricsHistory&) = delete;
  MetricsHistory& operator=(const MetricsHistory&) = delete;

  // Takes a sample now and then every interval on a thread of its own; Stop joins it.
  void Start();
  void Stop();
  // Takes one sample (Start's thread calls it; tests call it directly).
  void Sample(double unix_seconds);
  // {"interval_s": N, "samples": [{"t": unix seconds, "series": {"source/db/events": 12, ...}}]}:
  // counters as totals (the page charts their rate), gauges as values.
  std::string Json() const;

 private:
  struct Point {
    double t = 0;
    std::map<std::string, double> series;
  };
  metrics::Registry& registry_;
  const int interval_s_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<Point> points_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace vimur::server
