// The pipeline commits positions off the publishing thread: the last acknowledged position is
// stored before Run returns, and a failing offset store stops the pipeline with its error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <thread>

#include "core/row_vector_pool.h"
#include "engine/pipeline.h"
#include "transport/stdout_transport.h"

namespace vimur {
namespace {

class ListSource : public Source {
 public:
  explicit ListSource(int transactions) : transactions_(transactions) {}
  const std::string& name() const override { return name_; }
  Result<Position> CurrentEnd() override { return Position{"", "mysql-bin.000001", 4}; }
  Status Run(const Position&, const TransactionConsumer& consumer,
             const std::atomic<bool>& stop) override {
    auto table = std::make_shared<TableSchema>();
    table->database = "db";
    table->table = "t";
    ColumnSchema c;
    c.name = "id";
    table->columns.push_back(c);
    table->key_columns = {0};
    for (int i = 1; i <= transactions_; ++i) {
      auto source = std::make_shared<SourceInfo>();
      source->connector = "mariadb";
      source->file = "mysql-bin.000001";
      source->pos = static_cast<uint64_t>(i);
      Transaction t;
      t.id = std::to_string(i);
      t.source = source;
      ChangeEvent e;
      e.table = table;
      e.source = source;
      e.after = {Value::Int(i)};
      t.events.push_back(e);
      t.end = Position{"", "mysql-bin.000001", static_cast<uint64_t>(1000 + i)};
      if (!consumer(std::move(t))) return Status::Ok();
    }
    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return Status::Ok();
  }
  std::vector<CheckResult> Check() override { return {}; }
  void Acknowledged(const Position& position) override {
    std::lock_guard<std::mutex> lock(mu_);
    acknowledged_.push_back(position.pos);
  }
  std::vector<uint64_t> acknowledged() {
    std::lock_guard<std::mutex> lock(mu_);
    return acknowledged_;
  }

 private:
  std::string name_ = "db";
  int transactions_;
  std::mutex mu_;
  std::vector<uint64_t> acknowledged_;
};

// Remembers commits; fails every commit after the first `ok_commits`.
class MemoryOffsets : public OffsetStore {
 public:
  explicit MemoryOffsets(int ok_commits) : ok_commits_(ok_commits) {}
  Result<std::optional<Position>> Load(const std::string&) override {
    return std::optional<Position>();
  }
  Status Commit(const std::string&, const Position& position) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (++commits_ > ok_commits_) return Status::IoError("disk full (test)");
    last_ = position;
    return Status::Ok();
  }
  Position last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }

 private:
  std::mutex mu_;
  int ok_commits_;
  int commits_ = 0;
  Position last_;
};

PipelineConfig Config() {
  PipelineConfig config;
  config.name = "p";
  SourceConfig s;
  s.name = "db";
  s.type = "mysql";
  s.topic_prefix = "p";
  config.sources.push_back(s);
  return config;
}

// Runs `transactions` through a pipeline until `run_for` passes or Run returns by itself.
Status RunFor(int transactions, int ok_commits, std::chrono::milliseconds run_for,
              Position* last_committed, std::vector<uint64_t>* acknowledged = nullptr) {
  std::FILE* out = std::tmpfile();
  PipelineParts parts;
  auto source = std::make_unique<ListSource>(transactions);
  ListSource* list = source.get();
  parts.sources.push_back(std::move(source));
  auto offsets = std::make_unique<MemoryOffsets>(ok_commits);
  MemoryOffsets* raw = offsets.get();
  parts.transport = std::make_unique<StdoutTransport>(out, std::move(offsets));
  Pipeline pipeline(Config(), std::move(parts));
  std::atomic<bool> stop{false};
  std::atomic<bool> returned{false};
  std::thread stopper([&] {
    const auto deadline = std::chrono::steady_clock::now() + run_for;
    while (!returned.load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    stop = true;
  });
  Status s = pipeline.Run(stop);
  returned = true;
  stopper.join();
  *last_committed = raw->last();
  if (acknowledged != nullptr) *acknowledged = list->acknowledged();
  std::fclose(out);
  return s;
}

TEST(PipelineCommitTest, LastAcknowledgedPositionIsStoredBeforeRunReturns) {
  Position last;
  Status s = RunFor(500, 1 << 30, std::chrono::milliseconds(300), &last);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(last.pos, 1500u);
}

// The source hears each newest acknowledged position, in order (PostgreSQL confirms its slot
// up to it), ending with the last transaction's.
TEST(PipelineCommitTest, SourceHearsAcknowledgedPositionsInOrder) {
  Position last;
  std::vector<uint64_t> acknowledged;
  Status s = RunFor(500, 1 << 30, std::chrono::milliseconds(300), &last, &acknowledged);
  EXPECT_TRUE(s.ok()) << s.ToString();
  ASSERT_FALSE(acknowledged.empty());
  EXPECT_TRUE(std::is_sorted(acknowledged.begin(), acknowledged.end()));
  EXPECT_GT(acknowledged.front(), 1000u);  // transactions' positions, not the start
  EXPECT_EQ(acknowledged.back(), 1500u);
}

TEST(PipelineCommitTest, OffsetStoreFailureStopsThePipeline) {
  // The first commit (the start position) succeeds; the next fails.
  Position last;
  const auto start = std::chrono::steady_clock::now();
  Status s = RunFor(500, 1, std::chrono::seconds(20), &last);
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(last.pos, 4u);  // only the start position was stored
}

TEST(RowVectorPoolTest, KeepsCapacityUpToItsByteBound) {
  RowVectorPool pool;
  auto table = std::make_shared<TableSchema>();
  std::vector<ChangeEvent> events(2);
  events[0].before.assign(10, Value::Int(1));
  events[0].after.assign(10, Value::Int(2));
  events[0].table = table;
  events[1].after.assign(10, Value::Int(3));  // an insert: no before image
  pool.Give(&events);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(table.use_count(), 1) << "kept events must not hold their tables";
  EXPECT_EQ(pool.bytes(), 3 * 10 * sizeof(Value));
  std::vector<ChangeEvent> spare;
  for (int i = 0; i < 3; ++i) {
    std::vector<Value> row = pool.TakeRow(&spare);
    EXPECT_TRUE(row.empty());
    EXPECT_GE(row.capacity(), 10u) << i;
  }
  EXPECT_EQ(pool.bytes(), 0u);
  EXPECT_EQ(pool.TakeRow(&spare).capacity(), 0u) << "the pool is empty";
  // A batch over the bound is freed, not kept.
  std::vector<ChangeEvent> big(1);
  big[0].after.resize(RowVectorPool::kMaxBytes / sizeof(Value) + 1);
  pool.Give(&big);
  EXPECT_EQ(pool.bytes(), 0u);
}

}  // namespace
}  // namespace vimur
