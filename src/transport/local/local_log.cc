#include "transport/local/local_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <set>

#include "core/logging.h"
#include "core/thread_name.h"
#include "transport/kafka/murmur2.h"
#include "transport/local/consumer_offsets.h"
#include "transport/local/file_io.h"
#include "transport/local/log_record.h"
#include "transport/local/segment_compactor.h"

namespace vimur::local {
namespace {

std::mutex g_registry_mu;

std::map<std::string, std::weak_ptr<LocalLog>>& Registry() {
  static auto* registry = new std::map<std::string, std::weak_ptr<LocalLog>>();
  return *registry;
}

std::string Normalize(const std::string& dir) {
  return std::filesystem::absolute(dir).lexically_normal().string();
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Topic names become directory names: Kafka's legal characters only.
Status CheckTopicName(const std::string& name) {
  bool ok =
      !name.empty() && name.size() <= 249 && name != "." && name != ".." && name != kCommitLogName;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (ok) return Status::Ok();
  return Status::InvalidArgument("topic '" + name +
                                 "' is not a legal topic name (letters, digits, '.', '_', '-', "
                                 "at most 249); change topic_prefix or the route");
}

}  // namespace

LocalLog::LocalLog(LocalLogOptions options)
    : options_(std::move(options)), commit_log_(options_.dir + "/" + kCommitLogName) {}

Result<std::shared_ptr<LocalLog>> LocalLog::Open(const LocalLogOptions& options) {
  const std::string dir = Normalize(options.dir);
  std::lock_guard<std::mutex> l(g_registry_mu);
  auto& registry = Registry();
  if (auto it = registry.find(dir); it != registry.end()) {
    if (auto live = it->second.lock()) return live;
  }
  LocalLogOptions o = options;
  o.dir = dir;
  std::shared_ptr<LocalLog> log(new LocalLog(std::move(o)));
  VIMUR_RETURN_IF_ERROR(log->Recover());
  log->writer_ = std::thread([p = log.get()] { p->WriterLoop(); });
  if (log->options_.compaction) {
    log->compactor_ = std::thread([p = log.get()] { p->CompactorLoop(); });
  }
  registry[dir] = log;
  return log;
}

void LocalLog::WaitForCommit(const std::string& dir, int64_t sequence,
                             std::chrono::milliseconds max) {
  std::shared_ptr<LocalLog> live;
  {
    std::lock_guard<std::mutex> l(g_registry_mu);
    auto it = Registry().find(Normalize(dir));
    if (it != Registry().end()) live = it->second.lock();
  }
  if (!live) {
    std::this_thread::sleep_for(std::min(max, std::chrono::milliseconds(50)));
    return;
  }
  std::unique_lock<std::mutex> l(live->mu_);
  live->cv_.wait_for(l, max, [&] { return live->committed_.sequence > sequence || live->stop_; });
}

LocalLog::~LocalLog() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (compactor_.joinable()) compactor_.join();
  // Entries still pending belong to senders that stopped waiting (Shutdown): their
  // callbacks may point at state that is gone, so they are dropped, not called.
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status LocalLog::Recover() {
  const std::string& dir = options_.dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Status::IoError("cannot create the local log directory " + dir + ": " + ec.message());
  const std::string lock_path = dir + "/.lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0)
    return Status::IoError("cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::FailedPrecondition(
        "the local log " + dir +
        " is in use by another vimur process; stop it, or give this pipeline its own state_dir "
        "or name (`vimur run --only sinks` reads the log of a running pipeline without writing)");
  }
  VIMUR_ASSIGN_OR_RETURN(committed_, commit_log_.Open());
  std::vector<std::filesystem::directory_entry> entries;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) entries.push_back(entry);
  if (ec)
    return Status::IoError("cannot list the local log directory " + dir + ": " + ec.message());
  for (const auto& entry : entries) {
    if (!entry.is_directory()) continue;
    const std::string topic = entry.path().filename().string();
    auto it = committed_.topics.find(topic);
    if (it == committed_.topics.end()) {
      LOG_INFO << "local log: removing topic directory " << entry.path().string()
               << " (created by a batch that was never committed)";
      std::filesystem::remove_all(entry.path(), ec);
      continue;
    }
    // Partitions past the committed count were never committed either.
    std::vector<std::filesystem::path> parts;
    for (const auto& part : std::filesystem::directory_iterator(entry.path(), ec)) {
      parts.push_back(part.path());
    }
    for (const auto& part : parts) {
      const std::string name = part.filename().string();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos ||
          name.size() > 6 || std::stoi(name) >= static_cast<int>(it->second.size())) {
        std::filesystem::remove_all(part, ec);
      }
    }
  }
  for (const auto& [name, offsets] : committed_.topics) {
    Topic& t = topics_[name];
    for (size_t i = 0; i < offsets.size(); ++i) {
      auto p = std::make_unique<PartitionLog>(dir + "/" + name + "/" + std::to_string(i),
                                              name + "[" + std::to_string(i) + "]");
      VIMUR_RETURN_IF_ERROR(p->Recover(offsets[i]));
      t.partitions.push_back(std::move(p));
    }
  }
  VIMUR_RETURN_IF_ERROR(SyncDirectory(dir));
  LOG_INFO << "local log " << dir << ": " << topics_.size() << " topic(s), commit "
           << committed_.sequence;
  return Status::Ok();
}

