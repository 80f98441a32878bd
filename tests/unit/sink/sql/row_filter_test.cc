#include "sink/sql/row_filter.h"

#include <gtest/gtest.h>

namespace vimur::sink {
namespace {

Row Sample() {
  Row r;
  r.names = {"id", "status", "amount", "note", "flag", "created", "big"};
  r.values = {SqlValue::Number("7"),
              SqlValue::Text("paid"),
              SqlValue::Number("12.50"),
              SqlValue::Null(),
              SqlValue::Bool(true),
              SqlValue::Text("2024-05-01 10:00:00.5"),
              SqlValue::Number("123456789012345678901234567890")};
  return r;
}

Truth Eval(const std::string& text, const Row& row = Sample()) {
  auto f = RowFilter::Parse(text);
  EXPECT_TRUE(f.ok()) << text << ": " << f.status().message();
  if (!f.ok()) return Truth::kUnknown;
  auto t = f->Evaluate(row);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().message();
  return t.ok() ? *t : Truth::kUnknown;
}

constexpr Truth T = Truth::kTrue, F = Truth::kFalse, U = Truth::kUnknown;

TEST(RowFilterTest, Comparisons) {
  EXPECT_EQ(Eval("id = 7"), T);
  EXPECT_EQ(Eval("id = 7.000"), T);  // numbers compare as numbers
  EXPECT_EQ(Eval("id != 7"), F);
  EXPECT_EQ(Eval("id <> 8"), T);
  EXPECT_EQ(Eval("id < 8"), T);
  EXPECT_EQ(Eval("id < 7"), F);
  EXPECT_EQ(Eval("id <= 7"), T);
  EXPECT_EQ(Eval("id > 6.99"), T);
  EXPECT_EQ(Eval("id > 7"), F);
  EXPECT_EQ(Eval("id >= 7"), T);
  EXPECT_EQ(Eval("id > -3"), T);
  EXPECT_EQ(Eval("id < 1e3"), T);
  EXPECT_EQ(Eval("amount = 12.5"), T);  // the decimal's scale does not matter
  EXPECT_EQ(Eval("amount > 12.499999999999999999999"), T);
  EXPECT_EQ(Eval("amount < 12.500000000000000000001"), T);
  // Integers longer than any machine type compare exactly.
  EXPECT_EQ(Eval("big > 123456789012345678901234567889"), T);
  EXPECT_EQ(Eval("big = 123456789012345678901234567890"), T);
  EXPECT_EQ(Eval("status = 'paid'"), T);
  EXPECT_EQ(Eval("status != 'paid'"), F);
  EXPECT_EQ(Eval("status < 'sent'"), T);  // text compares as bytes
  EXPECT_EQ(Eval("status > 'new'"), T);
  EXPECT_EQ(Eval("status = 'Paid'"), F);  // case-sensitive
  EXPECT_EQ(Eval("status = 7"), F);       // a number against text that is not a number
  EXPECT_EQ(Eval("amount = '12.5'"), F);  // a quoted literal compares as text
  EXPECT_EQ(Eval("amount = '12.50'"), T);
  EXPECT_EQ(Eval("created >= '2024-05-01' and created < '2024-05-02'"), T);
  EXPECT_EQ(Eval("flag = true"), T);
  EXPECT_EQ(Eval("flag = false"), F);
  EXPECT_EQ(Eval("flag = 1"), T);
  EXPECT_EQ(Eval("`status` = 'paid'"), T);  // a quoted column name
  Row quote;
  quote.names = {"note"};
  quote.values = {SqlValue::Text("it's")};
  EXPECT_EQ(Eval("note = 'it''s'", quote), T);
  EXPECT_EQ(CompareWithLiteral(SqlValue::Number("-0.0"), "0", true), 0);
  EXPECT_LT(CompareWithLiteral(SqlValue::Number("-2"), "-1.5", true), 0);
  EXPECT_GT(CompareWithLiteral(SqlValue::Number("-1"), "-1.5", true), 0);
  EXPECT_LT(CompareWithLiteral(SqlValue::Number("9"), "10", true), 0);
  EXPECT_GT(CompareWithLiteral(SqlValue::Text("9"), "10", false), 0);  // as text
}

TEST(RowFilterTest, InIsNullAndLogic) {
  EXPECT_EQ(Eval("status in ('new', 'paid')"), T);
  EXPECT_EQ(Eval("status in ('new', 'sent')"), F);
  EXPECT_EQ(Eval("status not in ('new', 'sent')"), T);
  EXPECT_EQ(Eval("id in (1, 7.0, 9)"), T);
  EXPECT_EQ(Eval("note is null"), T);
  EXPECT_EQ(Eval("note is not null"), F);
  EXPECT_EQ(Eval("id is null"), F);
  EXPECT_EQ(Eval("id IS NOT NULL"), T);  // keywords in any case
  EXPECT_EQ(Eval("id = 7 and status = 'paid'"), T);
  EXPECT_EQ(Eval("id = 7 and status = 'new'"), F);
  EXPECT_EQ(Eval("id = 8 or status = 'paid'"), T);
  EXPECT_EQ(Eval("id = 8 or status = 'new'"), F);
  EXPECT_EQ(Eval("not id = 8"), T);
  EXPECT_EQ(Eval("not (id = 7 and status = 'paid')"), F);
  // and binds tighter than or.
  EXPECT_EQ(Eval("id = 7 or id = 8 and status = 'new'"), T);
  EXPECT_EQ(Eval("(id = 7 or id = 8) and status = 'new'"), F);
  EXPECT_EQ(Eval("not not id = 7"), T);
  EXPECT_EQ(Eval("((id = 7))"), T);
}

// SQL's three-valued logic: a comparison with NULL is unknown, and unknown rows are not kept.
TEST(RowFilterTest, NullSemantics) {
  EXPECT_EQ(Eval("note = 'x'"), U);
  EXPECT_EQ(Eval("note != 'x'"), U);
  EXPECT_EQ(Eval("note < 1"), U);
  EXPECT_EQ(Eval("note in ('x', 'y')"), U);
  EXPECT_EQ(Eval("note not in ('x', 'y')"), U);
  EXPECT_EQ(Eval("not note = 'x'"), U);
  EXPECT_EQ(Eval("note = 'x' and id = 7"), U);
  EXPECT_EQ(Eval("note = 'x' and id = 8"), F);  // false wins in and
  EXPECT_EQ(Eval("note = 'x' or id = 7"), T);   // true wins in or
  EXPECT_EQ(Eval("note = 'x' or id = 8"), U);
  EXPECT_EQ(Eval("note is null or note != 'x'"), T);
  auto f = RowFilter::Parse("note != 'x'");
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(*f->Keeps(Sample()));  // unknown: not kept
  auto all = RowFilter::Parse("  ");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  EXPECT_TRUE(*all->Keeps(Sample()));
}

TEST(RowFilterTest, ColumnsAndMissingColumn) {
  auto f = RowFilter::Parse("status = 'paid' and (amount > 1 or status is null) and x in (1)");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->columns(), (std::vector<std::string>{"status", "amount", "x"}));
  auto t = f->Evaluate(Sample());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("column 'x'"), std::string::npos) << t.status().message();
}

