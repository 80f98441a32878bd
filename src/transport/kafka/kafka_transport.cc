#include "transport/kafka/kafka_transport.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "core/logging.h"
#include "core/thread_name.h"

namespace vimur::kafka {

namespace {

// Per-record bookkeeping librdkafka keeps besides key and value, counted in the window.
constexpr size_t kRecordOverhead = 64;
constexpr int kPollIntervalMs = 20;
constexpr auto kCloseTimeout = std::chrono::seconds(5);

// Properties Vimur sets itself because its guarantees depend on them.
const char* const kReservedProperties[] = {
    "bootstrap.servers",     "metadata.broker.list", "enable.idempotence", "acks",
    "request.required.acks", "partitioner",          "transactional.id"};

std::string ErrName(rd_kafka_resp_err_t err) { return rd_kafka_err2str(err); }

// A key for error messages: printable text as is, otherwise hex; both cut short.
std::string DescribeKey(const void* data, size_t size) {
  if (data == nullptr) return "(null key)";
  const auto* bytes = static_cast<const unsigned char*>(data);
  bool printable =
      std::all_of(bytes, bytes + size, [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
  constexpr size_t kMax = 120;
  std::string out;
  if (printable) {
    out.assign(reinterpret_cast<const char*>(bytes), std::min(size, kMax));
  } else {
    static const char kHex[] = "0123456789abcdef";
    out = "0x";
    for (size_t i = 0; i < std::min(size, kMax / 2); ++i) {
      out += kHex[bytes[i] >> 4];
      out += kHex[bytes[i] & 0xf];
    }
  }
  if (size > kMax / (printable ? 1 : 2)) out += "...";
  return out;
}

// What to do about an error, appended to its message.
std::string Advice(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return "; raise the topic's max.message.bytes (and the producer's message.max.bytes), "
             "or exclude the large columns";
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return "; grant the Kafka principal the missing ACL";
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
      return "; the broker's topic policy rejected the request: set per-topic overrides that "
             "satisfy it, or create the topic yourself";
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
      return "; a compacted topic needs a key: give the table a primary key or set the topic's "
             "cleanup.policy to delete";
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
      return "; another producer uses the same transactional id: run one instance per "
             "pipeline";
    default: return "";
  }
}

}  // namespace

Status KafkaErrorStatus(int code, const std::string& context) {
  auto err = static_cast<rd_kafka_resp_err_t>(code);
  std::string message = context + ": " + ErrName(err) + Advice(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR: return Status::Ok();
    // Retriable: the cluster or the network is unavailable for now.
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED: return Status::Unavailable(message);
    // Fatal: the user must change permissions, policies, sizes or topology.
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL: return Status::PermissionDenied(message);
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE: return Status::FailedPrecondition(message);
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC: return Status::InvalidArgument(message);
    default: return Status::Internal(message);
  }
}

bool IsSecretProperty(const std::string& name) {
  for (const char* word : {"password", "secret", "key", "token", "sasl.jaas", "oauthbearer"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string OffsetKey(const std::string& pipeline, const std::string& source) {
  return nlohmann::json::array({pipeline, source}).dump();
}

// Records that a delivery report can point at; `is_offset` tells which one it is.
struct Tracked {
  bool is_offset = false;
};

struct KafkaTransport::OffsetRecord : Tracked {
  OffsetRecord() { is_offset = true; }
  std::string key;
  std::string value;
  bool delivered = false;
  Status error;
};

struct KafkaTransport::Batch : Tracked {
  OutgoingBatch data;
  std::vector<rd_kafka_topic_t*> topics;  // of each record
  std::function<void(const Status&)> on_acked;
  size_t bytes = 0;
  size_t remaining = 0;  // at-least-once: delivery reports still to come for records
  Status error;          // first record that failed
  std::shared_ptr<OffsetRecord> offset;  // the offset record that commits this batch
  bool settled = false;   // at-least-once: delivered, and given its offset record if any
  bool released = false;  // exactly-once: records handed over, own bytes dropped
  bool fired = false;     // on_acked has been called (or scheduled)
};

namespace {

class ConfHolder {
 public:
  ConfHolder() : conf_(rd_kafka_conf_new()) {}
  ~ConfHolder() {
    if (conf_) rd_kafka_conf_destroy(conf_);
  }
  rd_kafka_conf_t* get() { return conf_; }
  rd_kafka_conf_t* release() { return std::exchange(conf_, nullptr); }

  Status Set(const std::string& name, const std::string& value) {
    char errstr[512];
    if (rd_kafka_conf_set(conf_, name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      if (IsSecretProperty(name)) {
        return Status::InvalidArgument("kafka client property " + name +
                                       " was rejected (value not shown)");
      }
      return Status::InvalidArgument("kafka client property " + name + ": " + errstr);
    }
    return Status::Ok();
  }

 private:
  rd_kafka_conf_t* conf_;
};

void LogCallback(const rd_kafka_t*, int level, const char* facility, const char* message) {
  std::string line = std::string("kafka: ") + facility + ": " + message;
  // Connection failures are logged at level 3 but are retried, so they are warnings.
  if (level <= 3 && std::string_view(facility) != "FAIL") {
    LOG_ERROR << line;
  } else if (level <= 4) {
    LOG_WARN << line;
  } else if (level <= 6) {
    LOG_INFO << line;
  } else {
    LOG_DEBUG << line;
  }
}

struct ErrorDeleter {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;

Status TxnErrorStatus(const rd_kafka_error_t* error, const std::string& context) {
  Status s = KafkaErrorStatus(rd_kafka_error_code(error), context);
  return Status(s.code(), s.message() + " (" + rd_kafka_error_string(error) + ")");
}

}  // namespace

KafkaTransport::KafkaTransport(KafkaTransportOptions options) : options_(std::move(options)) {}

KafkaTransport::~KafkaTransport() {
  Shutdown();
  if (transaction_thread_.joinable()) transaction_thread_.join();
  if (producer_ != nullptr) {
    // Give outstanding records a moment, then purge so every delivery report arrives.
    rd_kafka_flush(producer_, static_cast<int>(std::chrono::milliseconds(kCloseTimeout).count()));
  }
  stop_poll_ = true;
  if (poll_thread_.joinable()) poll_thread_.join();
  if (producer_ != nullptr) {
    rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    auto deadline = std::chrono::steady_clock::now() + kCloseTimeout;
    while (rd_kafka_outq_len(producer_) > 0 && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_poll(producer_, kPollIntervalMs);
    }
    rd_kafka_poll(producer_, 0);
    if (!options_.exactly_once) AdvanceAtLeastOnce();
  }
  FailAll(Status::Aborted("kafka transport closed before the batch was acknowledged"));
  for (const auto& [name, handle] : topics_) rd_kafka_topic_destroy(handle);
  if (producer_ != nullptr) rd_kafka_destroy(producer_);
  producer_ = nullptr;
}

void KafkaTransport::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  space_cv_.notify_all();
  work_cv_.notify_all();
  drained_cv_.notify_all();
}

size_t KafkaTransport::InFlightBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_bytes_;
}

Status KafkaTransport::BuildProducer() {
  ConfHolder conf;
  const size_t window_kb = options_.max_in_flight_bytes / 1024;
  // The window is the binding limit; librdkafka's queue only needs room for it plus the
  // offset records, so a full queue never becomes a second, hidden bound.
  const size_t queue_kb = std::min<size_t>(INT_MAX, window_kb * 2 + 4096);
  VIMUR_RETURN_IF_ERROR(conf.Set("queue.buffering.max.kbytes", std::to_string(queue_kb)));
  VIMUR_RETURN_IF_ERROR(conf.Set("queue.buffering.max.messages", "0"));
  VIMUR_RETURN_IF_ERROR(conf.Set("client.id", "vimur-" + options_.pipeline_name));
  // Reconnect soon after an outage ends (librdkafka backs off up to 10 s by default).
  VIMUR_RETURN_IF_ERROR(conf.Set("reconnect.backoff.max.ms", "2000"));
  if (!options_.exactly_once) {
    // At-least-once never gives up on a record: an outage stalls the pipeline (bounded by
    // the window) instead of failing it. Transactions bound it by transaction.timeout.ms.
    VIMUR_RETURN_IF_ERROR(conf.Set("message.timeout.ms", "0"));
  } else {
    // A transaction's records wait at most transaction.timeout.ms (librdkafka's default
    // message timeout in transactional mode) and the broker aborts transactions older than
    // that. The default of 60 s turns a one-minute broker outage into a fatal abort error;
    // 5 minutes rides it out and stays under the brokers' usual 15-minute maximum.
    VIMUR_RETURN_IF_ERROR(conf.Set("transaction.timeout.ms", "300000"));
  }
  for (const auto& [name, value] : options_.client_config) {
    for (const char* reserved : kReservedProperties) {
      if (name == reserved) {
        return Status::InvalidArgument("kafka client property " + name +
                                       " is set by vimur (idempotent, acks=all, murmur2 "
                                       "placement); remove it from the transport config");
      }
    }
    VIMUR_RETURN_IF_ERROR(conf.Set(name, value));
  }
  VIMUR_RETURN_IF_ERROR(conf.Set("bootstrap.servers", options_.bootstrap_servers));
  VIMUR_RETURN_IF_ERROR(conf.Set("enable.idempotence", "true"));
  VIMUR_RETURN_IF_ERROR(conf.Set("acks", "all"));
  // Java-compatible murmur2 for keys; null keys spread randomly like the Java client.
  VIMUR_RETURN_IF_ERROR(conf.Set("partitioner", "murmur2_random"));
  if (options_.exactly_once) {
    std::string id = options_.transactional_id.empty() ? "vimur-" + options_.pipeline_name
                                                       : options_.transactional_id;
    VIMUR_RETURN_IF_ERROR(conf.Set("transactional.id", id));
  }
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaTransport::DeliveryCallback);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaTransport::ErrorCallback);
  rd_kafka_conf_set_log_cb(conf.get(), &LogCallback);

  char errstr[512];
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr));
  if (producer_ == nullptr) {
    return Status::InvalidArgument(std::string("cannot create the kafka producer: ") + errstr);
  }
  conf.release();  // owned by producer_ now
  return Status::Ok();
}

Status KafkaTransport::Start() {
  if (started_) return Status::FailedPrecondition("kafka transport started twice");
  if (options_.bootstrap_servers.empty()) {
    return Status::InvalidArgument("kafka transport: bootstrap_servers is empty");
  }
  if (options_.pipeline_name.empty()) {
    return Status::InvalidArgument("kafka transport: pipeline name is empty");
  }
  if (options_.partitions <= 0 || options_.replication_factor <= 0 ||
      options_.offsets_topic_partitions <= 0) {
    return Status::InvalidArgument(
        "kafka transport: partitions and replication_factor must be positive");
  }
  if (options_.max_in_flight_bytes == 0) {
    return Status::InvalidArgument("kafka transport: max_in_flight_bytes must be positive");
  }
  if (options_.offsets_topic.empty()) {
    return Status::InvalidArgument("kafka transport: offsets_topic is empty");
  }
  VIMUR_RETURN_IF_ERROR(BuildProducer());
  poll_thread_ = std::thread([this] {
    SetThreadName("kafka-poll");
    PollLoop();
  });
  VIMUR_ASSIGN_OR_RETURN(offsets_topic_,
                         EnsureTopic(options_.offsets_topic, /*first_key_null=*/false));
  if (options_.exactly_once) {
    ErrorPtr error(
        rd_kafka_init_transactions(producer_, static_cast<int>(options_.request_timeout.count())));
    if (error) return TxnErrorStatus(error.get(), "kafka: initializing transactions");
    transaction_thread_ = std::thread([this] {
      SetThreadName("kafka-txn");
      TransactionLoop();
    });
  }
  started_ = true;
  return Status::Ok();
}

Result<rd_kafka_topic_t*> KafkaTransport::EnsureTopic(std::string_view topic_name,
                                                      bool first_key_null) {
  std::lock_guard<std::mutex> lock(topics_mu_);
  if (auto it = topics_.find(topic_name); it != topics_.end()) return it->second;
  const std::string topic(topic_name);

  int partitions =
      topic == options_.offsets_topic ? options_.offsets_topic_partitions : options_.partitions;
  int replication = options_.replication_factor;
  std::optional<int> min_isr = options_.min_insync_replicas;
  std::map<std::string, std::string> config;
  // A compacted topic rejects records without a key, so a table without a primary key
  // gets a topic that keeps records by time instead.
  config["cleanup.policy"] = first_key_null ? "delete" : "compact";
  if (auto it = options_.topic_overrides.find(topic); it != options_.topic_overrides.end()) {
    const KafkaTopicOverride& o = it->second;
    if (o.partitions) partitions = *o.partitions;
    if (o.replication_factor) replication = *o.replication_factor;
    if (o.min_insync_replicas) min_isr = *o.min_insync_replicas;
    for (const auto& [k, v] : o.config) config[k] = v;
  }
  if (min_isr) config["min.insync.replicas"] = std::to_string(*min_isr);
  if (first_key_null && config["cleanup.policy"] == "delete") {
    LOG_WARN << "kafka: topic " << topic
             << " gets records without a key (table without primary key); creating it with "
                "cleanup.policy=delete";
  }

  char errstr[512];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, replication, errstr, sizeof(errstr));
  if (new_topic == nullptr) {
    return Status::InvalidArgument("kafka: topic " + topic + ": " + errstr);
  }
  for (const auto& [k, v] : config) {
    rd_kafka_NewTopic_set_config(new_topic, k.c_str(), v.c_str());
  }
  rd_kafka_AdminOptions_t* admin =
      rd_kafka_AdminOptions_new(producer_, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  const int timeout_ms = static_cast<int>(options_.request_timeout.count());
  rd_kafka_AdminOptions_set_request_timeout(admin, timeout_ms, errstr, sizeof(errstr));
  rd_kafka_AdminOptions_set_operation_timeout(admin, timeout_ms, errstr, sizeof(errstr));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(producer_);
  rd_kafka_CreateTopics(producer_, &new_topic, 1, admin, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeout_ms + 5000);

  Status status;
  bool existed = false;
  if (event == nullptr) {
    status = Status::Unavailable("kafka: creating topic " + topic + ": no answer from the " +
                                 "cluster at " + options_.bootstrap_servers);
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = KafkaErrorStatus(rd_kafka_event_error(event), "kafka: creating topic " + topic);
    status =
        Status(status.code(), status.message() + " (" + rd_kafka_event_error_string(event) + ")");
  } else {
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
    for (size_t i = 0; i < count; ++i) {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        LOG_INFO << "kafka: created topic " << topic << " (" << partitions << " partitions, "
                 << "replication factor " << replication << ", cleanup.policy "
                 << config["cleanup.policy"] << ")";
      } else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        existed = true;
      } else {
        const char* detail = rd_kafka_topic_result_error_string(results[i]);
        status = KafkaErrorStatus(err, "kafka: creating topic " + topic);
        if (detail != nullptr) {
          status = Status(status.code(), status.message() + " (" + detail + ")");
        }
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(admin);
  rd_kafka_NewTopic_destroy(new_topic);
  if (status.ok() && existed) WarnIfNotCompacted(topic, config["cleanup.policy"]);
  if (!status.ok()) return status;
  rd_kafka_topic_t* handle = rd_kafka_topic_new(producer_, topic.c_str(), nullptr);
  if (handle == nullptr) {
    return KafkaErrorStatus(rd_kafka_last_error(), "kafka: opening topic " + topic);
  }
  topics_.emplace(topic, handle);
  return handle;
}

void KafkaTransport::WarnIfNotCompacted(const std::string& topic, const std::string& wanted) {
  if (wanted.find("compact") == std::string::npos) return;
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(producer_);
  rd_kafka_DescribeConfigs(producer_, &resource, 1, nullptr, queue);
  rd_kafka_event_t* event =
      rd_kafka_queue_poll(queue, static_cast<int>(options_.request_timeout.count()));
  std::string policy;
  if (event != nullptr && rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    size_t count = 0;
    const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(event), &count);
    for (size_t i = 0; i < count; ++i) {
      size_t entries_count = 0;
      const rd_kafka_ConfigEntry_t** entries =
          rd_kafka_ConfigResource_configs(resources[i], &entries_count);
      for (size_t j = 0; j < entries_count; ++j) {
        const char* value = rd_kafka_ConfigEntry_value(entries[j]);
        if (std::string_view(rd_kafka_ConfigEntry_name(entries[j])) == "cleanup.policy" &&
            value != nullptr) {
          policy = value;
        }
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_ConfigResource_destroy(resource);
  if (!policy.empty() && policy.find("compact") == std::string::npos) {
    LOG_WARN << "kafka: existing topic " << topic << " has cleanup.policy=" << policy
             << ", not compact: deleted rows stay until retention removes them; set "
                "cleanup.policy=compact on it (kafka-configs --alter) if that is not intended";
  }
}

Status KafkaTransport::ProduceRecord(const OutgoingRecord& record, rd_kafka_topic_t* topic,
                                     void* opaque, bool copy) {
  // Pointers into the record itself: without F_COPY librdkafka reads them until delivery.
  // A null pointer means a null key or value to librdkafka; an empty one must not be null.
  static char empty[1] = {0};
  const auto bytes = [](const std::optional<std::string_view>& part) -> void* {
    if (!part) return nullptr;
    return part->empty() ? empty : const_cast<char*>(part->data());
  };
  void* key = bytes(record.key);
  size_t key_len = record.key ? record.key->size() : 0;
  void* value = bytes(record.value);
  size_t value_len = record.value ? record.value->size() : 0;
  const int flags = copy ? RD_KAFKA_MSG_F_COPY : 0;
  while (true) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(flags), RD_KAFKA_V_KEY(key, key_len),
        RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      // Only when client_config shrinks librdkafka's queue below the window: wait for room.
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (closing_) return Status::Aborted("kafka transport is shutting down");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
      continue;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char reason[512];
      rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(producer_, reason, sizeof(reason));
      Status s = KafkaErrorStatus(fatal, "kafka producer failed");
      return Status(s.code(), s.message() + " (" + reason + ")");
    }
    return KafkaErrorStatus(err, "kafka: producing to topic " + std::string(record.topic) +
                                     ", key " + DescribeKey(key, key_len));
  }
}

Status KafkaTransport::ProduceOffset(OffsetRecord* offset, bool copy) {
  OutgoingRecord record{options_.offsets_topic, offset->key, offset->value};  // views
  if (copy) return ProduceRecord(record, offsets_topic_, nullptr, true);
  // Zero-copy: the payload must be the OffsetRecord's own strings, which live until the
  // delivery report.
  rd_kafka_resp_err_t err;
  while (true) {
    err = rd_kafka_producev(producer_, RD_KAFKA_V_RKT(offsets_topic_), RD_KAFKA_V_MSGFLAGS(0),
                            RD_KAFKA_V_KEY(offset->key.data(), offset->key.size()),
                            RD_KAFKA_V_VALUE(offset->value.data(), offset->value.size()),
                            RD_KAFKA_V_OPAQUE(static_cast<Tracked*>(offset)), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
    // Called from the poll thread: serve delivery reports to make room.
    rd_kafka_poll(producer_, kPollIntervalMs);
  }
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  return KafkaErrorStatus(err, "kafka: producing offset record to " + options_.offsets_topic);
}

Status KafkaTransport::Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) {
  if (!started_) return Status::FailedPrecondition("kafka transport not started");
  auto b = std::make_unique<Batch>();
  b->bytes = sizeof(Batch) + batch.source_name.size();
  b->topics.reserve(batch.records.size());
  std::optional<std::string_view> last_topic;  // records of one table follow each other
  rd_kafka_topic_t* handle = nullptr;
  for (const OutgoingRecord& r : batch.records) {
    b->bytes += kRecordOverhead + r.topic.size() + (r.key ? r.key->size() : 0) +
                (r.value ? r.value->size() : 0);
    if (last_topic != r.topic) {
      VIMUR_ASSIGN_OR_RETURN(handle, EnsureTopic(r.topic, !r.key.has_value()));
      last_topic = r.topic;
    }
    b->topics.push_back(handle);
  }
  b->bytes += batch.bytes.capacity();  // the arena's unused tail is held as long
  b->remaining = batch.records.size();
  b->data = std::move(batch);
  b->on_acked = std::move(on_acked);
  Batch* raw = b.get();
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto has_room = [&] {
      return closing_ || !fatal_.ok() || in_flight_bytes_ == 0 ||
             in_flight_bytes_ + raw->bytes <= options_.max_in_flight_bytes;
    };
    if (options_.send_timeout) {
      if (!space_cv_.wait_for(lock, *options_.send_timeout, has_room)) {
        return Status::Unavailable("kafka: the in-flight window (" +
                                   std::to_string(options_.max_in_flight_bytes) +
                                   " bytes) stayed full; is the cluster reachable?");
      }
    } else {
      space_cv_.wait(lock, has_room);
    }
    if (!fatal_.ok()) return fatal_;
    if (closing_) return Status::Aborted("kafka transport is shutting down");
    in_flight_bytes_ += raw->bytes;
    ++unfinished_;
    queue_.push_back(std::move(b));
  }
  if (options_.exactly_once) {
    work_cv_.notify_one();
    return Status::Ok();
  }
  const auto& records = raw->data.records;
  for (size_t i = 0; i < records.size(); ++i) {
    Status s =
        ProduceRecord(records[i], raw->topics[i], static_cast<Tracked*>(raw), /*copy=*/false);
    if (!s.ok()) {
      // The records not handed over will never get a delivery report.
      std::lock_guard<std::mutex> lock(mu_);
      raw->remaining -= records.size() - i;
      if (raw->error.ok()) raw->error = s;
      if (fatal_.ok()) fatal_ = s;
      break;
    }
  }
  // Serve the delivery reports that are ready on this thread: librdkafka frees each
  // acknowledged message where its report is served, and memory freed by the thread that
  // allocated it costs far less than memory freed by another.
  rd_kafka_poll(producer_, 0);
  return Status::Ok();
}

void KafkaTransport::DeliveryCallback(rd_kafka_t*, const rd_kafka_message_t* message,
                                      void* opaque) {
  static_cast<KafkaTransport*>(opaque)->OnDelivery(message);
}

void KafkaTransport::OnDelivery(const rd_kafka_message_t* message) {
  auto* tracked = static_cast<Tracked*>(message->_private);
  Status status;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string topic = message->rkt ? rd_kafka_topic_name(message->rkt) : "?";
    status = KafkaErrorStatus(message->err, "kafka: delivering to topic " + topic + ", key " +
                                                DescribeKey(message->key, message->key_len));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (tracked == nullptr) {
    // Exactly-once record: the transaction's commit reports the outcome; remember why.
    if (!status.ok() && tx_error_.ok() && message->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE &&
        message->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
      tx_error_ = status;
    }
    return;
  }
  if (tracked->is_offset) {
    auto* offset = static_cast<OffsetRecord*>(tracked);
    offset->delivered = true;
    offset->error = status;
  } else {
    auto* batch = static_cast<Batch*>(tracked);
    batch->remaining--;
    if (!status.ok() && batch->error.ok()) batch->error = status;
  }
  if (!status.ok() && fatal_.ok()) fatal_ = status;
}

void KafkaTransport::ErrorCallback(rd_kafka_t*, int err, const char* reason, void* opaque) {
  static_cast<KafkaTransport*>(opaque)->OnError(err, reason);
}

void KafkaTransport::OnError(int err, const char* reason) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char detail[512];
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(producer_, detail, sizeof(detail));
    Status s = KafkaErrorStatus(fatal, "kafka producer failed");
    s = Status(s.code(), s.message() + " (" + detail + ")");
    LOG_ERROR << s.ToString();
    std::lock_guard<std::mutex> lock(mu_);
    if (fatal_.ok()) fatal_ = s;
    return;
  }
  // Connection trouble repeats every retry; log each kind once until it changes.
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (err == last_logged_error_) return;
    last_logged_error_ = err;
  }
  LOG_WARN << "kafka: " << ErrName(static_cast<rd_kafka_resp_err_t>(err)) << ": " << reason
           << " (retrying)";
}

