// The sinks' batch loop: each batch is acknowledged only once finished, in order; the next batch
// is prepared while one is attempted; a failure or a stop leaves the batch unacknowledged.
#include "sink/batch_loop.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace vimur::sink {
namespace {

// Hands out scripted batches (one record each, offsets 1, 2, ...), then empty polls; raises
// `stop` once the script is done and `empty_polls_before_stop` empty polls were answered.
class ScriptedInput final : public RecordInput {
 public:
  ScriptedInput(int batches, std::atomic<bool>* stop, std::vector<std::string>* events,
                std::mutex* mu)
      : stop_(stop), events_(events), mu_(mu) {
    for (int i = 1; i <= batches; ++i) {
      InputRecord r;
      r.topic = "t";
      r.offset = i;
      r.value = "v" + std::to_string(i);
      script_.push_back({r});
    }
  }
  void ReadFromBeginning() override {}
  Status Start() override { return Status::Ok(); }
  Result<std::vector<InputRecord>> Poll(size_t, std::chrono::milliseconds) override {
    if (script_.empty()) {
      if (++empty_polls_ >= 2) stop_->store(true);
      return std::vector<InputRecord>();
    }
    auto batch = script_.front();
    script_.pop_front();
    return batch;
  }
  Status Acknowledge(const std::vector<InputRecord>& batch) override {
    Log("ack " + std::to_string(batch.front().offset));
    return Status::Ok();
  }
  void Wait(std::chrono::milliseconds) override {}
  Status DeadLetter(const InputRecord&, const std::string&) override { return Status::Ok(); }
  void Close() override { Log("close"); }

  void Log(const std::string& what) {
    std::lock_guard<std::mutex> lock(*mu_);
    events_->push_back(what);
  }

 private:
  std::deque<std::vector<InputRecord>> script_;
  int empty_polls_ = 0;
  std::atomic<bool>* stop_;
  std::vector<std::string>* events_;
  std::mutex* mu_;
};

struct Numbered final : PreparedBatch {
  int64_t offset = 0;
};

class BatchLoopTest : public ::testing::Test {
 protected:
  BatchLoopTest() {
    config_.name = "s";
    config_.batch_max_records = 10;
    config_.batch_max_ms = 1;
    config_.lag_log_interval_s = 3600;
  }

  // Stages that log what they do; `finish_status(offset)` decides each batch's outcome.
  BatchStages Stages(ScriptedInput& input, std::function<Status(int64_t)> finish_status) {
    BatchStages stages;
    stages.prepare = [&input](const std::vector<InputRecord>& batch,
                              int64_t*) -> Result<std::unique_ptr<PreparedBatch>> {
      auto p = std::make_unique<Numbered>();
      p->offset = batch.front().offset;
      input.Log("prepare " + std::to_string(p->offset));
      return std::unique_ptr<PreparedBatch>(std::move(p));
    };
    stages.attempt = [&input](PreparedBatch& p) {
      input.Log("attempt " + std::to_string(static_cast<Numbered&>(p).offset));
      return Status::Ok();
    };
    stages.finish = [&input, finish_status](const std::vector<InputRecord>&, PreparedBatch& p,
                                            Status attempted) {
      EXPECT_TRUE(attempted.ok());
      const int64_t offset = static_cast<Numbered&>(p).offset;
      input.Log("finish " + std::to_string(offset));
      return finish_status(offset);
    };
    return stages;
  }

  // The events without the attempts (which run on their own thread), and checks that each
  // batch's attempt came after its preparation and before its finish.
  std::vector<std::string> MainThreadEvents() {
    std::vector<std::string> out;
    for (size_t i = 0; i < events_.size(); ++i) {
      const std::string& e = events_[i];
      if (e.rfind("attempt ", 0) == 0) {
        const std::string n = e.substr(8);
        auto at = [&](const std::string& what) {
          for (size_t k = 0; k < events_.size(); ++k) {
            if (events_[k] == what) return static_cast<int64_t>(k);
          }
          return int64_t{-1};
        };
        EXPECT_LT(at("prepare " + n), static_cast<int64_t>(i)) << e;
        const int64_t finish = at("finish " + n);
        if (finish >= 0) {
          EXPECT_GT(finish, static_cast<int64_t>(i)) << e;
        }
        continue;
      }
      out.push_back(e);
    }
    return out;
  }

  SinkConfig config_;
  std::atomic<bool> stop_{false};
  std::vector<std::string> events_;
  std::mutex mu_;
};

TEST_F(BatchLoopTest, PreparesTheNextBatchWhileOneIsAttemptedAndAcknowledgesInOrder) {
  ScriptedInput input(3, &stop_, &events_, &mu_);
  Status s =
      RunBatchLoop(config_, input, stop_, Stages(input, [](int64_t) { return Status::Ok(); }));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(MainThreadEvents(),
            (std::vector<std::string>{"prepare 1", "prepare 2", "finish 1", "ack 1", "prepare 3",
                                      "finish 2", "ack 2", "finish 3", "ack 3", "close"}));
}

TEST_F(BatchLoopTest, AFailedBatchIsNotAcknowledgedAndStopsTheLoop) {
  ScriptedInput input(3, &stop_, &events_, &mu_);
  Status s =
      RunBatchLoop(config_, input, stop_, Stages(input, [](int64_t offset) {
                     return offset == 2 ? Status::FailedPrecondition("refused") : Status::Ok();
                   }));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(MainThreadEvents(),
            (std::vector<std::string>{"prepare 1", "prepare 2", "finish 1", "ack 1", "prepare 3",
                                      "finish 2", "close"}));
}

TEST_F(BatchLoopTest, StoppingWhileRetryingLeavesTheBatchUnacknowledged) {
  ScriptedInput input(2, &stop_, &events_, &mu_);
  Status s =
      RunBatchLoop(config_, input, stop_, Stages(input, [](int64_t offset) {
                     return offset == 2 ? Status::Aborted("stopped while retrying") : Status::Ok();
                   }));
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(MainThreadEvents(), (std::vector<std::string>{"prepare 1", "prepare 2", "finish 1",
                                                          "ack 1", "finish 2", "close"}));
}

TEST_F(BatchLoopTest, AWholeBatchApplyIsAcknowledgedBeforeTheNextPoll) {
  ScriptedInput input(2, &stop_, &events_, &mu_);
  Status s =
      RunBatchLoop(config_, input, stop_, [&](const std::vector<InputRecord>& batch, int64_t*) {
        input.Log("apply " + std::to_string(batch.front().offset));
        return Status::Ok();
      });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(events_, (std::vector<std::string>{"apply 1", "ack 1", "apply 2", "ack 2", "close"}));
}

}  // namespace
}  // namespace vimur::sink
