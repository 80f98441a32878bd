#include "sink/row_json.h"

#include <gtest/gtest.h>

namespace vimur::sink {
namespace {

ColumnType Type(const char* connect_type) {
  ColumnType t;
  t.connect_type = connect_type;
  return t;
}

TEST(RowJsonTest, TextIsWhatTheTreeDumps) {
  Row row;
  auto add = [&](const char* name, SqlValue v, ColumnType t) {
    row.names.push_back(name);
    row.values.push_back(std::move(v));
    row.types.push_back(std::move(t));
  };
  add("id", SqlValue::Number("-42"), Type("int64"));
  add("u", SqlValue::Number("18446744073709551615"), Type("int64"));
  add("big", SqlValue::Number("18446744073709551616"), Type("int64"));
  add("lead", SqlValue::Number("007"), Type("int32"));
  add("zero", SqlValue::Number("0"), Type("int32"));
  add("negzero", SqlValue::Number("-0"), Type("int32"));
  add("min", SqlValue::Number("-9223372036854775808"), Type("int64"));
  add("below", SqlValue::Number("-9223372036854775809"), Type("int64"));
  add("plus", SqlValue::Number("+5"), Type("int32"));
  add("minus", SqlValue::Number("-"), Type("int32"));
  add("d", SqlValue::Number("12.50"), Type("bytes"));
  add("f", SqlValue::Number("0.1"), Type("double"));
  add("e", SqlValue::Number("1e300"), Type("float64"));
  add("b", SqlValue::Bool(true), Type("boolean"));
  add("n", SqlValue::Null(), Type("string"));
  add("s", SqlValue::Text("caf\xc3\xa9 \"q\" \\ / \b\f\n\r\t \x01\x1f\x7f"), Type("string"));
  add("by", SqlValue::Bytes(std::string("\x00\xff\x10", 3)), Type("bytes"));
  add("a", SqlValue::Array({SqlValue::Number("1"), SqlValue::Null()}), Type("array"));
  add("esc\"name", SqlValue::Text(""), Type("string"));
  EXPECT_EQ(RowJsonText(row), RowToJson(row).dump());
  row.types.clear();  // no schema
  EXPECT_EQ(RowJsonText(row), RowToJson(row).dump());
  row.names.mutable_at(1) =
      "id";  // a repeated name: the tree keeps the first place, the last value
  EXPECT_EQ(RowJsonText(row), RowToJson(row).dump());
  EXPECT_EQ(RowJsonText(Row()), "{}");
  Row bad;
  bad.names = {"x"};
  bad.values = {SqlValue::Text("\xff")};
  EXPECT_THROW(RowJsonText(bad), nlohmann::json::exception);  // as dump() does
}

}  // namespace
}  // namespace vimur::sink