void KafkaTransport::PollLoop() {
  bool purged = false;
  while (!stop_poll_) {
    rd_kafka_poll(producer_, kPollIntervalMs);
    if (options_.exactly_once) continue;
    AdvanceAtLeastOnce();
    bool failed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      failed = !fatal_.ok();
    }
    if (failed && !purged) {
      // Nothing queued can be committed any more: drop it so its reports arrive now.
      rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
      purged = true;
    }
  }
}

void KafkaTransport::AdvanceAtLeastOnce() {
  std::vector<std::shared_ptr<OffsetRecord>> to_produce;
  std::vector<std::pair<std::function<void(const Status&)>, Status>> to_fire;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // 1. Batches whose records are all acknowledged, with every batch before them too, are
    //    settled: per source, the newest one that ends a source transaction gets an offset
    //    record, which also commits the batches of that source before it. A leading chunk of
    //    a transaction after it needs none: its position is not a resume point.
    if (fatal_.ok()) {
      std::map<std::string, std::vector<Batch*>> ready;
      std::vector<std::string> order;
      for (size_t i = settled_; i < queue_.size(); ++i) {
        const std::unique_ptr<Batch>& b = queue_[i];
        if (b->remaining > 0 || !b->error.ok()) break;
        auto [it, inserted] = ready.try_emplace(b->data.source_name);
        if (inserted) order.push_back(b->data.source_name);
        it->second.push_back(b.get());
      }
      for (const std::string& source : order) {
        auto& batches = ready[source];
        for (Batch* b : batches) b->settled = true;
        settled_ += batches.size();
        auto last_end = std::find_if(batches.rbegin(), batches.rend(),
                                     [](const Batch* b) { return b->data.end.has_value(); });
        if (last_end == batches.rend()) continue;
        auto offset = std::make_shared<OffsetRecord>();
        offset->key = OffsetKey(options_.pipeline_name, source);
        offset->value = (*last_end)->data.end->ToJson();
        for (auto it = batches.begin(); it != last_end.base(); ++it) (*it)->offset = offset;
        to_produce.push_back(offset);
      }
    }
  }
  for (auto& offset : to_produce) {
    Status s = ProduceOffset(offset.get(), /*copy=*/false);
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      offset->delivered = true;
      offset->error = s;
      if (fatal_.ok()) fatal_ = s;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    // 2. Acknowledge in send order.
    for (; fired_ < queue_.size(); ++fired_) {
      const std::unique_ptr<Batch>& b = queue_[fired_];
      if (b->offset && b->offset->delivered) {
        to_fire.emplace_back(std::move(b->on_acked), b->offset->error);
        b->fired = true;
      } else if (b->offset) {
        break;  // its offset record is on the way
      } else if (b->settled) {
        to_fire.emplace_back(std::move(b->on_acked), Status::Ok());  // a chunk: no offset
        b->fired = true;
      } else if (!fatal_.ok()) {
        to_fire.emplace_back(std::move(b->on_acked), b->error.ok() ? fatal_ : b->error);
        b->fired = true;
      } else {
        break;
      }
    }
    // 3. Free batches that librdkafka no longer references.
    bool freed = false;
    while (!queue_.empty()) {
      Batch* b = queue_.front().get();
      if (!b->fired || b->remaining > 0 || (b->offset && !b->offset->delivered)) break;
      in_flight_bytes_ -= b->bytes;
      if (b->settled) --settled_;
      --fired_;
      queue_.pop_front();
      freed = true;
    }
    if (freed) space_cv_.notify_all();
  }
  Fire(to_fire);
}

