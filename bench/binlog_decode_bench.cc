// Offline capture benchmark: decodes a captured binlog (a file, or a directory of binlog files)
// and compares the rate with merely reading the same bytes, measured in the same run.
//
//   binlog_decode_bench PATH [--runs N] [--expect ROWS] [--no-json]
//
// Phase A (the limit): read every event with BinlogFileReader, summing its bytes.
// Phase B: A plus frame, parse and decode every event with BinlogTransactionAssembler; the
//          consumer only counts rows.
// Phase C: B plus Debezium JSON serialization (key and value) of every row into reused strings.
// N rounds (default 3) run A, B and C in turn; the best run of each phase is reported.
// Aim: >= 2 M rows/s in phase B.
// Run pinned to one core: taskset -c 1 build/.../binlog_decode_bench DIR
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "format/debezium_json.h"
#include "source/mysql/binlog_file_reader.h"
#include "source/mysql/mysql_source.h"

namespace {

using Clock = std::chrono::steady_clock;

struct PhaseResult {
  double seconds = 0;
  uint64_t events = 0;
  uint64_t bytes = 0;
  uint64_t rows = 0;
  uint64_t checksum = 0;  // phase A: sum over the bytes, so that they must be read
  uint64_t json_bytes = 0;
};

// Binlog files in `path` (mysql-bin.000001, ...) in name order, or `path` itself.
std::vector<std::string> BinlogFiles(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  if (!fs::is_directory(path)) return {path};
  for (const auto& entry : fs::directory_iterator(path)) {
    const std::string name = entry.path().filename().string();
    const size_t dot = name.rfind('.');
    if (!entry.is_regular_file() || dot == std::string::npos || dot + 1 == name.size()) continue;
    if (name.find_first_not_of("0123456789", dot + 1) != std::string::npos) continue;
    files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Calls `on_event` with every event of every file; false on a read error (printed).
bool ForEachEvent(const std::vector<std::string>& files,
                  const std::function<bool(std::string_view)>& on_event) {
  for (const auto& file : files) {
    auto reader = vimur::mysql::BinlogFileReader::Open(file);
    if (!reader.ok()) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), reader.status().ToString().c_str());
      return false;
    }
    while (true) {
      auto next = (*reader)->Next();
      if (!next.ok()) {
        std::fprintf(stderr, "%s: %s\n", file.c_str(), next.status().ToString().c_str());
        return false;
      }
      if (!next->has_value()) break;
      if (!on_event(**next)) return false;
    }
  }
  return true;
}

// Sums the event's bytes 8 at a time (a cheap checksum that touches every byte).
inline uint64_t SumBytes(std::string_view bytes) {
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    sum += word;
  }
  for (; i < bytes.size(); ++i) sum += static_cast<unsigned char>(bytes[i]);
  return sum;
}

bool RunRead(const std::vector<std::string>& files, PhaseResult* r) {
  return ForEachEvent(files, [&](std::string_view bytes) {
    ++r->events;
    r->bytes += bytes.size();
    r->checksum += SumBytes(bytes);
    return true;
  });
}

bool RunDecode(const std::vector<std::string>& files, bool json, PhaseResult* r) {
  vimur::SourceConfig config;
  config.name = "bench";
  config.type = "mysql";
  config.topic_prefix = "bench";
  vimur::mysql::BinlogTransactionAssembler assembler(config,
                                                     vimur::mysql::ChecksumAlgorithm::kUndefined);
  vimur::Position start;
  start.file = std::filesystem::path(files.front()).filename().string();
  start.pos = 4;
  if (auto s = assembler.Reset(start); !s.ok()) {
    std::fprintf(stderr, "reset: %s\n", s.ToString().c_str());
    return false;
  }
  vimur::JsonFormatOptions options;
  options.topic_prefix = "bench";
  vimur::DebeziumJsonSerializer serializer(options);
  std::string key;
  std::string value;
  vimur::TransactionConsumer consume = [&](vimur::Transaction&& txn) {
    r->rows += txn.events.size();
    if (json) {
      for (const auto& ev : txn.events) {
        key.clear();
        value.clear();
        serializer.SerializeKey(ev, &key);
        serializer.SerializeValue(ev, 1700000000000, &value);
        r->json_bytes += key.size() + value.size();
      }
    }
    return true;
  };
  bool stopped = false;
  return ForEachEvent(files, [&](std::string_view bytes) {
    ++r->events;
    r->bytes += bytes.size();
    auto s = assembler.Process(bytes, consume, &stopped);
    if (!s.ok()) {
      std::fprintf(stderr, "event %llu: %s\n", static_cast<unsigned long long>(r->events),
                   s.ToString().c_str());
      return false;
    }
    return true;
  });
}