Result<LocalLog::Topic*> LocalLog::TopicFor(const std::string& name) {
  auto it = topics_.find(name);
  if (it != topics_.end()) return &it->second;
  VIMUR_RETURN_IF_ERROR(CheckTopicName(name));
  int count = options_.partitions;
  if (auto o = options_.topic_partitions.find(name); o != options_.topic_partitions.end()) {
    count = o->second;
  }
  count = std::max(count, 1);
  Topic t;
  const std::string topic_dir = options_.dir + "/" + name;
  for (int i = 0; i < count; ++i) {
    auto p = std::make_unique<PartitionLog>(topic_dir + "/" + std::to_string(i),
                                            name + "[" + std::to_string(i) + "]");
    VIMUR_RETURN_IF_ERROR(p->Recover(0));
    t.partitions.push_back(std::move(p));
  }
  VIMUR_RETURN_IF_ERROR(SyncDirectory(topic_dir));
  VIMUR_RETURN_IF_ERROR(SyncDirectory(options_.dir));
  return &topics_.emplace(name, std::move(t)).first->second;
}

Status LocalLog::Append(const std::vector<OutgoingRecord>& records, int64_t timestamp_ms,
                        std::optional<std::pair<std::string, std::string>> end, bool commit,
                        std::function<void(const Status&)> done) {
  std::unique_lock<std::mutex> l(mu_);
  // Waits for room, and while a slow consumer group holds a topic of these records.
  auto held = [&] {
    if (held_.empty()) return false;
    for (const OutgoingRecord& r : records) {
      if (held_.count(std::string(r.topic)) > 0) return true;
    }
    return false;
  };
  cv_.wait(l, [&] {
    return shutdown_ || !failed_.ok() || (pending_bytes_ < options_.max_pending_bytes && !held());
  });
  if (!failed_.ok()) return failed_;
  if (shutdown_) return Status::Aborted("the local log is shutting down");
  struct Touched {
    PartitionLog* log;
    const std::string* topic;
    int partition;
    int count;
  };
  std::vector<Touched> touched;
  Entry e;
  std::string_view last_name;
  std::map<std::string, Topic>::iterator last_topic;
  auto drop = [&touched] {
    for (const Touched& t : touched) t.log->DropStaged();
  };
  for (const OutgoingRecord& r : records) {
    if (touched.empty() || r.topic != last_name) {
      const std::string name(r.topic);
      auto t = TopicFor(name);
      if (!t.ok()) {
        drop();
        return t.status();
      }
      last_topic = topics_.find(name);
      last_name = r.topic;
    }
    auto& parts = last_topic->second.partitions;
    const int count = static_cast<int>(parts.size());
    const int p = r.key ? kafka::PartitionForKey(*r.key, count) : 0;
    PartitionLog* log = parts[static_cast<size_t>(p)].get();
    if (!log->has_staged()) touched.push_back({log, &last_topic->first, p, count});
    log->Stage(timestamp_ms, r.key, r.value);
    e.bytes += RecordFrameBytes(r.key, r.value);
  }
  for (const Touched& t : touched) {
    Status s = t.log->WriteStaged(options_.segment_bytes, options_.fsync != FsyncPolicy::kNever);
    if (!s.ok()) {
      drop();
      failed_ = s;
      cv_.notify_all();
      return s;
    }
    e.offsets.emplace_back(*t.topic, t.partition, t.log->next_offset(), t.count);
    e.segments.push_back(t.log->active());
  }
  e.done = std::move(done);
  e.end = std::move(end);
  e.commits = commit;
  pending_bytes_ += e.bytes;
  if (commit) ++pending_commits_;
  pending_.push_back(std::move(e));
  cv_.notify_all();
  return Status::Ok();
}

