#include "registry/kafka_registry_log.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <thread>

#include "core/logging.h"

namespace vimur::registry {
namespace {

Status KafkaError(rd_kafka_resp_err_t err, const std::string& what) {
  std::string m = what + ": " + rd_kafka_err2str(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT: return Status::Unavailable(m);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION: return Status::PermissionDenied(m);
    default: return Status::IoError(m);
  }
}

void LogCallback(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  if (level <= 3) {
    LOG_ERROR << "registry kafka: " << fac << ": " << buf;
  } else if (level <= 4) {
    LOG_WARN << "registry kafka: " << fac << ": " << buf;
  }
}

struct Delivery {
  bool done = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void DeliveryCallback(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* d = static_cast<Delivery*>(m->_private);
  if (d != nullptr) {
    d->err = m->err;
    d->done = true;
  }
}

Result<rd_kafka_conf_t*> MakeConf(const KafkaRegistryLogOptions& o,
                                  const std::map<std::string, std::string>& extra) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  std::map<std::string, std::string> all = o.client_config;
  for (const auto& [k, v] : extra) all[k] = v;
  all["bootstrap.servers"] = o.bootstrap_servers;
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::InvalidArgument("registry kafka setting '" + k + "': " + errstr);
    }
  }
  rd_kafka_conf_set_log_cb(conf, &LogCallback);
  return conf;
}

// Keeps only the settings a consumer accepts (security and connection ones).
std::map<std::string, std::string> ConsumerSafe(const std::map<std::string, std::string>& in) {
  static const char* const kPrefixes[] = {"security.",   "ssl.",       "sasl.",
                                          "socket.",     "broker.",    "client.",
                                          "enable.ssl.", "reconnect.", "api.version"};
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : in) {
    for (const char* p : kPrefixes) {
      if (k.rfind(p, 0) == 0) out[k] = v;
    }
  }
  return out;
}

class KafkaRegistryLog : public RegistryLog {
 public:
  KafkaRegistryLog(KafkaRegistryLogOptions o, rd_kafka_t* producer)
      : options_(std::move(o)), producer_(producer) {}
  ~KafkaRegistryLog() override {
    rd_kafka_flush(producer_, options_.timeout_ms);
    rd_kafka_destroy(producer_);
  }

