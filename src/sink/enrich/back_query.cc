#include "sink/enrich/back_query.h"

namespace vimur::sink {

Result<std::vector<std::pair<std::string, std::string>>> BackQuery::ParseTemplate(
    const std::string& query) {
  std::vector<std::pair<std::string, std::string>> parts;
  std::string literal;
  for (size_t i = 0; i < query.size();) {
    if (query.compare(i, 2, "${") != 0) {
      literal += query[i++];
      continue;
    }
    const size_t close = query.find('}', i + 2);
    if (close == std::string::npos) {
      return Status::InvalidArgument("'${' at position " + std::to_string(i) +
                                     " has no closing '}'");
    }
    std::string column = query.substr(i + 2, close - i - 2);
    if (column.empty()) {
      return Status::InvalidArgument("empty '${}' at position " + std::to_string(i) +
                                     "; name a column of the row, e.g. ${user_id}");
    }
    parts.emplace_back(std::move(literal), std::move(column));
    literal.clear();
    i = close + 1;
  }
  parts.emplace_back(std::move(literal), "");
  if (parts.size() == 1) {
    return Status::InvalidArgument("the query uses no ${column} of the row");
  }
  return parts;
}

Result<std::unique_ptr<BackQuery>> BackQuery::Make(const SinkEnrichConfig& config,
                                                   const std::string& sink_name,
                                                   const std::string& what) {
  const std::string where = "sink " + sink_name + ": " + what + " " + config.name;
  auto parts = ParseTemplate(config.query);
  if (!parts.ok()) return parts.status().WithContext(where + ": query");
  auto url = ParseDatabaseUrl(config.url);
  if (!url.ok()) return url.status().WithContext(where + ": url");
  return std::make_unique<BackQuery>(config, where, std::move(parts).value(), MakeConnection(*url));
}

BackQuery::BackQuery(const SinkEnrichConfig& config, std::string where,
                     std::vector<std::pair<std::string, std::string>> parts,
                     std::unique_ptr<SqlConnection> connection)
    : config_(config),
      where_(std::move(where)),
      parts_(std::move(parts)),
      connection_(std::move(connection)) {}

Result<BackQuery::Answer> BackQuery::Lookup(const Row& row, Clock::time_point now) {
  VIMUR_ASSIGN_OR_RETURN(std::vector<Answer> rows, LookupAll(row, now));
  if (rows.empty()) return Answer(config_.columns.size());
  return std::move(rows.front());
}

Result<std::vector<BackQuery::Answer>> BackQuery::LookupAll(const Row& row, Clock::time_point now) {
  std::string key;
  std::vector<const SqlValue*> values;
  for (const auto& [literal, column] : parts_) {
    if (column.empty()) continue;
    const SqlValue* v = row.Find(column);
    if (v == nullptr) {
      return Status::InvalidArgument(where_ + ": the row has no column '" + column +
                                     "' that the query names; fix `query`");
    }
    if (v->is_null()) return std::vector<Answer>();
    if (!values.empty()) key += '|';
    key += v->text;
    values.push_back(v);
  }
  if (auto it = cache_.find(key); it != cache_.end()) {
    if (now < it->second.expires) return it->second.rows;
    cache_.erase(it);
  }
  if (!connected_) {
    Status s = connection_->Connect();
    if (!s.ok()) return Status::Unavailable(where_ + ": " + s.message());
    connected_ = true;
  }
  std::string sql;
  size_t next = 0;
  for (const auto& [literal, column] : parts_) {
    sql += literal;
    if (!column.empty()) sql += connection_->Literal(*values[next++]);
  }
  ++queries_;
  auto rows = connection_->Query(sql);
  if (!rows.ok()) {
    if (rows.status().retriable()) {
      connection_->Disconnect();
      connected_ = false;
      return Status::Unavailable(where_ + ": " + rows.status().message());
    }
    return Status::FailedPrecondition(where_ + ": " + rows.status().message() +
                                      "; fix `query` (it ran as: " + sql.substr(0, 300) + ")");
  }
  for (const TextRow& r : *rows) {
    if (r.size() != config_.columns.size()) {
      return Status::FailedPrecondition(where_ + ": the query returns " + std::to_string(r.size()) +
                                        " columns but `columns` names " +
                                        std::to_string(config_.columns.size()) +
                                        "; make them agree");
    }
  }
  if (config_.ttl_ms > 0 && config_.cache_max_entries > 0) Remember(key, *rows, now);
  return std::move(rows).value();
}

void BackQuery::Remember(const std::string& key, std::vector<Answer> rows, Clock::time_point now) {
  while (cache_.size() >= static_cast<size_t>(config_.cache_max_entries) && !order_.empty()) {
    auto [oldest, sequence] = order_.front();
    order_.pop_front();
    auto it = cache_.find(oldest);
    if (it != cache_.end() && it->second.sequence == sequence) cache_.erase(it);
  }
  const uint64_t sequence = ++sequence_;
  cache_[key] = Entry{std::move(rows), now + std::chrono::milliseconds(config_.ttl_ms), sequence};
  order_.emplace_back(key, sequence);
  // Entries replaced or dropped leave stale places in the order; keep it bounded too.
  if (order_.size() > 2 * static_cast<size_t>(config_.cache_max_entries) + 16) {
    std::deque<std::pair<std::string, uint64_t>> live;
    for (auto& [k, seq] : order_) {
      auto it = cache_.find(k);
      if (it != cache_.end() && it->second.sequence == seq) live.emplace_back(std::move(k), seq);
    }
    order_ = std::move(live);
  }
}

void BackQuery::Invalidate(const std::string& key) { cache_.erase(key); }

}  // namespace vimur::sink
