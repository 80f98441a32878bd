#include "sink/sql/verifier.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/logging.h"
#include "core/regex_pattern.h"
#include "sink/sql/chunk_checksum.h"
#include "sink/sql/router.h"
#include "sink/sql/sql_connection.h"
#include "sink/sql/target_writer.h"

namespace vimur::sink {
namespace {

using Clock = std::chrono::steady_clock;

bool MatchesAny(const std::vector<std::string>& regexes, const std::string& text) {
  return RegexList(regexes).AnyMatches(text);
}

SqlValue AsValue(ValueClass c, const std::optional<std::string>& text) {
  if (!text) return SqlValue::Null();
  switch (c) {
    case ValueClass::kInt:
    case ValueClass::kDecimal:
    case ValueClass::kFloat:
    case ValueClass::kDouble: return SqlValue::Number(*text);
    case ValueClass::kBinary: return SqlValue::Bytes(*text);
    case ValueClass::kDateTime:
    case ValueClass::kTime:
    case ValueClass::kDate:
    case ValueClass::kJson:
    case ValueClass::kArray:  // PostgreSQL's text form, which a PostgreSQL target reads
    case ValueClass::kText: return SqlValue::Text(*text);
  }
  return SqlValue::Text(*text);
}

std::string StripFraction(std::string s) {
  size_t dot = s.find('.');
  if (dot == std::string::npos) return s;
  size_t end = s.size();
  while (end > dot + 1 && s[end - 1] == '0') --end;
  if (end == dot + 1) end = dot;
  return s.substr(0, end);
}

// An array's elements as a JSON array of their texts (numbers without trailing fraction zeros,
// booleans as t/f), from PostgreSQL's text form or from JSON; the text itself when it is neither.
std::string CanonicalArray(const std::string& s) {
  nlohmann::json out = nlohmann::json::array();
  auto element = [](std::string text) -> nlohmann::json {
    const bool number =
        !text.empty() && text.find_first_not_of("-+0123456789.") == std::string::npos;
    return number ? StripFraction(std::move(text)) : text;
  };
  // `[0:2]={...}` (an array with other bounds) is not JSON; `[...]` is.
  if (auto j = nlohmann::json::parse(s, nullptr, false); !j.is_discarded() && j.is_array()) {
    for (const auto& e : j) {
      if (e.is_null()) {
        out.push_back(nullptr);
      } else if (e.is_boolean()) {
        out.push_back(e.get<bool>() ? "t" : "f");
      } else {
        out.push_back(element(e.is_string() ? e.get<std::string>() : e.dump()));
      }
    }
    return out.dump();
  }
  size_t p = s.find('{');
  if (p == std::string::npos || s.back() != '}') return s;
  ++p;
  const size_t end = s.size() - 1;
  while (p < end) {
    std::string text;
    bool quoted = s[p] == '"';
    if (quoted) {
      for (++p; p < end && s[p] != '"'; ++p) {
        if (s[p] == '\\' && p + 1 < end) ++p;
        text += s[p];
      }
      ++p;
    } else {
      while (p < end && s[p] != ',') text += s[p++];
    }
    if (!quoted && text == "NULL") {
      out.push_back(nullptr);
    } else {
      out.push_back(element(std::move(text)));
    }
    if (p < end && s[p] == ',') ++p;
  }
  return out.dump();
}

std::string Hex(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

struct SourceTable {
  const SourceConfig* source = nullptr;
  std::string db, table, topic;
  std::vector<std::string> columns;
  std::vector<std::string> selects;  // per column: the expression read (its name, or a cast)
  std::vector<ValueClass> classes;
  std::vector<std::string> data_types;  // per column, lower case
  std::vector<std::string> pk;
  uint64_t estimate = 0;  // the server's row estimate (for the progress line)
  // The one target table every row goes to, when no other source table goes there too.
  std::optional<std::pair<std::string, std::string>> fixed;
};

// (The loader reads the alias `postgres` as `postgresql`.)
bool IsPostgres(const SourceConfig& s) { return s.type == "postgresql"; }

// What a source column is read as: most by name; PostgreSQL money as numeric (its text has a
// currency symbol and grouping) and interval as Debezium's MicroDuration (a month 30.4375
// days), the forms the sink writes.
std::pair<std::string, ValueClass> SourceSelect(SqlConnection& conn, const std::string& column,
                                                const std::string& data_type,
                                                const std::string& column_type) {
  const std::string name = conn.Name(column);
  if (data_type == "money") return {name + "::numeric", ValueClass::kDecimal};
  if (data_type == "interval") {
    return {"((EXTRACT(YEAR FROM " + name + ") * 12 + EXTRACT(MONTH FROM " + name +
                ")) * 2629800000000 + EXTRACT(DAY FROM " + name + ") * 86400000000 + " +
                "EXTRACT(HOUR FROM " + name + ") * 3600000000 + EXTRACT(MINUTE FROM " + name +
                ") * 60000000 + EXTRACT(MICROSECONDS FROM " + name + "))::bigint",
            ValueClass::kInt};
  }
  return {name, ClassOfSourceType(data_type, column_type)};
}

// What the source says one place must hold.
struct Expected {
  Place place;
  Row row;
  std::vector<ValueClass> classes;  // per row column
  std::string source;               // "shop.orders {id=7}"
};

struct Difference {
  enum Kind { kMissing, kExtra, kDifferent } kind;
  std::string id;
  Place place;  // kExtra: the target's key
  std::string text;
};

// A connection to source `s`: MariaDB/MySQL with `db` as the default database, PostgreSQL to
// the captured database (where `db` is a schema).
DatabaseUrl SourceUrl(const SourceConfig& s, const std::string& db) {
  DatabaseUrl u;
  u.dialect = IsPostgres(s) ? Dialect::kPostgres : Dialect::kMariaDb;
  u.host = s.host;
  u.port = s.port;
  u.user = s.user;
  u.password = s.password;
  u.database = IsPostgres(s) ? (s.database.empty() ? s.user : s.database) : db;
  u.tls = s.tls.mode;
  u.tls_ca = s.tls.ca;
  u.tls_cert = s.tls.cert;
  u.tls_key = s.tls.key;
  return u;
}

// The catalog queries of each kind of source: base tables (schema, name); columns (name,
// lower-case data type, column type) and primary-key columns in order, of the table given as
// the literals of its schema and name.
struct SourceCatalog {
  const char* tables;
  const char* columns;
  const char* primary_key;
  const char* row_estimate;
};

const SourceCatalog& CatalogOf(const SourceConfig& s) {
  static const SourceCatalog kMariaDb{
      "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE "
      "TABLE' AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', "
      "'sys') ORDER BY 1, 2",
      "SELECT COLUMN_NAME, LOWER(DATA_TYPE), LOWER(COLUMN_TYPE) FROM information_schema.COLUMNS "
      "WHERE TABLE_SCHEMA = $1 AND TABLE_NAME = $2 ORDER BY ORDINAL_POSITION",
      "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = $1 AND "
      "TABLE_NAME = $2 AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
      "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = $1 AND TABLE_NAME = "
      "$2"};
  static const SourceCatalog kPostgres{
      "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE "
      "TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
      "SELECT column_name, LOWER(data_type), LOWER(udt_name) FROM information_schema.columns "
      "WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
      "SELECT k.column_name FROM information_schema.table_constraints c JOIN "
      "information_schema.key_column_usage k ON k.constraint_schema = c.constraint_schema AND "
      "k.constraint_name = c.constraint_name AND k.table_name = c.table_name WHERE "
      "c.constraint_type = 'PRIMARY KEY' AND c.table_schema = $1 AND c.table_name = $2 ORDER BY "
      "k.ordinal_position",
      "SELECT GREATEST(c.reltuples, 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = "
      "c.relnamespace WHERE n.nspname = $1 AND c.relname = $2"};
  return IsPostgres(s) ? kPostgres : kMariaDb;
}

// `sql` with $1 and $2 replaced by the literals of `a` and `b`.
std::string Bind(SqlConnection& c, std::string sql, const std::string& a, const std::string& b) {
  for (const auto& [marker, value] : {std::pair{"$1", &a}, std::pair{"$2", &b}}) {
    const std::string literal = c.Literal(SqlValue::Text(*value));
    for (size_t at = sql.find(marker); at != std::string::npos;
         at = sql.find(marker, at + literal.size())) {
      sql.replace(at, 2, literal);
    }
  }
  return sql;
}

std::string KeyList(SqlConnection& c, const std::vector<std::string>& key) {
  std::string out;
  for (const auto& k : key) out += (out.empty() ? "" : ", ") + c.Name(k);
  return out;
}

// `WHERE (k1, k2) > (v1, v2)` for keyset pagination; empty for the first chunk.
std::string After(SqlConnection& c, const std::vector<std::string>& key,
                  const std::vector<SqlValue>& last) {
  if (last.empty()) return "";
  std::string values;
  for (const auto& v : last) values += (values.empty() ? "" : ", ") + c.Literal(v);
  return " WHERE (" + KeyList(c, key) + ") > (" + values + ")";
}

// What one target table holds, as far as verify reads it: the compared columns (those the
// routed rows have), which of them the table has, their value classes and the key.
struct TargetTable {
  std::vector<std::string> columns;
  std::vector<ValueClass> classes;
  std::vector<bool> present;
  std::vector<std::string> key;
  std::vector<size_t> key_index;  // of the key columns in `columns`
  bool exists = false;
  bool integer_key = false;  // every key column is an integer
  bool ranged = false;       // read by key range with its source table (no scan for extra rows)
  std::unique_ptr<SqlConnection> conn;
};

// One comparison of every source table with its targets, in bounded memory: the source is
// read in key-ordered chunks; each chunk's rows are looked up by key in the target tables
// they route to (missing and different rows); a 64-bit hash of every place the source fills
// is kept (8 bytes per source row), and the target tables are then scanned by key alone for
// rows no source row goes to (extra rows). A source table that is copied as it is into one
// target table with its integer key is instead read side by side with it in key order and
// merged (ReadRanged), ranges checksummed inside both databases first when they are of one
// kind. Rows of differences are kept for --repair.
class Pass {
 public:
  Pass(const PipelineConfig& config, const SinkConfig& sink, const VerifyOptions& options,
       const Router& router, bool first)
      : config_(config), sink_(sink), options_(options), router_(router), first_(first) {}

  Status Run(VerifyReport* report, std::vector<Difference>* diffs,
             std::unordered_map<std::string, Expected>* repair_rows);

 private:
  Status ListTables(std::vector<SourceTable>* out);
  Status ReadSource(const SourceTable& t);
  // The row source row `r` of `t` must be, with its id; nullopt when it has no place and is
  // outside the filter (nothing to check). `*keep`: inside the filter.
  Result<std::optional<std::pair<std::string, Expected>>> MakeExpected(
      const SourceTable& t, const TextRow& r, const std::vector<size_t>& pk_index, bool* keep);
  // Reads `t` and its one target table by key range, merging both (missing, differing and extra
  // rows in one pass), with checksums per range where both are of one kind; false when `t`
  // does not qualify (its route or key), and nothing was read.
  Result<bool> ReadRanged(const SourceTable& t);
  // Merges the source and target rows with keys in (lo, hi] (from the start when `lo` is
  // empty, to the end without `hi`).
  Status MergeRange(const SourceTable& t, SqlConnection& source, TargetTable& target,
                    const std::vector<size_t>& pk_index,
                    const std::vector<std::optional<std::string>>& lo,
                    const std::optional<TextRow>& hi);
  // What differs between expected row `e` and target values `values` ("" when nothing).
  std::string Differs(const TargetTable& t, const Expected& e,
                      const std::vector<std::optional<std::string>>& values) const;
  // Compares one chunk's expected rows (and rows outside the filter) with the targets.
  Status CompareChunk(std::unordered_map<std::string, Expected>& expected,
                      std::unordered_map<std::string, Expected>& excluded);
  Result<TargetTable*> Target(const std::string& target, const std::string& table,
                              const Expected& sample);
  // Target rows of `table` no source row goes to.
  Status FindExtra(const std::pair<std::string, std::string>& place, TargetTable& t);
  // Reads a target row back into one value per compared column (absent ones as NULL).
  std::vector<std::optional<std::string>> Values(const TargetTable& t, const TextRow& r) const;
  std::string Id(const std::string& target, const std::string& table, const TargetTable& t,
                 const std::vector<std::optional<std::string>>& values) const;
  void Progress();

  const PipelineConfig& config_;
  const SinkConfig& sink_;
  const VerifyOptions& options_;
  const Router& router_;
  const bool first_;  // the first pass: warns about the settings
  std::map<std::pair<std::string, std::string>, TargetTable> targets_;  // (target, table)
  std::vector<uint64_t> filled_;    // hashes of the places source rows fill
  std::vector<uint64_t> excluded_;  // hashes of the places of rows outside the filter
  std::vector<Difference> diffs_;
  std::unordered_map<std::string, Expected> repair_rows_;  // by id, for differences only
  VerifyReport report_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_progress_;
  uint64_t estimated_rows_ = 0;  // of the source tables, by the servers' estimates
};

void Pass::Progress() {
  if (!options_.progress) return;
  auto now = Clock::now();
  if (now - last_progress_ < std::chrono::milliseconds(200)) return;
  last_progress_ = now;
  double s = std::chrono::duration<double>(now - start_).count();
  size_t rows = report_.source_rows + report_.target_rows;
  // While source rows are read: the time left for them at the rate so far, from the servers'
  // row estimates (the target tables' key scan for extra rows follows).
  std::string left;
  const double source_rate = s > 0 ? static_cast<double>(report_.source_rows) / s : 0.0;
  if (source_rate > 0 && estimated_rows_ > report_.source_rows) {
    left = ", source ~" +
           std::to_string(static_cast<uint64_t>(
               static_cast<double>(estimated_rows_ - report_.source_rows) / source_rate)) +
           " s left";
  }
  std::fprintf(stderr, "\rverify %s: tables %zu, chunks %zu, rows %zu (%.0f rows/s%s)   ",
               sink_.name.c_str(), report_.tables, report_.chunks, rows, s > 0 ? rows / s : 0.0,
               left.c_str());
}

Status Pass::ListTables(std::vector<SourceTable>* out) {
  for (const SourceConfig& s : config_.sources) {
    auto conn = MakeConnection(SourceUrl(s, ""));
    const SourceCatalog& catalog = CatalogOf(s);
    VIMUR_ASSIGN_OR_RETURN(auto tables, conn->Query(catalog.tables));
    for (auto& row : tables) {
      SourceTable t;
      t.source = &s;
      t.db = row[0].value_or("");
      t.table = row[1].value_or("");
      std::string full = t.db + "." + t.table;
      if (!s.include_tables.empty() && !MatchesAny(s.include_tables, full)) continue;
      if (MatchesAny(s.exclude_tables, full)) continue;
      t.topic = s.topic_prefix + "." + full;
      if (!MatchesAny(sink_.topics, t.topic)) continue;
      VIMUR_ASSIGN_OR_RETURN(auto columns,
                             conn->Query(Bind(*conn, catalog.columns, t.db, t.table)));
      for (auto& c : columns) {
        std::string name = c[0].value_or("");
        if (MatchesAny(s.exclude_columns, full + "." + name)) continue;
        auto [select, value_class] =
            SourceSelect(*conn, name, c[1].value_or(""), c[2].value_or(""));
        t.columns.push_back(name);
        t.selects.push_back(std::move(select));
        t.classes.push_back(value_class);
        t.data_types.push_back(c[1].value_or(""));
      }
      VIMUR_ASSIGN_OR_RETURN(auto pk, conn->Query(Bind(*conn, catalog.primary_key, t.db, t.table)));
      for (auto& k : pk) t.pk.push_back(k[0].value_or(""));
      if (t.pk.empty()) {
        return Status::FailedPrecondition("source table " + full +
                                          " has no primary key: verify reads tables in key order");
      }
      if (options_.progress) {
        auto estimate = conn->Query(Bind(*conn, catalog.row_estimate, t.db, t.table));
        if (estimate.ok() && !estimate->empty() && (*estimate)[0][0]) {
          t.estimate = std::strtoull((*estimate)[0][0]->c_str(), nullptr, 10);
        }
        estimated_rows_ += t.estimate;
      }
      out->push_back(std::move(t));
    }
  }
  return Status::Ok();
}

uint64_t IdHash(const std::string& id) {
  // FNV-1a 64: stable, and collisions among a table's places are too rare to matter (a
  // collision could hide one extra target row, never a missing or different one).
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : id) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::vector<size_t> KeyIndex(const SourceTable& t) {
  std::vector<size_t> pk_index;
  for (const auto& k : t.pk) {
    pk_index.push_back(
        static_cast<size_t>(std::find(t.columns.begin(), t.columns.end(), k) - t.columns.begin()));
  }
  return pk_index;
}

std::string SelectOf(const SourceTable& t) {
  std::string select = "SELECT ";
  for (size_t i = 0; i < t.selects.size(); ++i) select += (i ? ", " : "") + t.selects[i];
  return select;
}

Result<std::optional<std::pair<std::string, Expected>>> Pass::MakeExpected(
    const SourceTable& t, const TextRow& r, const std::vector<size_t>& pk_index, bool* keep) {
  Row row;
  row.names = t.columns;
  for (size_t i = 0; i < r.size(); ++i) row.values.push_back(AsValue(t.classes[i], r[i]));
  Expected e;
  RowContext context{&row, t.db, t.table, t.topic};
  VIMUR_ASSIGN_OR_RETURN(*keep, router_.Keeps(context));
  auto place = router_.Locate(context, t.pk, &e.row);
  if (!place.ok()) {
    if (*keep) return place.status();
    return std::optional<std::pair<std::string, Expected>>();  // outside the filter, no place
  }
  e.place = std::move(place).value();
  for (const auto& name : e.row.names) {
    auto at = std::find(t.columns.begin(), t.columns.end(), router_.mapping().SourceName(name));
    e.classes.push_back(at == t.columns.end()
                            ? ValueClass::kText
                            : t.classes[static_cast<size_t>(at - t.columns.begin())]);
  }
  e.source = t.db + "." + t.table + " {";
  for (size_t i = 0; i < t.pk.size(); ++i) {
    e.source += (i ? ", " : "") + t.pk[i] + "=" + row.values[pk_index[i]].text;
  }
  e.source += "}";
  std::string id = e.place.target + '\0' + e.place.table;
  for (size_t i = 0; i < e.place.key.size(); ++i) {
    auto at = std::find(e.row.names.begin(), e.row.names.end(), e.place.key_columns[i]);
    ValueClass c = e.classes[static_cast<size_t>(at - e.row.names.begin())];
    id += '\0' + Canonical(c, e.place.key[i].is_null() ? std::nullopt
                                                       : std::optional(e.place.key[i].text));
  }
  return std::optional(std::pair{std::move(id), std::move(e)});
}

Status Pass::ReadSource(const SourceTable& t) {
  auto conn = MakeConnection(SourceUrl(*t.source, t.db));
  const std::string select = SelectOf(t) + " FROM " + conn->Name(t.db) + "." + conn->Name(t.table);
  const std::vector<size_t> pk_index = KeyIndex(t);
  std::vector<SqlValue> last;
  while (true) {
    VIMUR_ASSIGN_OR_RETURN(auto rows, conn->Query(select + After(*conn, t.pk, last) + " ORDER BY " +
                                                  KeyList(*conn, t.pk) + " LIMIT " +
                                                  std::to_string(options_.chunk_rows)));
    ++report_.chunks;
    std::unordered_map<std::string, Expected> expected;  // this chunk's, by id
    std::unordered_map<std::string, Expected> excluded;  // outside the filter
    for (auto& r : rows) {
      ++report_.source_rows;
      bool keep = false;
      VIMUR_ASSIGN_OR_RETURN(auto made, MakeExpected(t, r, pk_index, &keep));
      if (!made) continue;
      auto& [id, e] = *made;
      if (!keep) {
        excluded.emplace(id, std::move(e));
        continue;
      }
      auto [it, inserted] = expected.emplace(id, std::move(e));
      if (!inserted) {
        return Status::FailedPrecondition("two source rows go to one place " +
                                          it->second.place.Describe() + " (" + it->second.source +
                                          "): set 'key' so that the target key tells them apart");
      }
    }
    VIMUR_RETURN_IF_ERROR(CompareChunk(expected, excluded));
    Progress();
    if (rows.size() < static_cast<size_t>(options_.chunk_rows)) break;
    last.clear();
    for (size_t i : pk_index) last.push_back(AsValue(t.classes[i], rows.back()[i]));
  }
  return Status::Ok();
}

// ` WHERE key > lo AND key <= hi` (tuples for a key of several columns), each side left out
// when not given; empty when neither is.
std::string KeyRange(SqlConnection& c, const std::vector<std::string>& key,
                     const std::vector<std::optional<std::string>>& lo,
                     const std::optional<TextRow>& hi) {
  auto side = [&](const std::vector<std::optional<std::string>>& v, const char* op) {
    std::string values;
    for (const auto& x : v) {
      values +=
          (values.empty() ? "" : ", ") + c.Literal(x ? SqlValue::Number(*x) : SqlValue::Null());
    }
    if (key.size() == 1) return c.Name(key[0]) + op + values;
    return "(" + KeyList(c, key) + ")" + op + "(" + values + ")";
  };
  std::string where;
  if (!lo.empty()) where = " WHERE " + side(lo, " > ");
  if (hi) where += (where.empty() ? " WHERE " : " AND ") + side(*hi, " <= ");
  return where;
}

// How many pages of rows one checksum covers.
constexpr size_t kPagesPerChecksum = 16;

Result<bool> Pass::ReadRanged(const SourceTable& t) {
  if (!t.fixed) return false;
  const std::vector<size_t> pk_index = KeyIndex(t);
  for (size_t i : pk_index) {
    if (!IsIntegerType(t.data_types[i])) return false;
  }
  if (!router_.key().empty() && router_.key() != t.pk) return false;
  const std::vector<std::string> added = router_.added_columns();
  for (const auto& k : t.pk) {
    if (router_.mapping().TargetName(k) != k) return false;  // a renamed key
    if (std::find(added.begin(), added.end(), k) != added.end()) return false;
  }
  auto conn = MakeConnection(SourceUrl(*t.source, t.db));
  const std::string from = conn->Name(t.db) + "." + conn->Name(t.table);
  const std::string order = " ORDER BY " + KeyList(*conn, t.pk);
  // The first row tells the shape of the target's rows (the routes of the others are alike).
  VIMUR_ASSIGN_OR_RETURN(auto first,
                         conn->Query(SelectOf(t) + " FROM " + from + order + " LIMIT 1"));
  if (first.empty()) return false;
  bool keep = false;
  VIMUR_ASSIGN_OR_RETURN(auto sample, MakeExpected(t, first[0], pk_index, &keep));
  if (!sample || sample->second.place.target != t.fixed->first ||
      sample->second.place.table != t.fixed->second) {
    return false;
  }
  VIMUR_ASSIGN_OR_RETURN(TargetTable * target,
                         Target(t.fixed->first, t.fixed->second, sample->second));
  if (target->key != t.pk || (target->exists && !target->integer_key)) return false;
  target->ranged = true;

  // Checksums: both of one kind, and the compared columns as they are at both (no filter, no
  // added column, no cast at the source); renamed and left-out columns are followed.
  bool checksum = target->exists && conn->dialect() == target->conn->dialect() &&
                  !router_.has_filter() && added.empty();
  std::vector<std::string> source_columns, target_columns;
  for (size_t i = 0; checksum && i < target->columns.size(); ++i) {
    const std::string name = router_.mapping().SourceName(target->columns[i]);
    auto at = std::find(t.columns.begin(), t.columns.end(), name);
    checksum = target->present[i] && at != t.columns.end() &&
               t.selects[static_cast<size_t>(at - t.columns.begin())] == conn->Name(name);
    source_columns.push_back(conn->Name(name));
    target_columns.push_back(target->conn->Name(target->columns[i]));
  }
  const std::string target_from = target->conn->Name(t.fixed->second);
  const size_t range_rows = static_cast<size_t>(options_.chunk_rows) * kPagesPerChecksum;
  std::vector<std::optional<std::string>> lo;
  bool matched = false;  // a range whose checksums were equal
  int futile = 0;        // ranges whose checksums differed and whose rows did not
  while (true) {
    if (!checksum) {
      VIMUR_RETURN_IF_ERROR(MergeRange(t, *conn, *target, pk_index, lo, std::nullopt));
      return true;
    }
    VIMUR_ASSIGN_OR_RETURN(auto bound,
                           conn->Query("SELECT " + KeyList(*conn, t.pk) + " FROM " + from +
                                       KeyRange(*conn, t.pk, lo, std::nullopt) + order +
                                       " LIMIT 1 OFFSET " + std::to_string(range_rows - 1)));
    std::optional<TextRow> hi;
    if (!bound.empty()) hi = bound[0];
    // Both sides at once: each database computes its own.
    auto source_sum = std::async(std::launch::async, [&] {
      return conn->Query(
          ChecksumQuery(conn->dialect(), source_columns, from, KeyRange(*conn, t.pk, lo, hi)));
    });
    auto target_sum =
        target->conn->Query(ChecksumQuery(target->conn->dialect(), target_columns, target_from,
                                          KeyRange(*target->conn, target->key, lo, hi)));
    auto source_result = source_sum.get();
    ++report_.chunks;
    if (!source_result.ok() || !target_sum.ok() || source_result->empty() || target_sum->empty()) {
      LOG_INFO << "verify: no checksums for " << from << " ("
               << (source_result.ok() ? target_sum.status() : source_result.status()).message()
               << "); comparing row by row";
      checksum = false;
      continue;
    }
    if ((*source_result)[0] == (*target_sum)[0]) {
      const size_t rows = std::strtoull((*source_result)[0][0].value_or("0").c_str(), nullptr, 10);
      report_.source_rows += rows;
      report_.target_rows += rows;
      ++report_.checksummed;
      matched = true;
    } else {
      const size_t before = diffs_.size();
      VIMUR_RETURN_IF_ERROR(MergeRange(t, *conn, *target, pk_index, lo, hi));
      if (diffs_.size() == before && !matched && ++futile >= 3) {
        // The same values written another way at each side (e.g. another decimal scale).
        LOG_INFO << "verify: checksums of " << from << " and " << t.fixed->first << "."
                 << t.fixed->second << " differ where their rows do not; comparing row by row";
        checksum = false;
      }
    }
    Progress();
    if (!hi) return true;
    lo.assign(hi->begin(), hi->end());
  }
}

Status Pass::MergeRange(const SourceTable& t, SqlConnection& source, TargetTable& target,
                        const std::vector<size_t>& pk_index,
                        const std::vector<std::optional<std::string>>& lo,
                        const std::optional<TextRow>& hi) {
  const auto& [target_name, table] = *t.fixed;
  const std::string limit = " LIMIT " + std::to_string(options_.chunk_rows);
  const std::string source_select =
      SelectOf(t) + " FROM " + source.Name(t.db) + "." + source.Name(t.table);
  SqlConnection& tc = *target.conn;
  std::string target_select = "SELECT ";
  bool first = true;
  for (size_t i = 0; i < target.columns.size(); ++i) {
    if (!target.present[i]) continue;
    target_select += (first ? "" : ", ") + tc.Name(target.columns[i]);
    first = false;
  }
  target_select += " FROM " + tc.Name(table);
  // One page of each side at a time, in key order.
  std::vector<TextRow> source_rows, target_rows;
  size_t si = 0, ti = 0;
  bool source_done = false, target_done = !target.exists;
  std::vector<std::optional<std::string>> source_after = lo, target_after = lo;
  auto source_key = [&](const TextRow& r) {
    std::vector<std::optional<std::string>> key;
    for (size_t i : pk_index) key.push_back(r[i]);
    return key;
  };
  auto target_key = [&](const std::vector<std::optional<std::string>>& values) {
    std::vector<std::optional<std::string>> key;
    for (size_t i : target.key_index) key.push_back(values[i]);
    return key;
  };
  std::vector<std::optional<std::string>> values;  // of the target row at ti
  while (true) {
    if (si == source_rows.size() && !source_done) {
      if (!source_rows.empty()) Progress();  // (the rows of the page before are counted)
      VIMUR_ASSIGN_OR_RETURN(source_rows,
                             source.Query(source_select + KeyRange(source, t.pk, source_after, hi) +
                                          " ORDER BY " + KeyList(source, t.pk) + limit));
      ++report_.chunks;
      si = 0;
      source_done = source_rows.size() < static_cast<size_t>(options_.chunk_rows);
      if (!source_rows.empty()) source_after = source_key(source_rows.back());
    }
    if (ti == target_rows.size() && !target_done) {
      VIMUR_ASSIGN_OR_RETURN(target_rows,
                             tc.Query(target_select + KeyRange(tc, target.key, target_after, hi) +
                                      " ORDER BY " + KeyList(tc, target.key) + limit));
      ++report_.chunks;
      ti = 0;
      target_done = target_rows.size() < static_cast<size_t>(options_.chunk_rows);
      if (!target_rows.empty()) target_after = target_key(Values(target, target_rows.back()));
    }
    const bool have_source = si < source_rows.size(), have_target = ti < target_rows.size();
    if (!have_source && !have_target) {
      Progress();
      return Status::Ok();
    }
    if (have_target) values = Values(target, target_rows[ti]);
    const int order = !have_target ? -1
                      : !have_source
                          ? 1
                          : CompareIntegerKeys(source_key(source_rows[si]), target_key(values));
    std::optional<std::pair<std::string, Expected>> made;
    bool keep = false;
    if (order <= 0) {
      ++report_.source_rows;
      VIMUR_ASSIGN_OR_RETURN(made, MakeExpected(t, source_rows[si++], pk_index, &keep));
    }
    if (order >= 0) ++report_.target_rows, ++ti;
    if (order < 0) {  // only at the source
      if (made && keep) {
        diffs_.push_back({Difference::kMissing, made->first, made->second.place,
                          "missing  " + made->second.place.Describe() + " (source " +
                              made->second.source + ")"});
        repair_rows_.emplace(made->first, std::move(made->second));
      }
      continue;
    }
    if (order == 0 && made && keep) {
      Expected& e = made->second;
      std::string what = Differs(target, e, values);
      if (!what.empty()) {
        diffs_.push_back(
            {Difference::kDifferent, made->first, e.place,
             "differs  " + e.place.Describe() + " (source " + e.source + "): " + what});
        repair_rows_.emplace(made->first, std::move(e));
      }
      continue;
    }
    // Only in the target, or a source row outside the filter is there.
    Difference d{Difference::kExtra, Id(target_name, table, target, values), {}, ""};
    if (made) {
      d.place = made->second.place;
      d.text = "extra    " + d.place.Describe() + ": source " + made->second.source +
               " is outside the filter";
    } else {
      d.place.target = target_name;
      d.place.table = table;
      d.place.key_columns = target.key;
      for (size_t i : target.key_index)
        d.place.key.push_back(AsValue(target.classes[i], values[i]));
      d.text = "extra    " + d.place.Describe() + ": no source row goes there";
    }
    diffs_.push_back(std::move(d));
  }
}

Result<TargetTable*> Pass::Target(const std::string& target, const std::string& table,
                                  const Expected& sample) {
  auto [it, added] = targets_.try_emplace({target, table});
  TargetTable& t = it->second;
  if (!added) return &t;
  auto url = ParseDatabaseUrl(sink_.targets.at(target));
  if (!url.ok()) return url.status();
  t.conn = MakeConnection(*url);
  VIMUR_ASSIGN_OR_RETURN(std::vector<ColumnInfo> info, t.conn->Columns(table));
  ++report_.target_tables;
  t.exists = !info.empty();
  t.columns = sample.row.names.view();
  t.classes = sample.classes;
  t.key = sample.place.key_columns;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    auto at = std::find_if(info.begin(), info.end(),
                           [&](const ColumnInfo& c) { return c.name == t.columns[i]; });
    t.present.push_back(at != info.end());
    if (at != info.end() && (at->data_type == "json" || at->data_type == "jsonb")) {
      t.classes[i] = ValueClass::kJson;
    }
  }
  t.integer_key = true;
  for (const auto& k : t.key) {
    t.key_index.push_back(
        static_cast<size_t>(std::find(t.columns.begin(), t.columns.end(), k) - t.columns.begin()));
    auto at =
        std::find_if(info.begin(), info.end(), [&](const ColumnInfo& c) { return c.name == k; });
    t.integer_key = t.integer_key && at != info.end() && IsIntegerType(at->data_type);
  }
  return &t;
}

std::vector<std::optional<std::string>> Pass::Values(const TargetTable& t, const TextRow& r) const {
  std::vector<std::optional<std::string>> values(t.columns.size());
  for (size_t i = 0, j = 0; i < t.columns.size() && j < r.size(); ++i) {
    if (t.present[i]) values[i] = r[j++];
  }
  return values;
}

std::string Pass::Id(const std::string& target, const std::string& table, const TargetTable& t,
                     const std::vector<std::optional<std::string>>& values) const {
  std::string id = target + '\0' + table;
  for (size_t i : t.key_index) id += '\0' + Canonical(t.classes[i], values[i]);
  return id;
}

std::string Pass::Differs(const TargetTable& t, const Expected& e,
                          const std::vector<std::optional<std::string>>& values) const {
  std::string what;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const SqlValue* v = e.row.Find(t.columns[i]);
    std::optional<std::string> want;
    if (v != nullptr && !v->is_null()) want = v->text;
    std::string a = Canonical(t.classes[i], want), b = Canonical(t.classes[i], values[i]);
    if (a == b) continue;
    if (!what.empty()) what += "; ";
    auto shown = [&](const std::optional<std::string>& s, const std::string& canon) {
      if (!s) return std::string("NULL");
      return t.classes[i] == ValueClass::kBinary ? "0x" + canon : canon.substr(0, 60);
    };
    what += t.columns[i] + (t.present[i] ? "" : " (no such column in the target)") + ": source " +
            shown(want, a) + ", target " + shown(values[i], b);
  }
  return what;
}

Status Pass::CompareChunk(std::unordered_map<std::string, Expected>& expected,
                          std::unordered_map<std::string, Expected>& excluded) {
  // The places to look up, per target table: the rows that must be there and those that
  // must not (outside the filter).
  std::map<std::pair<std::string, std::string>, std::vector<const Expected*>> lookups;
  for (auto* rows : {&expected, &excluded}) {
    for (auto& [id, e] : *rows) {
      lookups[{e.place.target, e.place.table}].push_back(&e);
      (rows == &expected ? filled_ : excluded_).push_back(IdHash(id));
    }
  }
  std::unordered_set<std::string> found;
  for (const auto& [place, wanted] : lookups) {
    const auto& [target, table] = place;
    VIMUR_ASSIGN_OR_RETURN(TargetTable * t, Target(target, table, *wanted.front()));
    if (!t->exists) continue;  // every row of it is missing
    SqlConnection& c = *t->conn;
    std::string sql = "SELECT ";
    bool first = true;
    for (size_t i = 0; i < t->columns.size(); ++i) {
      if (!t->present[i]) continue;
      sql += (first ? "" : ", ") + c.Name(t->columns[i]);
      first = false;
    }
    sql += " FROM " + c.Name(table) + " WHERE ";
    sql += t->key.size() == 1 ? c.Name(t->key[0]) : "(" + KeyList(c, t->key) + ")";
    sql += " IN (";
    for (size_t w = 0; w < wanted.size(); ++w) {
      sql += w ? ", " : "";
      if (t->key.size() > 1) sql += "(";
      for (size_t k = 0; k < wanted[w]->place.key.size(); ++k) {
        sql += (k ? ", " : "") + c.Literal(wanted[w]->place.key[k]);
      }
      if (t->key.size() > 1) sql += ")";
    }
    sql += ")";
    VIMUR_ASSIGN_OR_RETURN(auto rows, c.Query(sql));
    for (const TextRow& r : rows) {
      const std::vector<std::optional<std::string>> values = Values(*t, r);
      std::string id = Id(target, table, *t, values);
      auto it = expected.find(id);
      if (it == expected.end()) {
        auto outside = excluded.find(id);
        if (outside == excluded.end()) continue;  // (a key that compares equal another way)
        found.insert(id);
        Difference d{Difference::kExtra, id, outside->second.place, ""};
        d.text = "extra    " + d.place.Describe() + ": source " + outside->second.source +
                 " is outside the filter";
        diffs_.push_back(std::move(d));
        continue;
      }
      found.insert(id);
      Expected& e = it->second;
      const std::string what = Differs(*t, e, values);
      if (!what.empty()) {
        diffs_.push_back(
            {Difference::kDifferent, id, e.place,
             "differs  " + e.place.Describe() + " (source " + e.source + "): " + what});
        repair_rows_.emplace(id, e);
      }
    }
  }
  for (auto& [id, e] : expected) {
    if (found.count(id)) continue;
    diffs_.push_back({Difference::kMissing, id, e.place,
                      "missing  " + e.place.Describe() + " (source " + e.source + ")"});
    repair_rows_.emplace(id, std::move(e));
  }
  return Status::Ok();
}

Status Pass::FindExtra(const std::pair<std::string, std::string>& place, TargetTable& t) {
  if (!t.exists || t.ranged) return Status::Ok();  // (ranged: merged with its source table)
  const auto& [target, table] = place;
  SqlConnection& c = *t.conn;
  std::string select = "SELECT " + KeyList(c, t.key) + " FROM " + c.Name(table);
  std::vector<SqlValue> last;
  while (true) {
    VIMUR_ASSIGN_OR_RETURN(
        auto rows, c.Query(select + After(c, t.key, last) + " ORDER BY " + KeyList(c, t.key) +
                           " LIMIT " + std::to_string(options_.chunk_rows)));
    ++report_.chunks;
    for (const TextRow& r : rows) {
      ++report_.target_rows;
      std::vector<std::optional<std::string>> values(t.columns.size());
      for (size_t k = 0; k < t.key_index.size() && k < r.size(); ++k) {
        values[t.key_index[k]] = r[k];
      }
      std::string id = Id(target, table, t, values);
      const uint64_t h = IdHash(id);
      if (std::binary_search(filled_.begin(), filled_.end(), h) ||
          std::binary_search(excluded_.begin(), excluded_.end(), h)) {
        continue;  // a source row goes there (compared above), or was found outside the filter
      }
      Difference d{Difference::kExtra, id, {}, ""};
      d.place.target = target;
      d.place.table = table;
      d.place.key_columns = t.key;
      for (size_t i : t.key_index) d.place.key.push_back(AsValue(t.classes[i], values[i]));
      d.text = "extra    " + d.place.Describe() + ": no source row goes there";
      diffs_.push_back(std::move(d));
    }
    Progress();
    if (rows.size() < static_cast<size_t>(options_.chunk_rows)) break;
    last.clear();
    for (size_t k = 0; k < t.key_index.size(); ++k) {
      last.push_back(AsValue(t.classes[t.key_index[k]], rows.back()[k]));
    }
  }
  return Status::Ok();
}

Status Pass::Run(VerifyReport* report, std::vector<Difference>* diffs,
                 std::unordered_map<std::string, Expected>* repair_rows) {
  std::vector<SourceTable> tables;
  VIMUR_RETURN_IF_ERROR(ListTables(&tables));
  if (tables.empty()) {
    return Status::FailedPrecondition("sink " + sink_.name +
                                      ": no source table's topic matches its 'topics'");
  }
  if (first_) {
    std::vector<std::string> all;
    for (const auto& t : tables) all.insert(all.end(), t.columns.begin(), t.columns.end());
    for (const std::string& c : router_.mapping().NotIn(all)) {
      LOG_WARN << "sink " << sink_.name << ": no source table it reads has column '" << c
               << "' named in 'columns' (check the spelling)";
    }
  }
  // Source tables read by key range with their target table: those whose every row goes to
  // one target table, when every source table has a fixed place and no two share one.
  std::map<std::pair<std::string, std::string>, int> sharing;
  bool fixed = true;
  for (auto& t : tables) {
    auto place = router_.FixedPlace(RowContext{nullptr, t.db, t.table, t.topic});
    if (place.ok() && *place) {
      t.fixed = **place;
      ++sharing[**place];
    } else {
      fixed = false;
    }
  }
  for (auto& t : tables) {
    if (!fixed || (t.fixed && sharing[*t.fixed] > 1)) t.fixed.reset();
  }
  for (const auto& t : tables) {
    ++report_.tables;
    VIMUR_ASSIGN_OR_RETURN(bool ranged, ReadRanged(t));
    if (!ranged) VIMUR_RETURN_IF_ERROR(ReadSource(t));
  }
  std::sort(filled_.begin(), filled_.end());
  std::sort(excluded_.begin(), excluded_.end());
  for (auto& [place, t] : targets_) VIMUR_RETURN_IF_ERROR(FindExtra(place, t));
  for (const auto& d : diffs_) {
    if (d.kind == Difference::kMissing) ++report_.missing;
    if (d.kind == Difference::kExtra) ++report_.extra;
    if (d.kind == Difference::kDifferent) ++report_.different;
  }
  if (options_.progress) std::fprintf(stderr, "\n");
  *report = report_;
  *diffs = std::move(diffs_);
  *repair_rows = std::move(repair_rows_);
  return Status::Ok();
}

Status Repair(const SinkConfig& sink, const std::vector<Difference>& diffs,
              const std::unordered_map<std::string, Expected>& repair_rows, size_t* repaired) {
  std::map<std::string, std::vector<WriteAction>> by_target;
  for (const Difference& d : diffs) {
    WriteAction a;
    if (d.kind == Difference::kExtra) {
      a.remove = true;
      a.place = d.place;
    } else {
      const Expected& e = repair_rows.at(d.id);
      a.place = e.place;
      a.row = e.row;
    }
    by_target[a.place.target].push_back(std::move(a));
  }
  for (auto& [target, actions] : by_target) {
    VIMUR_ASSIGN_OR_RETURN(DatabaseUrl url, ParseDatabaseUrl(sink.targets.at(target)));
    TargetWriter writer(target, MakeConnection(url), false, false);
    std::vector<const WriteAction*> list;
    for (const auto& a : actions) list.push_back(&a);
    VIMUR_RETURN_IF_ERROR(writer.Apply(list));
    *repaired += list.size();
  }
  return Status::Ok();
}

}  // namespace

