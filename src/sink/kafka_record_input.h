// KafkaRecordInput: a RecordInput over a Kafka consumer group (librdkafka's high-level
// consumer, read_committed, offsets committed by hand only when a batch is acknowledged).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/regex_pattern.h"
#include "sink/record_input.h"
#include "transport/kafka/kafka_options.h"
#include "transport/kafka/topic_admin.h"

struct rd_kafka_s;
struct rd_kafka_queue_s;
struct rd_kafka_topic_partition_list_s;

namespace vimur::sink {

struct KafkaInputOptions {
  std::string bootstrap_servers;
  std::string group_id;
  std::vector<std::string> topic_regexes;            // matched against whole topic names
  std::map<std::string, std::string> client_config;  // TLS/SASL properties of `transport`
  std::string dead_letter_topic;
  int replication_factor = 1;  // of the dead-letter topic, created on first use
  std::string sink_name;       // for logs and errors
  bool from_end = false;       // a group without offsets starts at the end (vimur tail)
};

class KafkaRecordInput final : public RecordInput {
 public:
  explicit KafkaRecordInput(KafkaInputOptions options);
  ~KafkaRecordInput() override;

  void ReadFromBeginning() override { from_beginning_ = true; }
  Status Start() override;
  Result<std::vector<InputRecord>> Poll(size_t max_records,
                                        std::chrono::milliseconds max_wait) override;
  Status Acknowledge(const std::vector<InputRecord>& batch) override;
  void Wait(std::chrono::milliseconds how_long) override;
  Status DeadLetter(const InputRecord& record, const std::string& error) override;
  void Close() override;

 private:
  // One message from the consumer: a record, nothing (timeout), or an error to report.
  Result<bool> PollOne(int timeout_ms, InputRecord* out);
  // Lists the cluster's topics and subscribes to those the regexes match (librdkafka's own
  // regex subscription knows a smaller syntax than the configuration's).
  Status RefreshSubscription();
  // librdkafka 2.0 (Debian 12's) stops fetching a partition while its prefetched records pass
  // queued.max.messages.kbytes and looks again only when its broker's thread wakes, up to a
  // second later: a sink faster than that drains the queue, then waits. A request to the
  // broker wakes that thread: with fewer than `low` records queued, this has the background
  // thread ask the leader of an assigned partition (a different one each time) for its
  // watermarks, at most every 10 ms.
  void WakeFetcher(size_t low);
  void AskForWatermarks(size_t turn);
  // The background thread: wakes the fetcher when asked and refreshes the subscription every
  // two seconds. Both wait for a reply that can queue behind a fetch the broker holds open (up
  // to fetch.wait.max.ms), which must not hold up the sink's reading.
  void RunBackground();

  KafkaInputOptions options_;
  rd_kafka_s* consumer_ = nullptr;
  rd_kafka_s* producer_ = nullptr;  // dead letters; made on first use
  std::vector<InputRecord> held_;   // records that arrived while waiting, delivered next
  RegexList regexes_;
  std::vector<std::string> subscribed_;
  rd_kafka_queue_s* consumer_queue_ = nullptr;
  std::chrono::steady_clock::time_point next_wake_{};
  std::thread background_;
  std::mutex background_mutex_;
  std::condition_variable background_cv_;
  bool wake_wanted_ = false;  // guarded by background_mutex_
  bool stopping_ = false;     // guarded by background_mutex_
  Status background_error_;   // guarded by background_mutex_; taken by the next Poll
  std::unique_ptr<kafka::KafkaTransportOptions> admin_options_;
  std::unique_ptr<kafka::TopicAdmin> admin_;  // creates the dead-letter topic
  bool from_beginning_ = false;
  // ReadFromBeginning: partitions already assigned once from their first record (a later
  // assignment of the same partition resumes from what was acknowledged since).
  std::set<std::pair<std::string, int32_t>> rewound_;

  static void CommitDone(int err, void* opaque);  // an asynchronous commit's outcome
  static void Rebalance(rd_kafka_s* rk, int err, struct rd_kafka_topic_partition_list_s* parts,
                        void* opaque);
};

}  // namespace vimur::sink
