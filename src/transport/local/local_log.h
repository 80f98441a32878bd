// LocalLog: the embedded, durable, partitioned change log under state_dir. Appends go to
// partition segment files; a writer thread makes them durable and then writes a commit record
// (positions + next offsets), so a batch and its source position become durable together.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "core/status.h"
#include "transport/local/commit_log.h"
#include "transport/local/partition_log.h"
#include "transport/transport.h"

namespace vimur::local {

enum class FsyncPolicy { kBatch, kInterval, kNever };

struct LocalLogOptions {
  std::string dir;                              // the log's directory (state_dir/<pipeline>/log)
  int partitions = 3;                           // of new topics
  std::map<std::string, int> topic_partitions;  // per topic name, overriding `partitions`
  FsyncPolicy fsync = FsyncPolicy::kBatch;
  int fsync_interval_ms = 1000;
  uint64_t segment_bytes = 64ull << 20;
  int64_t retention_ms = 7ll * 24 * 3600 * 1000;  // 0: no limit
  int64_t retention_bytes = 0;                    // per partition; 0: no limit
  uint64_t max_pending_bytes = 64ull << 20;       // appended, not yet committed
  int64_t retention_check_ms = 5000;              // how often the writer applies retention
  // Compaction by key (segment_compactor.h) of every topic but `uncompacted_topics`.
  bool compaction = true;
  int64_t compaction_interval_ms = 60000;
  int64_t compaction_tombstone_retention_ms = 24ll * 3600 * 1000;
  std::set<std::string> uncompacted_topics;       // schema-change and dead-letter topics
  std::vector<std::string> uncompacted_prefixes;  // topics starting so (outbox topics)
  // Consumer groups' offsets (<group>.json, consumer_offsets.h); empty: none hold retention.
  std::string consumers_dir;
  // slow_consumer: wait: retention keeps segments a group has not read, and appends to a
  // topic wait while a partition's unread bytes held that way exceed slow_consumer_max_bytes.
  // false (drop): retention deletes them; the group logs an error naming the skipped offsets.
  bool slow_consumer_wait = true;
  uint64_t slow_consumer_max_bytes = 256ull << 20;
};

// The name of the commit log file in the log directory.
inline constexpr const char* kCommitLogName = "__commits";

class LocalLog {
 public:
  // The log of `options.dir` for this process: opened (and recovered) by the first caller,
  // shared with later ones. Fails when another process holds the directory.
  static Result<std::shared_ptr<LocalLog>> Open(const LocalLogOptions& options);
  // Waits until a log of `dir` open in this process commits past `sequence`, or `max`
  // passes (at most 50 ms when no writer of `dir` lives in this process).
  static void WaitForCommit(const std::string& dir, int64_t sequence,
                            std::chrono::milliseconds max);

  ~LocalLog();
  LocalLog(const LocalLog&) = delete;
  LocalLog& operator=(const LocalLog&) = delete;

  // Appends `records` (partitioned by key as Kafka's default partitioner does; a null key
  // goes to partition 0), with `end` = (source, Position JSON) when given. With `commit`, a
  // commit record follows and `done` runs once records and position are durable; without it
  // (a leading chunk of a source transaction), `done` runs with the next commit. `done` runs
  // on the writer thread, in append order. Waits while max_pending_bytes are uncommitted.
  Status Append(const std::vector<OutgoingRecord>& records, int64_t timestamp_ms,
                std::optional<std::pair<std::string, std::string>> end, bool commit,
                std::function<void(const Status&)> done);
  // A committing Append, then waits until it is durable.
  Status AppendAndWait(const std::vector<OutgoingRecord>& records, int64_t timestamp_ms,
                       std::optional<std::pair<std::string, std::string>> end);
  // Waits until every committing append is durable; appends no commit follows (a source
  // transaction cut short) then get kAborted. kUnavailable after `timeout`.
  Status Flush(std::chrono::milliseconds timeout);
  // Later appends fail, waiting ones return kAborted.
  void Shutdown();

  // Deletes the old segments retention lets go (the writer thread does it every 5 s, every
  // 0.5 s while a slow consumer holds appends). With slow_consumer_wait, segments a consumer
  // group has not read stay, and appends to their topic wait while too much is unread.
  Status ApplyRetention(int64_t now_ms);
  // One compaction pass over every compacted topic (the compactor thread runs it every
  // compaction_interval_ms); returns the records removed.
  Result<int64_t> Compact(int64_t now_ms);
  // Topics whose appends wait for a slow consumer group (slow_consumer: wait).
  std::set<std::string> HeldTopics() const;

  // The committed state: positions by source and next offsets by topic.
  CommitState Committed() const;
  size_t Pending() const;
  const LocalLogOptions& options() const { return options_; }

 private:
  struct Topic {
    std::vector<std::unique_ptr<PartitionLog>> partitions;
  };
  struct Entry {
    std::function<void(const Status&)> done;
    std::optional<std::pair<std::string, std::string>> end;
    bool commits = false;
    // (topic, partition, next offset after this entry, partition count)
    std::vector<std::tuple<std::string, int, int64_t, int>> offsets;
    std::vector<std::shared_ptr<SegmentFile>> segments;
    uint64_t bytes = 0;
  };

  explicit LocalLog(LocalLogOptions options);
  Status Recover();
  Result<Topic*> TopicFor(const std::string& name);
  void WriterLoop();
  void CompactorLoop();
  // ApplyRetention with maintenance_mu_ held.
  Status RetentionLocked(int64_t now_ms);
  void Fail(const Status& s);

  LocalLogOptions options_;
  CommitLog commit_log_;
  int lock_fd_ = -1;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // entries added, commits done, room made
  std::map<std::string, Topic> topics_;
  std::deque<Entry> pending_;
  uint64_t pending_bytes_ = 0;
  size_t pending_commits_ = 0;  // committing entries in pending_
  size_t committing_ = 0;       // entries taken by the writer, not yet done
  CommitState committed_;       // as durable on disk
  Status failed_;
  bool stop_ = false;
  bool shutdown_ = false;
  // Topics appends wait for (slow consumers), with the group holding each.
  std::map<std::string, std::string> held_;
  int64_t last_hold_log_ms_ = 0;
  // Serializes retention and compaction, which both replace or delete closed segments.
  std::mutex maintenance_mu_;
  std::thread writer_;
  std::thread compactor_;
};

}  // namespace vimur::local
