// Benchmarks RowImageDecoder on a typical 10-column row (ints, strings, decimal, temporal) and
// the binary JSON decoder. Target: > 2 million 10-column rows/s on one core.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/arena.h"
#include "core/byte_reader.h"
#include "source/mysql/mysql_json_decoder.h"
#include "source/mysql/row_image_decoder.h"
#include "source/mysql/table_schema_builder.h"

namespace {

using vimur::mysql::BinlogColumnType;

std::string LE(uint64_t v, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}
std::string BE(uint64_t v, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(v >> (8 * (n - 1 - i))));
  return s;
}

struct Fixture {
  vimur::mysql::TableMapEvent map;
  vimur::TableSchema schema;
  std::string row;
  Fixture() {
    const uint8_t types[] = {BinlogColumnType::kLongLong,   BinlogColumnType::kLong,
                             BinlogColumnType::kVarchar,    BinlogColumnType::kVarchar,
                             BinlogColumnType::kNewDecimal, BinlogColumnType::kDatetime2,
                             BinlogColumnType::kTiny,       BinlogColumnType::kDouble,
                             BinlogColumnType::kDate,       BinlogColumnType::kTimestamp2};
    const uint16_t metas[] = {0, 0, 160, 1020, (10 << 8) | 2, 0, 0, 8, 0, 3};
    for (int i = 0; i < 10; ++i) {
      map.column_types.push_back(types[i]);
      map.column_meta.push_back(metas[i]);
      map.nullable.push_back(i != 0);
      map.is_unsigned.push_back(false);
      map.column_charset.push_back(255);
      map.column_names.push_back("c" + std::to_string(i));
    }
    map.primary_key = {0};
    schema = *vimur::mysql::BuildTableSchema(map);
    // 2024-05-01 10:20:30 as DATETIME2(0).
    const uint64_t dt = (uint64_t{1} << 39) | ((uint64_t{2024} * 13 + 5) << 22) | (1 << 17) |
                        (10 << 12) | (20 << 6) | 30;
    row = std::string(2, '\0') + LE(123456789, 8) + LE(42, 4) + "\x0f" + "alice@example.c" +
          LE(24, 2) + "221B Baker Street, Londo" + std::string("\x80\x00\x00\x13\x63", 5) +
          BE(dt, 5) + "\x01" + LE(0x400921fb54442d18, 8) + LE((2024 << 9) | (5 << 5) | 1, 3) +
          BE(1714558830, 4) + BE(1230, 2);
  }
};

// Runs `fn` for about `seconds` and returns calls per second.
template <typename Fn>
double Rate(Fn fn, double seconds) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  size_t calls = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 10000; ++i) fn();
    calls += 10000;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(calls) / elapsed;
}

}  // namespace

// Google Benchmark is not linked into bench targets, so this times with steady_clock.
int main() {
  Fixture f;
  vimur::mysql::RowImageDecoder decoder;
  std::vector<bool> present(10, true);
  std::vector<vimur::Value> out;
  auto arena = std::make_unique<vimur::ByteArena>(1 << 20);
  size_t rows = 0;
  bool ok = true;
  const double row_rate = Rate(
      [&] {
        vimur::ByteReader reader(f.row);
        ok &= decoder.DecodeRow(f.map, f.schema, present, &reader, arena.get(), &out).ok();
        // A real pipeline drops the arena once a batch is serialized.
        if (++rows % 16384 == 0) arena = std::make_unique<vimur::ByteArena>(1 << 20);
      },
      2.0);
  if (!ok) {
    std::fprintf(stderr, "row decode failed\n");
    return 1;
  }
  std::printf("decode 10-column row: %.2f M rows/s (%.0f ns/row)\n", row_rate / 1e6,
              1e9 / row_rate);

  // {"id":1,"tags":["a","b"],"price":12.5}
  std::string doc(
      "\x00\x03\x00\x3a\x00\x19\x00\x02\x00\x1b\x00\x04\x00\x1f\x00\x05\x00\x05\x01\x00\x02"
      "\x24\x00\x0b\x32\x00\x69\x64\x74\x61\x67\x73\x70\x72\x69\x63\x65\x02\x00\x0e\x00\x0c"
      "\x0a\x00\x0c\x0c\x00\x01\x61\x01\x62\x00\x00\x00\x00\x00\x00\x29\x40",
      59);
  std::string text;
  const double json_rate = Rate(
      [&] {
        text.clear();
        ok &= vimur::mysql::MySqlJsonToText(doc, &text).ok();
      },
      1.0);
  if (!ok || text != "{\"id\":1,\"tags\":[\"a\",\"b\"],\"price\":12.5}") {
    std::fprintf(stderr, "json decode failed: %s\n", text.c_str());
    return 1;
  }
  std::printf("binary JSON to text (3 keys): %.2f M docs/s\n", json_rate / 1e6);
  return 0;
}
