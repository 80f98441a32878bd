#include "source/postgresql/incremental_snapshot.h"

#include <gtest/gtest.h>

#include "pgoutput_builder.h"
#include "source/postgresql/pgoutput_assembler.h"

namespace vimur::postgresql {
namespace {

using namespace fixtures;

std::string LogicalMessageBytes(const std::string& prefix, const std::string& content) {
  Msg m('M');
  m.U8(0).U64(0x700).Str(prefix).U32(static_cast<uint32_t>(content.size()));
  return m.bytes() + content;
}

SourceConfig Config() {
  SourceConfig config;
  config.name = "pg";
  config.topic_prefix = "shop";
  config.snapshot_requests_dir = ::testing::TempDir() + "/pg-incremental-requests";
  return config;
}

TEST(PgIncrementalSnapshotTest, WatermarksAreTakenOtherMessagesPassOn) {
  const SourceConfig config = Config();
  PgIncrementalSnapshot incremental(config);
  PgOutputAssembler assembler(config, "shopdb");
  std::vector<std::pair<std::string, uint64_t>> passed;
  assembler.set_message_observer([&](const LogicalMessage& m) {
    if (incremental.OnMessage(m, m.lsn)) return true;
    passed.emplace_back(std::string(m.prefix) + "/" + std::string(m.content), m.lsn);
    return false;
  });
  bool stopped = false;
  std::vector<Transaction> out;
  auto emit = [&](Transaction&& t) {
    out.push_back(std::move(t));
    return true;
  };
  ASSERT_TRUE(
      assembler.Process(LogicalMessageBytes("vimur-watermark", "r1/1/1:low"), emit, &stopped).ok());
  ASSERT_TRUE(
      assembler.Process(LogicalMessageBytes("vimur-watermark", "old/9/9:high"), emit, &stopped)
          .ok());
  ASSERT_TRUE(assembler.Process(LogicalMessageBytes("app", "hello"), emit, &stopped).ok());
  ASSERT_EQ(passed.size(), 1u);
  EXPECT_EQ(passed[0].first, "app/hello");
  EXPECT_EQ(passed[0].second, 0x700u);
  // Only the application's message reaches consumers (an op `m` event).
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].messages.size(), 1u);
  EXPECT_EQ(out[0].messages[0].prefix, "app");
  EXPECT_TRUE(out[0].events.empty());
  EXPECT_FALSE(stopped);
}

TEST(PgIncrementalSnapshotTest, RestoredProgressIsStampedOnEveryPosition) {
  const SourceConfig config = Config();
  PgIncrementalSnapshot incremental(config);
  const std::string state =
      R"({"requests":[{"after":["1200"],"id":"r1","rows":1200,"table":0,"tables":["public.t"]}]})";
  ASSERT_TRUE(incremental.Restore(state).ok());
  EXPECT_TRUE(incremental.active());
  Transaction txn;
  txn.end.lsn = 0x900;
  incremental.Observe(txn);
  EXPECT_EQ(txn.end.incremental_snapshot, state);
  Transaction no_position;  // (a leading chunk of a large transaction)
  incremental.Observe(no_position);
  EXPECT_TRUE(no_position.end.incremental_snapshot.empty());

  ASSERT_TRUE(incremental.Restore("").ok());
  EXPECT_FALSE(incremental.active());
  Status bad = incremental.Restore(R"({"requests":[{"tables":[]}]})");
  EXPECT_EQ(bad.code(), StatusCode::kCorruption);
  EXPECT_NE(bad.message().find("vimur snapshot --cancel"), std::string::npos) << bad.message();
}

}  // namespace
}  // namespace vimur::postgresql
