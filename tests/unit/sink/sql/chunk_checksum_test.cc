#include "sink/sql/chunk_checksum.h"

#include <gtest/gtest.h>

namespace vimur::sink {
namespace {

TEST(ChunkChecksumTest, MariaDbQuotesEveryValueSoThatNullAndEmptyDiffer) {
  const std::string sql =
      ChecksumQuery(Dialect::kMariaDb, {"`id`", "`note`"}, "`db`.`t`", " WHERE `id` > 5");
  // QUOTE(NULL) is the word NULL, QUOTE('') is two quotes: CONCAT_WS never skips a value.
  EXPECT_NE(sql.find("CONCAT_WS(',', QUOTE(`id`), QUOTE(`note`))"), std::string::npos) << sql;
  EXPECT_EQ(sql.rfind("SELECT COUNT(*), BIT_XOR(", 0), 0u) << sql;
  EXPECT_NE(sql.find(" FROM `db`.`t` WHERE `id` > 5"), std::string::npos) << sql;
}

TEST(ChunkChecksumTest, PostgresHashesTheRowText) {
  const std::string sql = ChecksumQuery(Dialect::kPostgres, {"\"id\"", "\"note\""}, "\"t\"", "");
  // A row's text tells NULL (nothing) from '' (""), and quotes values holding a comma.
  EXPECT_NE(sql.find("hashtextextended(ROW(\"id\", \"note\")::text, 0)"), std::string::npos) << sql;
  EXPECT_EQ(sql.rfind("SELECT COUNT(*), COALESCE(BIT_XOR(", 0), 0u) << sql;
  EXPECT_EQ(sql.substr(sql.size() - 9), " FROM \"t\"") << sql;
}

TEST(ChunkChecksumTest, IntegersOrderByValueNotText) {
  EXPECT_LT(CompareIntegerText("9", "10"), 0);
  EXPECT_GT(CompareIntegerText("10", "9"), 0);
  EXPECT_EQ(CompareIntegerText("42", "42"), 0);
  EXPECT_LT(CompareIntegerText("-10", "-9"), 0);
  EXPECT_GT(CompareIntegerText("-9", "-10"), 0);
  EXPECT_LT(CompareIntegerText("-1", "0"), 0);
  EXPECT_GT(CompareIntegerText("18446744073709551615", "9223372036854775807"), 0);
}

TEST(ChunkChecksumTest, KeysOrderColumnByColumn) {
  using Key = std::vector<std::optional<std::string>>;
  EXPECT_LT(CompareIntegerKeys(Key{"1", "20"}, Key{"2", "3"}), 0);
  EXPECT_LT(CompareIntegerKeys(Key{"2", "3"}, Key{"2", "20"}), 0);
  EXPECT_EQ(CompareIntegerKeys(Key{"2", "3"}, Key{"2", "3"}), 0);
}

TEST(ChunkChecksumTest, IntegerTypesOfBothKinds) {
  for (const char* t : {"tinyint", "int", "bigint", "integer", "smallint", "int8"}) {
    EXPECT_TRUE(IsIntegerType(t)) << t;
  }
  for (const char* t : {"boolean", "decimal", "varchar", "numeric", "text"}) {
    EXPECT_FALSE(IsIntegerType(t)) << t;
  }
}

}  // namespace
}  // namespace vimur::sink
