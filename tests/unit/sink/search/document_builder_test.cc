#include "sink/search/document_builder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "search_test_rows.h"

namespace vimur::sink {
namespace {

namespace fs = std::filesystem;
using namespace search_test;
using json = nlohmann::ordered_json;

class DocumentBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("vimur-document-builder-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
    bool created = false;
    auto store = JoinStore::Open(dir_, &created);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto plan = SearchPlan::Make(OrdersConfig());
    ASSERT_TRUE(plan.ok());
    plan_ = std::make_unique<SearchPlan>(std::move(plan).value());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // Applies `changes` (topic's table, change) in one transaction; returns the actions.
  std::vector<DocumentAction> Batch(const std::vector<std::pair<int, RowChange>>& changes) {
    EXPECT_TRUE(store_->Begin().ok());
    DocumentBuilder b(*plan_, *store_);
    AffectedRoots affected;
    for (const auto& [role, change] : changes) {
      Status s = b.Apply(change, role, nullptr, &affected);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    auto actions = b.Build(affected);
    EXPECT_TRUE(actions.ok()) << actions.status().ToString();
    EXPECT_TRUE(store_->Commit().ok());
    return actions.ok() ? *actions : std::vector<DocumentAction>{};
  }

  static std::vector<std::string> Ids(const std::vector<DocumentAction>& actions) {
    std::vector<std::string> ids;
    for (const auto& a : actions) ids.push_back(a.id + (a.document ? "" : " (delete)"));
    return ids;
  }

  std::string dir_;
  std::unique_ptr<JoinStore> store_;
  std::unique_ptr<SearchPlan> plan_;
};

constexpr int kItems = 0;
constexpr int kUsers = 1;

TEST_F(DocumentBuilderTest, AssemblesTheRootWithItsItemsAndUser) {
  auto actions = Batch({{kUsers, Change("users", 'r', User(5, "ann"))},
                        {kRootRole, Change("orders", 'c', Order(1, 5, "new"))},
                        {kItems, Change("order_items", 'c', Item(11, 1, "pen"))},
                        {kItems, Change("order_items", 'c', Item(10, 1, "ink"))},
                        {kItems, Change("order_items", 'c', Item(12, 2, "cap"))}});
  // Order 2 has an item but no row: its document is a delete.
  EXPECT_EQ(Ids(actions), (std::vector<std::string>{"1", "2 (delete)"}));
  json want = {
      {"id", 1},
      {"user_id", 5},
      {"status", "new"},
      {"order_items", json::array({{{"id", 10}, {"sku", "ink"}}, {{"id", 11}, {"sku", "pen"}}})},
      {"user", {{"user_name", "ann"}}}};
  EXPECT_EQ(*actions[0].document, want) << actions[0].document->dump();
}

TEST_F(DocumentBuilderTest, AMissingUserIsNullAndItsArrivalReindexesItsOrders) {
  auto first = Batch({{kRootRole, Change("orders", 'c', Order(1, 5, "new"))},
                      {kRootRole, Change("orders", 'c', Order(2, 5, "paid"))},
                      {kRootRole, Change("orders", 'c', Order(3, 6, "new"))}});
  ASSERT_EQ(first.size(), 3u);
  EXPECT_TRUE((*first[0].document)["user"].is_null());
  EXPECT_EQ((*first[0].document)["order_items"], json::array());

  auto after_user = Batch({{kUsers, Change("users", 'c', User(5, "bob"))}});
  EXPECT_EQ(Ids(after_user), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ((*after_user[1].document)["user"], (json{{"user_name", "bob"}}));

  auto renamed = Batch({{kUsers, Change("users", 'u', User(5, "bobby"))}});
  EXPECT_EQ(Ids(renamed), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ((*renamed[0].document)["user"], (json{{"user_name", "bobby"}}));

  auto deleted = Batch({{kUsers, Change("users", 'd', User(5, "bobby"))}});
  EXPECT_EQ(Ids(deleted), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE((*deleted[0].document)["user"].is_null());

  // An order moved to another user is no longer re-indexed by the first user's changes.
  Batch({{kRootRole, Change("orders", 'u', Order(2, 6, "paid"))}});
  auto back = Batch({{kUsers, Change("users", 'c', User(5, "carl"))}});
  EXPECT_EQ(Ids(back), (std::vector<std::string>{"1"}));
}

TEST_F(DocumentBuilderTest, ItemsThatMoveOrGoUpdateBothOrders) {
  Batch({{kRootRole, Change("orders", 'c', Order(1, 5, "new"))},
         {kRootRole, Change("orders", 'c', Order(2, 5, "new"))},
         {kItems, Change("order_items", 'c', Item(10, 1, "ink"))}});
  auto moved = Batch({{kItems, Change("order_items", 'u', Item(10, 2, "ink"))}});
  ASSERT_EQ(Ids(moved), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ((*moved[0].document)["order_items"], json::array());
  EXPECT_EQ((*moved[1].document)["order_items"].size(), 1u);
  auto gone = Batch({{kItems, Change("order_items", 'd', Item(10, 2, "ink"))}});
  ASSERT_EQ(Ids(gone), (std::vector<std::string>{"2"}));
  EXPECT_EQ((*gone[0].document)["order_items"], json::array());
}

// A kill -9 after the store committed a batch but before its `_bulk` replays the batch on a
// store that already holds it: the order an item left is still re-indexed, by the
// before-image.
TEST_F(DocumentBuilderTest, AReplayedMoveStillReindexesTheOrderTheItemLeft) {
  Batch({{kRootRole, Change("orders", 'c', Order(1, 5, "new"))},
         {kRootRole, Change("orders", 'c', Order(2, 5, "new"))},
         {kItems, Change("order_items", 'c', Item(10, 1, "ink"))}});
  RowChange move = Change("order_items", 'u', Item(10, 2, "ink"));
  move.has_before = true;
  move.before = Item(10, 1, "ink");
  Batch({{kItems, move}});
  auto replayed = Batch({{kItems, move}});
  ASSERT_EQ(Ids(replayed), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ((*replayed[0].document)["order_items"], json::array());
  auto deleted = Change("order_items", 'd', Item(10, 2, "ink"));
  Batch({{kItems, deleted}});
  EXPECT_EQ(Ids(Batch({{kItems, deleted}})), (std::vector<std::string>{"2"}));
}

TEST_F(DocumentBuilderTest, ARootDeleteDeletesTheDocumentAndKeepsChildrenForAReturn) {
  Batch({{kRootRole, Change("orders", 'c', Order(1, 5, "new"))},
         {kItems, Change("order_items", 'c', Item(10, 1, "ink"))}});
  auto deleted = Batch({{kRootRole, Change("orders", 'd', Order(1, 5, "new"))}});
  EXPECT_EQ(Ids(deleted), (std::vector<std::string>{"1 (delete)"}));
  auto back = Batch({{kRootRole, Change("orders", 'c', Order(1, 5, "again"))}});
  ASSERT_EQ(Ids(back), (std::vector<std::string>{"1"}));
  EXPECT_EQ((*back[0].document)["order_items"].size(), 1u);
  EXPECT_EQ((*back[0].document)["status"], "again");
}

TEST_F(DocumentBuilderTest, ReplayingABatchGivesTheSameDocuments) {
  std::vector<std::pair<int, RowChange>> batch = {
      {kUsers, Change("users", 'c', User(5, "ann"))},
      {kRootRole, Change("orders", 'c', Order(1, 5, "new"))},
      {kItems, Change("order_items", 'c', Item(10, 1, "ink"))},
      {kItems, Change("order_items", 'u', Item(10, 1, "pen"))},
      {kItems, Change("order_items", 'c', Item(11, 1, "cap"))},
      {kItems, Change("order_items", 'd', Item(11, 1, "cap"))}};
  auto once = Batch(batch);
  auto twice = Batch(batch);
  ASSERT_EQ(once.size(), 1u);
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_EQ(*once[0].document, *twice[0].document);
  EXPECT_EQ((*twice[0].document)["order_items"], (json::array({{{"id", 10}, {"sku", "pen"}}})));
}

TEST_F(DocumentBuilderTest, ARowWithoutAKeyIsAnErrorNamingTheTable) {
  ASSERT_TRUE(store_->Begin().ok());
  DocumentBuilder b(*plan_, *store_);
  AffectedRoots affected;
  Status s = b.Apply(Change("orders", 'c', Order(1, 5, "new"), {}), kRootRole, nullptr, &affected);
  EXPECT_NE(s.message().find("shop.orders has no primary key"), std::string::npos) << s.message();
  store_->Abort();
}

}  // namespace
}  // namespace vimur::sink
