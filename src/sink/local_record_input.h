// LocalRecordInput: a RecordInput over the embedded local log (transport: local): the topics
// the sink's regexes match, read up to the last commit, with the consumer's offsets stored
// durably under state_dir (one file per consumer group, replaced atomically).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/regex_pattern.h"
#include "sink/record_input.h"
#include "transport/local/commit_log.h"
#include "transport/local/local_log.h"
#include "transport/local/partition_reader.h"

namespace vimur::sink {

struct LocalInputOptions {
  local::LocalLogOptions log;  // the log (its dir), and how to write dead letters into it
  std::string consumers_dir;   // where the group's offsets file lives
  std::string group_id;
  std::vector<std::string> topic_regexes;  // matched against whole topic names
  std::string dead_letter_topic;
  std::string sink_name;  // for logs and errors
  bool from_end = false;  // a group without offsets starts at the end (vimur tail)
};

class LocalRecordInput final : public RecordInput {
 public:
  explicit LocalRecordInput(LocalInputOptions options);

  void ReadFromBeginning() override { from_beginning_ = true; }
  Status Start() override;
  Result<std::vector<InputRecord>> Poll(size_t max_records,
                                        std::chrono::milliseconds max_wait) override;
  Status Acknowledge(const std::vector<InputRecord>& batch) override;
  void Wait(std::chrono::milliseconds how_long) override;
  Status DeadLetter(const InputRecord& record, const std::string& error) override;
  void Close() override {}

  // The offsets file of the group.
  std::string OffsetsPath() const;

 private:
  using TopicPartition = std::pair<std::string, int32_t>;
  // Reads what the commit log says is new; subscribes to newly matching topics.
  Status Refresh();
  Status SaveOffsets();

  LocalInputOptions options_;
  RegexList regexes_;
  local::CommitLogFollower follower_;
  std::map<std::string, bool> matches_;          // topic -> the regexes match it
  std::map<TopicPartition, int64_t> committed_;  // acknowledged next offsets
  std::map<TopicPartition, int64_t> fetch_;      // next offset to deliver
  std::map<TopicPartition, std::unique_ptr<local::PartitionReader>> readers_;
  size_t round_robin_ = 0;
  bool from_beginning_ = false;
  bool started_ = false;                           // Start's first Refresh is done
  std::shared_ptr<local::LocalLog> dead_letters_;  // opened on first use
};

}  // namespace vimur::sink
