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
  // CURRENT_TIMESTAMP stands for Debezium's epoch (a zero date: no default when nullable).
  EXPECT_EQ(NormalizeColumnDefault(std::string("current_timestamp()"), ts, true),
            "0000-00-00 00:00:00");
  EXPECT_EQ(NormalizeColumnDefault(std::string("current_timestamp(6)"), ts, true),
            "0000-00-00 00:00:00");
  const ColumnSchema date = Col("d", LogicalType::kDate, false);
  EXPECT_EQ(NormalizeColumnDefault(std::string("curdate()"), date, true), std::nullopt);
  EXPECT_EQ(NormalizeColumnDefault(std::string("'2024-05-01 10:00:00'"), ts, true),
            "2024-05-01 10:00:00");
}

TEST(ColumnDefaultsTest, MySqlLiteralsAreBare) {
  const ColumnSchema s = Col("s", LogicalType::kString);
  EXPECT_EQ(NormalizeColumnDefault(std::string("dflt"), s, false), "dflt");
  EXPECT_EQ(NormalizeColumnDefault(std::string("NULL"), s, false), "NULL");  // the text NULL
  const ColumnSchema dt = Col("dt", LogicalType::kTimestampMillis);
  EXPECT_EQ(NormalizeColumnDefault(std::string("CURRENT_TIMESTAMP"), dt, false),
            "0000-00-00 00:00:00");
}

TEST(ColumnDefaultsTest, MySqlExpressionDefaultsAreDroppedExceptCurrentTimestamp) {
  TableSchema t;
  t.columns = {Col("s", LogicalType::kString), Col("ts", LogicalType::kZonedTimestamp, false)};
  std::vector<InfoSchemaColumn> columns = {
      {"s", std::string("now()"), "varchar(20)", true},
      {"ts", std::string("CURRENT_TIMESTAMP"), "timestamp", true}};
  ASSERT_TRUE(ApplyColumnDefaults(columns, false, &t));
  EXPECT_FALSE(t.columns[0].has_default);
  EXPECT_TRUE(t.columns[1].has_default);
  EXPECT_EQ(t.columns[1].default_value, "0000-00-00 00:00:00");
}

TEST(ColumnDefaultsTest, DisplayWidthIsReadFromTheColumnType) {
  EXPECT_EQ(DisplayWidth("int(11)"), 11);
  EXPECT_EQ(DisplayWidth("tinyint(1)"), 1);
  EXPECT_EQ(DisplayWidth("int(10) unsigned"), 10);
  EXPECT_EQ(DisplayWidth("int"), 0);  // MySQL 8.0.19+ shows none
  EXPECT_EQ(DisplayWidth("float"), 0);
  EXPECT_EQ(DisplayWidth("decimal(10,2)"), 0);
  EXPECT_EQ(DisplayWidth("set('x','y')"), 0);

  TableSchema t;
  t.columns = {Col("b", LogicalType::kInt16)};
  ASSERT_TRUE(ApplyColumnDefaults({{"b", std::nullopt, "tinyint(1)", false}}, true, &t));
  EXPECT_EQ(t.columns[0].display_width, 1);
}

TEST(ColumnDefaultsTest, AppliedOnlyWhenTheColumnsMatchTheBinlog) {
  TableSchema t;
  t.database = "shop";
  t.table = "orders";
  t.columns = {Col("id", LogicalType::kInt32, false), Col("c", LogicalType::kString)};
  std::vector<InfoSchemaColumn> columns = {{"id", std::nullopt, "int(11)", false},
                                           {"c", std::string("'dflt'"), "varchar(20)", false}};
  ASSERT_TRUE(ApplyColumnDefaults(columns, true, &t));
  EXPECT_FALSE(t.columns[0].has_default);
  EXPECT_TRUE(t.columns[1].has_default);
  EXPECT_EQ(t.columns[1].default_value, "dflt");

  // information_schema already has a later shape (a column added since the binlog event).
  TableSchema older = t;
  older.columns[1].has_default = false;
  columns.push_back({"d", std::string("1"), "int(11)", false});
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
  source.columns = {{"c", std::string("'x'"), "varchar(1)", false}};
  AddColumnDefaults(source, true, &t);
  EXPECT_EQ(t.columns[0].default_value, "x");
  EXPECT_EQ(source.calls, 2);
}

}  // namespace
}  // namespace vimur::mysql