ValueClass ClassOfSourceType(const std::string& t, const std::string& column_type) {
  // MariaDB/MySQL DATA_TYPE, then PostgreSQL's information_schema data_type (lower case).
  if (t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "integer" ||
      t == "bigint" || t == "year" || t == "boolean" || t == "oid") {
    return ValueClass::kInt;
  }
  if (t == "decimal" || t == "numeric") return ValueClass::kDecimal;
  if (t == "float") return ValueClass::kFloat;
  if (t == "double" || t == "real" || t == "double precision") return ValueClass::kDouble;
  if (t == "datetime" || t == "timestamp" || t == "timestamp without time zone" ||
      t == "timestamp with time zone") {
    return ValueClass::kDateTime;
  }
  if (t == "time" || t == "time without time zone") return ValueClass::kTime;
  if (t == "date") return ValueClass::kDate;
  if (t == "binary" || t == "varbinary" || t == "tinyblob" || t == "blob" || t == "mediumblob" ||
      t == "longblob" || t == "bit" || t == "bytea") {
    return ValueClass::kBinary;
  }
  if (t == "json" || t == "jsonb") return ValueClass::kJson;
  if (t == "array") return ValueClass::kArray;
  (void)column_type;
  return ValueClass::kText;
}

std::string Canonical(ValueClass c, const std::optional<std::string>& text) {
  if (!text) return std::string("\x01NULL", 5);
  const std::string& s = *text;
  switch (c) {
    case ValueClass::kInt:
      if (s == "t" || s == "true") return "1";
      if (s == "f" || s == "false") return "0";
      return s;
    case ValueClass::kDecimal: {
      std::string v = StripFraction(s);
      if (v == "-0") v = "0";
      return v;
    }
    case ValueClass::kFloat:
    case ValueClass::kDouble: {
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (end == s.c_str()) return s;
      char buf[64];
      std::snprintf(buf, sizeof(buf), c == ValueClass::kFloat ? "%.6g" : "%.15g", d);
      return buf;
    }
    case ValueClass::kDateTime: {
      std::string v = s;
      std::replace(v.begin(), v.end(), 'T', ' ');
      if (!v.empty() && v.back() == 'Z') v.pop_back();
      for (const char* zone : {"+00:00", "+00"}) {
        size_t n = std::strlen(zone);
        if (v.size() > n && v.compare(v.size() - n, n, zone) == 0) v.resize(v.size() - n);
      }
      return StripFraction(v);
    }
    case ValueClass::kTime: return StripFraction(s);
    case ValueClass::kDate: return s;
    case ValueClass::kBinary: return Hex(s);
    case ValueClass::kJson: {
      auto j = nlohmann::json::parse(s, nullptr, false);
      return j.is_discarded() ? s : j.dump();
    }
    case ValueClass::kArray: return CanonicalArray(s);
    case ValueClass::kText: return s;
  }
  return s;
}

