#include "sink/sql/target_writer.h"

#include <gtest/gtest.h>

namespace vimur::sink {
namespace {

Row OrderRow(const std::string& id, const std::string& note) {
  Row r;
  r.names = {"id", "amount", "note", "tag"};
  r.values = {SqlValue::Number(id), SqlValue::Number("12.50"), SqlValue::Text(note),
              SqlValue::Bytes(std::string("\x01\x00", 2))};
  r.types = {ColumnType{"int64", "", -1, -1, false, "", {}},
             ColumnType{"bytes", "org.apache.kafka.connect.data.Decimal", 10, 2, false, "", {}},
             ColumnType{"string", "", -1, -1, true, "", {}},
             ColumnType{"bytes", "", -1, -1, true, "", {}}};
  return r;
}

// Statements are built without a connection; literals are escaped per dialect.
TEST(TargetWriterTest, UpsertDeleteAndCreateInBothDialects) {
  auto maria = MakeConnection(*ParseDatabaseUrl("mariadb://u@h/d"));
  auto pg = MakeConnection(*ParseDatabaseUrl("postgresql://u@h/d"));
  Row a = OrderRow("1", "it's"), b = OrderRow("2", "back\\slash");
  std::vector<const Row*> rows = {&a, &b};
  EXPECT_EQ(TargetWriter::UpsertSql(*maria, "orders_1", a.names.view(), {"id"}, rows),
            "INSERT INTO `orders_1` (`id`, `amount`, `note`, `tag`) VALUES "
            "(1, 12.50, 'it\\'s', X'0100'), (2, 12.50, 'back\\\\slash', X'0100') "
            "ON DUPLICATE KEY UPDATE `amount` = VALUES(`amount`), `note` = VALUES(`note`), "
            "`tag` = VALUES(`tag`)");
  EXPECT_EQ(TargetWriter::UpsertSql(*pg, "orders", a.names.view(), {"id"}, rows),
            "INSERT INTO \"orders\" (\"id\", \"amount\", \"note\", \"tag\") VALUES "
            "(1, 12.50, 'it''s', '\\x0100'::bytea), (2, 12.50, 'back\\slash', '\\x0100'::bytea) "
            "ON CONFLICT (\"id\") DO UPDATE SET \"amount\" = EXCLUDED.\"amount\", "
            "\"note\" = EXCLUDED.\"note\", \"tag\" = EXCLUDED.\"tag\"");
  std::vector<SqlValue> k1 = {SqlValue::Text("part_1"), SqlValue::Number("7")};
  std::vector<SqlValue> k2 = {SqlValue::Text("part_2"), SqlValue::Number("7")};
  EXPECT_EQ(TargetWriter::DeleteSql(*pg, "all", {"src", "id"}, {&k1, &k2}),
            "DELETE FROM \"all\" WHERE (\"src\", \"id\") IN (('part_1', 7), ('part_2', 7))");
  std::vector<SqlValue> one = {SqlValue::Number("9")};
  EXPECT_EQ(TargetWriter::DeleteSql(*maria, "t", {"id"}, {&one}),
            "DELETE FROM `t` WHERE `id` IN (9)");
  EXPECT_EQ(TargetWriter::CreateTableSql(*pg, "orders", a, {"id"}),
            "CREATE TABLE IF NOT EXISTS \"orders\" (\"id\" bigint NOT NULL, \"amount\" "
            "numeric(10,2) NOT NULL, \"note\" text, \"tag\" bytea, PRIMARY KEY (\"id\"))");
  EXPECT_EQ(TargetWriter::CreateTableSql(*maria, "orders_0", a, {"id"}),
            "CREATE TABLE IF NOT EXISTS `orders_0` (`id` BIGINT NOT NULL, `amount` "
            "DECIMAL(10,2) NOT NULL, `note` LONGTEXT, `tag` LONGBLOB, PRIMARY KEY (`id`))");
  // Only key columns: nothing to update on a duplicate.
  Row key_only;
  key_only.names = {"id"};
  key_only.values = {SqlValue::Number("3")};
  std::vector<const Row*> k = {&key_only};
  EXPECT_EQ(TargetWriter::UpsertSql(*maria, "t", {"id"}, {"id"}, k),
            "INSERT IGNORE INTO `t` (`id`) VALUES (3)");
  EXPECT_EQ(TargetWriter::UpsertSql(*pg, "t", {"id"}, {"id"}, k),
            "INSERT INTO \"t\" (\"id\") VALUES (3) ON CONFLICT (\"id\") DO NOTHING");
}

// PostgreSQL's bulk path: rows COPied into a stage in text format, then one upsert from it.
TEST(TargetWriterTest, PostgresStageUpsertAndCopyFields) {
  auto pg = MakeConnection(*ParseDatabaseUrl("postgresql://u@h/d"));
  auto maria = MakeConnection(*ParseDatabaseUrl("mariadb://u@h/d"));
  EXPECT_TRUE(pg->can_copy());
  EXPECT_FALSE(maria->can_copy());
  EXPECT_EQ(TargetWriter::UpsertFromStageSql(*pg, "orders", {"id", "note"}, {"id"}, "\"s0\""),
            "INSERT INTO \"orders\" (\"id\", \"note\") SELECT \"id\", \"note\" FROM \"s0\" "
            "ON CONFLICT (\"id\") DO UPDATE SET \"note\" = EXCLUDED.\"note\"");
  EXPECT_EQ(TargetWriter::UpsertFromStageSql(*pg, "t", {"id"}, {"id"}, "\"s1\""),
            "INSERT INTO \"t\" (\"id\") SELECT \"id\" FROM \"s1\" ON CONFLICT (\"id\") DO NOTHING");
  std::string out;
  for (const SqlValue& v :
       {SqlValue::Null(), SqlValue::Number("-1.5"), SqlValue::Text("a\tb\nc\rd\\e'f"),
        SqlValue::Bytes(std::string("\x00\xff", 2)), SqlValue::Text("\xc3\xa9")}) {
    pg->AppendCopyField(v, &out);
    out += '|';
  }
  EXPECT_EQ(out, "\\N|-1.5|a\\tb\\nc\\rd\\\\e'f|\\\\x00ff|\xc3\xa9|");
}

}  // namespace
}  // namespace vimur::sink
