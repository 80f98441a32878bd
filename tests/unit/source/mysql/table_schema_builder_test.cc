#include "source/mysql/table_schema_builder.h"

#include <gtest/gtest.h>

// Column descriptions list only the fields a case needs.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace vimur::mysql {
namespace {

using T = BinlogColumnType;

struct Col {
  std::string name;
  uint8_t type;
  uint16_t meta = 0;
  bool is_unsigned = false;
  uint32_t charset = 0;
  bool nullable = true;
  std::vector<std::string> members;
  uint32_t geometry = 0;
};

TableMapEvent MakeMap(const std::vector<Col>& cols, std::vector<uint32_t> pk = {}) {
  TableMapEvent map;
  map.table_id = 7;
  map.database = "shop";
  map.table = "orders";
  for (const Col& c : cols) {
    map.column_types.push_back(c.type);
    map.column_meta.push_back(c.meta);
    map.nullable.push_back(c.nullable);
    map.is_unsigned.push_back(c.is_unsigned);
    map.column_charset.push_back(c.charset);
    map.column_names.push_back(c.name);
    const uint8_t real = RealColumnType(c.type, c.meta);
    map.enum_values.push_back(real == T::kEnum ? c.members : std::vector<std::string>{});
    map.set_values.push_back(real == T::kSet ? c.members : std::vector<std::string>{});
    map.geometry_types.push_back(c.geometry);
  }
  map.primary_key = std::move(pk);
  return map;
}

ColumnSchema Only(const Col& c) {
  auto schema = BuildTableSchema(MakeMap({c}));
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return schema.ok() ? schema->columns[0] : ColumnSchema{};
}

TEST(TableSchemaBuilderTest, IntegerTypesFollowDebezium) {
  struct Case {
    uint8_t type;
    bool is_unsigned;
    LogicalType expected;
    const char* name;
  };
  const Case cases[] = {
      {T::kTiny, false, LogicalType::kInt16, "TINYINT"},
      {T::kTiny, true, LogicalType::kInt16, "TINYINT UNSIGNED"},
      {T::kShort, false, LogicalType::kInt16, "SMALLINT"},
      {T::kShort, true, LogicalType::kInt32, "SMALLINT UNSIGNED"},
      {T::kInt24, false, LogicalType::kInt32, "MEDIUMINT"},
      {T::kInt24, true, LogicalType::kInt32, "MEDIUMINT UNSIGNED"},
      {T::kLong, false, LogicalType::kInt32, "INT"},
      {T::kLong, true, LogicalType::kInt64, "INT UNSIGNED"},
      {T::kLongLong, false, LogicalType::kInt64, "BIGINT"},
      {T::kLongLong, true, LogicalType::kUInt64, "BIGINT UNSIGNED"},
  };
  for (const Case& c : cases) {
    ColumnSchema col = Only({"n", c.type, 0, c.is_unsigned});
    EXPECT_EQ(col.type, c.expected) << c.name;
    EXPECT_EQ(col.type_name, c.name);
    EXPECT_EQ(col.is_unsigned, c.is_unsigned);
  }
}

TEST(TableSchemaBuilderTest, NumericAndTemporalTypes) {
  EXPECT_EQ(Only({"f", T::kFloat, 4}).type, LogicalType::kFloat);
  EXPECT_EQ(Only({"d", T::kDouble, 8}).type, LogicalType::kDouble);
  ColumnSchema dec = Only({"p", T::kNewDecimal, (65 << 8) | 30});
  EXPECT_EQ(dec.type, LogicalType::kDecimal);
  EXPECT_EQ(dec.precision, 65);
  EXPECT_EQ(dec.scale, 30);
  EXPECT_EQ(dec.type_name, "DECIMAL");
  ColumnSchema bit1 = Only({"b", T::kBit, 1});
  EXPECT_EQ(bit1.type, LogicalType::kBoolean);
  EXPECT_EQ(bit1.precision, 1);
  ColumnSchema bit12 = Only({"b", T::kBit, (1 << 8) | 4});
  EXPECT_EQ(bit12.type, LogicalType::kBits);
  EXPECT_EQ(bit12.precision, 12);
  EXPECT_EQ(Only({"b", T::kBit, 8 << 8}).precision, 64);
  EXPECT_EQ(Only({"d", T::kDate}).type, LogicalType::kDate);
  for (uint16_t fsp = 0; fsp <= 6; ++fsp) {
    ColumnSchema dt = Only({"dt", T::kDatetime2, fsp});
    EXPECT_EQ(dt.type, fsp <= 3 ? LogicalType::kTimestampMillis : LogicalType::kTimestampMicros);
    EXPECT_EQ(dt.fsp, fsp);
    EXPECT_EQ(dt.type_name, "DATETIME");
    ColumnSchema ts = Only({"ts", T::kTimestamp2, fsp});
    EXPECT_EQ(ts.type, LogicalType::kZonedTimestamp);
    EXPECT_EQ(ts.fsp, fsp);
    ColumnSchema tm = Only({"t", T::kTime2, fsp});
    EXPECT_EQ(tm.type, LogicalType::kMicroTime);
    EXPECT_EQ(tm.fsp, fsp);
  }
  EXPECT_EQ(Only({"dt", T::kDatetime}).type, LogicalType::kTimestampMillis);
  EXPECT_EQ(Only({"ts", T::kTimestamp}).type, LogicalType::kZonedTimestamp);
  EXPECT_EQ(Only({"t", T::kTime}).type, LogicalType::kMicroTime);
  EXPECT_EQ(Only({"y", T::kYear}).type, LogicalType::kYear);
}

TEST(TableSchemaBuilderTest, StringsByCollation) {
  ColumnSchema vc = Only({"s", T::kVarchar, 400, false, 255});
  EXPECT_EQ(vc.type, LogicalType::kString);
  EXPECT_EQ(vc.type_name, "VARCHAR");
  EXPECT_EQ(vc.precision, 100);  // utf8mb4: 4 bytes per character
  EXPECT_EQ(vc.collation, 255u);
  ColumnSchema vb = Only({"s", T::kVarchar, 16, false, 63});
  EXPECT_EQ(vb.type, LogicalType::kBytes);
  EXPECT_EQ(vb.type_name, "VARBINARY");
  EXPECT_EQ(vb.precision, 16);
  ColumnSchema ch = Only({"s", T::kString, 0xFE28, false, 255});
  EXPECT_EQ(ch.type, LogicalType::kString);
  EXPECT_EQ(ch.type_name, "CHAR");
  EXPECT_EQ(ch.precision, 10);
  ColumnSchema bin = Only({"s", T::kString, 0xFE10, false, 63});
  EXPECT_EQ(bin.type, LogicalType::kBytes);
  EXPECT_EQ(bin.type_name, "BINARY");
  EXPECT_EQ(bin.precision, 16);
  EXPECT_EQ(Only({"s", T::kString, 0xCEFC, false, 255}).precision, 255);
  EXPECT_EQ(Only({"s", T::kVarchar, 30, false, 8}).precision, 30);  // latin1
  EXPECT_EQ(Only({"t", T::kBlob, 2, false, 255}).type_name, "TEXT");
  EXPECT_EQ(Only({"t", T::kBlob, 1, false, 255}).type_name, "TINYTEXT");
  EXPECT_EQ(Only({"t", T::kBlob, 3, false, 33}).type_name, "MEDIUMTEXT");
  EXPECT_EQ(Only({"t", T::kBlob, 4, false, 255}).type, LogicalType::kString);
  ColumnSchema blob = Only({"b", T::kBlob, 4, false, 63});
  EXPECT_EQ(blob.type, LogicalType::kBytes);
  EXPECT_EQ(blob.type_name, "LONGBLOB");
  EXPECT_TRUE(IsLatin1Collation(8));
  EXPECT_TRUE(IsLatin1Collation(47));
  EXPECT_FALSE(IsLatin1Collation(255));
  EXPECT_FALSE(IsLatin1Collation(63));
}

TEST(TableSchemaBuilderTest, EnumSetJsonGeometry) {
  ColumnSchema e = Only({"e", T::kString, (T::kEnum << 8) | 1, false, 255, true, {"a", "b"}});
  EXPECT_EQ(e.type, LogicalType::kEnum);
  EXPECT_EQ(e.type_name, "ENUM");
  EXPECT_EQ(e.enum_values, (std::vector<std::string>{"a", "b"}));
  ColumnSchema s = Only({"s", T::kString, (T::kSet << 8) | 1, false, 255, true, {"x"}});
  EXPECT_EQ(s.type, LogicalType::kSet);
  EXPECT_EQ(s.enum_values, (std::vector<std::string>{"x"}));
  EXPECT_EQ(RealColumnType(T::kString, (T::kEnum << 8) | 1), T::kEnum);
  EXPECT_EQ(RealColumnType(T::kString, 0xFE28), T::kString);
  EXPECT_EQ(RealColumnType(T::kString, 0xCEFC), T::kString);
  EXPECT_EQ(Only({"j", T::kJson, 4}).type, LogicalType::kJson);
  ColumnSchema g = Only({"g", T::kGeometry, 4, false, 0, true, {}, 1});
  EXPECT_EQ(g.type, LogicalType::kGeometry);
  EXPECT_EQ(g.type_name, "POINT");
  EXPECT_EQ(g.geometry_type, 1u);
  EXPECT_EQ(Only({"g", T::kGeometry, 4}).type_name, "GEOMETRY");
}

TEST(TableSchemaBuilderTest, TableShapeKeyAndNullability) {
  auto schema = BuildTableSchema(MakeMap({{"id", T::kLongLong, 0, true, 0, false},
                                          {"region", T::kVarchar, 40, false, 255, false},
                                          {"note", T::kBlob, 2, false, 255, true}},
                                         {1, 0}));
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(schema->database, "shop");
  EXPECT_EQ(schema->table, "orders");
  EXPECT_EQ(schema->source_table_id, 7u);
  ASSERT_EQ(schema->columns.size(), 3u);
  EXPECT_EQ(schema->columns[0].name, "id");
  EXPECT_FALSE(schema->columns[0].nullable);
  EXPECT_TRUE(schema->columns[2].nullable);
  EXPECT_EQ(schema->key_columns, (std::vector<size_t>{1, 0}));
  EXPECT_TRUE(schema->columns[0].in_primary_key);
  EXPECT_TRUE(schema->columns[1].in_primary_key);
  EXPECT_FALSE(schema->columns[2].in_primary_key);
  EXPECT_EQ(schema->columns[1].source_type, T::kVarchar);
  EXPECT_EQ(schema->columns[1].source_meta, 40);
  // The same map builds the same shape.
  auto again = BuildTableSchema(MakeMap({{"id", T::kLongLong, 0, true, 0, false},
                                         {"region", T::kVarchar, 40, false, 255, false},
                                         {"note", T::kBlob, 2, false, 255, true}},
                                        {1, 0}));
  EXPECT_TRUE(schema->SameShape(*again));
  auto no_key = BuildTableSchema(MakeMap({{"id", T::kLong}}));
  EXPECT_FALSE(no_key->has_key());
}

TEST(TableSchemaBuilderTest, MissingNamesAskForFullRowMetadata) {
  TableMapEvent map = MakeMap({{"id", T::kLong}});
  map.column_names.clear();
  auto schema = BuildTableSchema(map);
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(schema.status().message().find("binlog_row_metadata=FULL"), std::string::npos);
  EXPECT_NE(schema.status().message().find("shop.orders"), std::string::npos);
  // ENUM without its values needs the same setting.
  TableMapEvent e = MakeMap({{"e", T::kString, (T::kEnum << 8) | 1}});
  e.enum_values.clear();
  EXPECT_EQ(BuildTableSchema(e).status().code(), StatusCode::kFailedPrecondition);
}

TEST(TableSchemaBuilderTest, RejectsInconsistentMetadata) {
  const std::vector<Col> bad = {
      {"d", T::kNewDecimal, (66 << 8) | 2},
      {"d", T::kNewDecimal, (10 << 8) | 11},
      {"d", T::kNewDecimal, 0},
      {"b", T::kBit, 0},
      {"b", T::kBit, (9 << 8)},
      {"t", T::kDatetime2, 7},
      {"t", T::kTimestamp2, 7},
      {"t", T::kTime2, 9},
      {"b", T::kBlob, 0},
      {"b", T::kBlob, 5},
      {"j", T::kJson, 0},
      {"g", T::kGeometry, 9},
  };
  for (const Col& c : bad) {
    auto schema = BuildTableSchema(MakeMap({c}));
    EXPECT_FALSE(schema.ok()) << c.name << " meta " << c.meta;
    EXPECT_EQ(schema.status().code(), StatusCode::kCorruption);
  }
  EXPECT_EQ(BuildTableSchema(MakeMap({{"x", T::kDecimal}})).status().code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(BuildTableSchema(MakeMap({{"x", 100}})).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(BuildTableSchema(MakeMap({{"id", T::kLong}}, {3})).status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(BuildTableSchema(MakeMap({{"id", T::kLong}}, {0, 0})).status().code(),
            StatusCode::kCorruption);
  TableMapEvent short_meta = MakeMap({{"id", T::kLong}});
  short_meta.column_meta.clear();
  EXPECT_EQ(BuildTableSchema(short_meta).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace vimur::mysql
