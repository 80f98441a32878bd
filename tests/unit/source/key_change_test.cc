#include "source/key_change.h"

#include <gtest/gtest.h>

namespace vimur {
namespace {

ChangeEvent Update(int64_t old_id, int64_t new_id, std::string_view old_v, std::string_view new_v) {
  auto table = std::make_shared<TableSchema>();
  table->table = "t";
  table->columns.resize(2);
  table->key_columns = {0};
  ChangeEvent ev;
  ev.op = Op::kUpdate;
  ev.table = table;
  ev.before = {Value::Int(old_id), Value::Text(old_v)};
  ev.after = {Value::Int(new_id), Value::Text(new_v)};
  return ev;
}

TEST(KeyChangeTest, AnUpdateOfOtherColumnsKeepsItsKey) {
  EXPECT_FALSE(ChangesKey(Update(1, 1, "a", "b")));
  ChangeEvent insert = Update(1, 2, "a", "b");
  insert.op = Op::kCreate;
  EXPECT_FALSE(ChangesKey(insert));
  ChangeEvent no_before = Update(1, 2, "a", "b");  // e.g. PostgreSQL without the old key
  no_before.before.clear();
  EXPECT_FALSE(ChangesKey(no_before));
}

TEST(KeyChangeTest, AChangedKeyBecomesADeleteOfTheOldAndACreateOfTheNew) {
  ChangeEvent update = Update(1, 2, "a", "b");
  ASSERT_TRUE(ChangesKey(update));
  ChangeEvent created = SplitKeyChange(&update);
  EXPECT_EQ(update.op, Op::kDelete);
  EXPECT_TRUE(update.after.empty());
  ASSERT_EQ(update.before.size(), 2u);
  EXPECT_EQ(update.before[0].i, 1);
  EXPECT_EQ(created.op, Op::kCreate);
  EXPECT_TRUE(created.before.empty());
  ASSERT_EQ(created.after.size(), 2u);
  EXPECT_EQ(created.after[0].i, 2);
  EXPECT_EQ(created.table, update.table);
}

}  // namespace
}  // namespace vimur
