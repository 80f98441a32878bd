// Regressions of issue 9 in the engine: a source that fails is restarted with backoff and the
// pipeline stops (non-zero) when it cannot recover; stopping while the transport cannot
// acknowledge ends within shutdown_timeout_s, saying how much was left unacknowledged.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "engine/pipeline.h"
#include "transport/file_offset_store.h"
#include "transport/stdout_transport.h"

namespace vimur {
namespace {

using namespace std::chrono_literals;

Transaction Txn(const std::string& db, int i) {
  auto table = std::make_shared<TableSchema>();
  table->database = db;
  table->table = "t";
  ColumnSchema c;
  c.name = "id";
  table->columns.push_back(c);
  table->key_columns = {0};
  auto source = std::make_shared<SourceInfo>();
  source->connector = "mariadb";
  source->file = "mysql-bin.000001";
  Transaction t;
  t.source = source;
  ChangeEvent e;
  e.table = table;
  e.source = source;
  e.after = {Value::Int(i)};
  t.events.push_back(e);
  t.end = Position{"", "mysql-bin.000001", static_cast<uint64_t>(1000 + i)};
  return t;
}

// Fails its first `failures` runs (-1: every run), then delivers `count` transactions from
// the position it is started at and waits for the stop.
class FlakySource : public Source {
 public:
  FlakySource(std::string db, int failures, int count)
      : db_(std::move(db)), failures_(failures), count_(count) {}
  const std::string& name() const override { return db_; }
  Result<Position> CurrentEnd() override { return Position{"", "mysql-bin.000001", 4}; }
  Status Run(const Position& start, const TransactionConsumer& consumer,
             const std::atomic<bool>& stop) override {
    ++runs;
    if (failures_ < 0 || runs <= failures_) {
      return Status::Unavailable(db_ + ": server gone (test)");
    }
    for (int i = static_cast<int>(start.pos) - 999; i <= count_; ++i) {
      if (i < 1) i = 1;
      if (!consumer(Txn(db_, i))) return Status::Ok();
    }
    while (!stop.load()) std::this_thread::sleep_for(2ms);
    return Status::Ok();
  }
  std::vector<CheckResult> Check() override { return {}; }
  std::atomic<int> runs{0};

 private:
  std::string db_;
  int failures_;
  int count_;
};

// Accepts nothing: Send waits (as when Kafka is down and the window is full) until Shutdown.
class StuckTransport : public Transport {
 public:
  explicit StuckTransport(std::string dir) : offsets_(std::move(dir), "p") {}
  // As the Kafka transport does, the batches never acknowledged are failed at destruction,
  // after the pipeline's Run returned.
  ~StuckTransport() override {
    for (auto& on_acked : held_) on_acked(Status::Aborted("transport closed"));
  }
  Status Start() override { return Status::Ok(); }
  Status Send(OutgoingBatch, std::function<void(const Status&)> on_acked) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (sent_ > 0) cv_.wait(lock, [&] { return shut_; });
    if (shut_) return Status::Aborted("stuck transport shut down");
    ++sent_;
    held_.push_back(std::move(on_acked));
    return Status::Ok();
  }
  Status Flush(std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return shut_; });
    return Status::Unavailable("not acknowledged");
  }
  OffsetStore& offsets() override { return offsets_; }
  void Shutdown() override {
    std::lock_guard<std::mutex> lock(mu_);
    shut_ = true;
    cv_.notify_all();
  }
  size_t Unacknowledged() const override { return 1; }

 private:
  FileOffsetStore offsets_;
  std::mutex mu_;
  std::condition_variable cv_;
  int sent_ = 0;
  bool shut_ = false;
  std::vector<std::function<void(const Status&)>> held_;
};

PipelineConfig Config(const std::vector<std::string>& sources, int restarts) {
  PipelineConfig config;
  config.name = "p";
  config.state_dir = testing::TempDir() + "/lifecycle_" + std::to_string(getpid());
  for (const std::string& name : sources) {
    SourceConfig s;
    s.name = name;
    s.type = "mysql";
    s.topic_prefix = "p";
    s.restart_max_attempts = restarts;
    config.sources.push_back(s);
  }
  return config;
}

