// EnrichingInput with a stream join (LMDB store in a temporary directory) over an input that
// hands out prepared batches: the related topic's rows fill the store and are held back (and
// acknowledged with the next batch), events get the related columns in payload and schema, a
// later change of the related row reaches the next event, a deleted one gives nulls, and a new
// store makes the input read from the beginning.
#include "sink/enrich/enriching_input.h"

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "sink/sql/event_decoder.h"

namespace vimur::sink {
namespace {

class BatchInput : public RecordInput {
 public:
  void ReadFromBeginning() override { from_beginning = true; }
  Status Start() override { return Status::Ok(); }
  Result<std::vector<InputRecord>> Poll(size_t, std::chrono::milliseconds) override {
    if (batches.empty()) return std::vector<InputRecord>{};
    auto b = std::move(batches.front());
    batches.pop_front();
    return b;
  }
  Status Acknowledge(const std::vector<InputRecord>& batch) override {
    for (const InputRecord& r : batch) acked.push_back(r.Where());
    return Status::Ok();
  }
  void Wait(std::chrono::milliseconds) override {}
  Status DeadLetter(const InputRecord&, const std::string&) override { return Status::Ok(); }
  void Close() override {}

  std::deque<std::vector<InputRecord>> batches;
  std::vector<std::string> acked;
  bool from_beginning = false;
};

std::string UserEvent(int id, const char* name, char op) {
  nlohmann::json row = {{"id", id}, {"name", name}};
  nlohmann::json fields =
      nlohmann::json::array({{{"type", "int32"}, {"optional", false}, {"field", "id"}},
                             {{"type", "string"}, {"optional", true}, {"field", "name"}}});
  nlohmann::json schema = {
      {"type", "struct"},
      {"fields",
       {{{"type", "struct"}, {"optional", true}, {"field", "before"}, {"fields", fields}},
        {{"type", "struct"}, {"optional", true}, {"field", "after"}, {"fields", fields}}}}};
  nlohmann::json payload = {{"before", op == 'd' ? row : nlohmann::json()},
                            {"after", op == 'd' ? nlohmann::json() : row},
                            {"source", {{"db", "shop"}, {"table", "users"}, {"ts_ms", 1}}},
                            {"op", std::string(1, op)}};
  return nlohmann::json{{"schema", schema}, {"payload", payload}}.dump();
}

// An order without a schema (format.schemas: false).
std::string OrderEvent(int id, int user_id) {
  return nlohmann::json{{"before", nullptr},
                        {"after", {{"id", id}, {"user_id", user_id}}},
                        {"source", {{"db", "shop"}, {"table", "orders"}, {"ts_ms", 2}}},
                        {"op", "c"}}
      .dump();
}

InputRecord Record(const std::string& table, int64_t offset, int id, std::string value) {
  return InputRecord{"shop.shop." + table, 0, offset, nlohmann::json{{"id", id}}.dump(),
                     std::move(value),     0};
}

class EnrichingInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vimur-enrich-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    sink_.name = "s";
    sink_.topics = {"shop\\.shop\\.orders"};
    SinkEnrichConfig e;
    e.name = "user";
    e.join = "shop\\.shop\\.users";
    e.on = "user_id";
    e.prefix = "user_";
    e.columns = {"name"};
    sink_.enrich = {e};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<EnrichingInput> Make(BatchInput** raw) {
    auto input = std::make_unique<BatchInput>();
    *raw = input.get();
    auto made = EnrichingInput::Make(std::move(input), sink_, dir_.string());
    EXPECT_TRUE(made.ok()) << made.status().message();
    return std::move(made).value();
  }

