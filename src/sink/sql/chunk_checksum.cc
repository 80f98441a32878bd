#include "sink/sql/chunk_checksum.h"

namespace vimur::sink {

std::string ChecksumQuery(Dialect dialect, const std::vector<std::string>& columns,
                          const std::string& from, const std::string& where) {
  std::string values;
  if (dialect == Dialect::kPostgres) {
    // A row's text: NULL is empty, '' is "", values with separators are quoted and escaped.
    for (const auto& c : columns) values += (values.empty() ? "" : ", ") + c;
    return "SELECT COUNT(*), COALESCE(BIT_XOR(hashtextextended(ROW(" + values +
           ")::text, 0)), 0) FROM " + from + where;
  }
  // QUOTE() gives NULL as the word NULL and a value in quotes with its quotes escaped.
  for (const auto& c : columns) values += (values.empty() ? "" : ", ") + ("QUOTE(" + c + ")");
  return "SELECT COUNT(*), BIT_XOR(CAST(CONV(LEFT(MD5(CONCAT_WS(',', " + values +
         ")), 16), 16, 10) AS UNSIGNED)) FROM " + from + where;
}

int CompareIntegerText(const std::string& a, const std::string& b) {
  const bool neg_a = !a.empty() && a[0] == '-', neg_b = !b.empty() && b[0] == '-';
  if (neg_a != neg_b) return neg_a ? -1 : 1;
  int magnitude = 0;
  const size_t la = a.size() - (neg_a ? 1 : 0), lb = b.size() - (neg_b ? 1 : 0);
  if (la != lb) {
    magnitude = la < lb ? -1 : 1;
  } else {
    const int c = a.compare(neg_a ? 1 : 0, la, b, neg_b ? 1 : 0, lb);
    magnitude = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return neg_a ? -magnitude : magnitude;
}

int CompareIntegerKeys(const std::vector<std::optional<std::string>>& a,
                       const std::vector<std::optional<std::string>>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const std::string &x = a[i].value_or(""), &y = b[i].value_or("");
    if (int c = CompareIntegerText(x, y); c != 0) return c;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

bool IsIntegerType(const std::string& t) {
  return t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "integer" ||
         t == "bigint" || t == "int2" || t == "int4" || t == "int8";
}

}  // namespace vimur::sink
