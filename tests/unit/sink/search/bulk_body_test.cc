#include "sink/search/bulk_body.h"

#include <gtest/gtest.h>

namespace vimur::sink {
namespace {

TEST(BulkBodyTest, IndexAndDeleteActionsAsNdjson) {
  std::vector<DocumentAction> actions;
  actions.push_back({"1", nlohmann::ordered_json{{"id", 1}, {"name", "a\nb"}}, nullptr});
  actions.push_back({"2|x", std::nullopt, nullptr});
  EXPECT_EQ(BulkBody({&actions[0], &actions[1]}),
            "{\"index\":{\"_id\":\"1\"}}\n{\"id\":1,\"name\":\"a\\nb\"}\n"
            "{\"delete\":{\"_id\":\"2|x\"}}\n");
  EXPECT_EQ(BulkBody({}), "");
}

TEST(BulkBodyTest, AnswersGiveOneOutcomePerAction) {
  const std::string answer = R"({"took":3,"errors":true,"items":[
    {"index":{"_id":"1","status":201}},
    {"delete":{"_id":"2","status":404,"result":"not_found"}},
    {"index":{"_id":"3","status":429,"error":{"type":"es_rejected_execution_exception"}}},
    {"index":{"_id":"4","status":400,"error":{"type":"mapper_parsing_exception"}}},
    {"index":{"_id":"5","status":503}}]})";
  auto outcomes = ParseBulkAnswer(answer, 5);
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  EXPECT_EQ((*outcomes)[0].kind, BulkItemOutcome::kDone);
  EXPECT_EQ((*outcomes)[1].kind, BulkItemOutcome::kDone);  // deleting a missing document
  EXPECT_EQ((*outcomes)[2].kind, BulkItemOutcome::kRetry);
  EXPECT_EQ((*outcomes)[3].kind, BulkItemOutcome::kRefused);
  EXPECT_NE((*outcomes)[3].error.find("index answered 400"), std::string::npos);
  EXPECT_NE((*outcomes)[3].error.find("mapper_parsing_exception"), std::string::npos);
  EXPECT_EQ((*outcomes)[4].kind, BulkItemOutcome::kRetry);
}

TEST(BulkBodyTest, AnswersThatDoNotMatchAreCorruption) {
  EXPECT_EQ(ParseBulkAnswer("not json", 1).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ParseBulkAnswer(R"({"items":[]})", 1).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ParseBulkAnswer(R"({"items":[{}]})", 1).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace vimur::sink
