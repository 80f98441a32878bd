// IncrementalSnapshotQueue: the stored state round-trips (key cells through the source's codec),
// cancels stop the table being read or whole requests, rejected and finished requests get
// their status files.
#include "source/incremental_snapshot_queue.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace vimur {
namespace {

namespace fs = std::filesystem;

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

Result<std::string> FromHex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return Status::Corruption("odd hex key cell");
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return Status::Corruption("bad hex key cell");
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

class IncrementalSnapshotQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vimur-queue-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  IncrementalSnapshotQueue Queue(IncrementalSnapshotQueue::KeyCodec codec = {}) {
    return IncrementalSnapshotQueue("src", dir_.string(), "between their chunk's watermarks",
                                    codec);
  }
  std::string Submit(std::vector<std::string> tables, bool cancel = false) {
    SnapshotRequest request;
    request.tables = std::move(tables);
    request.cancel = cancel;
    return requests().Submit(std::move(request)).value();
  }
  SnapshotRequestStatus StatusOf(const std::string& id) {
    auto status = requests().ReadStatus(id);
    EXPECT_TRUE(status.ok()) << status.status().ToString();
    EXPECT_TRUE(status.ok() && status->has_value()) << "no status for " << id;
    return status.ok() && status->has_value() ? **status : SnapshotRequestStatus{};
  }
  SnapshotRequestDir requests() const { return SnapshotRequestDir(dir_.string()); }

  // Accepts every request; counts the tables dropped by cancels.
  IncrementalSnapshotQueue::Hooks Hooks() {
    return {[](const SnapshotRequest&) { return Status::Ok(); }, [this] { ++dropped_; }};
  }

  fs::path dir_;
  int dropped_ = 0;
};

TEST_F(IncrementalSnapshotQueueTest, StateRoundTripsWithKeysThroughTheCodec) {
  const IncrementalSnapshotQueue::KeyCodec hex{ToHex, FromHex};
  IncrementalSnapshotQueue queue = Queue(hex);
  // As MariaDB stores it: key cells hex-encoded, keys in order.
  const std::string state =
      R"({"requests":[{"after":["00ff41","07"],"id":"r1","rows":1200,"table":1,)"
      R"("tables":["shop.a","shop.b"],"where":"id > 3"},)"
      R"({"id":"r2","rows":0,"table":0,"tables":["shop.c"]}]})";
  ASSERT_TRUE(queue.Restore(state).ok());
  ASSERT_TRUE(queue.active());
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.state(), state);
  EXPECT_EQ(queue.current_table(), "shop.b");
  const IncrementalSnapshotQueue::Request& r = queue.front();
  EXPECT_EQ(r.id, "r1");
  EXPECT_EQ(r.where, "id > 3");
  EXPECT_EQ(r.rows, 1200u);
  EXPECT_EQ(r.after, (std::vector<std::string>{std::string("\x00\xff"
                                                           "A",
                                                           3),
                                               "\x07"}));

  IncrementalSnapshotQueue again = Queue(hex);
  ASSERT_TRUE(again.Restore(queue.state()).ok());
  EXPECT_EQ(again.state(), state);
  EXPECT_EQ(again.front().after, r.after);

  // Without a codec the cells are stored as they are (PostgreSQL's key text).
  IncrementalSnapshotQueue text = Queue();
  ASSERT_TRUE(text.Restore(state).ok());
  EXPECT_EQ(text.front().after, (std::vector<std::string>{"00ff41", "07"}));
  EXPECT_EQ(text.state(), state);

  // A cell the codec does not understand: the state is not, and nothing is restored.
  IncrementalSnapshotQueue bad = Queue(hex);
  Status status = bad.Restore(R"({"requests":[{"after":["zz"],"id":"r","tables":["a.b"]}]})");
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_NE(status.message().find("vimur snapshot --cancel"), std::string::npos)
      << status.message();
  EXPECT_FALSE(bad.active());
  EXPECT_TRUE(bad.state().empty());

  ASSERT_TRUE(queue.Restore("").ok());
  EXPECT_FALSE(queue.active());
  EXPECT_TRUE(queue.state().empty());
  EXPECT_TRUE(queue.current_table().empty());
}

