#include "sink/sql/row_template.h"

#include <gtest/gtest.h>

namespace vimur::sink {
namespace {

Row MakeRow(std::vector<std::pair<std::string, SqlValue>> cells) {
  Row r;
  for (auto& [n, v] : cells) {
    r.names.push_back(n);
    r.values.push_back(v);
  }
  return r;
}

std::string Eval(const std::string& text, const Row& row) {
  auto t = RowTemplate::Compile(text, "t");
  EXPECT_TRUE(t.ok()) << t.status().message();
  RowContext c{&row, "shop", "orders", "shop.shop.orders"};
  auto v = t->Evaluate(c);
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v.ok() ? *v : "<error>";
}

TEST(RowTemplateTest, ColumnsAndNames) {
  Row row = MakeRow({{"user_id", SqlValue::Number("7")}, {"region", SqlValue::Text("eu")}});
  EXPECT_EQ(Eval("orders_${region}", row), "orders_eu");
  EXPECT_EQ(Eval("${db}.${table}@${topic}", row), "shop.orders@shop.shop.orders");
  EXPECT_EQ(Eval("plain", row), "plain");
  auto t = RowTemplate::Compile("db${mod(user_id, 2)}_${region}", "t");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->columns(), (std::vector<std::string>{"user_id", "region"}));
  EXPECT_FALSE(t->constant());
  EXPECT_TRUE(RowTemplate::Compile("db0", "t")->constant());
}

TEST(RowTemplateTest, ModIsNonNegativeAndWorksOnLongIntegers) {
  for (auto [value, want] :
       std::vector<std::pair<std::string, std::string>>{{"0", "0"},
                                                        {"7", "3"},
                                                        {"-1", "3"},
                                                        {"-8", "0"},
                                                        {"18446744073709551615", "3"},
                                                        {"12.000", "0"}}) {
    Row row = MakeRow({{"id", SqlValue::Number(value)}});
    EXPECT_EQ(Eval("${mod(id, 4)}", row), want) << value;
  }
  Row bad = MakeRow({{"id", SqlValue::Text("abc")}});
  auto t = RowTemplate::Compile("${mod(id, 4)}", "sinks.s.table");
  RowContext c{&bad, "d", "t", "x"};
  auto v = t->Evaluate(c);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("column 'id' is 'abc'"), std::string::npos);
}

// The definition docs/sinks.md gives, so that other tools can compute it: FNV-1a 64 of the
// value's text. Vectors from the FNV reference (http://www.isthe.com/chongo/tech/comp/fnv/).
TEST(RowTemplateTest, HashIsFnv1a64OfTheText) {
  EXPECT_EQ(FnvHash64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(FnvHash64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(FnvHash64("foobar"), 0x85944171f73967e8ull);
  Row row = MakeRow({{"name", SqlValue::Text("foobar")}});
  EXPECT_EQ(Eval("${hash(name, 16)}", row), std::to_string(0x85944171f73967e8ull % 16));
  Row number = MakeRow({{"id", SqlValue::Number("42")}});
  EXPECT_EQ(Eval("${hash(id, 1000)}", number), std::to_string(FnvHash64("42") % 1000));
}

TEST(RowTemplateTest, RangeGivesTheIndexOfTheRange) {
  for (auto [value, want] : std::vector<std::pair<std::string, std::string>>{
           {"5", "0"}, {"100", "1"}, {"999", "1"}, {"1000", "2"}, {"5000", "2"}, {"-3", "0"}}) {
    Row row = MakeRow({{"amount", SqlValue::Number(value)}});
    EXPECT_EQ(Eval("p${range(amount, 100, 1000)}", row), "p" + want) << value;
  }
  Row text = MakeRow({{"name", SqlValue::Text("m")}});
  EXPECT_EQ(Eval("${range(name, 'g', 'p')}", text), "1");
}

TEST(RowTemplateTest, ErrorsNameTheKeyAndTheProblem) {
  for (const char* bad :
       {"${mod(id)}", "${mod(id, 0)}", "${nope(id, 1)}", "${id", "${a b}", "${range(id)}"}) {
    auto t = RowTemplate::Compile(bad, "sinks.s.table");
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_NE(t.status().message().find("sinks.s.table: template"), std::string::npos);
  }
  Row row = MakeRow({{"id", SqlValue::Null()}});
  auto t = RowTemplate::Compile("t_${id}", "k");
  RowContext c{&row, "d", "t", "x"};
  auto v = t->Evaluate(c);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("is null"), std::string::npos);
  RowContext missing{&row, "d", "t", "x"};
  auto u = RowTemplate::Compile("t_${other}", "k")->Evaluate(missing);
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("'other'"), std::string::npos);
}

}  // namespace
}  // namespace vimur::sink