Result<VerifyReport> Verify(const PipelineConfig& config, const SinkConfig& sink,
                            const VerifyOptions& options) {
  VIMUR_ASSIGN_OR_RETURN(Router router, Router::Make(sink));
  const auto deadline = Clock::now() + std::chrono::seconds(options.recheck_s);
  size_t repaired = 0;
  for (int pass = 1;; ++pass) {
    VerifyReport report;
    std::vector<Difference> diffs;
    std::unordered_map<std::string, Expected> repair_rows;
    VIMUR_RETURN_IF_ERROR(
        Pass(config, sink, options, router, pass == 1).Run(&report, &diffs, &repair_rows));
    report.repaired = repaired;
    if (diffs.empty()) return report;
    if (options.repair && repaired == 0) {
      LOG_INFO << "verify: " << diffs.size() << " difference(s); repairing from the source";
      VIMUR_RETURN_IF_ERROR(Repair(sink, diffs, repair_rows, &repaired));
      continue;  // and verify again
    }
    if (!options.repair && Clock::now() < deadline) {
      // Under ongoing writes the sink may not have applied the newest changes yet: look again.
      LOG_INFO << "verify: " << diffs.size() << " difference(s) in pass " << pass
               << "; checking again in case the sink is catching up";
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    for (const auto& d : diffs) {
      if (report.shown.size() >= static_cast<size_t>(options.show)) break;
      report.shown.push_back(d.text);
    }
    return report;
  }
}

}  // namespace vimur::sink
