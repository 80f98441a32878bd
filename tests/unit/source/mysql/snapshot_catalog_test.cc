// The snapshot's TABLE_MAP from information_schema and its cell decoding: the schema equals
// the one BuildTableSchema makes of the binlog's own TABLE_MAP, and cells decode to the Values
// the row-image decoder produces.
#include <gtest/gtest.h>

#include "core/arena.h"
#include "source/mysql/catalog_table_map.h"
#include "source/mysql/snapshot_row_decoder.h"
#include "source/mysql/table_schema_builder.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace vimur::mysql {
namespace {

using T = BinlogColumnType;

CatalogColumn Col(std::string name, std::string data_type, std::string column_type,
                  uint64_t octets = 0, uint32_t collation = 0) {
  CatalogColumn c;
  c.name = std::move(name);
  c.data_type = std::move(data_type);
  c.column_type = std::move(column_type);
  c.octet_length = octets;
  c.collation = collation;
  return c;
}

TEST(SnapshotCatalogTest, EnumMembersUnquote) {
  auto members = ParseEnumMembers("enum('a','it''s','x,y','')");
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(*members, (std::vector<std::string>{"a", "it's", "x,y", ""}));
  EXPECT_FALSE(ParseEnumMembers("enum('open").ok());
}

TEST(SnapshotCatalogTest, TableMapMatchesTheBinlogEncoding) {
  std::vector<CatalogColumn> cols = {
      Col("id", "int", "int(11)"),
      Col("u", "bigint", "bigint(20) unsigned"),
      Col("d", "decimal", "decimal(10,2)"),
      Col("c", "char", "char(100)", 400, 45),  // utf8mb4_general_ci: 400 bytes
      Col("v", "varchar", "varchar(300)", 1200, 45),
      Col("b", "binary", "binary(4)", 4),
      Col("e", "enum", "enum('x','y')", 4, 45),
      Col("s", "set", "set('p','q','r')", 12, 45),
      Col("bits", "bit", "bit(13)"),
      Col("dt", "datetime", "datetime(6)"),
      Col("lt", "longtext", "longtext", 4294967295, 45),
  };
  cols[2].numeric_precision = 10;
  cols[2].numeric_scale = 2;
  cols[8].numeric_precision = 13;
  cols[9].datetime_precision = 6;
  auto map = TableMapFromColumns("shop", "t", cols, {0});
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  EXPECT_EQ(map->column_types[3], T::kString);
  EXPECT_EQ(StringColumnLength(map->column_meta[3]), 400u);  // high bits folded into byte 0
  EXPECT_EQ(RealColumnType(map->column_types[6], map->column_meta[6]), T::kEnum);
  EXPECT_EQ(RealColumnType(map->column_types[7], map->column_meta[7]), T::kSet);
  auto schema = BuildTableSchema(*map);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const auto& c = schema->columns;
  EXPECT_EQ(c[0].type, LogicalType::kInt32);
  EXPECT_EQ(c[1].type, LogicalType::kUInt64);
  EXPECT_EQ(c[2].type, LogicalType::kDecimal);
  EXPECT_EQ(c[2].precision, 10);
  EXPECT_EQ(c[2].scale, 2);
  EXPECT_EQ(c[3].type, LogicalType::kString);
  EXPECT_EQ(c[3].precision, 100);
  EXPECT_EQ(c[4].precision, 300);
  EXPECT_EQ(c[5].type, LogicalType::kBytes);
  EXPECT_EQ(c[6].type, LogicalType::kEnum);
  EXPECT_EQ(c[6].enum_values, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(c[7].type, LogicalType::kSet);
  EXPECT_EQ(c[8].type, LogicalType::kBits);
  EXPECT_EQ(c[8].precision, 13);
  EXPECT_EQ(c[9].type, LogicalType::kTimestampMicros);
  EXPECT_EQ(c[10].type, LogicalType::kString);
  EXPECT_EQ(schema->key_columns, (std::vector<size_t>{0}));
}

TEST(SnapshotCatalogTest, UnknownTypeNamesTheColumn) {
  auto map = TableMapFromColumns("shop", "t", {Col("addr", "inet6", "inet6")}, {});
  ASSERT_FALSE(map.ok());
  EXPECT_NE(map.status().message().find("addr"), std::string::npos);
  EXPECT_NE(map.status().message().find("shop.t"), std::string::npos);
}

Value Decode(const ColumnSchema& c, std::string_view cell, ByteArena* arena) {
  Value v;
  Status s = DecodeSnapshotCell(c, cell.data(), cell.size(), arena, &v);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return v;
}

TEST(SnapshotCatalogTest, CellsDecodeAsTheBinlogDecoderDoes) {
  ByteArena arena;
  ColumnSchema c;
  c.type = LogicalType::kTimestampMicros;
  EXPECT_EQ(Decode(c, "2024-05-01 10:00:00.000123", &arena).i, 1714557600000123);
  c.type = LogicalType::kTimestampMillis;
  EXPECT_EQ(Decode(c, "2024-05-01 10:00:00.120", &arena).i, 1714557600120);
  EXPECT_TRUE(Decode(c, "0000-00-00 00:00:00", &arena).is_null());
  c.type = LogicalType::kDate;
  EXPECT_EQ(Decode(c, "1970-01-02", &arena).i, 1);
  c.type = LogicalType::kMicroTime;
  EXPECT_EQ(Decode(c, "-838:59:59.5", &arena).i, -(838LL * 3600 + 59 * 60 + 59) * 1000000 - 500000);
  c.type = LogicalType::kZonedTimestamp;
  c.fsp = 3;
  EXPECT_EQ(Decode(c, "1714557600.120", &arena).s, "2024-05-01T10:00:00.120Z");
  c.type = LogicalType::kBits;
  Value bits = Decode(c, std::string_view("\x01\x02", 2), &arena);
  EXPECT_EQ(bits.s, std::string_view("\x02\x01", 2));  // little-endian, as Debezium's Bits
  c.type = LogicalType::kEnum;
  c.enum_values = {"x", "y"};
  Value e = Decode(c, "y", &arena);
  EXPECT_EQ(e.s.data(), c.enum_values[1].data());  // a view of the schema's member
  c.type = LogicalType::kUInt64;
  EXPECT_EQ(Decode(c, "18446744073709551615", &arena).u, 18446744073709551615ull);
  c.type = LogicalType::kFloat;
  EXPECT_EQ(Decode(c, "1.2345677614212036", &arena).f, 1.2345678f);  // CAST(f AS DOUBLE)
  EXPECT_EQ(SnapshotSelectExpression(c), "CAST(`` AS DOUBLE)");
  c.type = LogicalType::kGeometry;
  Value g = Decode(c, std::string_view("\xe6\x10\x00\x00WKB", 7), &arena);
  EXPECT_EQ(g.srid, 4326u);
  EXPECT_EQ(g.s, "WKB");
  Value null;
  EXPECT_TRUE(DecodeSnapshotCell(c, nullptr, 0, &arena, &null).ok());
  EXPECT_TRUE(null.is_null());
  c.type = LogicalType::kInt32;
  Value bad;
  EXPECT_FALSE(DecodeSnapshotCell(c, "12x", 3, &arena, &bad).ok());
}

}  // namespace
}  // namespace vimur::mysql
