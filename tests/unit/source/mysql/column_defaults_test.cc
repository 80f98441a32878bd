#include "source/mysql/column_defaults.h"

#include <gtest/gtest.h>

namespace vimur::mysql {
namespace {

ColumnSchema Col(const char* name, LogicalType type, bool nullable = true) {
  ColumnSchema c;
  c.name = name;
  c.type = type;
  c.nullable = nullable;
  return c;
}

TEST(ColumnDefaultsTest, MariaDbLiteralsAreUnquotedAndExpressionsDropped) {
  const ColumnSchema s = Col("s", LogicalType::kString);
  EXPECT_EQ(NormalizeColumnDefault(std::string("'dflt'"), s, true), "dflt");
  EXPECT_EQ(NormalizeColumnDefault(std::string("'it''s'"), s, true), "it's");
  EXPECT_EQ(NormalizeColumnDefault(std::string("''"), s, true), "");
  EXPECT_EQ(NormalizeColumnDefault(std::string("NULL"), s, true), std::nullopt);
  EXPECT_EQ(NormalizeColumnDefault(std::nullopt, s, true), std::nullopt);
  EXPECT_EQ(NormalizeColumnDefault(std::string("uuid()"), s, true), std::nullopt);
  const ColumnSchema n = Col("n", LogicalType::kDecimal);
  EXPECT_EQ(NormalizeColumnDefault(std::string("12.50"), n, true), "12.50");
  EXPECT_EQ(NormalizeColumnDefault(std::string("-3"), n, true), "-3");
  const ColumnSchema ts = Col("ts", LogicalType::kZonedTimestamp, false);
  EXPECT_EQ(NormalizeColumnDefault(std::string("current_timestamp()"), ts, true), std::nullopt);
  EXPECT_EQ(NormalizeColumnDefault(std::string("'2024-05-01 10:00:00'"), ts, true),
            "2024-05-01 10:00:00");
}

TEST(ColumnDefaultsTest, MySqlLiteralsAreBare) {
  const ColumnSchema s = Col("s", LogicalType::kString);
  EXPECT_EQ(NormalizeColumnDefault(std::string("dflt"), s, false), "dflt");
  EXPECT_EQ(NormalizeColumnDefault(std::string("NULL"), s, false), "NULL");  // the text NULL
  const ColumnSchema dt = Col("dt", LogicalType::kTimestampMillis);
  EXPECT_EQ(NormalizeColumnDefault(std::string("CURRENT_TIMESTAMP"), dt, false), std::nullopt);
}

TEST(ColumnDefaultsTest, AppliedOnlyWhenTheColumnsMatchTheBinlog) {
  TableSchema t;
  t.database = "shop";
  t.table = "orders";
  t.columns = {Col("id", LogicalType::kInt32, false), Col("c", LogicalType::kString)};
  std::vector<InfoSchemaColumn> columns = {{"id", std::nullopt}, {"c", std::string("'dflt'")}};
  ASSERT_TRUE(ApplyColumnDefaults(columns, true, &t));
  EXPECT_FALSE(t.columns[0].has_default);
  EXPECT_TRUE(t.columns[1].has_default);
  EXPECT_EQ(t.columns[1].default_value, "dflt");

  // information_schema already has a later shape (a column added since the binlog event).
  TableSchema older = t;
  older.columns[1].has_default = false;
  columns.push_back({"d", std::string("1")});
  EXPECT_FALSE(ApplyColumnDefaults(columns, true, &older));
  EXPECT_FALSE(older.columns[1].has_default);
  // Or a renamed column.
  columns.pop_back();
  columns[1].name = "renamed";
  EXPECT_FALSE(ApplyColumnDefaults(columns, true, &older));
}

class FakeDefaults : public ColumnDefaultsSource {
 public:
  Result<std::vector<InfoSchemaColumn>> Columns(const std::string& database,
                                                const std::string& table) override {
    ++calls;
    if (fail) return Status::Unavailable("server down");
    return columns;
  }
  std::vector<InfoSchemaColumn> columns;
  bool fail = false;
  int calls = 0;
};

TEST(ColumnDefaultsTest, UnreadableServerLeavesDefaultsOut) {
  TableSchema t;
  t.database = "shop";
  t.table = "orders";
  t.columns = {Col("c", LogicalType::kString)};
  FakeDefaults source;
  source.fail = true;
  AddColumnDefaults(source, true, &t);
  EXPECT_FALSE(t.columns[0].has_default);
  source.fail = false;
  source.columns = {{"c", std::string("'x'")}};
  AddColumnDefaults(source, true, &t);
  EXPECT_EQ(t.columns[0].default_value, "x");
  EXPECT_EQ(source.calls, 2);
}

}  // namespace
}  // namespace vimur::mysql