  Status CreateTopic() {
    char errstr[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(
        options_.topic.c_str(), 1, options_.replication_factor, errstr, sizeof errstr);
    if (nt == nullptr) return Status::InvalidArgument("registry topic: " + std::string(errstr));
    rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    rd_kafka_AdminOptions_t* admin =
        rd_kafka_AdminOptions_new(producer_, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(admin, options_.timeout_ms, errstr, sizeof errstr);
    rd_kafka_queue_t* q = rd_kafka_queue_new(producer_);
    rd_kafka_CreateTopics(producer_, &nt, 1, admin, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, options_.timeout_ms + 5000);
    Status st;
    if (ev == nullptr) {
      st = Status::Unavailable("registry: no answer from Kafka at " + options_.bootstrap_servers +
                               " creating topic " + options_.topic);
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      st = KafkaError(rd_kafka_event_error(ev), "registry: creating topic " + options_.topic);
    } else {
      size_t n = 0;
      const rd_kafka_topic_result_t** res =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
      for (size_t i = 0; i < n; ++i) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          LOG_INFO << "registry: created compacted topic " << options_.topic;
        } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
          st = KafkaError(err, "registry: creating topic " + options_.topic);
        }
      }
    }
    if (ev != nullptr) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(admin);
    rd_kafka_NewTopic_destroy(nt);
    return st;
  }

  Status Append(const std::string& key, const std::optional<std::string>& value) override {
    Delivery d;
    void* payload = value ? const_cast<char*>(value->data()) : nullptr;
    size_t payload_len = value ? value->size() : 0;
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(options_.topic.c_str()), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
        RD_KAFKA_V_VALUE(payload, payload_len), RD_KAFKA_V_OPAQUE(&d), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaError(err, "registry: writing to " + options_.topic);
    }
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
    while (!d.done) {
      rd_kafka_poll(producer_, 50);
      if (std::chrono::steady_clock::now() > deadline && !d.done) {
        // The message stays queued with a pointer to `d`: wait for librdkafka to give it up.
        rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        while (!d.done) rd_kafka_poll(producer_, 50);
        return Status::Unavailable("registry: Kafka did not acknowledge a write to " +
                                   options_.topic + " in " + std::to_string(options_.timeout_ms) +
                                   " ms");
      }
    }
    if (d.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaError(d.err, "registry: writing to " + options_.topic);
    }
    return Status::Ok();
  }

  Status ReadAll(const Visitor& fn) override { return ReadFrom(0, fn).status(); }

  // Positions are Kafka offsets of the single partition (compaction leaves gaps; the count of
  // records read is not used).
  Result<int64_t> ReadFrom(int64_t from, const Visitor& fn) override {
    if (from > 0) {
      // Following: most calls find nothing new, learnt from the end offset alone.
      int64_t low = 0, high = 0;
      rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
          producer_, options_.topic.c_str(), 0, &low, &high, options_.timeout_ms);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return KafkaError(err, "registry: reading the end offset of " + options_.topic);
      }
      if (high <= from) return from;
    }
    auto conf = MakeConf(options_, {});
    if (!conf.ok()) return conf.status();
    rd_kafka_conf_t* c = *conf;
    char errstr[512];
    std::map<std::string, std::string> settings = {{"enable.partition.eof", "true"},
                                                   {"enable.auto.commit", "false"},
                                                   {"group.id", "vimur-registry-reader"}};
    rd_kafka_conf_destroy(c);
    KafkaRegistryLogOptions co = options_;
    co.client_config = ConsumerSafe(options_.client_config);
    auto cc = MakeConf(co, settings);
    if (!cc.ok()) return cc.status();
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, *cc, errstr, sizeof errstr);
    if (consumer == nullptr) {
      rd_kafka_conf_destroy(*cc);
      return Status::InvalidArgument(std::string("registry: kafka consumer: ") + errstr);
    }
    struct Closer {
      rd_kafka_t* rk;
      ~Closer() {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
      }
    } closer{consumer};
    rd_kafka_poll_set_consumer(consumer);

    int64_t low = 0;
    int64_t high = 0;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
    while (true) {  // a just-created topic may take a moment to get a leader
      err =
          rd_kafka_query_watermark_offsets(consumer, options_.topic.c_str(), 0, &low, &high, 5000);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR || std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaError(err, "registry: reading the end offset of " + options_.topic);
    }
    if (high <= std::max(low, from)) return std::max(high, from);

    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, options_.topic.c_str(), 0)->offset =
        from > low ? from : RD_KAFKA_OFFSET_BEGINNING;
    err = rd_kafka_assign(consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaError(err, "registry: reading " + options_.topic);
    }
    size_t records = 0;
    while (true) {
      if (std::chrono::steady_clock::now() > deadline) {
        return Status::Unavailable("registry: reading " + options_.topic + " to its end took " +
                                   "longer than " + std::to_string(options_.timeout_ms) + " ms");
      }
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 200);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_message_destroy(m);
        break;
      }
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        Status s = KafkaError(m->err, "registry: reading " + options_.topic);
        rd_kafka_message_destroy(m);
        if (s.retriable()) continue;
        return s;
      }
      std::string key(static_cast<const char*>(m->key), m->key_len);
      std::optional<std::string> value;
      if (m->payload != nullptr) value.emplace(static_cast<const char*>(m->payload), m->len);
      int64_t offset = m->offset;
      rd_kafka_message_destroy(m);
      fn(key, value);
      ++records;
      if (offset >= high - 1) break;
    }
    if (from == 0) {
      LOG_INFO << "registry: read " << records << " records from " << options_.topic;
    }
    return high;
  }

 private:
  KafkaRegistryLogOptions options_;
  rd_kafka_t* producer_;
};

}  // namespace

Result<std::unique_ptr<RegistryLog>> OpenKafkaRegistryLog(const KafkaRegistryLogOptions& options) {
  if (options.bootstrap_servers.empty()) {
    return Status::InvalidArgument(
        "registry: transport.bootstrap_servers must name the Kafka cluster that stores schemas");
  }
  VIMUR_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf,
                         MakeConf(options, {{"acks", "all"}, {"enable.idempotence", "true"}}));
  rd_kafka_conf_set_dr_msg_cb(conf, &DeliveryCallback);
  char errstr[512];
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (producer == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("registry: kafka producer: ") + errstr);
  }
  auto log = std::make_unique<KafkaRegistryLog>(options, producer);
  VIMUR_RETURN_IF_ERROR(log->CreateTopic());
  return std::unique_ptr<RegistryLog>(std::move(log));
}

}  // namespace vimur::registry
