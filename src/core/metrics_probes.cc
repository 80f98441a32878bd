#include "core/metrics_probes.h"

#include <unistd.h>

#include <fstream>
#include <list>
#include <sstream>

namespace vimur::metrics {
namespace {

// A probe per name, kept for the registry's lifetime.
template <typename Probe>
class ProbeCache {
 public:
  template <typename Make>
  Probe& Get(Registry& registry, const std::string& name, Make make) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& entry : entries_) {
      if (entry.registry == &registry && entry.name == name) return entry.probe;
    }
    entries_.push_back(Entry{&registry, name, make()});
    return entries_.back().probe;
  }

 private:
  struct Entry {
    Registry* registry;
    std::string name;
    Probe probe;
  };
  std::mutex mu_;
  std::list<Entry> entries_;  // stable addresses
};

// Fields 14 (utime) and 15 (stime) in clock ticks and 24 (rss) in pages of /proc/self/stat.
bool ReadStat(double* cpu_seconds, double* rss_bytes, double* start_ticks) {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return false;
  std::istringstream fields(text.substr(paren + 2));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  for (std::string s; fields >> s;) f.push_back(s);
  if (f.size() < 22) return false;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  *cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  *start_ticks = std::stod(f[19]);
  *rss_bytes = std::stod(f[21]) * static_cast<double>(sysconf(_SC_PAGESIZE));
  return true;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return 0;
}

}  // namespace

const std::vector<int64_t>& LagBucketsMs() {
  static const std::vector<int64_t> buckets = {10,   50,    100,   250,   500,    1000,  2000,
                                               5000, 10000, 30000, 60000, 300000, 900000};
  return buckets;
}

SourceProbe& SourceProbe::For(const std::string& name, Registry& registry) {
  static ProbeCache<SourceProbe> cache;
  return cache.Get(registry, name, [&] {
    const Labels l = {{"source", name}};
    return SourceProbe{
        registry.GetCounter("vimur_source_events_total",
                            "Change events of the source acknowledged by the transport", l),
        registry.GetCounter("vimur_source_transactions_total",
                            "Source transactions acknowledged by the transport", l),
        registry.GetGauge("vimur_source_lag_ms",
                          "Milliseconds from the commit at the source to the transport's "
                          "acknowledgement, of the last transaction acknowledged",
                          l),
        registry.GetHistogram("vimur_source_ack_lag_ms",
                              "Milliseconds from the commit at the source to the transport's "
                              "acknowledgement, per transaction",
                              l, LagBucketsMs()),
        registry.GetGauge("vimur_source_up",
                          "1 while the source streams or takes a snapshot, 0 while it "
                          "reconnects, restarts or is stopped",
                          l),
        registry.GetCounter("vimur_source_reconnects_total",
                            "Reconnections to the database after a lost connection", l),
        registry.GetCounter("vimur_source_restarts_total",
                            "Restarts of the source by the pipeline after a failure", l),
        registry.GetInfo("vimur_source_position_info",
                         "The last position stored for the source (where a restart resumes)", l,
                         "position"),
        registry.GetGauge("vimur_source_retained_bytes",
                          "Bytes of change log (binlog, WAL) the server keeps from the source's "
                          "resume point on, measured every minute",
                          l),
        registry.GetGauge("vimur_source_retained_binlog_files",
                          "MariaDB/MySQL: binlog files from the one holding the resume point to "
                          "the newest, measured every minute",
                          l),
    };
  });
}

SinkProbe& SinkProbe::For(const std::string& name, Registry& registry) {
  static ProbeCache<SinkProbe> cache;
  return cache.Get(registry, name, [&] {
    const Labels l = {{"sink", name}};
    return SinkProbe{
        registry.GetCounter("vimur_sink_records_total",
                            "Records applied to the sink's target and acknowledged", l),
        registry.GetCounter("vimur_sink_batches_total", "Batches applied to the sink's target", l),
        registry.GetGauge("vimur_sink_lag_ms",
                          "Milliseconds from the source commit of the newest record applied to "
                          "when the target confirmed it, at the last batch",
                          l),
        registry.GetCounter("vimur_sink_retries_total",
                            "Retries of a batch while the target refused it for a while", l),
        registry.GetCounter("vimur_sink_dead_lettered_total",
                            "Records given up and written to the dead-letter topic", l),
        registry.GetGauge("vimur_sink_up",
                          "1 while the sink applies records, 0 while it retries or is stopped", l),
    };
  });
}

SnapshotProbe& SnapshotProbe::For(const std::string& source, const std::string& table,
                                  Registry& registry) {
  static ProbeCache<SnapshotProbe> cache;
  return cache.Get(registry, source + '\n' + table, [&] {
    const Labels l = {{"source", source}, {"table", table}};
    return SnapshotProbe{
        registry.GetCounter("vimur_snapshot_rows_total",
                            "Rows of the table read by snapshots (initial and incremental)", l),
        registry.GetGauge("vimur_snapshot_rows_estimate",
                          "The server's estimate of the table's rows when its snapshot started", l),
        registry.GetGauge("vimur_snapshot_rows_remaining",
                          "Estimated rows left of the table's snapshot in progress; 0 once done",
                          l),
        registry.GetGauge("vimur_snapshot_running", "1 while a snapshot reads the table", l),
    };
  });
}

void SnapshotProbe::Started(uint64_t estimated_rows) {
  estimate.Set(static_cast<double>(estimated_rows));
  remaining.Set(static_cast<double>(estimated_rows));
  running.Set(1);
}

void SnapshotProbe::Read(uint64_t n) {
  rows.Add(n);
  const double left = remaining.value() - static_cast<double>(n);  // one writer per table
  remaining.Set(left > 0 ? left : 0);
}

void SnapshotProbe::Finished() {
  remaining.Set(0);
  running.Set(0);
}

Gauge& QueueBytes(Registry& registry) {
  return registry.GetGauge("vimur_capture_queue_bytes",
                           "Bytes captured from the sources and not yet published", {});
}

void RegisterProcessMetrics(Registry& registry) {
  registry.AddComputed("process_cpu_seconds_total", "User and system CPU time of the process", {},
                       true, [] {
                         double cpu = 0, rss = 0, start = 0;
                         return ReadStat(&cpu, &rss, &start) ? cpu : 0.0;
                       });
  registry.AddComputed("process_resident_memory_bytes", "Resident memory of the process", {}, false,
                       [] {
                         double cpu = 0, rss = 0, start = 0;
                         return ReadStat(&cpu, &rss, &start) ? rss : 0.0;
                       });
  double cpu = 0, rss = 0, start_ticks = 0;
  if (ReadStat(&cpu, &rss, &start_ticks)) {
    const double started =
        BootTimeSeconds() + start_ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
    registry.AddComputed("process_start_time_seconds", "When the process started, Unix seconds", {},
                         false, [started] { return started; });
  }
  registry.GetInfo("vimur_build_info", "The running Vimur's version", {}, "version")
      .Set(VIMUR_VERSION);
}

}  // namespace vimur::metrics
