#include "source/mysql/column_defaults.h"

#include <cctype>

#include "core/logging.h"

namespace vimur::mysql {
namespace {

bool IsNumber(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  bool digits = false;
  bool dot = false;
  for (; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      digits = true;
    } else if (s[i] == '.' && !dot) {
      dot = true;
    } else if ((s[i] == 'e' || s[i] == 'E') && digits) {
      return i + 1 < s.size();  // exponent: leave the rest to the consumer
    } else {
      return false;
    }
  }
  return digits;
}

// The body of a single-quoted SQL literal, '' and backslash escapes undone; nullopt when `s` is
// not exactly one such literal.
std::optional<std::string> Unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != '\'' || s.back() != '\'') return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    char c = s[i];
    if (c == '\'') {
      if (i + 2 < s.size() && s[i + 1] == '\'') {
        out.push_back('\'');
        ++i;
        continue;
      }
      return std::nullopt;  // a quote that ends the literal early: an expression
    }
    if (c == '\\' && i + 2 < s.size()) {
      const char n = s[++i];
      switch (n) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case '0': out.push_back('\0'); break;
        case 'Z': out.push_back('\x1a'); break;
        default: out.push_back(n); break;
      }
      continue;
    }
    out.push_back(c);
  }
  return out;
}

bool IsTemporal(LogicalType t) {
  return t == LogicalType::kDate || t == LogicalType::kTimestampMillis ||
         t == LogicalType::kTimestampMicros || t == LogicalType::kZonedTimestamp ||
         t == LogicalType::kMicroTime || t == LogicalType::kYear;
}

bool IsTimestamp(LogicalType t) {
  return t == LogicalType::kTimestampMillis || t == LogicalType::kTimestampMicros ||
         t == LogicalType::kZonedTimestamp;
}

// `current_timestamp()`, `CURRENT_TIMESTAMP(6)`, `now()`, as MariaDB and MySQL report them.
bool StartsWithFunction(std::string_view s) {
  std::string lower;
  for (char c : s.substr(0, 17)) lower.push_back(static_cast<char>(std::tolower(c)));
  return lower.starts_with("current_timestamp") || lower.starts_with("now(");
}

}  // namespace

int DisplayWidth(std::string_view column_type) {
  const size_t open = column_type.find('(');
  if (open == std::string_view::npos) return 0;
  int width = 0;
  for (size_t i = open + 1; i < column_type.size() && i < open + 6; ++i) {
    const char c = column_type[i];
    if (c == ')') return width;
    if (!std::isdigit(static_cast<unsigned char>(c))) return 0;
    width = width * 10 + (c - '0');
  }
  return 0;
}

std::optional<std::string> NormalizeColumnDefault(const std::optional<std::string>& column_default,
                                                  const ColumnSchema& column, bool mariadb) {
  if (!column_default) return std::nullopt;  // no default, or (MySQL) DEFAULT NULL
  const std::string& text = *column_default;
  // CURRENT_TIMESTAMP (NOW()) of a DATETIME/TIMESTAMP: Debezium declares the epoch when the
  // column is NOT NULL and no default otherwise, as for a zero date, which stands for it here.
  if (IsTimestamp(column.type) && StartsWithFunction(text)) return "0000-00-00 00:00:00";
  std::optional<std::string> value;
  if (mariadb) {
    // MariaDB 10.2.7+: literals quoted, numbers bare, NULL as the word, expressions as written.
    if (text == "NULL") return std::nullopt;
    if (auto unquoted = Unquote(text)) {
      value = std::move(unquoted);
    } else if (IsNumber(text)) {
      value = text;
    } else {
      return std::nullopt;  // an expression: current_timestamp(), uuid(), b'101', ...
    }
  } else {
    // MySQL: literals bare; expressions are marked DEFAULT_GENERATED (the caller drops those).
    value = text;
  }
  // Any other temporal default that is a function has no constant value.
  if (IsTemporal(column.type) && !value->empty() &&
      !std::isdigit(static_cast<unsigned char>((*value)[0])) && (*value)[0] != '-') {
    return std::nullopt;
  }
  // Bits, geometries and JSON defaults are not declared (Vimur does not convert them).
  if (column.type == LogicalType::kBits || column.type == LogicalType::kBoolean ||
      column.type == LogicalType::kGeometry || column.type == LogicalType::kJson) {
    return std::nullopt;
  }
  return value;
}

bool ApplyColumnDefaults(const std::vector<InfoSchemaColumn>& columns, bool mariadb,
                         TableSchema* schema) {
  if (columns.size() != schema->columns.size()) return false;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name != schema->columns[i].name) return false;
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    ColumnSchema& c = schema->columns[i];
    // An expression has no constant to declare, except CURRENT_TIMESTAMP of a timestamp,
    // which NormalizeColumnDefault maps as Debezium does.
    const bool constant =
        !columns[i].expression || (IsTimestamp(c.type) && columns[i].column_default &&
                                   StartsWithFunction(*columns[i].column_default));
    std::optional<std::string> value =
        constant ? NormalizeColumnDefault(columns[i].column_default, c, mariadb) : std::nullopt;
    c.has_default = value.has_value();
    c.default_value = value ? std::move(*value) : std::string();
    c.display_width = DisplayWidth(columns[i].column_type);
  }
  return true;
}

void AddColumnDefaults(ColumnDefaultsSource& source, bool mariadb, TableSchema* schema) {
  auto columns = source.Columns(schema->database, schema->table);
  if (!columns.ok()) {
    LOG_WARN << "table " << schema->qualified_name()
             << ": column defaults are left out of its schema: information_schema could not be "
                "read: "
             << columns.status().ToString();
    return;
  }
  if (!ApplyColumnDefaults(*columns, mariadb, schema)) {
    LOG_WARN << "table " << schema->qualified_name()
             << ": column defaults are left out of this schema version: the table's columns in "
                "information_schema ("
             << columns->size() << ") differ from the binlog's (" << schema->columns.size()
             << "), as when the table changed after the events being read";
  }
}

Result<std::vector<InfoSchemaColumn>> ServerColumnDefaults::Columns(const std::string& database,
                                                                    const std::string& table) {
  if (!connection_) {
    VIMUR_ASSIGN_OR_RETURN(MySqlConnection c, MySqlConnection::Connect(options_));
    connection_.emplace(std::move(c));
  }
  MySqlConnection& c = *connection_;
  auto rows = c.Query(
      "SELECT COLUMN_NAME, COLUMN_DEFAULT, EXTRA, COLUMN_TYPE FROM information_schema.COLUMNS "
      "WHERE TABLE_SCHEMA = '" +
      c.Escape(database) + "' AND TABLE_NAME = '" + c.Escape(table) +
      "' ORDER BY ORDINAL_POSITION");
  if (!rows.ok()) {
    connection_.reset();  // opened again next time
    return rows.status();
  }
  std::vector<InfoSchemaColumn> out;
  for (const SqlRow& row : *rows) {
    if (row.size() < 4 || !row[0]) return Status::Corruption("unexpected information_schema row");
    InfoSchemaColumn col;
    col.name = *row[0];
    col.column_default = row[1];
    if (row[3]) col.column_type = *row[3];
    // MySQL marks expression defaults (CURRENT_TIMESTAMP, (expr)).
    col.expression =
        !c.is_mariadb() && row[2] && row[2]->find("DEFAULT_GENERATED") != std::string::npos;
    out.push_back(std::move(col));
  }
  return out;
}

}  // namespace vimur::mysql
