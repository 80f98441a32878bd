// Rows decoded one after another with one decoder and one prepared ImagePlan (the streaming
// path): dates and datetimes against std::chrono, so that values carried from row to row
// (the day cache) never leak into the next row.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "source/mysql/row_image_decoder.h"
#include "source/mysql/table_schema_builder.h"

namespace vimur::mysql {
namespace {

using T = BinlogColumnType;

std::string BigEndian(uint64_t v, size_t width) {
  std::string s;
  for (size_t i = 0; i < width; ++i) s.push_back(static_cast<char>(v >> (8 * (width - 1 - i))));
  return s;
}

int64_t Days(int y, int m, int d) {
  using namespace std::chrono;
  return sys_days{year{y} / month{static_cast<unsigned>(m)} / day{static_cast<unsigned>(d)}}
      .time_since_epoch()
      .count();
}

TEST(RowImagePlanTest, DatesOfSuccessiveRowsMatchTheCalendar) {
  TableMapEvent map;
  map.table_id = 1;
  map.database = "db";
  map.table = "t";
  const std::vector<std::pair<uint8_t, uint16_t>> cols = {
      {T::kNewDate, 0}, {T::kDatetime2, 6}, {T::kDatetime2, 3}, {T::kDatetime2, 0}};
  for (size_t i = 0; i < cols.size(); ++i) {
    map.column_types.push_back(cols[i].first);
    map.column_meta.push_back(cols[i].second);
    map.nullable.push_back(true);
    map.is_unsigned.push_back(false);
    map.column_charset.push_back(0);
    map.column_names.push_back("c" + std::to_string(i));
    map.enum_values.emplace_back();
    map.set_values.emplace_back();
    map.geometry_types.push_back(0);
  }
  auto schema = BuildTableSchema(map);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ImagePlan plan;
  ASSERT_TRUE(
      RowImageDecoder::Prepare(map, *schema, std::vector<bool>(cols.size(), true), &plan).ok());

  std::mt19937 rng(5);
  std::string rows;
  struct Want {
    bool zero;
    int64_t date, micros6, millis3, millis0;
  };
  std::vector<Want> wants;
  int y = 2024, m = 5, d = 1;
  for (int r = 0; r < 3000; ++r) {
    // Runs of rows on one day, then a jump; now and then a zero date.
    if (rng() % 4 == 0) {
      y = 1000 + static_cast<int>(rng() % 9000);
      m = 1 + static_cast<int>(rng() % 12);
      d = 1 + static_cast<int>(rng() % 28);
    }
    const bool zero = rng() % 50 == 0;
    const int h = static_cast<int>(rng() % 24), mi = static_cast<int>(rng() % 60),
              s = static_cast<int>(rng() % 60);
    const int us = static_cast<int>(rng() % 1000000);
    const int yy = zero ? 0 : y, mm = zero ? 0 : m, dd = zero ? 0 : d;
    rows.push_back('\0');  // null bitmap: nothing null
    const uint64_t date = (static_cast<uint64_t>(yy) << 9) | (static_cast<uint64_t>(mm) << 5) |
                          static_cast<uint64_t>(dd);
    rows += std::string{static_cast<char>(date), static_cast<char>(date >> 8),
                        static_cast<char>(date >> 16)};
    const uint64_t ym = static_cast<uint64_t>(yy) * 13 + static_cast<uint64_t>(mm);
    const uint64_t packed = (uint64_t{1} << 39) | (ym << 22) | (uint64_t(dd) << 17) |
                            (uint64_t(h) << 12) | (uint64_t(mi) << 6) | uint64_t(s);
    rows += BigEndian(packed, 5) + BigEndian(static_cast<uint64_t>(us), 3);
    rows += BigEndian(packed, 5) + BigEndian(static_cast<uint64_t>(us / 1000 * 10), 2);
    rows += BigEndian(packed, 5);
    const int64_t secs = zero ? 0 : Days(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
    wants.push_back({zero, zero ? 0 : Days(y, m, d), secs * 1000000 + us, secs * 1000 + us / 1000,
                     secs * 1000});
  }
  RowImageDecoder decoder;
  ByteArena arena;
  ByteReader reader(rows);
  std::vector<Value> out;
  for (const Want& w : wants) {
    ASSERT_TRUE(decoder.DecodeRow(plan, &reader, &arena, &out).ok());
    ASSERT_EQ(out.size(), 4u);
    if (w.zero) {  // nullable zero dates are null
      for (const Value& v : out) EXPECT_TRUE(v.is_null());
      continue;
    }
    EXPECT_EQ(out[0].i, w.date);
    EXPECT_EQ(out[1].i, w.micros6);
    EXPECT_EQ(out[2].i, w.millis3);
    EXPECT_EQ(out[3].i, w.millis0);
  }
  EXPECT_TRUE(reader.empty());
}

}  // namespace
}  // namespace vimur::mysql
