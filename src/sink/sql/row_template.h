// RowTemplate: the small template language of sink keys such as `table: 'orders_${mod(id, 4)}'`:
// text with `${column}`, `${db}`, `${table}`, `${topic}`, `mod(c, n)`, `hash(c, n)` and
// `range(c, b1, ...)`, compiled once and evaluated per row.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sink/sql/sql_value.h"

namespace vimur::sink {

// What a template reads: the row and where it came from.
struct RowContext {
  const Row* row = nullptr;
  std::string db;
  std::string table;
  std::string topic;
};

// FNV-1a, 64 bits, over `bytes`: offset basis 14695981039346656037, prime 1099511628211.
// hash(c, n) is FnvHash64(text of c) mod n (docs/sinks.md).
uint64_t FnvHash64(std::string_view bytes);

class RowTemplate {
 public:
  // Compiles `text`; `key` names the configuration key in errors.
  static Result<RowTemplate> Compile(const std::string& text, const std::string& key);

  Result<std::string> Evaluate(const RowContext& context) const;
  // The columns the template reads (the routing columns).
  const std::vector<std::string>& columns() const { return columns_; }
  // True when the template has no `${...}` (every row gets the same text).
  bool constant() const { return parts_.size() <= 1 && (parts_.empty() || parts_[0].fn == kText); }
  const std::string& source() const { return source_; }

 private:
  enum Fn { kText, kColumn, kMod, kHash, kRange };
  struct Part {
    Fn fn = kText;
    std::string text;                 // kText: the text; otherwise the column (or db/table/topic)
    int64_t n = 0;                    // kMod, kHash
    std::vector<std::string> bounds;  // kRange
  };
  std::string source_;
  std::string key_;
  std::vector<Part> parts_;
  std::vector<std::string> columns_;
};

}  // namespace vimur::sink
