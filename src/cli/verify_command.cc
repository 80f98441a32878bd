// vimur verify: compares a sql sink's targets with its sources, optionally repairing them.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/commands.h"
#include "core/config.h"
#include "core/logging.h"
#include "sink/sql/verifier.h"

namespace vimur::cli {
namespace {

constexpr const char* kVerifyUsage =
    R"(Usage: vimur verify --config FILE --sink NAME [--repair] [--show N] [--recheck-s S]
                    [--chunk-rows R]

Compares every source table that sink NAME reads with its target tables, through the sink's
own routes and mapping (target, table, columns, add_columns, key; rows outside its filter must
be absent): chunk by chunk in primary-key order, values compared by meaning across database
kinds (decimal scale, time precision, JSON key order, binary bytes). A copy keyed by integers
is read side by side with its source by key range; between databases of one kind, ranges
are checksummed inside both first and their rows read only where the checksums differ
(docs/sinks.md). Prints a summary and up to N differing keys (default 10) with what differs.
Differences are looked at again for up to S seconds (default 10) in case the sink is still
catching up. Tables are read R rows at a time (default 2000).

  --repair   write the source's rows into the targets where they differ or are missing,
             delete rows the source does not have, then verify again

Exit status: 0 identical, 1 differences, 2 error (configuration, connection, no key).
)";

}  // namespace

int VerifyCommand(const std::vector<std::string>& args) {
  std::string config_path, sink_name;
  sink::VerifyOptions options;
  options.progress = isatty(STDERR_FILENO) != 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* flag) -> const std::string* {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "vimur verify: %s needs a value\n\n%s", flag, kVerifyUsage);
        return nullptr;
      }
      return &args[++i];
    };
    auto number = [&](const char* flag, int* out) {
      const std::string* v = value(flag);
      if (v == nullptr) return false;
      char* end = nullptr;
      long n = std::strtol(v->c_str(), &end, 10);
      if (v->empty() || *end != '\0' || n < 0 || n > 1000000000) {
        std::fprintf(stderr, "vimur verify: %s takes a number, not '%s'\n", flag, v->c_str());
        return false;
      }
      *out = static_cast<int>(n);
      return true;
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kVerifyUsage, stdout);
      return 0;
    } else if (a == "--config" || a == "-c") {
      const std::string* v = value("--config");
      if (v == nullptr) return 2;
      config_path = *v;
    } else if (a == "--sink") {
      const std::string* v = value("--sink");
      if (v == nullptr) return 2;
      sink_name = *v;
    } else if (a == "--repair") {
      options.repair = true;
    } else if (a == "--show") {
      if (!number("--show", &options.show)) return 2;
    } else if (a == "--chunk-rows") {
      if (!number("--chunk-rows", &options.chunk_rows)) return 2;
      if (options.chunk_rows < 1) {
        std::fprintf(stderr, "vimur verify: --chunk-rows must be at least 1\n");
        return 2;
      }
    } else if (a == "--recheck-s") {
      if (!number("--recheck-s", &options.recheck_s)) return 2;
    } else {
      std::fprintf(stderr, "vimur verify: unknown argument '%s'\n\n%s", a.c_str(), kVerifyUsage);
      return 2;
    }
  }
  if (config_path.empty() || sink_name.empty()) {
    std::fprintf(stderr, "vimur verify: --config FILE and --sink NAME are required\n\n%s",
                 kVerifyUsage);
    return 2;
  }
  auto config = LoadConfigFile(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "vimur verify: %s\n", config.status().message().c_str());
    return 2;
  }
  LogLevel level;
  if (ParseLogLevel(config->log_level, &level)) SetLogLevel(level);
  const SinkConfig* sink = nullptr;
  std::string names;
  for (const SinkConfig& s : config->sinks) {
    names += (names.empty() ? "" : ", ") + s.name;
    if (s.name == sink_name) sink = &s;
  }
  if (sink == nullptr) {
    std::fprintf(stderr, "vimur verify: %s has no sink named '%s' (its sinks: %s)\n",
                 config_path.c_str(), sink_name.c_str(), names.empty() ? "none" : names.c_str());
    return 2;
  }
  if (sink->type != "sql") {
    std::fprintf(stderr, "vimur verify: sink %s is of type %s; only sql sinks can be verified\n",
                 sink_name.c_str(), sink->type.c_str());
    return 2;
  }
  auto report = sink::Verify(*config, *sink, options);
  if (!report.ok()) {
    std::fprintf(stderr, "vimur verify: %s\n", report.status().message().c_str());
    return 2;
  }
  const sink::VerifyReport& r = *report;
  std::printf(
      "sink %s: %zu source table(s), %zu source row(s); %zu target table(s), %zu target row(s); "
      "%zu chunk(s), %zu key range(s) equal by checksum\n",
      sink_name.c_str(), r.tables, r.source_rows, r.target_tables, r.target_rows, r.chunks,
      r.checksummed);
  if (r.repaired > 0) std::printf("repaired %zu row(s) from the source\n", r.repaired);
  for (const std::string& line : r.shown) std::printf("  %s\n", line.c_str());
  if (r.differences() == 0) {
    std::printf("identical\n");
    return 0;
  }
  std::printf("%zu difference(s): %zu missing, %zu extra, %zu differing\n", r.differences(),
              r.missing, r.extra, r.different);
  return 1;
}

}  // namespace vimur::cli