// Times one run of `phase` and keeps it in `best` when it is the fastest so far.
bool TimeBest(int round, const std::function<bool(PhaseResult*)>& phase, PhaseResult* best) {
  PhaseResult r;
  const auto t0 = Clock::now();
  if (!phase(&r)) return false;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (round == 0 || r.seconds < best->seconds) *best = r;
  return true;
}

void Print(const char* name, const PhaseResult& r, uint64_t rows, const PhaseResult& limit) {
  const double mb_s = static_cast<double>(r.bytes) / 1e6 / r.seconds;
  const double limit_mb_s = static_cast<double>(limit.bytes) / 1e6 / limit.seconds;
  std::printf("%-26s %8.3f s  %7.2f M rows/s  %8.2f M events/s  %8.1f MB/s  %6.1f%% of A\n", name,
              r.seconds, static_cast<double>(rows) / 1e6 / r.seconds,
              static_cast<double>(r.events) / 1e6 / r.seconds, mb_s, 100.0 * mb_s / limit_mb_s);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s BINLOG_FILE_OR_DIR [--runs N] [--expect ROWS] [--no-json]\n",
                 argv[0]);
    return 2;
  }
  int runs = 3;
  long long expect = -1;
  bool json = true;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--expect" && i + 1 < argc) {
      expect = std::atoll(argv[++i]);
    } else if (arg == "--no-json") {
      json = false;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  const std::vector<std::string> files = BinlogFiles(argv[1]);
  if (files.empty()) {
    std::fprintf(stderr, "no binlog files in %s\n", argv[1]);
    return 2;
  }

  PhaseResult read;
  PhaseResult decode;
  PhaseResult serialize;
  const auto phase_a = [&](PhaseResult* r) { return RunRead(files, r); };
  const auto phase_b = [&](PhaseResult* r) { return RunDecode(files, false, r); };
  const auto phase_c = [&](PhaseResult* r) { return RunDecode(files, true, r); };
  // Rounds of A, B, C so that each phase sees the same share of a shared machine's noise.
  for (int round = 0; round < runs; ++round) {
    if (!TimeBest(round, phase_a, &read) || !TimeBest(round, phase_b, &decode) ||
        (json && !TimeBest(round, phase_c, &serialize))) {
      return 1;
    }
  }

  const uint64_t rows = decode.rows;
  std::printf("binlog: %zu file(s), %.1f MB, %llu events, %llu row changes (checksum %016llx)\n",
              files.size(), static_cast<double>(read.bytes) / 1e6,
              static_cast<unsigned long long>(read.events), static_cast<unsigned long long>(rows),
              static_cast<unsigned long long>(read.checksum));
  std::printf(
      "best of %d runs per phase; rows/s counts row changes (ChangeEvents), events/s "
      "binlog events\n",
      runs);
  Print("A read (limit)", read, rows, read);
  Print("B frame+parse+decode", decode, rows, read);
  if (json) {
    Print("C B + Debezium JSON", serialize, rows, read);
    std::printf("JSON output: %.1f MB (%.0f bytes/row)\n",
                static_cast<double>(serialize.json_bytes) / 1e6,
                static_cast<double>(serialize.json_bytes) / static_cast<double>(rows));
  }
  if (json && serialize.rows != rows) {
    std::fprintf(stderr, "phase C decoded %llu rows, phase B %llu\n",
                 static_cast<unsigned long long>(serialize.rows),
                 static_cast<unsigned long long>(rows));
    return 1;
  }
  if (expect >= 0 && rows != static_cast<uint64_t>(expect)) {
    std::fprintf(stderr, "decoded %llu row changes, expected %lld\n",
                 static_cast<unsigned long long>(rows), expect);
    return 1;
  }
  return 0;
}