void KafkaTransport::TransactionLoop() {
  // The open Kafka transaction holds the leading `produced` batches of queue_. It commits only
  // where no source is inside a transaction: one source transaction, however many batches it
  // spans, is never split over two Kafka transactions, so a read_committed consumer sees all
  // of it or nothing, and a restart after a crash resumes from its end or replays it whole.
  size_t produced = 0;
  bool open = false;
  bool replayable = true;  // every batch of the open transaction still holds its records
  std::set<std::string> open_sources;  // sources whose last produced batch ends no transaction
  while (true) {
    std::vector<Batch*> fresh;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const auto abandon = [&] {
        return abandon_open_ && open && !open_sources.empty() && queue_.size() == produced;
      };
      work_cv_.wait(lock, [&] { return closing_ || queue_.size() > produced || abandon(); });
      if (closing_) return;
      for (size_t i = produced; i < queue_.size(); ++i) fresh.push_back(queue_[i].get());
    }
    Status status;
    if (fresh.empty()) {
      // Flush with a source transaction whose end will not come (its source stopped): abort
      // what was produced of it; nothing of it became visible, and the next start reads the
      // whole transaction again from the last committed position.
      Status aborted = AbortTransaction();
      if (!aborted.ok()) {
        LOG_WARN << aborted.message();
      }
      std::vector<std::pair<std::function<void(const Status&)>, Status>> to_fire;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t i = 0; i < produced; ++i) {
          std::unique_ptr<Batch>& b = queue_.front();
          to_fire.emplace_back(std::move(b->on_acked),
                               Status::Aborted("kafka: source transaction unfinished at flush; "
                                               "not published, it is read again on restart"));
          in_flight_bytes_ -= b->bytes;
          queue_.pop_front();
        }
        space_cv_.notify_all();
      }
      produced = 0;
      open = false;
      replayable = true;
      open_sources.clear();
      Fire(to_fire);
      continue;
    }
    if (!open) {
      status = BeginTransaction();
      open = status.ok();
    }
    if (status.ok()) status = ProduceBatchRecords(fresh);
    if (status.ok()) {
      produced += fresh.size();
      for (Batch* b : fresh) {
        if (b->data.end) {
          open_sources.erase(b->data.source_name);
        } else {
          open_sources.insert(b->data.source_name);
        }
      }
      if (!open_sources.empty()) {
        // A source transaction larger than one batch is under way; its batches cannot stay in
        // the window until it ends (the next Send would wait for room forever). Their records
        // are copies in librdkafka's queue, which bounds them; the batches' own bytes are
        // dropped, so this Kafka transaction can no longer be produced again.
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t i = 0; i < produced; ++i) {
          Batch* b = queue_[i].get();
          if (b->released) continue;
          OutgoingBatch kept;
          kept.source_name = std::move(b->data.source_name);
          kept.end = std::move(b->data.end);
          b->data = std::move(kept);
          b->topics.clear();
          in_flight_bytes_ -= b->bytes;
          b->bytes = 0;
          b->released = true;
        }
        replayable = false;
        space_cv_.notify_all();
        continue;
      }
      std::vector<Batch*> batches;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t i = 0; i < produced; ++i) batches.push_back(queue_[i].get());
      }
      status = CommitTransaction(batches, replayable);
    } else if (open) {
      Status aborted = AbortTransaction();
      if (!aborted.ok()) {
        LOG_WARN << aborted.message();
      }
    }
    std::vector<std::pair<std::function<void(const Status&)>, Status>> to_fire;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!status.ok() && fatal_.ok()) fatal_ = status;
      for (size_t i = 0; i < produced; ++i) {
        std::unique_ptr<Batch>& b = queue_.front();
        to_fire.emplace_back(std::move(b->on_acked), status);
        in_flight_bytes_ -= b->bytes;
        queue_.pop_front();
      }
      if (!fatal_.ok()) {
        // Nothing after a failed transaction may be committed.
        for (auto& b : queue_) {
          to_fire.emplace_back(std::move(b->on_acked), fatal_);
          in_flight_bytes_ -= b->bytes;
        }
        queue_.clear();
      }
      space_cv_.notify_all();
    }
    produced = 0;
    open = false;
    replayable = true;
    open_sources.clear();
    Fire(to_fire);
    if (!status.ok()) return;
  }
}

