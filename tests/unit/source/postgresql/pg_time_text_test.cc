#include "source/postgresql/pg_time_text.h"

#include <gtest/gtest.h>

namespace vimur::postgresql {
namespace {

int64_t Micros(const char* text) {
  int64_t v = 0;
  EXPECT_TRUE(ParseIntervalMicros(text, &v)) << text;
  return v;
}

TEST(PgTimeTextTest, IntervalsAsDebeziumsMicroDuration) {
  constexpr int64_t kHour = 3600LL * 1000000, kDay = 24 * kHour;
  EXPECT_EQ(Micros("00:00:00"), 0);
  EXPECT_EQ(Micros("1 day"), kDay);
  EXPECT_EQ(Micros("-03:00:00"), -3 * kHour);
  EXPECT_EQ(Micros("00:10:00"), 600LL * 1000000);
  EXPECT_EQ(Micros("100:00:00.000001"), 100 * kHour + 1);
  EXPECT_EQ(Micros("-1 days +02:03:04.5"), -kDay + 2 * kHour + 184500000);
  // A month is 365.25 / 12 days: 30.4375 days, as Debezium computes it.
  EXPECT_EQ(Micros("1 mon"), 2629800LL * 1000000);
  EXPECT_EQ(Micros("1 year"), 31557600LL * 1000000);
  EXPECT_EQ(
      Micros("1 year 2 mons 3 days 04:05:06.789"),
      static_cast<int64_t>(((((14 * (365.25 / 12.0) + 3) * 24 + 4) * 60 + 5) * 60 + 6.789) * 1e6));
  EXPECT_EQ(Micros("-1 years -2 mons"), -36817200LL * 1000000);
  int64_t v = 0;
  for (const char* bad : {"", "1", "1 fortnight", "P1D", "1 day 02:03", "abc"}) {
    EXPECT_FALSE(ParseIntervalMicros(bad, &v)) << bad;
  }
}

TEST(PgTimeTextTest, TimeTzInUtcAsIsoOffsetTime) {
  std::string iso;
  ASSERT_TRUE(ParseTimeTz("12:34:56+00", &iso));
  EXPECT_EQ(iso, "12:34:56Z");
  ASSERT_TRUE(ParseTimeTz("12:34:56.789+05:30", &iso));
  EXPECT_EQ(iso, "07:04:56.789Z");
  ASSERT_TRUE(ParseTimeTz("23:30:00.000001-02", &iso));
  EXPECT_EQ(iso, "01:30:00.000001Z");  // the next day's time
  ASSERT_TRUE(ParseTimeTz("00:15:00+01", &iso));
  EXPECT_EQ(iso, "23:15:00Z");  // the day before
  ASSERT_TRUE(ParseTimeTz("24:00:00+00", &iso));
  EXPECT_EQ(iso, "24:00:00Z");
  ASSERT_TRUE(ParseTimeTz("10:00:00.5+00:00:30", &iso));
  EXPECT_EQ(iso, "09:59:30.5Z");
  for (const char* bad : {"", "12:34:56", "12:34+00", "25:00:00+00", "12:34:56+x"}) {
    EXPECT_FALSE(ParseTimeTz(bad, &iso)) << bad;
  }
}

}  // namespace
}  // namespace vimur::postgresql