TEST_F(IncrementalSnapshotQueueTest, CancelOfTheTableBeingReadMovesToTheNext) {
  IncrementalSnapshotQueue queue = Queue();
  const std::string id = Submit({"shop.a", "shop.b"});
  ASSERT_TRUE(queue.TakeRequests(Hooks()).ok());
  EXPECT_EQ(StatusOf(id).state, "accepted");
  ASSERT_TRUE(queue.active());
  EXPECT_EQ(queue.current_table(), "shop.a");
  queue.front().after = {"17"};
  queue.front().rows = 17;
  queue.UpdateState();
  EXPECT_NE(queue.state().find(R"("after":["17"])"), std::string::npos) << queue.state();

  const std::string cancel = Submit({"shop.a"}, true);
  ASSERT_TRUE(queue.TakeRequests(Hooks()).ok());
  EXPECT_EQ(dropped_, 1);
  ASSERT_TRUE(queue.active());
  EXPECT_EQ(queue.current_table(), "shop.b");
  EXPECT_EQ(queue.front().tables, (std::vector<std::string>{"shop.b"}));
  EXPECT_TRUE(queue.front().after.empty());
  EXPECT_EQ(queue.front().rows, 0u);
  EXPECT_EQ(queue.state().find("after"), std::string::npos) << queue.state();
  const SnapshotRequestStatus done = StatusOf(cancel);
  EXPECT_EQ(done.state, "done");
  EXPECT_EQ(done.message, "1 table snapshot(s) cancelled");

  // Cancelling a table of no request changes nothing and drops nothing.
  const std::string none = Submit({"shop.z"}, true);
  ASSERT_TRUE(queue.TakeRequests(Hooks()).ok());
  EXPECT_EQ(dropped_, 1);
  EXPECT_EQ(queue.current_table(), "shop.b");
  EXPECT_EQ(StatusOf(none).message, "0 table snapshot(s) cancelled");
}

TEST_F(IncrementalSnapshotQueueTest, CancelOfEverythingFinishesTheRequests) {
  IncrementalSnapshotQueue queue = Queue();
  const std::string first = Submit({"shop.a", "shop.b"});
  const std::string second = Submit({"shop.c"});
  ASSERT_TRUE(queue.TakeRequests(Hooks()).ok());
  ASSERT_EQ(queue.size(), 2u);
  queue.NextTable();  // shop.a done: shop.b is read
  EXPECT_EQ(queue.current_table(), "shop.b");

  const std::string cancel = Submit({}, true);
  ASSERT_TRUE(queue.TakeRequests(Hooks()).ok());
  EXPECT_GE(dropped_, 1);  // the table being read stopped
  EXPECT_FALSE(queue.active());
  EXPECT_TRUE(queue.state().empty());
  EXPECT_TRUE(queue.current_table().empty());
  const SnapshotRequestStatus a = StatusOf(first);
  EXPECT_EQ(a.state, "cancelled");
  EXPECT_EQ(a.message, "cancelled by request " + cancel);
  EXPECT_EQ(a.tables_total, 1u);  // shop.a, read before the cancel, stays
  EXPECT_EQ(a.tables_done, 1u);
  EXPECT_EQ(StatusOf(second).state, "cancelled");
  EXPECT_EQ(StatusOf(cancel).message, "2 table snapshot(s) cancelled");
}

TEST_F(IncrementalSnapshotQueueTest, ARejectedRequestGetsItsReason) {
  IncrementalSnapshotQueue queue = Queue();
  const std::string bad = Submit({"shop.nokey"});
  const std::string good = Submit({"shop.a"});
  IncrementalSnapshotQueue::Hooks hooks = Hooks();
  hooks.check = [](const SnapshotRequest& request) {
    if (request.tables.front() == "shop.nokey") {
      return Status::InvalidArgument("table shop.nokey has no primary key");
    }
    return Status::Ok();
  };
  ASSERT_TRUE(queue.TakeRequests(hooks).ok());
  const SnapshotRequestStatus rejected = StatusOf(bad);
  EXPECT_EQ(rejected.state, "rejected");
  EXPECT_EQ(rejected.message, "table shop.nokey has no primary key");
  EXPECT_EQ(StatusOf(good).state, "accepted");
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.front().id, good);
}

TEST_F(IncrementalSnapshotQueueTest, NextTablePastTheLastFinishesTheRequest) {
  IncrementalSnapshotQueue queue = Queue();
  const std::string id = Submit({"shop.a", "shop.b"});
  ASSERT_TRUE(queue.TakeRequests(Hooks()).ok());
  queue.front().rows = 10;
  queue.front().handed_on = 10;
  queue.NextTable();
  ASSERT_TRUE(queue.active());
  EXPECT_EQ(queue.current_table(), "shop.b");
  EXPECT_EQ(queue.front().rows, 0u);
  SnapshotRequestStatus running = StatusOf(id);
  EXPECT_EQ(running.state, "running");
  EXPECT_EQ(running.table, "shop.b");
  EXPECT_EQ(running.tables_done, 1u);
  EXPECT_NE(queue.state().find(R"("table":1)"), std::string::npos) << queue.state();

  queue.NextTable();
  EXPECT_FALSE(queue.active());
  EXPECT_TRUE(queue.state().empty());
  const SnapshotRequestStatus done = StatusOf(id);
  EXPECT_EQ(done.state, "done");
  EXPECT_EQ(done.tables_done, 2u);
  EXPECT_EQ(done.tables_total, 2u);
}

}  // namespace
}  // namespace vimur