bool KafkaTransport::Closing() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closing_;
}

Status KafkaTransport::BeginTransaction() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tx_error_ = Status::Ok();
  }
  ErrorPtr error(rd_kafka_begin_transaction(producer_));
  if (error) return TxnErrorStatus(error.get(), "kafka: beginning a transaction");
  return Status::Ok();
}

Status KafkaTransport::AbortTransaction() {
  while (true) {
    ErrorPtr error(rd_kafka_abort_transaction(producer_, -1));
    if (!error) return Status::Ok();
    if (!rd_kafka_error_is_retriable(error.get()) || Closing()) {
      return TxnErrorStatus(error.get(), "kafka: aborting a transaction");
    }
  }
}

Status KafkaTransport::ProduceBatchRecords(const std::vector<Batch*>& batches) {
  for (Batch* b : batches) {
    for (size_t i = 0; i < b->data.records.size(); ++i) {
      VIMUR_RETURN_IF_ERROR(
          ProduceRecord(b->data.records[i], b->topics[i], nullptr, /*copy=*/true));
    }
  }
  return Status::Ok();
}

Status KafkaTransport::CommitTransaction(const std::vector<Batch*>& batches, bool replayable) {
  while (true) {
    if (Closing()) return Status::Aborted("kafka transport is shutting down");
    // One offset record per source, for its newest batch that ends a source transaction.
    std::map<std::string, const Position*> last;
    for (Batch* b : batches) {
      if (b->data.end) last[b->data.source_name] = &*b->data.end;
    }
    Status produced;
    for (const auto& [source, position] : last) {
      OffsetRecord offset;
      offset.key = OffsetKey(options_.pipeline_name, source);
      offset.value = position->ToJson();
      produced = ProduceOffset(&offset, /*copy=*/true);
      if (!produced.ok()) break;
    }
    if (!produced.ok()) {
      Status aborted = AbortTransaction();
      if (!aborted.ok()) {
        LOG_WARN << aborted.message();
      }
      return produced;
    }

    while (true) {
      ErrorPtr commit(rd_kafka_commit_transaction(producer_, -1));
      if (!commit) return Status::Ok();
      if (rd_kafka_error_is_retriable(commit.get()) && !Closing()) continue;
      if (!rd_kafka_error_txn_requires_abort(commit.get())) {
        return TxnErrorStatus(commit.get(), "kafka: committing a transaction");
      }
      Status cause;
      {
        std::lock_guard<std::mutex> lock(mu_);
        cause = tx_error_;
      }
      Status status = TxnErrorStatus(commit.get(), "kafka: committing a transaction");
      VIMUR_RETURN_IF_ERROR(AbortTransaction());
      if (!cause.ok() && !cause.retriable()) return cause;  // retrying cannot help
      if (Closing()) return status;
      if (!replayable) {
        // Nothing of it became visible; the source transaction is read again from the last
        // committed position on the next start.
        return Status::Unavailable(
            status.message() +
            "; the aborted Kafka transaction held part of a source transaction larger than "
            "max_in_flight_bytes, which is no longer in memory: restart vimur, it resumes "
            "from the last committed position and duplicates nothing");
      }
      LOG_WARN << status.message() << "; retrying the transaction";
      break;  // produce everything again in a new transaction
    }
    VIMUR_RETURN_IF_ERROR(BeginTransaction());
    Status again = ProduceBatchRecords(batches);
    if (!again.ok()) {
      Status aborted = AbortTransaction();
      if (!aborted.ok()) {
        LOG_WARN << aborted.message();
      }
      return again;
    }
  }
}