// Runs the pipeline on a thread; `stop_after` sets the stop flag. Returns Run's status and how
// long it took; a Run that does not return within `limit` ends the test binary (it would hang).
Status RunPipeline(Pipeline* pipeline, std::chrono::milliseconds stop_after,
                   std::chrono::milliseconds limit, std::chrono::milliseconds* took) {
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  Status status;
  const auto t0 = std::chrono::steady_clock::now();
  std::thread runner([&] {
    status = pipeline->Run(stop);
    done = true;
  });
  while (!done.load()) {
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    if (elapsed > stop_after) stop = true;
    if (elapsed > limit) {
      ADD_FAILURE() << "Pipeline::Run did not return within " << limit.count() << " ms";
      std::fflush(stdout);
      std::_Exit(1);
    }
    std::this_thread::sleep_for(5ms);
  }
  runner.join();
  *took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  return status;
}

std::set<std::pair<std::string, int>> Published(const std::string& path) {
  std::set<std::pair<std::string, int>> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    out.insert({j["topic"].get<std::string>(), j["key"]["id"].get<int>()});
  }
  return out;
}

TEST(PipelineLifecycleTest, AFailedSourceIsRestartedWhileTheOthersGoOn) {
  PipelineConfig config = Config({"flaky", "steady"}, 3);
  std::filesystem::remove_all(config.state_dir);
  const std::string out_path = config.state_dir + ".out";
  std::FILE* out = std::fopen(out_path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  PipelineParts parts;
  auto flaky = std::make_unique<FlakySource>("a", 2, 5);
  FlakySource* flaky_raw = flaky.get();
  parts.sources.push_back(std::move(flaky));
  parts.sources.push_back(std::make_unique<FlakySource>("b", 0, 5));
  parts.transport = std::make_unique<StdoutTransport>(
      out, std::make_unique<FileOffsetStore>(config.state_dir, "p"));
  Pipeline pipeline(config, std::move(parts));
  std::chrono::milliseconds took;
  Status s = RunPipeline(&pipeline, 6s, 60s, &took);
  std::fclose(out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(flaky_raw->runs.load(), 3);  // two failures (1 s and 2 s backoff), then it ran
  auto published = Published(out_path);
  for (int i = 1; i <= 5; ++i) {
    EXPECT_TRUE(published.count({"p.a.t", i})) << "a " << i;
    EXPECT_TRUE(published.count({"p.b.t", i})) << "b " << i;
  }
  FileOffsetStore stored(config.state_dir, "p");
  auto a = stored.Load("flaky");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->pos, 1005u);
  std::filesystem::remove_all(config.state_dir);
  std::filesystem::remove(out_path);
}

TEST(PipelineLifecycleTest, ASourceThatCannotRecoverStopsThePipeline) {
  PipelineConfig config = Config({"broken", "steady"}, 1);
  std::filesystem::remove_all(config.state_dir);
  std::FILE* out = std::tmpfile();
  PipelineParts parts;
  parts.sources.push_back(std::make_unique<FlakySource>("a", -1, 5));
  parts.sources.push_back(std::make_unique<FlakySource>("b", 0, 5));
  parts.transport = std::make_unique<StdoutTransport>(
      out, std::make_unique<FileOffsetStore>(config.state_dir, "p"));
  Pipeline pipeline(config, std::move(parts));
  std::chrono::milliseconds took;
  Status s = RunPipeline(&pipeline, 30s, 60s, &took);
  std::fclose(out);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("broken"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("restart_max_attempts"), std::string::npos) << s.ToString();
  EXPECT_LT(took, 10s) << "the pipeline went on without the failed source";
  std::filesystem::remove_all(config.state_dir);
}

TEST(PipelineLifecycleTest, StoppingWhileTheTransportIsStuckEndsWithinTheTimeout) {
  PipelineConfig config = Config({"db"}, 0);
  config.shutdown_timeout_s = 2;
  std::filesystem::remove_all(config.state_dir);
  PipelineParts parts;
  parts.sources.push_back(std::make_unique<FlakySource>("a", 0, 100));
  parts.transport = std::make_unique<StuckTransport>(config.state_dir);
  Pipeline pipeline(config, std::move(parts));
  std::chrono::milliseconds took;
  Status s = RunPipeline(&pipeline, 500ms, 30s, &took);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("shutdown_timeout_s=2"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("1 batch(es) sent were not acknowledged"), std::string::npos)
      << s.ToString();
  EXPECT_GE(took, 2s);
  EXPECT_LT(took, 6s);
  std::filesystem::remove_all(config.state_dir);
}

}  // namespace
}  // namespace vimur
