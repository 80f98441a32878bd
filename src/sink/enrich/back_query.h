// BackQuery: an enrichment's SELECT against a database, `${column}` replaced by the row's value
// as a SQL literal; answers cached for `ttl_ms` and dropped when the queried row changes.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "sink/sql/sql_connection.h"
#include "sink/sql/sql_value.h"

namespace vimur::sink {

class BackQuery {
 public:
  using Answer = std::vector<std::optional<std::string>>;  // one per `columns`; NULL: nullopt
  using Clock = std::chrono::steady_clock;

  // Parses the query's template and the database URL; connects on the first lookup.
  // `what` names it in errors: "sink SINK: WHAT NAME".
  static Result<std::unique_ptr<BackQuery>> Make(const SinkEnrichConfig& config,
                                                 const std::string& sink_name,
                                                 const std::string& what = "enrich");
  // For tests: answers come from `connection` (already connected or connecting on demand).
  BackQuery(const SinkEnrichConfig& config, std::string where,
            std::vector<std::pair<std::string, std::string>> parts,
            std::unique_ptr<SqlConnection> connection);

  // The answer for `row`: cached, or queried now (the first row the database returns; none:
  // all nulls; a NULL in a `${column}`: all nulls without a query). kUnavailable when the
  // database cannot be reached (the caller retries); other errors name the enrichment.
  Result<Answer> Lookup(const Row& row, Clock::time_point now = Clock::now());
  // Every row the database returns for `row` (cached the same way); none for a NULL.
  Result<std::vector<Answer>> LookupAll(const Row& row, Clock::time_point now = Clock::now());
  // The queried table's row whose key values, joined by '|', are `key` changed: its cached
  // answer is dropped.
  void Invalidate(const std::string& key);

  size_t cached() const { return cache_.size(); }
  uint64_t queries() const { return queries_; }

  // Splits "a ${x} b ${y}" into {"a ", "x"}, {" b ", "y"}, {"", ""}: literal text, then the
  // column whose value follows it (empty after the last literal).
  static Result<std::vector<std::pair<std::string, std::string>>> ParseTemplate(
      const std::string& query);

 private:
  struct Entry {
    std::vector<Answer> rows;
    Clock::time_point expires;
    uint64_t sequence = 0;
  };
  void Remember(const std::string& key, std::vector<Answer> rows, Clock::time_point now);

  SinkEnrichConfig config_;
  std::string where_;  // "sink NAME: enrich NAME"
  std::vector<std::pair<std::string, std::string>> parts_;
  std::unique_ptr<SqlConnection> connection_;
  bool connected_ = false;
  std::unordered_map<std::string, Entry> cache_;
  std::deque<std::pair<std::string, uint64_t>> order_;  // oldest first, for eviction
  uint64_t sequence_ = 0;
  uint64_t queries_ = 0;
};

}  // namespace vimur::sink
