#include "server/metrics_history.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/thread_name.h"
#include "server/metrics_text.h"

namespace vimur::server {
namespace {

// Metric name -> (label naming the component, series suffix). Process-wide ones have no label.
struct Charted {
  const char* metric;
  const char* label;
  const char* series;
};
constexpr Charted kCharted[] = {
    {"vimur_source_events_total", "source", "events"},
    {"vimur_source_lag_ms", "source", "lag_ms"},
    {"vimur_sink_records_total", "sink", "records"},
    {"vimur_sink_lag_ms", "sink", "lag_ms"},
    {"vimur_capture_queue_bytes", nullptr, "process/queue_bytes"},
    {"process_resident_memory_bytes", nullptr, "process/rss_bytes"},
    {"process_cpu_seconds_total", nullptr, "process/cpu_seconds"},
};

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

MetricsHistory::MetricsHistory(metrics::Registry& registry, int interval_s)
    : registry_(registry),
      interval_s_(std::max(1, interval_s)),
      capacity_(static_cast<size_t>(std::max(1, 3600 / std::max(1, interval_s)))) {}

void MetricsHistory::Start() {
  Sample(WallSeconds());
  thread_ = std::thread([this] {
    SetThreadName("vimur-history");
    std::unique_lock<std::mutex> lock(mu_);
    while (!wake_.wait_for(lock, std::chrono::seconds(interval_s_), [this] { return stop_; })) {
      lock.unlock();
      Sample(WallSeconds());
      lock.lock();
    }
  });
}

void MetricsHistory::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MetricsHistory::Sample(double unix_seconds) {
  Point p;
  p.t = unix_seconds;
  auto samples = ParseMetricsText(registry_.Render());
  if (samples.ok()) {
    for (const MetricSample& s : *samples) {
      for (const Charted& c : kCharted) {
        if (s.name != c.metric) continue;
        if (c.label == nullptr) {
          p.series[c.series] = s.value;
        } else if (std::string owner = s.Label(c.label); !owner.empty()) {
          p.series[std::string(c.label) + "/" + owner + "/" + c.series] = s.value;
        }
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  points_.push_back(std::move(p));
  while (points_.size() > capacity_) points_.pop_front();
}

std::string MetricsHistory::Json() const {
  nlohmann::json out = {{"interval_s", interval_s_}, {"samples", nlohmann::json::array()}};
  std::lock_guard<std::mutex> lock(mu_);
  for (const Point& p : points_) {
    out["samples"].push_back({{"t", p.t}, {"series", p.series}});
  }
  return out.dump();
}

}  // namespace vimur::server