void KafkaTransport::FailAll(const Status& status) {
  std::vector<std::pair<std::function<void(const Status&)>, Status>> to_fire;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& b : queue_) {
      if (!b->fired) to_fire.emplace_back(std::move(b->on_acked), status);
      b->fired = true;
    }
    fired_ = queue_.size();
  }
  Fire(to_fire);
}

void KafkaTransport::Fire(
    std::vector<std::pair<std::function<void(const Status&)>, Status>>& to_fire) {
  if (to_fire.empty()) return;
  for (auto& [callback, status] : to_fire) {
    if (callback) callback(status);
  }
  std::lock_guard<std::mutex> lock(mu_);
  unfinished_ -= to_fire.size();
  if (unfinished_ == 0) drained_cv_.notify_all();
}

Status KafkaTransport::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  abandon_open_ = true;
  work_cv_.notify_all();
  const bool drained =
      drained_cv_.wait_for(lock, timeout, [&] { return unfinished_ == 0 || closing_; });
  abandon_open_ = false;
  if (!drained) {
    return Status::Unavailable("kafka: " + std::to_string(unfinished_) +
                               " batches not acknowledged after " +
                               std::to_string(timeout.count()) + " ms");
  }
  if (!fatal_.ok()) return fatal_;
  if (unfinished_ != 0) return Status::Aborted("kafka transport is shutting down");
  return Status::Ok();
}