Status LocalLog::AppendAndWait(const std::vector<OutgoingRecord>& records, int64_t timestamp_ms,
                               std::optional<std::pair<std::string, std::string>> end) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto result = promise->get_future();
  VIMUR_RETURN_IF_ERROR(Append(records, timestamp_ms, std::move(end), true,
                               [promise](const Status& s) { promise->set_value(s); }));
  return result.get();
}

void LocalLog::WriterLoop() {
  SetThreadName("local-log");
  int64_t last_sync = NowMs();
  int64_t last_retention = 0;
  std::vector<std::shared_ptr<SegmentFile>> unsynced;
  bool commit_unsynced = false;
  while (true) {
    std::vector<Entry> batch;
    CommitState next;
    bool failed = false;
    bool holding = false;
    {
      std::unique_lock<std::mutex> l(mu_);
      holding = !held_.empty();
      cv_.wait_for(l, std::chrono::milliseconds(200),
                   [&] { return stop_ || pending_commits_ > 0 || !failed_.ok(); });
      if (!failed_.ok()) {
        failed = true;
        while (!pending_.empty()) {
          batch.push_back(std::move(pending_.front()));
          pending_.pop_front();
        }
        pending_bytes_ = 0;
        pending_commits_ = 0;
      } else if (pending_commits_ > 0) {
        size_t last = 0;
        for (size_t i = 0; i < pending_.size(); ++i) {
          if (pending_[i].commits) last = i;
        }
        for (size_t i = 0; i <= last; ++i) {
          batch.push_back(std::move(pending_.front()));
          pending_.pop_front();
        }
        pending_commits_ = 0;
        committing_ = batch.size();
        next = committed_;
      } else if (stop_) {
        break;
      }
    }
    const int64_t now = NowMs();
    if (failed) {
      Status why;
      {
        std::lock_guard<std::mutex> l(mu_);
        why = failed_;
      }
      // (failed_ never goes back to OK: nothing more will be committed.)
      for (Entry& e : batch) {
        if (e.done) e.done(why);
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        if (stop_) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    Status s;
    if (!batch.empty()) {
      next.sequence++;
      std::set<SegmentFile*> seen;
      uint64_t bytes = 0;
      for (Entry& e : batch) {
        for (const auto& [topic, partition, offset, count] : e.offsets) {
          auto& offsets = next.topics[topic];
          if (offsets.size() < static_cast<size_t>(count))
            offsets.resize(static_cast<size_t>(count), 0);
          offsets[static_cast<size_t>(partition)] = offset;
        }
        if (e.end) next.positions[e.end->first] = e.end->second;
        for (auto& seg : e.segments) {
          if (seen.insert(seg.get()).second) unsynced.push_back(seg);
        }
        bytes += e.bytes;
      }
      bool sync =
          options_.fsync == FsyncPolicy::kBatch || (options_.fsync == FsyncPolicy::kInterval &&
                                                    now - last_sync >= options_.fsync_interval_ms);
      if (sync) {
        for (const auto& seg : unsynced) {
          if (s.ok()) s = SyncFile(seg->fd, seg->path);
        }
        unsynced.clear();
        last_sync = now;
      }
      if (options_.fsync == FsyncPolicy::kNever) unsynced.clear();
      if (s.ok()) s = commit_log_.Append(next, sync);
      commit_unsynced = !sync;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (s.ok()) {
          committed_ = next;
        } else {
          failed_ = s.WithContext("local log " + options_.dir);
          s = failed_;
        }
        pending_bytes_ -= std::min(pending_bytes_, bytes);
      }
      cv_.notify_all();
      for (Entry& e : batch) {
        if (e.done) e.done(s);
      }
      {
        // Flush returns only once every acknowledgement has been delivered.
        std::lock_guard<std::mutex> l(mu_);
        committing_ = 0;
      }
      cv_.notify_all();
    } else if (options_.fsync == FsyncPolicy::kInterval &&
               now - last_sync >= options_.fsync_interval_ms &&
               (commit_unsynced || !unsynced.empty())) {
      for (const auto& seg : unsynced) {
        if (s.ok()) s = SyncFile(seg->fd, seg->path);
      }
      unsynced.clear();
      if (s.ok()) s = commit_log_.Sync();
      commit_unsynced = false;
      last_sync = now;
      if (!s.ok()) {
        std::lock_guard<std::mutex> l(mu_);
        failed_ = s;
      }
    }
    // While a slow consumer holds appends, every 0.5 s: they go on soon after it commits.
    const int64_t every =
        holding ? std::min<int64_t>(500, options_.retention_check_ms) : options_.retention_check_ms;
    if (now - last_retention >= every &&
        (options_.retention_ms > 0 || options_.retention_bytes > 0)) {
      // Skipped while compaction rewrites a partition (tried again next time), so the
      // writer never waits for a compaction pass.
      std::unique_lock<std::mutex> m(maintenance_mu_, std::try_to_lock);
      Status r;
      if (m.owns_lock()) {
        last_retention = now;
        r = RetentionLocked(now);
      }
      if (!r.ok()) {
        LOG_WARN << "local log: retention: " << r.message();
      }
    }
  }
}

Status LocalLog::ApplyRetention(int64_t now_ms) {
  std::lock_guard<std::mutex> m(maintenance_mu_);
  return RetentionLocked(now_ms);
}

Status LocalLog::RetentionLocked(int64_t now_ms) {
  std::map<std::pair<std::string, int>, SlowestReader> slowest;
  if (options_.slow_consumer_wait && !options_.consumers_dir.empty()) {
    auto read = SlowestReaders(options_.consumers_dir);
    if (read.ok()) {
      slowest = std::move(read).value();
    } else {
      LOG_WARN << "local log: retention: " << read.status().message()
               << " (consumer groups do not hold retention until it can be read)";
    }
  }
  std::map<std::string, std::string> held;
  Status first;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [name, topic] : topics_) {
      auto c = committed_.topics.find(name);
      if (c == committed_.topics.end()) continue;
      for (size_t i = 0; i < topic.partitions.size() && i < c->second.size(); ++i) {
        int64_t read_next = INT64_MAX;
        auto reader = slowest.find({name, static_cast<int>(i)});
        if (reader != slowest.end()) read_next = reader->second.next;
        auto r = topic.partitions[i]->ApplyRetention(now_ms, options_.retention_ms,
                                                     options_.retention_bytes, c->second[i],
                                                     read_next, options_.slow_consumer_max_bytes);
        if (!r.ok()) {
          if (first.ok()) first = r.status();
        } else if (*r) {
          held[name] = "consumer group " + reader->second.group + " at " + name + "[" +
                       std::to_string(i) + "]@" + std::to_string(read_next);
        }
      }
    }
    held_ = held;
    if (!held.empty() && now_ms - last_hold_log_ms_ >= 60000) {
      last_hold_log_ms_ = now_ms;
      for (const auto& [topic, who] : held) {
        LOG_WARN << "local log: appends to " << topic << " wait for " << who
                 << ": retention would delete records it has not read and more than "
                    "slow_consumer_max_bytes are unread (slow_consumer: wait; let it catch up, "
                    "set slow_consumer: drop, or remove its offsets file to release it)";
      }
    }
    if (held.empty()) last_hold_log_ms_ = 0;
  }
  cv_.notify_all();
  return first;
}

