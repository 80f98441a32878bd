// RowFilter: a sql sink's `filter`, a small boolean expression over a row's columns such as
// `status != 'deleted' and amount >= 10`, parsed once at start and evaluated per row.
//
// The language (docs/sinks.md): `column OP literal` with OP one of = != <> < <= > >=;
// `column [not] in (literal, ...)`; `column is [not] null`; `and`, `or`, `not` and parentheses.
// Literals are numbers (12, -3.5, 1e3), 'text' (a quote doubled inside: 'it''s'), true and
// false (1 and 0). Keywords are case-insensitive; a column may be quoted with backticks.
// Evaluation follows SQL's three-valued logic: a comparison with NULL is unknown, and a row is
// kept only when the whole expression is true.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sink/sql/sql_value.h"

namespace vimur::sink {

enum class Truth { kFalse, kTrue, kUnknown };

class RowFilter {
 public:
  // Parses `text`; an empty (or blank) text keeps every row. Errors say at which character
  // (1-based) what was expected and what was found.
  static Result<RowFilter> Parse(const std::string& text);

  // The expression's truth on `row`. A column the row does not have is an error naming it.
  Result<Truth> Evaluate(const Row& row) const;
  // True when `row` is kept: the expression is true (neither false nor unknown).
  Result<bool> Keeps(const Row& row) const;

  bool empty() const { return root_ == nullptr; }
  const std::string& text() const { return text_; }
  // The columns the expression reads, each once, in order of appearance.
  const std::vector<std::string>& columns() const { return columns_; }

  struct Node;  // the parsed expression (row_filter.cc)

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;  // shared: filters are copied with their router
  std::vector<std::string> columns_;
};

// Compares a column's value with a filter literal: a number literal compares numerically with
// a value that reads as a number (exactly for plain decimals) and as text otherwise; a quoted
// literal compares as text (bytes). Returns <0, 0 or >0. Public for tests.
int CompareWithLiteral(const SqlValue& value, const std::string& literal, bool literal_is_number);

}  // namespace vimur::sink
