#include "sink/search/search_plan.h"

#include <gtest/gtest.h>

#include "search_test_rows.h"

namespace vimur::sink {
namespace {

using namespace search_test;

TEST(SearchPlanTest, TopicsGetTheirRoles) {
  auto plan = SearchPlan::Make(OrdersConfig());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->RolesOf("shop.shop.orders"), std::vector<int>{kRootRole});
  EXPECT_EQ(plan->RolesOf("shop.shop.order_items"), std::vector<int>{0});
  EXPECT_EQ(plan->RolesOf("shop.shop.users"), std::vector<int>{1});
  EXPECT_TRUE(plan->RolesOf("shop.shop.orders_archive").empty());  // whole-name match
  EXPECT_EQ(plan->RoleName(kRootRole), "");
  EXPECT_EQ(plan->RoleName(1), "user");
  EXPECT_TRUE(plan->relations()[0].many());
  EXPECT_FALSE(plan->relations()[1].many());
}

TEST(SearchPlanTest, ConfigurationErrorsNameTheProblem) {
  SinkConfig bad_regex = OrdersConfig();
  bad_regex.root = "shop\\.(orders";
  auto r = SearchPlan::Make(bad_regex);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("sink docs: root"), std::string::npos)
      << r.status().message();

  SinkConfig twice = OrdersConfig();
  twice.relations[1].name = "order_items";
  r = SearchPlan::Make(twice);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("two relations are named 'order_items'"), std::string::npos)
      << r.status().message();

  SinkConfig both = OrdersConfig();
  both.relations[0].on = "id";
  r = SearchPlan::Make(both);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("either `key`"), std::string::npos);

  SinkConfig clash = OrdersConfig();
  clash.rename = {{"status", "user"}};
  r = SearchPlan::Make(clash);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("the name of a relation"), std::string::npos);

  SinkConfig bad_topic = OrdersConfig();
  bad_topic.relations[1].topic = "[";
  r = SearchPlan::Make(bad_topic);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("relation user"), std::string::npos);
}

TEST(SearchPlanTest, RowIdsAndJoinTexts) {
  Row line = MakeRow({{"order_id", SqlValue::Number("7")},
                      {"line", SqlValue::Number("2")},
                      {"note", SqlValue::Null()}});
  RowChange c = Change("lines", 'c', line, {"order_id", "line"});
  auto id = RowId(c, line);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "7|2");
  EXPECT_EQ(JoinText(line, "order_id"), std::optional<std::string>("7"));
  EXPECT_EQ(JoinText(line, "note"), std::nullopt);
  EXPECT_EQ(JoinText(line, "missing"), std::nullopt);

  RowChange keyless = Change("log", 'c', line, {});
  EXPECT_NE(RowId(keyless, line).status().message().find("shop.log has no primary key"),
            std::string::npos);
  RowChange wrong = Change("lines", 'c', line, {"id"});
  EXPECT_NE(RowId(wrong, line).status().message().find("key column 'id'"), std::string::npos);
}

TEST(SearchPlanTest, FieldShapeKeepsAndRenames) {
  nlohmann::ordered_json row = {{"id", 1}, {"name", "ann"}, {"email", "a@x"}};
  EXPECT_EQ(FieldShape{}.Apply(row), row);
  FieldShape kept{{"name", "id", "absent"}, {{"name", "user_name"}}};
  nlohmann::ordered_json want = {{"user_name", "ann"}, {"id", 1}};
  EXPECT_EQ(kept.Apply(row), want);
  FieldShape renamed{{}, {{"email", "mail"}}};
  nlohmann::ordered_json want2 = {{"id", 1}, {"name", "ann"}, {"mail", "a@x"}};
  EXPECT_EQ(renamed.Apply(row), want2);
}

}  // namespace
}  // namespace vimur::sink