  std::filesystem::path dir_;
  SinkConfig sink_;
};

TEST_F(EnrichingInputTest, JoinsTheLatestRelatedRow) {
  EXPECT_EQ(EnrichingInput::TopicsToRead(sink_),
            (std::vector<std::string>{"shop\\.shop\\.orders", "shop\\.shop\\.users"}));
  BatchInput* raw;
  auto input = Make(&raw);
  // The order comes first in its batch but is enriched with the user of the same batch.
  raw->batches.push_back({Record("orders", 10, 1, OrderEvent(1, 7)),
                          Record("users", 3, 7, UserEvent(7, "Ada ☃", 'c')),
                          Record("orders", 11, 2, OrderEvent(2, 8))});
  raw->batches.push_back({Record("users", 4, 7, UserEvent(7, "Ada L.", 'u'))});
  raw->batches.push_back({Record("orders", 12, 1, OrderEvent(1, 7))});
  raw->batches.push_back({Record("users", 5, 7, UserEvent(7, "Ada L.", 'd')),
                          Record("orders", 13, 1, OrderEvent(1, 7))});
  ASSERT_TRUE(input->Start().ok());
  EXPECT_TRUE(raw->from_beginning);  // a new store is filled from the start of the topics

  auto first = input->Poll(100, std::chrono::milliseconds(0));
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_EQ(first->size(), 2u);  // the users record is the enrichment's, not the sink's
  auto c = DecodeJsonEvent((*first)[0]);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(*c->after.Find("user_name"), SqlValue::Text("Ada ☃"));
  EXPECT_EQ(*c->after.Find("user_id"), SqlValue::Number("7"));
  c = DecodeJsonEvent((*first)[1]);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->after.Find("user_name")->is_null());  // user 8 is not known
  ASSERT_TRUE(input->Acknowledge(*first).ok());
  EXPECT_EQ(raw->acked,
            (std::vector<std::string>{"shop.shop.orders[0]@10", "shop.shop.orders[0]@11",
                                      "shop.shop.users[0]@3"}));

  auto second = input->Poll(100, std::chrono::milliseconds(0));
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->empty());  // held back, acknowledged with the next batch
  auto third = input->Poll(100, std::chrono::milliseconds(0));
  ASSERT_TRUE(third.ok());
  ASSERT_EQ(third->size(), 1u);
  EXPECT_EQ(*DecodeJsonEvent((*third)[0])->after.Find("user_name"), SqlValue::Text("Ada L."));
  raw->acked.clear();
  ASSERT_TRUE(input->Acknowledge(*third).ok());
  EXPECT_EQ(raw->acked,
            (std::vector<std::string>{"shop.shop.orders[0]@12", "shop.shop.users[0]@4"}));

  auto fourth = input->Poll(100, std::chrono::milliseconds(0));
  ASSERT_TRUE(fourth.ok());
  ASSERT_EQ(fourth->size(), 1u);
  EXPECT_TRUE(DecodeJsonEvent((*fourth)[0])->after.Find("user_name")->is_null());
  ASSERT_TRUE(input->Acknowledge(*fourth).ok());

  // The store is complete now: a restart does not read from the beginning again.
  input.reset();
  input = Make(&raw);
  ASSERT_TRUE(input->Start().ok());
  EXPECT_FALSE(raw->from_beginning);
}

// With a schema, the added column gets the related column's field schema, in the image's struct.
TEST_F(EnrichingInputTest, AddedColumnsJoinTheEventsSchema) {
  BatchInput* raw;
  auto input = Make(&raw);
  std::string order = UserEvent(1, "x", 'c');       // the same shape, as an "orders" event with a
  nlohmann::json j = nlohmann::json::parse(order);  // user_id column
  for (auto& f : j["schema"]["fields"]) {
    f["fields"].push_back({{"type", "int32"}, {"optional", true}, {"field", "user_id"}});
  }
  j["payload"]["after"]["user_id"] = 7;
  j["payload"]["source"]["table"] = "orders";
  raw->batches.push_back(
      {Record("users", 1, 7, UserEvent(7, "Ada", 'c')), Record("orders", 1, 1, j.dump())});
  ASSERT_TRUE(input->Start().ok());
  auto batch = input->Poll(100, std::chrono::milliseconds(0));
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 1u);
  nlohmann::json out = nlohmann::json::parse(*(*batch)[0].value);
  EXPECT_EQ(out["payload"]["after"]["user_name"], "Ada");
  const nlohmann::json& after_fields = out["schema"]["fields"][1]["fields"];
  EXPECT_EQ(after_fields.back(),
            (nlohmann::json{{"type", "string"}, {"optional", true}, {"field", "user_name"}}));
  auto c = DecodeJsonEvent((*batch)[0]);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_NE(c->after.TypeOf("user_name"), nullptr);
  EXPECT_EQ(c->after.TypeOf("user_name")->connect_type, "string");
}

}  // namespace
}  // namespace vimur::sink