std::set<std::string> LocalLog::HeldTopics() const {
  std::lock_guard<std::mutex> l(mu_);
  std::set<std::string> out;
  for (const auto& [topic, who] : held_) out.insert(topic);
  return out;
}

Result<int64_t> LocalLog::Compact(int64_t now_ms) {
  struct Part {
    std::string dir, label;
    int64_t committed_next;
  };
  std::vector<Part> parts;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [name, offsets] : committed_.topics) {
      if (options_.uncompacted_topics.count(name) > 0) continue;
      const std::string& topic = name;
      if (std::any_of(options_.uncompacted_prefixes.begin(), options_.uncompacted_prefixes.end(),
                      [&](const std::string& p) { return topic.compare(0, p.size(), p) == 0; })) {
        continue;
      }
      for (size_t i = 0; i < offsets.size(); ++i) {
        parts.push_back({options_.dir + "/" + name + "/" + std::to_string(i),
                         name + "[" + std::to_string(i) + "]", offsets[i]});
      }
    }
  }
  int64_t removed = 0;
  Status first;
  for (const Part& p : parts) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stop_) break;
    }
    std::lock_guard<std::mutex> m(maintenance_mu_);
    auto r = CompactPartition(p.dir, p.label, p.committed_next, now_ms,
                              options_.compaction_tombstone_retention_ms);
    if (r.ok()) {
      removed += r->records_removed;
    } else if (first.ok()) {
      first = r.status();
    }
  }
  if (!first.ok()) return first;
  return removed;
}

