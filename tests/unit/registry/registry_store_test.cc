#include "registry/registry_store.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vimur::registry {
namespace {

std::string Rec(const std::string& fields) {
  return R"({"type":"record","name":"r","namespace":"ns","fields":[)" + fields + "]}";
}
const std::string kV1 = Rec(R"({"name":"a","type":"int"})");
const std::string kV2 =
    Rec(R"({"name":"a","type":"int"},{"name":"b","type":"string","default":""})");
const std::string kBreaking = Rec(R"({"name":"a","type":"string"})");

class RegistryStoreTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryRegistryLog> log_ = std::make_shared<MemoryRegistryLog>();
  std::unique_ptr<RegistryStore> store_ = Fresh();
  std::unique_ptr<RegistryStore> Fresh() {
    auto s = std::make_unique<RegistryStore>(log_, CompatibilityLevel::kBackward);
    EXPECT_TRUE(s->Load().ok());
    return s;
  }
};

TEST_F(RegistryStoreTest, RegistersVersionsAndReusesIds) {
  auto a = store_->Register("t-value", kV1);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value().version, 1);
  EXPECT_EQ(a.value().id, 1);
  // Same schema again (other spacing): same id and version, nothing written.
  size_t records = log_->records.size();
  auto again = store_->Register("t-value", " " + kV1 + " ");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().id, 1);
  EXPECT_EQ(again.value().version, 1);
  EXPECT_EQ(log_->records.size(), records);
  auto b = store_->Register("t-value", kV2);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value().version, 2);
  EXPECT_EQ(b.value().id, 2);
  // The same schema under another subject keeps its global id.
  auto other = store_->Register("u-value", kV1);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other.value().id, 1);
  EXPECT_EQ(other.value().version, 1);
  // The log record is Confluent's: key with keytype/subject/version/magic.
  auto key = nlohmann::json::parse(log_->records[0].first);
  EXPECT_EQ(key["keytype"], "SCHEMA");
  EXPECT_EQ(key["subject"], "t-value");
  EXPECT_EQ(key["version"], 1);
  EXPECT_EQ(key["magic"], 1);
  auto value = nlohmann::json::parse(*log_->records[0].second);
  EXPECT_EQ(value["id"], 1);
  EXPECT_EQ(value["deleted"], false);
}

TEST_F(RegistryStoreTest, RejectsIncompatibleAndInvalidSchemas) {
  ASSERT_TRUE(store_->Register("t-value", kV1).ok());
  auto bad = store_->Register("t-value", kBreaking);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().http_status, 409);
  EXPECT_EQ(bad.error().error_code, 409);
  EXPECT_NE(bad.error().message.find("incompatible"), std::string::npos);
  auto invalid = store_->Register("t-value", "{\"type\":\"record\"}");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().error_code, 42201);
  EXPECT_EQ(invalid.error().http_status, 422);
  // NONE on the subject lets it through; the global level stays BACKWARD.
  ASSERT_TRUE(store_->SetConfig("t-value", "NONE").ok());
  EXPECT_TRUE(store_->Register("t-value", kBreaking).ok());
  EXPECT_EQ(store_->GetConfig("", false).value(), CompatibilityLevel::kBackward);
  EXPECT_EQ(store_->SetConfig("", "sideways").error().error_code, 42203);
}

TEST_F(RegistryStoreTest, LookupVersionsAndErrors) {
  ASSERT_TRUE(store_->Register("t-value", kV1).ok());
  ASSERT_TRUE(store_->Register("t-value", kV2).ok());
  auto found = store_->Lookup("t-value", kV1, false);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.value().version, 1);
  EXPECT_EQ(store_->Lookup("nope", kV1, false).error().error_code, 40401);
  EXPECT_EQ(store_->Lookup("t-value", kBreaking, false).error().error_code, 40403);
  EXPECT_EQ(store_->Versions("t-value", false).value(), (std::vector<int>{1, 2}));
  EXPECT_EQ(store_->Version("t-value", "latest", false).value().version, 2);
  EXPECT_EQ(store_->Version("t-value", "1", false).value().id, 1);
  EXPECT_EQ(store_->Version("t-value", "7", false).error().error_code, 40402);
  EXPECT_EQ(store_->Version("t-value", "x", false).error().error_code, 42202);
  EXPECT_EQ(store_->Version("nope", "1", false).error().error_code, 40401);
  EXPECT_EQ(store_->SchemaById(2).value().schema, kV2);  // compact, key order kept
  EXPECT_EQ(store_->SchemaById(99).error().error_code, 40403);
  EXPECT_EQ(store_->Subjects(false), (std::vector<std::string>{"t-value"}));
}

TEST_F(RegistryStoreTest, SoftAndPermanentDeletes) {
  ASSERT_TRUE(store_->Register("t-value", kV1).ok());
  ASSERT_TRUE(store_->Register("t-value", kV2).ok());
  EXPECT_EQ(store_->DeleteSubject("t-value", true).error().error_code, 40405);
  EXPECT_EQ(store_->DeleteVersion("t-value", "2", false).value(), 2);
  EXPECT_EQ(store_->Versions("t-value", false).value(), (std::vector<int>{1}));
  EXPECT_EQ(store_->Versions("t-value", true).value(), (std::vector<int>{1, 2}));
  EXPECT_EQ(store_->DeleteSubject("t-value", false).value(), (std::vector<int>{1}));
  EXPECT_TRUE(store_->Subjects(false).empty());
  EXPECT_EQ(store_->Subjects(true).size(), 1u);
  EXPECT_EQ(store_->DeleteSubject("t-value", false).error().error_code, 40404);
  EXPECT_EQ(store_->DeleteSubject("t-value", true).value(), (std::vector<int>{1, 2}));
  EXPECT_EQ(store_->Versions("t-value", true).error().error_code, 40401);
  // Ids stay: the schema text is still known by id, and a re-registration reuses it.
  EXPECT_TRUE(store_->SchemaById(1).ok());
  auto again = store_->Register("t-value", kV1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().id, 1);
  EXPECT_EQ(again.value().version, 1);
}

