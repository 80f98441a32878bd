// Verifier: `vimur verify` — compares every source table a sql sink reads with its targets,
// through the sink's own routes, and optionally repairs the targets from the source.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"

namespace vimur::sink {

struct VerifyOptions {
  bool repair = false;
  int show = 10;          // differing keys printed at most
  int chunk_rows = 2000;  // rows read per chunk
  int recheck_s = 10;     // how long differences are re-checked (the sink may catch up)
  bool progress = false;  // a progress line on stderr
};

struct VerifyReport {
  size_t tables = 0;  // source tables compared
  size_t source_rows = 0;
  size_t target_rows = 0;
  size_t target_tables = 0;  // target tables read
  size_t chunks = 0;
  size_t checksummed = 0;          // key ranges found equal by their checksums alone
  size_t missing = 0;              // in the source, not in the target
  size_t extra = 0;                // in the target, not in the source
  size_t different = 0;            // in both, with other values
  size_t repaired = 0;             // rows written or deleted by --repair
  std::vector<std::string> shown;  // up to `show` differences, described
  size_t differences() const { return missing + extra + different; }
};

// Compares the sink named `sink` of `config` with its sources. An error (a database that
// cannot be read, a table without a primary key) is returned as a Status.
Result<VerifyReport> Verify(const PipelineConfig& config, const SinkConfig& sink,
                            const VerifyOptions& options);

// Canonical text of a value for comparing across database kinds ("12.50" and "12.5",
// "2024-01-01 10:00:00.000000" and "2024-01-01 10:00:00", JSON key order, ...). `kind` is
// the class of the source column (sql_value_class in verifier.cc); public for tests.
enum class ValueClass {
  kInt,
  kDecimal,
  kFloat,
  kDouble,
  kDateTime,
  kTime,
  kDate,
  kBinary,
  kJson,
  kArray,  // a PostgreSQL array (`{1,"a b",NULL}`), or the JSON array a MariaDB target holds
  kText
};
ValueClass ClassOfSourceType(const std::string& data_type, const std::string& column_type);
std::string Canonical(ValueClass c, const std::optional<std::string>& text);

}  // namespace vimur::sink