// Errors name the character where the text went wrong and what was expected there.
TEST(RowFilterTest, ParseErrorsNameThePosition) {
  struct Case {
    const char* text;
    const char* where;  // "at character N"
    const char* what;
  };
  const Case cases[] = {
      {"status = ", "at character 10", "expected a literal"},
      {"status == 'x'", "at character 9", "expected a literal"},
      {"status = 'x", "at character 10", "unterminated 'text'"},
      {"status = deleted", "at character 10", "'deleted' is a column name"},
      {"status = 'x' and", "at character 17", "expected a column name"},
      {"(status = 'x'", "at character 14", "expected ')'"},
      {"status = 'x')", "at character 13", "expected 'and', 'or' or the end"},
      {"status 'x'", "at character 8", "expected =, !="},
      {"status in 'x'", "at character 11", "expected '(' after 'in'"},
      {"status in ('x' 'y')", "at character 16", "expected ',' or ')'"},
      {"status in ()", "at character 12", "expected a literal"},
      {"status is 'x'", "at character 11", "expected 'null'"},
      {"status not 'x'", "at character 12", "expected 'in'"},
      {"status = null", "at character 10", "is null"},
      {"amount > 12abc", "at character 10", "not a number"},
      {"amount > 0x10", "at character 10", "not a number"},
      {"amount ~ 1", "at character 8", "unexpected character '~'"},
      {"and = 1", "at character 1", "expected a column name"},
      {"`` = 1", "at character 1", "empty `name`"},
  };
  for (const Case& c : cases) {
    auto f = RowFilter::Parse(c.text);
    ASSERT_FALSE(f.ok()) << c.text;
    const std::string& m = f.status().message();
    EXPECT_NE(m.find(c.where), std::string::npos) << c.text << ": " << m;
    EXPECT_NE(m.find(c.what), std::string::npos) << c.text << ": " << m;
    EXPECT_NE(m.find(std::string("filter '") + c.text + "'"), std::string::npos) << m;
  }
  // Deep nesting is refused, not a stack overflow.
  std::string deep(200, '(');
  deep += "id = 1" + std::string(200, ')');
  auto f = RowFilter::Parse(deep);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("nested too deeply"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 200; ++i) nots += "not ";
  EXPECT_FALSE(RowFilter::Parse(nots + "id = 1").ok());
}

}  // namespace
}  // namespace vimur::sink
