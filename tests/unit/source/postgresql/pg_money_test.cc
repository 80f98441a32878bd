#include "source/postgresql/pg_money.h"

#include <gtest/gtest.h>

namespace vimur::postgresql {
namespace {

std::string Money(std::string_view text, int scale) {
  std::string out;
  EXPECT_TRUE(ParseMoney(text, scale, &out)) << text;
  return out;
}

TEST(PgMoneyTest, ReadsTheCLocaleOutput) {
  EXPECT_EQ(Money("$1,234.50", 2), "1234.50");
  EXPECT_EQ(Money("-$1.00", 2), "-1.00");
  EXPECT_EQ(Money("$0.00", 2), "0.00");
  EXPECT_EQ(Money("$0.07", 2), "0.07");
  EXPECT_EQ(Money("-$92,233,720,368,547,758.08", 2), "-92233720368547758.08");
  EXPECT_EQ(Money("$92,233,720,368,547,758.07", 2), "92233720368547758.07");
}

TEST(PgMoneyTest, ReadsOtherSymbolsAndSigns) {
  EXPECT_EQ(Money("($1.25)", 2), "-1.25");
  EXPECT_EQ(Money("1 234.50 EUR", 2), "1234.50");
  EXPECT_EQ(Money("\xe2\x82\xac"
                  "12.00",
                  2),
            "12.00");  // the euro sign
  EXPECT_EQ(Money("$-3.10", 2), "-3.10");
  EXPECT_EQ(Money("$5", 2), "5.00");
}

TEST(PgMoneyTest, RescalesHalfUp) {
  EXPECT_EQ(Money("$1.25", 4), "1.2500");
  EXPECT_EQ(Money("$1.25", 1), "1.3");
  EXPECT_EQ(Money("-$1.25", 1), "-1.3");
  EXPECT_EQ(Money("$1.24", 1), "1.2");
  EXPECT_EQ(Money("$9.99", 1), "10.0");
  EXPECT_EQ(Money("$99.50", 0), "100");
  EXPECT_EQ(Money("$0.49", 0), "0");
  EXPECT_EQ(Money("-$0.04", 1), "0.0");  // no negative zero
  EXPECT_EQ(Money("$0.05", 1), "0.1");
}

TEST(PgMoneyTest, RejectsWhatIsNotMoney) {
  std::string out;
  for (std::string_view bad : {"", "$", "$1.2.3", "--1", "($1.00", "$1.00)", "-($1)"}) {
    EXPECT_FALSE(ParseMoney(bad, 2, &out)) << bad;
  }
}

}  // namespace
}  // namespace vimur::postgresql
