#include "sink/search/join_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace vimur::sink {
namespace {

namespace fs = std::filesystem;

class JoinStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("vimur-join-store-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(JoinStoreTest, CommittedWritesSurviveAReopenAndAbortedOnesDoNot) {
  bool created = false;
  {
    auto store = JoinStore::Open(dir_, &created);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_TRUE(created);
    JoinStore& s = **store;
    ASSERT_TRUE(s.Begin().ok());
    ASSERT_TRUE(s.PutRow("", "1", "{\"row\":{}}").ok());
    ASSERT_TRUE(s.SetMarker("rebuilding", true).ok());
    ASSERT_TRUE(s.Commit().ok());
    ASSERT_TRUE(s.Begin().ok());
    ASSERT_TRUE(s.PutRow("", "2", "{\"row\":{}}").ok());
    s.Abort();
  }
  auto store = JoinStore::Open(dir_, &created);
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE(created);
  JoinStore& s = **store;
  ASSERT_TRUE(s.Begin().ok());
  EXPECT_EQ(*s.GetRow("", "1"), std::optional<std::string>("{\"row\":{}}"));
  EXPECT_EQ(*s.GetRow("", "2"), std::nullopt);
  EXPECT_EQ(*s.GetRow("user", "1"), std::nullopt);  // roles do not share ids
  EXPECT_TRUE(*s.HasMarker("rebuilding"));
  ASSERT_TRUE(s.SetMarker("rebuilding", false).ok());
  EXPECT_FALSE(*s.HasMarker("rebuilding"));
  ASSERT_TRUE(s.DeleteRow("", "1").ok());
  ASSERT_TRUE(s.DeleteRow("", "1").ok());  // deleting what is gone is fine
  EXPECT_EQ(*s.GetRow("", "1"), std::nullopt);
  s.Abort();
}

TEST_F(JoinStoreTest, LinksAreSetsPerValueWithoutPrefixConfusion) {
  bool created = false;
  auto store = JoinStore::Open(dir_, &created);
  ASSERT_TRUE(store.ok());
  JoinStore& s = **store;
  ASSERT_TRUE(s.Begin().ok());
  ASSERT_TRUE(s.AddLink("items", "1", "b").ok());
  ASSERT_TRUE(s.AddLink("items", "1", "a").ok());
  ASSERT_TRUE(s.AddLink("items", "1", "a").ok());  // a set: once
  ASSERT_TRUE(s.AddLink("items", "10", "c").ok());
  ASSERT_TRUE(s.AddLink("item", "1", "d").ok());
  EXPECT_EQ(*s.Linked("items", "1"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*s.Linked("items", "10"), (std::vector<std::string>{"c"}));
  EXPECT_EQ(*s.Linked("item", "1"), (std::vector<std::string>{"d"}));
  EXPECT_TRUE(s.Linked("items", "2")->empty());
  ASSERT_TRUE(s.RemoveLink("items", "1", "a").ok());
  EXPECT_EQ(*s.Linked("items", "1"), (std::vector<std::string>{"b"}));
  ASSERT_TRUE(s.Commit().ok());
}

TEST_F(JoinStoreTest, CallsOutsideATransactionAndTooLongKeysAreErrors) {
  bool created = false;
  auto store = JoinStore::Open(dir_, &created);
  ASSERT_TRUE(store.ok());
  JoinStore& s = **store;
  EXPECT_EQ(s.PutRow("", "1", "x").code(), StatusCode::kInternal);
  ASSERT_TRUE(s.Begin().ok());
  Status long_key = s.PutRow("", std::string(600, 'k'), "x");
  EXPECT_EQ(long_key.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(long_key.message().find("511 bytes"), std::string::npos) << long_key.message();
  s.Abort();
}

}  // namespace
}  // namespace vimur::sink