void LocalLog::CompactorLoop() {
  SetThreadName("local-compact");
  while (true) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait_for(l, std::chrono::milliseconds(options_.compaction_interval_ms),
                   [&] { return stop_; });
      if (stop_) return;
    }
    auto r = Compact(NowMs());
    if (!r.ok()) {
      LOG_WARN << "local log: compaction: " << r.status().message();
    }
  }
}

Status LocalLog::Flush(std::chrono::milliseconds timeout) {
  std::vector<Entry> abandoned;
  {
    std::unique_lock<std::mutex> l(mu_);
    const bool done = cv_.wait_for(l, timeout, [&] {
      return shutdown_ || !failed_.ok() || (pending_commits_ == 0 && committing_ == 0);
    });
    if (!failed_.ok()) return failed_;
    if (shutdown_) return Status::Aborted("the local log was shut down");
    if (!done) {
      return Status::Unavailable("local log " + options_.dir + ": " +
                                 std::to_string(pending_.size() + committing_) +
                                 " batch(es) not durable after " + std::to_string(timeout.count()) +
                                 " ms (is the disk slow?)");
    }
    while (!pending_.empty()) {
      pending_bytes_ -= std::min(pending_bytes_, pending_.front().bytes);
      abandoned.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
  }
  cv_.notify_all();
  for (Entry& e : abandoned) {
    if (e.done) e.done(Status::Aborted("its source transaction was not sent to the end"));
  }
  return Status::Ok();
}

void LocalLog::Shutdown() {
  {
    std::lock_guard<std::mutex> l(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
}

CommitState LocalLog::Committed() const {
  std::lock_guard<std::mutex> l(mu_);
  return committed_;
}

size_t LocalLog::Pending() const {
  std::lock_guard<std::mutex> l(mu_);
  return pending_.size() + committing_;
}

}  // namespace vimur::local
