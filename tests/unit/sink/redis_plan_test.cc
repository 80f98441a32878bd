#include "sink/redis/redis_plan.h"

#include <gtest/gtest.h>

namespace vimur::sink {
namespace {

Row MakeRow(std::vector<std::pair<std::string, SqlValue>> cells) {
  Row r;
  for (auto& [n, v] : cells) {
    r.names.push_back(n);
    r.values.push_back(v);
  }
  return r;
}

RowChange Change(char op, std::optional<Row> before, std::optional<Row> after) {
  RowChange c;
  c.op = op;
  c.db = "shop";
  c.table = "users";
  c.key_columns = {"id"};
  if (before) c.has_before = true, c.before = *before;
  if (after) c.has_after = true, c.after = *after;
  return c;
}

SinkConfig Config(std::string key, std::string value = "json", std::string mode = "write",
                  int ttl = 0) {
  SinkConfig s;
  s.name = "cache";
  s.type = "redis";
  if (!key.empty()) s.key = {key};
  s.value = value;
  s.mode = mode;
  s.ttl_seconds = ttl;
  return s;
}

Row Alice(int id, const char* name) {
  return MakeRow({{"id", SqlValue::Number(std::to_string(id))},
                  {"name", SqlValue::Text(name)},
                  {"balance", SqlValue::Number("12.50")},
                  {"note", SqlValue::Null()}});
}

TEST(RedisPlanTest, LastChangeOfAKeyWinsAndDeletesRemove) {
  auto planner = RedisPlanner::Make(Config("user:${id}"));
  ASSERT_TRUE(planner.ok());
  RedisPlan plan;
  ASSERT_TRUE(planner->Plan(Change('c', {}, Alice(1, "a")), "t", &plan).ok());
  ASSERT_TRUE(planner->Plan(Change('u', Alice(1, "a"), Alice(1, "b")), "t", &plan).ok());
  ASSERT_TRUE(planner->Plan(Change('c', {}, Alice(2, "x")), "t", &plan).ok());
  ASSERT_TRUE(planner->Plan(Change('d', Alice(2, "x"), {}), "t", &plan).ok());
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_FALSE(plan["user:1"].remove);
  EXPECT_EQ(plan["user:1"].row.Find("name")->text, "b");
  EXPECT_TRUE(plan["user:2"].remove);
  auto set = planner->Commands("user:1", plan["user:1"]);
  ASSERT_EQ(set.size(), 1u);  // no schema: the decimal came as a JSON number
  EXPECT_EQ(set[0],
            (RedisCommand{"SET", "user:1", R"({"id":1,"name":"b","balance":12.5,"note":null})"}));
  std::vector<RedisCommand> del = {{"DEL", "user:2"}};
  EXPECT_EQ(planner->Commands("user:2", plan["user:2"]), del);
}

TEST(RedisPlanTest, AKeyThatChangesDeletesTheOldKey) {
  auto planner = RedisPlanner::Make(Config("user:${name}"));
  ASSERT_TRUE(planner.ok());
  RedisPlan plan;
  ASSERT_TRUE(planner->Plan(Change('u', Alice(1, "a"), Alice(1, "b")), "t", &plan).ok());
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_TRUE(plan["user:a"].remove);
  EXPECT_FALSE(plan["user:b"].remove);
  // ... and a later change back to the old key writes it again (order within the batch).
  ASSERT_TRUE(planner->Plan(Change('u', Alice(1, "b"), Alice(1, "a")), "t", &plan).ok());
  EXPECT_FALSE(plan["user:a"].remove);
  EXPECT_TRUE(plan["user:b"].remove);
}

TEST(RedisPlanTest, InvalidateDeletesOldAndNewKeys) {
  auto planner = RedisPlanner::Make(Config("user:${name}", "json", "invalidate"));
  ASSERT_TRUE(planner.ok());
  RedisPlan plan;
  ASSERT_TRUE(planner->Plan(Change('c', {}, Alice(3, "c")), "t", &plan).ok());
  ASSERT_TRUE(planner->Plan(Change('u', Alice(1, "a"), Alice(1, "b")), "t", &plan).ok());
  ASSERT_EQ(plan.size(), 3u);
  for (const auto& [key, action] : plan) EXPECT_TRUE(action.remove) << key;
}

TEST(RedisPlanTest, HashWithTtlAndDefaultKey) {
  auto planner = RedisPlanner::Make(Config("", "hash", "write", 60));
  ASSERT_TRUE(planner.ok());
  RedisPlan plan;
  ASSERT_TRUE(planner->Plan(Change('c', {}, Alice(7, "h")), "t", &plan).ok());
  ASSERT_EQ(plan.count("shop.users:7"), 1u);
  auto commands = planner->Commands("shop.users:7", plan["shop.users:7"]);
  std::vector<RedisCommand> expected = {
      {"MULTI"},
      {"DEL", "shop.users:7"},
      {"HSET", "shop.users:7", "id", "7", "name", "h", "balance", "12.50"},  // null left out
      {"EXPIRE", "shop.users:7", "60"},
      {"EXEC"}};
  EXPECT_EQ(commands, expected);
  auto json = RedisPlanner::Make(Config("k${id}", "json", "write", 5));
  auto set = json->Commands("k1", RedisAction{false, Alice(1, "a")});
  EXPECT_EQ(set[0].size(), 5u);
  EXPECT_EQ(set[0][3], "EX");
  EXPECT_EQ(set[0][4], "5");
}

TEST(RedisPlanTest, ErrorsNameWhatIsWrong) {
  auto bad = RedisPlanner::Make(Config("user:${mod(id)}"));
  EXPECT_FALSE(bad.ok());
  auto planner = RedisPlanner::Make(Config("user:${missing}"));
  ASSERT_TRUE(planner.ok());
  RedisPlan plan;
  Status s = planner->Plan(Change('c', {}, Alice(1, "a")), "t", &plan);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("missing"), std::string::npos) << s.message();
  auto nokey = RedisPlanner::Make(Config(""));
  RowChange c = Change('c', {}, Alice(1, "a"));
  c.key_columns.clear();
  s = nokey->Plan(c, "t", &plan);
  EXPECT_NE(s.message().find("no primary key"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace vimur::sink