std::map<std::string, std::string> KafkaTransport::ConsumerSecurityConfig() const {
  std::map<std::string, std::string> out;
  static const char* const kPrefixes[] = {"security.",   "ssl.",       "sasl.",
                                          "socket.",     "broker.",    "client.",
                                          "enable.ssl.", "reconnect.", "api.version"};
  for (const auto& [name, value] : options_.client_config) {
    for (const char* prefix : kPrefixes) {
      if (name.rfind(prefix, 0) == 0) out[name] = value;
    }
  }
  return out;
}

Result<std::optional<Position>> KafkaTransport::LoadOffset(const std::string& source_name) {
  ConfHolder conf;
  for (const auto& [name, value] : ConsumerSecurityConfig()) {
    VIMUR_RETURN_IF_ERROR(conf.Set(name, value));
  }
  VIMUR_RETURN_IF_ERROR(conf.Set("bootstrap.servers", options_.bootstrap_servers));
  VIMUR_RETURN_IF_ERROR(conf.Set("enable.partition.eof", "true"));
  VIMUR_RETURN_IF_ERROR(conf.Set("enable.auto.commit", "false"));
  // assign() needs a group id; this reader never joins the group or commits.
  VIMUR_RETURN_IF_ERROR(conf.Set("group.id", "vimur-offsets-reader-" + options_.pipeline_name));
  VIMUR_RETURN_IF_ERROR(conf.Set("isolation.level", "read_committed"));
  // At the end of the topic the broker holds each fetch this long waiting for data before it
  // answers (and end-of-partition is known): 500 ms by default, all of it start-up delay.
  VIMUR_RETURN_IF_ERROR(conf.Set("fetch.wait.max.ms", "10"));
  rd_kafka_conf_set_log_cb(conf.get(), &LogCallback);
  char errstr[512];
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr));
  if (consumer == nullptr) {
    return Status::InvalidArgument(std::string("cannot create the kafka consumer: ") + errstr);
  }
  conf.release();
  struct Closer {
    rd_kafka_t* rk;
    ~Closer() {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  } closer{consumer};
  rd_kafka_poll_set_consumer(consumer);

  const std::string& topic = options_.offsets_topic;
  const int timeout_ms = static_cast<int>(options_.request_timeout.count());
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(consumer, 0, rkt, &metadata, timeout_ms);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaErrorStatus(err, "kafka: reading metadata of offsets topic " + topic);
  }
  int partitions = 0;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    if (topic == metadata->topics[i].topic) {
      partitions = metadata->topics[i].partition_cnt;
      topic_err = metadata->topics[i].err;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || partitions == 0) {
    return std::optional<Position>();  // nothing stored yet
  }
  if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaErrorStatus(topic_err, "kafka: offsets topic " + topic);
  }

  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  err = rd_kafka_assign(consumer, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaErrorStatus(err, "kafka: reading offsets topic " + topic);
  }

  const std::string key = OffsetKey(options_.pipeline_name, source_name);
  std::optional<std::string> value;
  std::set<int32_t> at_end;
  auto deadline = std::chrono::steady_clock::now() + options_.request_timeout;
  while (static_cast<int>(at_end.size()) < partitions) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("kafka: reading offsets topic " + topic + " to its end took " +
                                 "longer than " + std::to_string(timeout_ms) + " ms");
    }
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 200);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(message->partition);
    } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Status s = KafkaErrorStatus(message->err, "kafka: reading offsets topic " + topic);
      rd_kafka_message_destroy(message);
      if (s.retriable()) continue;
      return s;
    } else if (message->key_len == key.size() &&
               std::equal(key.begin(), key.end(), static_cast<const char*>(message->key))) {
      at_end.erase(message->partition);
      if (message->payload == nullptr) {
        value.reset();
      } else {
        value.emplace(static_cast<const char*>(message->payload), message->len);
      }
    }
    rd_kafka_message_destroy(message);
  }
  if (!value) return std::optional<Position>();
  Result<Position> position = Position::FromJson(*value);
  if (!position.ok()) {
    return position.status().WithContext("kafka: offsets topic " + topic + ", key " + key);
  }
  return std::optional<Position>(std::move(position).value());
}

}  // namespace vimur::kafka
