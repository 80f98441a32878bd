#include "sink/kafka_record_input.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>
#include <utility>

#include "core/logging.h"
#include "transport/kafka/kafka_client.h"
#include "transport/kafka/kafka_errors.h"

namespace vimur::sink {
namespace {

using Clock = std::chrono::steady_clock;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

}  // namespace

KafkaRecordInput::KafkaRecordInput(KafkaInputOptions options)
    : options_(std::move(options)), regexes_(options_.topic_regexes) {}

KafkaRecordInput::~KafkaRecordInput() { Close(); }

Status KafkaRecordInput::Start() {
  kafka::KafkaConf conf;
  std::map<std::string, std::string> props = kafka::ConnectionProperties(options_.client_config);
  props["bootstrap.servers"] = options_.bootstrap_servers;
  props["group.id"] = options_.group_id;
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props["auto.offset.reset"] = options_.from_end ? "latest" : "earliest";
  props["isolation.level"] = "read_committed";
  // Prefetching: fetches of up to 8 MiB per partition (librdkafka's default is 1 MiB; records
  // with JSON schemas are several KB each) and at most 32 MiB waiting (64 MiB by default;
  // WakeFetcher has it refilled in time). Both can be set in client_config.
  for (const auto& [name, value] : {std::pair{"max.partition.fetch.bytes", "8388608"},
                                    std::pair{"queued.max.messages.kbytes", "32768"}}) {
    if (!options_.client_config.count(name)) props[name] = value;
  }
  props["allow.auto.create.topics"] = "false";
  // A member that died (kill -9) holds its partitions until the session times out: keep
  // that short so that a restarted sink resumes within seconds (the broker's minimum is 6 s).
  props["session.timeout.ms"] = "10000";
  props["heartbeat.interval.ms"] = "2000";
  for (const auto& [name, value] : props) VIMUR_RETURN_IF_ERROR(conf.Set(name, value));
  rd_kafka_conf_set_log_cb(conf.get(), kafka::KafkaLogCallback);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_offset_commit_cb(
      conf.get(), [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*,
                     void* opaque) { CommitDone(static_cast<int>(err), opaque); });
  if (from_beginning_) {
    rd_kafka_conf_set_rebalance_cb(
        conf.get(),
        [](rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
           void* opaque) { Rebalance(rk, static_cast<int>(err), parts, opaque); });
    LOG_INFO << "sink " << options_.sink_name
             << ": reading every topic from its start (the group's offsets are ignored)";
  }
  char errstr[512];
  consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr));
  if (consumer_ == nullptr) {
    return Status::InvalidArgument("sink " + options_.sink_name +
                                   ": cannot create the Kafka consumer: " + errstr);
  }
  conf.release();
  rd_kafka_poll_set_consumer(consumer_);
  consumer_queue_ = rd_kafka_queue_get_consumer(consumer_);
  VIMUR_RETURN_IF_ERROR(RefreshSubscription());
  background_ = std::thread([this] { RunBackground(); });
  LOG_INFO << "sink " << options_.sink_name << ": consumer group " << options_.group_id
           << " subscribed (read_committed)";
  return Status::Ok();
}

void KafkaRecordInput::Rebalance(rd_kafka_t* rk, int err, rd_kafka_topic_partition_list_t* parts,
                                 void* opaque) {
  auto* self = static_cast<KafkaRecordInput*>(opaque);
  const bool cooperative = std::string(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    for (int i = 0; i < parts->cnt; ++i) {
      rd_kafka_topic_partition_t& p = parts->elems[i];
      if (self->rewound_.insert({p.topic, p.partition}).second) {
        p.offset = RD_KAFKA_OFFSET_BEGINNING;
      }
    }
    if (cooperative) {
      rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, parts);
      if (e != nullptr) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, parts);
    }
    return;
  }
  if (cooperative) {
    rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts);
    if (e != nullptr) rd_kafka_error_destroy(e);
  } else {
    rd_kafka_assign(rk, nullptr);
  }
}

Status KafkaRecordInput::RefreshSubscription() {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(consumer_, 1, nullptr, &md, 5000);
  if (err) {
    LOG_DEBUG << "sink " << options_.sink_name << ": listing topics: " << rd_kafka_err2str(err);
    return Status::Ok();  // tried again in two seconds
  }
  std::vector<std::string> topics;
  for (int i = 0; i < md->topic_cnt; ++i) {
    std::string name = md->topics[i].topic;
    if (regexes_.AnyMatches(name)) topics.push_back(std::move(name));
  }
  rd_kafka_metadata_destroy(md);
  std::sort(topics.begin(), topics.end());
  if (topics == subscribed_ || topics.empty()) return Status::Ok();
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const std::string& t : topics) {
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  err = rd_kafka_subscribe(consumer_, list.get());
  if (err) {
    return kafka::KafkaErrorStatus(err, "sink " + options_.sink_name + ": subscribe to topics");
  }
  LOG_INFO << "sink " << options_.sink_name << ": reading " << topics.size() << " topic(s)";
  subscribed_ = std::move(topics);
  return Status::Ok();
}

