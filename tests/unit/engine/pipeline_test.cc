#include "engine/pipeline.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/bounded_queue.h"
#include "transport/file_offset_store.h"
#include "transport/stdout_transport.h"

namespace vimur {
namespace {

// A source of our own interface that replays prepared transactions: it stands for a
// database only in this unit test of the engine's ordering and offset logic.
class ReplaySource : public Source {
 public:
  ReplaySource(std::vector<Transaction> txns, Position end)
      : txns_(std::move(txns)), end_(std::move(end)) {}
  const std::string& name() const override { return name_; }
  Result<Position> CurrentEnd() override { return end_; }
  Status Run(const Position& start, const TransactionConsumer& consumer,
             const std::atomic<bool>& stop) override {
    started_from = start;
    for (auto& t : txns_) {
      if (!consumer(std::move(t))) return Status::Ok();
    }
    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Status::Ok();
  }
  std::vector<CheckResult> Check() override { return {}; }
  Position started_from;

 private:
  std::string name_ = "db";
  std::vector<Transaction> txns_;
  Position end_;
};

Transaction MakeTxn(int id, bool with_delete) {
  auto table = std::make_shared<TableSchema>();
  table->database = "shop";
  table->table = "orders";
  ColumnSchema c;
  c.name = "id";
  c.type = LogicalType::kInt32;
  table->columns.push_back(c);
  table->key_columns = {0};
  auto source = std::make_shared<SourceInfo>();
  source->connector = "mariadb";
  source->name = "shop";
  source->file = "mysql-bin.000001";
  source->pos = 100 + id;
  Transaction t;
  t.source = source;
  ChangeEvent e;
  e.op = with_delete ? Op::kDelete : Op::kCreate;
  e.table = table;
  e.source = source;
  (with_delete ? e.before : e.after).push_back(Value::Int(id));
  t.events.push_back(e);
  t.end.file = "mysql-bin.000001";
  t.end.pos = 200 + id;
  return t;
}

PipelineConfig TestConfig(const std::string& state_dir) {
  PipelineConfig config;
  config.name = "shop";
  config.state_dir = state_dir;
  SourceConfig s;
  s.name = "db";
  s.type = "mysql";
  s.topic_prefix = "shop";
  config.sources.push_back(s);
  return config;
}

TEST(PipelineTest, PublishesInOrderWithTombstonesAndCommitsLastPosition) {
  std::string dir = testing::TempDir() + "/pipeline_test_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::string out_path = dir + ".out";
  std::FILE* out = std::fopen(out_path.c_str(), "w");
  ASSERT_NE(out, nullptr);

  Position start{"", "mysql-bin.000001", 4};
  std::vector<Transaction> txns = {MakeTxn(1, false), MakeTxn(2, false), MakeTxn(3, true)};
  auto source = std::make_unique<ReplaySource>(std::move(txns), start);
  ReplaySource* replay = source.get();
  PipelineParts parts;
  parts.sources.push_back(std::move(source));
  auto store = std::make_unique<FileOffsetStore>(dir, "shop");
  FileOffsetStore* offsets = store.get();
  parts.transport = std::make_unique<StdoutTransport>(out, std::move(store));

  Pipeline pipeline(TestConfig(dir), std::move(parts));
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    stop = true;
  });
  Status s = pipeline.Run(stop);
  stopper.join();
  std::fclose(out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(replay->started_from, start);  // nothing stored: starts at the current end

  std::ifstream in(out_path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 4u);  // 2 inserts, a delete and its tombstone
  EXPECT_EQ(lines[0]["topic"], "shop.shop.orders");
  EXPECT_EQ(lines[0]["key"]["id"], 1);
  EXPECT_EQ(lines[0]["value"]["after"]["id"], 1);
  EXPECT_EQ(lines[1]["value"]["after"]["id"], 2);
  EXPECT_EQ(lines[2]["value"]["op"], "d");
  EXPECT_EQ(lines[3]["key"]["id"], 3);
  EXPECT_TRUE(lines[3]["value"].is_null());

  FileOffsetStore reread(dir, "shop");
  auto stored = reread.Load("db");
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->pos, 203u);
  EXPECT_EQ(offsets->PathFor("db"), dir + "/shop/offsets/db.json");
  std::filesystem::remove_all(dir);
  std::filesystem::remove(out_path);
}

TEST(OffsetStoreTest, CommitReplacesAndDamageIsReported) {
  std::string dir = testing::TempDir() + "/offsets_test_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  FileOffsetStore store(dir, "p");
  auto none = store.Load("s");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  Position a{"0-1-5", "f.000001", 10};
  Position b{"0-1-6", "f.000001", 20};
  ASSERT_TRUE(store.Commit("s", a).ok());
  ASSERT_TRUE(store.Commit("s", b).ok());
  auto got = store.Load("s");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(**got, b);
  EXPECT_FALSE(std::filesystem::exists(store.PathFor("s") + ".tmp"));
  std::ofstream(store.PathFor("s")) << "{garbage";
  auto damaged = store.Load("s");
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.status().message().find("damaged"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vimur

namespace vimur {
namespace {

TEST(ByteBoundedQueueTest, PopTakesAtMostTheByteBudgetButAlwaysOne) {
  ByteBoundedQueue<int> q(2000);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.Push(i, 100));
  auto first = q.PopAll(std::chrono::milliseconds(1), 4096, 250);
  EXPECT_EQ(first, (std::vector<int>{0, 1}));
  EXPECT_EQ(q.bytes(), 300u);
  ASSERT_TRUE(q.Push(9, 900));  // over the budget alone, still taken when first
  auto rest = q.PopAll(std::chrono::milliseconds(1), 4096, 250);
  EXPECT_EQ(rest, (std::vector<int>{2, 3}));
  EXPECT_EQ(q.PopAll(std::chrono::milliseconds(1), 4096, 250), (std::vector<int>{4}));
  EXPECT_EQ(q.PopAll(std::chrono::milliseconds(1), 4096, 250), (std::vector<int>{9}));
  q.Close();
  EXPECT_FALSE(q.Push(1, 1));
  EXPECT_TRUE(q.PopAll(std::chrono::milliseconds(1)).empty());
}

}  // namespace
}  // namespace vimur