TEST_F(RegistryStoreTest, StateSurvivesRestartFromTheLog) {
  ASSERT_TRUE(store_->Register("t-value", kV1).ok());
  ASSERT_TRUE(store_->Register("t-value", kV2).ok());
  ASSERT_TRUE(store_->Register("u-key", R"("string")").ok());
  ASSERT_TRUE(store_->SetConfig("u-key", "FULL").ok());
  ASSERT_TRUE(store_->SetConfig("", "FORWARD").ok());
  ASSERT_TRUE(store_->DeleteVersion("t-value", "1", false).ok());
  auto restarted = Fresh();
  EXPECT_EQ(restarted->Versions("t-value", false).value(), (std::vector<int>{2}));
  EXPECT_EQ(restarted->Version("t-value", "2", false).value().id, 2);
  EXPECT_EQ(restarted->Lookup("u-key", R"("string")", false).value().id, 3);
  EXPECT_EQ(restarted->GetConfig("u-key", false).value(), CompatibilityLevel::kFull);
  EXPECT_EQ(restarted->GetConfig("", false).value(), CompatibilityLevel::kForward);
  EXPECT_EQ(restarted->GetConfig("t-value", false).error().error_code, 40408);
  EXPECT_EQ(restarted->GetConfig("t-value", true).value(), CompatibilityLevel::kForward);
  // New ids continue after the highest one seen.
  auto next = restarted->Register("v-value", R"("long")");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.value().id, 4);
  // Unknown and malformed records are skipped, not fatal.
  log_->records.emplace_back("not json", "x");
  log_->records.emplace_back(R"({"keytype":"NOOP","magic":0})", std::nullopt);
  log_->records.emplace_back(R"({"keytype":"SCHEMA","subject":"w"})", "{}");
  auto again = Fresh();
  EXPECT_EQ(again->Lookup("v-value", R"("long")", false).value().id, 4);
}

// A registry that only reads a log another one writes (a mirrored `_schemas`) serves the new
// records after CatchUp, and finds an unknown id by itself; its own records read back change
// nothing.
TEST_F(RegistryStoreTest, FollowsRecordsOthersAppend) {
  auto reader = Fresh();
  ASSERT_TRUE(store_->Register("t-value", kV1).ok());
  auto v2 = store_->Register("t-value", kV2);
  ASSERT_TRUE(v2.ok());
  EXPECT_FALSE(reader->Versions("t-value", false).ok());
  auto by_id = reader->SchemaById(v2.value().id);  // unknown: looked for in the log
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id.value().schema, v2.value().schema);
  ASSERT_TRUE(reader->Versions("t-value", false).ok());
  EXPECT_EQ(reader->Versions("t-value", false).value(), (std::vector<int>{1, 2}));
  ASSERT_TRUE(store_->DeleteSubject("t-value", false).ok());
  ASSERT_TRUE(reader->CatchUp().ok());
  EXPECT_FALSE(reader->Versions("t-value", false).ok());
  EXPECT_FALSE(reader->SchemaById(99).ok());
  // The writer reading its own records back: the same state.
  ASSERT_TRUE(store_->CatchUp().ok());
  EXPECT_EQ(store_->Versions("t-value", true).value(), (std::vector<int>{1, 2}));
  EXPECT_FALSE(store_->Versions("t-value", false).ok());
}

TEST_F(RegistryStoreTest, CompatibilityTestsAndConfigDeletes) {
  ASSERT_TRUE(store_->Register("t-value", kV1).ok());
  auto ok = store_->TestCompatibility("t-value", "latest", kV2);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok.value().compatible);
  auto bad = store_->TestCompatibility("t-value", "1", kBreaking);
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(bad.value().compatible);
  EXPECT_FALSE(bad.value().messages.empty());
  EXPECT_EQ(store_->TestCompatibility("t-value", "9", kV2).error().error_code, 40402);
  EXPECT_TRUE(store_->TestCompatibility("new-subject", "latest", kV2).value().compatible);
  ASSERT_TRUE(store_->SetConfig("t-value", "NONE").ok());
  EXPECT_EQ(store_->DeleteConfig("t-value").value(), CompatibilityLevel::kNone);
  EXPECT_EQ(store_->GetConfig("t-value", true).value(), CompatibilityLevel::kBackward);
  EXPECT_EQ(store_->DeleteConfig("t-value").error().error_code, 40401);
}

TEST_F(RegistryStoreTest, LogFailuresLeaveStateUnchanged) {
  ASSERT_TRUE(store_->Register("t-value", kV1).ok());
  log_->fail_appends = true;
  auto r = store_->Register("t-value", kV2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error_code, 50001);
  EXPECT_EQ(store_->Versions("t-value", false).value(), (std::vector<int>{1}));
  EXPECT_FALSE(store_->Register("x-value", kV2).ok());
  EXPECT_EQ(store_->Subjects(false), (std::vector<std::string>{"t-value"}));
  log_->fail_appends = false;
  EXPECT_EQ(store_->Register("t-value", kV2).value().id, 2);
}

}  // namespace
}  // namespace vimur::registry