Result<bool> KafkaRecordInput::PollOne(int timeout_ms, InputRecord* out) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, timeout_ms);
  if (m == nullptr) return false;
  struct Free {
    rd_kafka_message_t* m;
    ~Free() { rd_kafka_message_destroy(m); }
  } free_message{m};
  if (m->err) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return false;
    std::string topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
    // Unknown topics and partitions show up while topics are being created: keep going.
    if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION || m->err == RD_KAFKA_RESP_ERR__TRANSPORT ||
        m->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
      LOG_DEBUG << "sink " << options_.sink_name << ": consumer: " << rd_kafka_message_errstr(m);
      return false;
    }
    return kafka::KafkaErrorStatus(m->err, "sink " + options_.sink_name + ": consuming " + topic +
                                               ": " + rd_kafka_message_errstr(m));
  }
  out->topic = rd_kafka_topic_name(m->rkt);
  out->partition = m->partition;
  out->offset = m->offset;
  if (m->key) {
    out->key.emplace(static_cast<const char*>(m->key), m->key_len);
  } else {
    out->key.reset();
  }
  if (m->payload) {
    out->value.emplace(static_cast<const char*>(m->payload), m->len);
  } else {
    out->value.reset();
  }
  rd_kafka_timestamp_type_t type;
  out->timestamp_ms = rd_kafka_message_timestamp(m, &type);
  return true;
}

void KafkaRecordInput::WakeFetcher(size_t low) {
  if (consumer_queue_ == nullptr || rd_kafka_queue_length(consumer_queue_) >= low) return;
  auto now = Clock::now();
  if (now < next_wake_) return;
  next_wake_ = now + std::chrono::milliseconds(10);
  {
    std::lock_guard<std::mutex> lock(background_mutex_);
    wake_wanted_ = true;
  }
  background_cv_.notify_one();
}

void KafkaRecordInput::RunBackground() {
  // Topics matching the regexes may be created after the sink started (a table's first change
  // creates its topic): they are looked for every two seconds.
  constexpr auto kRefreshEvery = std::chrono::seconds(2);
  auto next_refresh = Clock::now() + kRefreshEvery;
  size_t turn = 0;  // which assigned partition the next wake asks
  std::unique_lock<std::mutex> lock(background_mutex_);
  while (true) {
    background_cv_.wait_until(lock, next_refresh, [this] { return wake_wanted_ || stopping_; });
    if (stopping_) return;
    const bool wake = std::exchange(wake_wanted_, false);
    lock.unlock();
    if (wake) AskForWatermarks(turn++);
    Status refreshed;
    if (Clock::now() >= next_refresh) {
      refreshed = RefreshSubscription();
      next_refresh = Clock::now() + kRefreshEvery;
    }
    lock.lock();
    if (!refreshed.ok() && background_error_.ok()) background_error_ = refreshed;
  }
}

void KafkaRecordInput::AskForWatermarks(size_t turn) {
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(consumer_, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  PartitionList list(assigned);
  if (list->cnt == 0) return;
  const rd_kafka_topic_partition_t& p = list->elems[turn % static_cast<size_t>(list->cnt)];
  int64_t low_mark = 0, high_mark = 0;
  (void)rd_kafka_query_watermark_offsets(consumer_, p.topic, p.partition, &low_mark, &high_mark,
                                         1000);
}

Result<std::vector<InputRecord>> KafkaRecordInput::Poll(size_t max_records,
                                                        std::chrono::milliseconds max_wait) {
  {
    std::lock_guard<std::mutex> lock(background_mutex_);
    if (!background_error_.ok()) return std::exchange(background_error_, Status::Ok());
  }
  WakeFetcher(2 * max_records);
  std::vector<InputRecord> out;
  if (!held_.empty()) {
    size_t n = std::min(max_records, held_.size());
    out.assign(std::make_move_iterator(held_.begin()),
               std::make_move_iterator(held_.begin() + static_cast<long>(n)));
    held_.erase(held_.begin(), held_.begin() + static_cast<long>(n));
    if (out.size() >= max_records) return out;
  }
  const auto deadline = Clock::now() + max_wait;
  while (out.size() < max_records) {
    int timeout = 0;
    if (out.empty()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      timeout = static_cast<int>(left.count());
    }
    InputRecord r;
    VIMUR_ASSIGN_OR_RETURN(bool got, PollOne(timeout, &r));
    if (!got) {
      if (!out.empty()) break;
      continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

Status KafkaRecordInput::Acknowledge(const std::vector<InputRecord>& batch) {
  if (batch.empty()) return Status::Ok();
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  for (const InputRecord& r : batch) {
    int64_t& o = next[{r.topic, r.partition}];
    o = std::max(o, r.offset + 1);
  }
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(next.size())));
  for (const auto& [tp, offset] : next) {
    rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second)->offset = offset;
  }
  // Asynchronous: the commit's round trip overlaps the next batch; commits go out in order and
  // Close waits for those under way. A failure is logged (CommitDone): the records are then
  // delivered again after a restart or a rebalance, and applying them again changes nothing.
  rd_kafka_resp_err_t err = rd_kafka_commit(consumer_, list.get(), 1 /* async */);
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    return kafka::KafkaErrorStatus(err, "sink " + options_.sink_name + ": committing offsets");
  }
  return Status::Ok();
}

