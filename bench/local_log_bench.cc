// Benchmarks appends to the embedded local log (LocalTransport, fsync: batch) next to the
// disk's sequential write bandwidth measured in the same run: `dd conv=fdatasync` of the same
// byte count into the same directory. Records are shaped like the benchmark binlog's events
// (bench/RESULTS.md): 1,150,000 by default, ~520-byte JSON values, 1,000 per transaction.
//   local_log_bench DIR [records] [values_bytes] [per_transaction]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>

#include "core/logging.h"
#include "transport/local/local_transport.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vimur;
  if (argc < 2) {
    std::fprintf(stderr, "usage: local_log_bench DIR [records] [value_bytes] [per_transaction]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const long records = argc > 2 ? std::atol(argv[2]) : 1150000;
  const size_t value_bytes = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 520;
  const long per_txn = argc > 4 ? std::atol(argv[4]) : 1000;
  SetLogLevel(LogLevel::kWarn);
  std::filesystem::remove_all(dir + "/log");
  std::filesystem::create_directories(dir);

  local::LocalLogOptions o;
  o.dir = dir + "/log";
  o.partitions = 3;
  o.fsync = local::FsyncPolicy::kBatch;
  o.retention_ms = 0;
  local::LocalTransport transport(o);
  if (Status s = transport.Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  std::string value(value_bytes, 'x');
  value.front() = '{';
  value.back() = '}';
  uint64_t bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  std::promise<Status> last;
  for (long done = 0, txn = 0; done < records; ++txn) {
    OutgoingBatch batch;
    batch.source_name = "bench";
    for (long i = 0; i < per_txn && done < records; ++i, ++done) {
      const std::string key = "{\"id\":" + std::to_string(done) + "}";
      batch.Add("bench.bench.orders", key, value);
      bytes += key.size() + value.size();
    }
    Position end;
    end.file = "bench-bin.000001";
    end.pos = static_cast<uint64_t>(txn);
    batch.end = end;
    const bool final = done >= records;
    Status s = transport.Send(std::move(batch), [&last, final](const Status& st) {
      if (final) last.set_value(st);
    });
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
  }
  Status acked = last.get_future().get();
  const double log_s = Seconds(start);
  if (!acked.ok()) {
    std::fprintf(stderr, "%s\n", acked.message().c_str());
    return 1;
  }
  uint64_t on_disk = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/log")) {
    if (e.is_regular_file()) on_disk += e.file_size();
  }
  // The disk's limit, now: the same byte count, sequential, synced once at the end.
  const std::string dd = "dd if=/dev/zero of=" + dir +
                         "/dd.bin bs=1M count=" + std::to_string((on_disk >> 20) + 1) +
                         " conv=fdatasync 2>/dev/null";
  const auto dd_start = std::chrono::steady_clock::now();
  if (std::system(dd.c_str()) != 0) {
    std::fprintf(stderr, "dd failed: %s\n", dd.c_str());
    return 1;
  }
  const double dd_s = Seconds(dd_start);
  std::filesystem::remove(dir + "/dd.bin");
  const double dd_mb = static_cast<double>(((on_disk >> 20) + 1) << 20) / 1e6;
  std::printf(
      "local log, fsync: batch: %ld records in %.2f s: %.0f events/s, %.1f MB/s of "
      "records (%.1f MB/s on disk with framing)\n",
      records, log_s, records / log_s, bytes / 1e6 / log_s, on_disk / 1e6 / log_s);
  std::printf("dd conv=fdatasync, %.1f MB: %.2f s: %.1f MB/s; local log / dd = %.2f\n", dd_mb, dd_s,
              dd_mb / dd_s, (on_disk / 1e6 / log_s) / (dd_mb / dd_s));
  return 0;
}