void KafkaRecordInput::CommitDone(int err, void* opaque) {
  if (err == 0 || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  auto* self = static_cast<KafkaRecordInput*>(opaque);
  LOG_WARN << "sink " << self->options_.sink_name
           << ": committing offsets: " << rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err))
           << "; the records since the last commit are applied again after a restart";
}

void KafkaRecordInput::Wait(std::chrono::milliseconds how_long) {
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(consumer_, &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR && assigned) {
    rd_kafka_pause_partitions(consumer_, assigned);
  }
  const auto deadline = Clock::now() + how_long;
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    InputRecord r;
    auto got = PollOne(static_cast<int>(std::min<int64_t>(left.count(), 100)), &r);
    // A record fetched before the pause is kept for the next Poll, never dropped.
    if (got.ok() && *got) held_.push_back(std::move(r));
  }
  if (assigned) {
    rd_kafka_resume_partitions(consumer_, assigned);
    rd_kafka_topic_partition_list_destroy(assigned);
  }
}

Status KafkaRecordInput::DeadLetter(const InputRecord& record, const std::string& error) {
  if (producer_ == nullptr) {
    kafka::KafkaConf conf;
    std::map<std::string, std::string> props = kafka::ConnectionProperties(options_.client_config);
    props["bootstrap.servers"] = options_.bootstrap_servers;
    props["enable.idempotence"] = "true";
    for (const auto& [name, value] : props) VIMUR_RETURN_IF_ERROR(conf.Set(name, value));
    rd_kafka_conf_set_log_cb(conf.get(), kafka::KafkaLogCallback);
    char errstr[512];
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr));
    if (producer_ == nullptr) {
      return Status::InvalidArgument("sink " + options_.sink_name +
                                     ": cannot create the dead-letter producer: " + errstr);
    }
    conf.release();
    admin_options_ = std::make_unique<kafka::KafkaTransportOptions>();
    admin_options_->bootstrap_servers = options_.bootstrap_servers;
    admin_options_->client_config = options_.client_config;
    admin_options_->partitions = 1;
    admin_options_->replication_factor = options_.replication_factor;
    admin_options_->topic_retry_for = std::chrono::seconds(60);
    admin_ = std::make_unique<kafka::TopicAdmin>(*admin_options_, producer_);
  }
  // A dead-letter topic keeps every record (cleanup.policy=delete, as TopicAdmin gives a topic
  // whose first record has no key): compaction would keep only the last failure of a key.
  auto handle = admin_->Ensure(options_.dead_letter_topic, true, [] { return false; });
  if (!handle.ok()) {
    return handle.status().WithContext("sink " + options_.sink_name + ": dead-letter topic");
  }
  rd_kafka_headers_t* headers = rd_kafka_headers_new(4);
  rd_kafka_header_add(headers, "vimur.error", -1, error.data(), static_cast<ssize_t>(error.size()));
  rd_kafka_header_add(headers, "vimur.topic", -1, record.topic.data(),
                      static_cast<ssize_t>(record.topic.size()));
  std::string partition = std::to_string(record.partition);
  std::string offset = std::to_string(record.offset);
  rd_kafka_header_add(headers, "vimur.partition", -1, partition.data(),
                      static_cast<ssize_t>(partition.size()));
  rd_kafka_header_add(headers, "vimur.offset", -1, offset.data(),
                      static_cast<ssize_t>(offset.size()));
  const std::string& topic = options_.dead_letter_topic;
  // The macros below cast their arguments without parentheses: plain variables only.
  const void* key = record.key ? record.key->data() : nullptr;
  size_t key_size = record.key ? record.key->size() : 0;
  void* value = record.value ? const_cast<char*>(record.value->data()) : nullptr;
  size_t value_size = record.value ? record.value->size() : 0;
  rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key, key_size),
      RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
  if (err) {
    rd_kafka_headers_destroy(headers);
    return kafka::KafkaErrorStatus(err, "sink " + options_.sink_name + ": dead letter to " + topic);
  }
  err = rd_kafka_flush(producer_, 30000);
  if (err) {
    return kafka::KafkaErrorStatus(err, "sink " + options_.sink_name + ": dead letter to " + topic);
  }
  return Status::Ok();
}

void KafkaRecordInput::Close() {
  if (background_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(background_mutex_);
      stopping_ = true;
    }
    background_cv_.notify_one();
    background_.join();
  }
  admin_.reset();
  if (consumer_queue_ != nullptr) {
    rd_kafka_queue_destroy(consumer_queue_);
    consumer_queue_ = nullptr;
  }
  if (consumer_ != nullptr) {
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
    consumer_ = nullptr;
  }
  if (producer_ != nullptr) {
    rd_kafka_flush(producer_, 10000);
    rd_kafka_destroy(producer_);
    producer_ = nullptr;
  }
}

}  // namespace vimur::sink
