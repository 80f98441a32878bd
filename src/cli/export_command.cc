// `vimur export --to-kafka`: copies the topics of the embedded local log to a Kafka cluster,
// keeping keys, values, timestamps, partitions and per-partition order, tombstones included.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/config.h"
#include "core/logging.h"
#include "core/regex_pattern.h"
#include "transport/kafka/kafka_client.h"
#include "transport/kafka/kafka_errors.h"
#include "transport/kafka/kafka_options.h"
#include "transport/kafka/topic_admin.h"
#include "transport/local/commit_log.h"
#include "transport/local/local_log.h"
#include "transport/local/local_log_options.h"
#include "transport/local/partition_reader.h"

namespace vimur::cli {
namespace {

constexpr const char* kExportUsage =
    R"(Usage: vimur export --config FILE --to-kafka BOOTSTRAP [--topic REGEX]
                    [--client-config NAME=VALUE ...]

Copies every topic of FILE's local log (transport.type: local; state_dir/<name>/log), or those
whose whole name matches REGEX, to the Kafka cluster at BOOTSTRAP: missing topics are created
with the same partition count (data topics compacted, as the Kafka transport creates them;
dead-letter topics with cleanup.policy=delete), and every record keeps its key, value
(tombstones too), timestamp and partition, in its partition's order (idempotent producer,
acks=all). Reads the records committed when it starts; `vimur run` may keep writing.
Prints, per topic, the records copied. Exit 0 only when Kafka acknowledged every record.

A Kafka partition that already holds records is refused (a second run would copy them
twice): delete the topic, or leave it out with --topic.

  --topic REGEX                copy only the topics whose whole name matches
  --client-config NAME=VALUE   a librdkafka property (security.protocol, sasl.*, ssl.*, ...)
)";

// Properties export sets itself because the copy's order and completeness depend on them.
const char* const kReserved[] = {"bootstrap.servers", "metadata.broker.list", "enable.idempotence",
                                 "acks", "request.required.acks"};

struct TopicCounts {
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> failed{0};
};

struct DeliveryState {
  std::atomic<bool> logged_error{false};
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* counts = static_cast<TopicCounts*>(m->_private);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    counts->acked.fetch_add(1);
    return;
  }
  counts->failed.fetch_add(1);
  auto* state = static_cast<DeliveryState*>(opaque);
  if (!state->logged_error.exchange(true)) {
    LOG_ERROR << "export: " << rd_kafka_topic_name(m->rkt) << "[" << m->partition
              << "]: a record was not acknowledged: " << rd_kafka_err2str(m->err);
  }
}

struct Producer {
  ~Producer() {
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
  rd_kafka_t* rk = nullptr;
};

// The partition count of `topic` on the cluster (-1 when it cannot be read).
int KafkaPartitions(rd_kafka_t* rk, rd_kafka_topic_t* handle) {
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(rk, 0, handle, &metadata, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) return -1;
  const int n = metadata->topic_cnt == 1 ? metadata->topics[0].partition_cnt : -1;
  rd_kafka_metadata_destroy(metadata);
  return n;
}

// Copies the committed records of one partition; `*sent` counts the records produced.
Status CopyPartition(rd_kafka_t* rk, rd_kafka_topic_t* handle, const std::string& dir,
                     const std::string& topic, int partition, int64_t until, TopicCounts* counts,
                     int64_t* sent) {
  local::PartitionReader reader(dir + "/" + topic + "/" + std::to_string(partition),
                                topic + "[" + std::to_string(partition) + "]");
  int64_t next = 0;
  while (next < until) {
    std::vector<local::OwnedRecord> records;
    VIMUR_RETURN_IF_ERROR(reader.Read(&next, until, 10000, 8 << 20, &records));
    if (records.empty()) break;  // the rest was removed (a gap at the end of the log)
    for (const local::OwnedRecord& r : records) {
      // Null stays null: a null key, and a tombstone's null value.
      const void* key = r.key ? r.key->data() : nullptr;
      const size_t key_size = r.key ? r.key->size() : 0;
      void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
      const size_t value_size = r.value ? r.value->size() : 0;
      while (true) {
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_RKT(handle), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
            RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_TIMESTAMP(r.timestamp_ms),
            RD_KAFKA_V_OPAQUE(counts), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          return kafka::KafkaErrorStatus(err, "export: producing " + topic + "[" +
                                                  std::to_string(partition) + "]@" +
                                                  std::to_string(r.offset));
        }
        rd_kafka_poll(rk, 50);
      }
      ++*sent;
      rd_kafka_poll(rk, 0);
    }
  }
  return Status::Ok();
}

}  // namespace

int ExportCommand(const std::vector<std::string>& args) {
  std::string config_path, bootstrap, topic_regex = ".*";
  std::map<std::string, std::string> client_config;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* what) -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "vimur export: %s needs %s\n\n%s", a.c_str(), what, kExportUsage);
        return std::nullopt;
      }
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kExportUsage, stdout);
      return 0;
    } else if (a == "--config" || a == "-c") {
      auto v = value("a file path");
      if (!v) return 2;
      config_path = *v;
    } else if (a == "--to-kafka") {
      auto v = value("bootstrap servers (host:port,...)");
      if (!v) return 2;
      bootstrap = *v;
    } else if (a == "--topic") {
      auto v = value("a topic name or regex");
      if (!v) return 2;
      topic_regex = *v;
    } else if (a == "--client-config") {
      auto v = value("NAME=VALUE");
      if (!v) return 2;
      const size_t eq = v->find('=');
      if (eq == std::string::npos || eq == 0) {
        std::fprintf(stderr, "vimur export: --client-config takes NAME=VALUE, not '%s'\n",
                     v->c_str());
        return 2;
      }
      client_config[v->substr(0, eq)] = v->substr(eq + 1);
    } else {
      std::fprintf(stderr, "vimur export: unknown argument '%s'\n\n%s", a.c_str(), kExportUsage);
      return 2;
    }
  }
  if (config_path.empty() || bootstrap.empty()) {
    std::fprintf(stderr, "vimur export: --config FILE and --to-kafka BOOTSTRAP are required\n\n%s",
                 kExportUsage);
    return 2;
  }
  for (const auto& [name, v] : client_config) {
    for (const char* reserved : kReserved) {
      if (name == reserved) {
        std::fprintf(stderr,
                     "vimur export: --client-config %s is set by vimur export (idempotent, "
                     "acks=all); remove it\n",
                     name.c_str());
        return 2;
      }
    }
  }
  RegexList regexes({topic_regex});
  if (!regexes.status().ok()) {
    std::fprintf(stderr, "vimur export: --topic: %s\n", regexes.status().message().c_str());
    return 2;
  }
  auto config = LoadConfigFile(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "vimur export: %s\n", config.status().message().c_str());
    return 2;
  }
  LogLevel level;
  if (ParseLogLevel(config->log_level, &level)) SetLogLevel(level);
  if (config->transport.type != "local") {
    std::fprintf(stderr,
                 "vimur export: %s has transport.type %s; export copies the local log "
                 "(transport.type: local) to Kafka\n",
                 config_path.c_str(), config->transport.type.c_str());
    return 2;
  }
  const std::string dir = local::LocalLogDir(*config);
  local::CommitLogFollower commits(dir + "/" + local::kCommitLogName);
  auto refreshed = commits.Refresh();
  if (!refreshed.ok()) {
    std::fprintf(stderr, "vimur export: %s\n", refreshed.status().message().c_str());
    return 1;
  }
  if (commits.state().sequence == 0) {
    std::fprintf(stderr,
                 "vimur export: the local log %s holds no committed records (has `vimur run` "
                 "written it yet?)\n",
                 dir.c_str());
    return 1;
  }
  std::map<std::string, std::vector<int64_t>> topics;
  for (const auto& [topic, ends] : commits.state().topics) {
    if (regexes.AnyMatches(topic)) topics[topic] = ends;
  }
  if (topics.empty()) {
    std::fprintf(stderr, "vimur export: no topic of %s matches --topic %s\n", dir.c_str(),
                 topic_regex.c_str());
    return 1;
  }

  kafka::KafkaTransportOptions options;
  options.bootstrap_servers = bootstrap;
  options.pipeline_name = config->name;
  options.replication_factor = config->transport.topic.replication_factor;
  if (config->transport.topic.min_insync_replicas > 0) {
    options.min_insync_replicas = config->transport.topic.min_insync_replicas;
  }
  options.topic_retry_for = std::chrono::seconds(30);
  options.client_config = client_config;
  for (const auto& [topic, ends] : topics) {
    kafka::KafkaTopicOverride o;
    o.partitions = static_cast<int>(ends.size());
    for (const SinkConfig& s : config->sinks) {
      if (s.dead_letter_topic == topic) o.config["cleanup.policy"] = "delete";
    }
    options.topic_overrides[topic] = o;
  }

  DeliveryState delivery;
  kafka::KafkaConf conf;
  Status s = Status::Ok();
  for (const auto& [name, v] : client_config) {
    if (s.ok()) s = conf.Set(name, v);
  }
  if (s.ok()) s = conf.Set("bootstrap.servers", bootstrap);
  if (s.ok()) s = conf.Set("enable.idempotence", "true");
  if (s.ok()) s = conf.Set("acks", "all");
  if (s.ok()) s = conf.Set("client.id", "vimur-export-" + config->name);
  if (!s.ok()) {
    std::fprintf(stderr, "vimur export: %s\n", s.message().c_str());
    return 2;
  }
  rd_kafka_conf_set_opaque(conf.get(), &delivery);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &OnDelivery);
  rd_kafka_conf_set_log_cb(conf.get(), &kafka::KafkaLogCallback);
  char errstr[512];
  Producer producer;
  producer.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr));
  if (producer.rk == nullptr) {
    std::fprintf(stderr, "vimur export: cannot create the kafka producer: %s\n", errstr);
    return 2;
  }
  conf.release();

  std::map<std::string, std::unique_ptr<TopicCounts>> counts;
  std::map<std::string, int64_t> sent;
  int rc = 0;
  {
    kafka::TopicAdmin admin(options, producer.rk);
    for (const auto& [topic, ends] : topics) {
      // A topic whose records have null keys (a table without primary key) is created with
      // cleanup.policy=delete, as the Kafka transport does for its first null key.
      bool first_key_null = false;
      for (size_t p = 0; p < ends.size() && !first_key_null; ++p) {
        local::PartitionReader probe(dir + "/" + topic + "/" + std::to_string(p), topic);
        int64_t next = 0;
        std::vector<local::OwnedRecord> first;
        if (probe.Read(&next, ends[p], 1, 1 << 20, &first).ok() && !first.empty()) {
          first_key_null = !first[0].key.has_value();
        }
      }
      auto handle = admin.Ensure(topic, first_key_null, [] { return false; });
      if (!handle.ok()) {
        std::fprintf(stderr, "vimur export: %s\n", handle.status().message().c_str());
        rc = 1;
        break;
      }
      const int have = KafkaPartitions(producer.rk, *handle);
      if (have != static_cast<int>(ends.size())) {
        std::fprintf(stderr,
                     "vimur export: Kafka topic %s has %d partition(s), the local log %zu; "
                     "records cannot keep their partitions: delete the topic or leave it out "
                     "with --topic\n",
                     topic.c_str(), have, ends.size());
        rc = 1;
        break;
      }
      bool nonempty = false;
      for (size_t p = 0; p < ends.size(); ++p) {
        int64_t low = 0, high = 0;
        const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            producer.rk, topic.c_str(), static_cast<int32_t>(p), &low, &high, 10000);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR || high > 0) {
          std::fprintf(stderr,
                       "vimur export: Kafka topic %s partition %zu %s; delete the topic or leave "
                       "it out with --topic\n",
                       topic.c_str(), p,
                       err != RD_KAFKA_RESP_ERR_NO_ERROR
                           ? (std::string("cannot be read: ") + rd_kafka_err2str(err)).c_str()
                           : "already holds records (a second export would copy them twice)");
          nonempty = true;
          break;
        }
      }
      if (nonempty) {
        rc = 1;
        break;
      }
      auto& c = counts[topic];
      c = std::make_unique<TopicCounts>();
      int64_t& n = sent[topic];
      for (size_t p = 0; p < ends.size() && rc == 0; ++p) {
        Status copied = CopyPartition(producer.rk, *handle, dir, topic, static_cast<int>(p),
                                      ends[p], c.get(), &n);
        if (!copied.ok()) {
          std::fprintf(stderr, "vimur export: %s\n", copied.message().c_str());
          rc = 1;
        }
      }
      if (rc != 0) break;
    }
    // Everything produced so far is waited for, also after a failure, so the counts are true.
    while (rd_kafka_outq_len(producer.rk) > 0) {
      if (rd_kafka_flush(producer.rk, 60000) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
        std::fprintf(stderr,
                     "vimur export: %d record(s) still unacknowledged by %s after 60 s; "
                     "giving up\n",
                     rd_kafka_outq_len(producer.rk), bootstrap.c_str());
        rc = 1;
        break;
      }
    }
  }
  for (const auto& [topic, c] : counts) {
    const int64_t acked = c->acked.load();
    const int64_t failed = c->failed.load();
    std::printf("%s: %lld record(s) copied (%zu partition(s))", topic.c_str(),
                static_cast<long long>(acked), topics[topic].size());
    if (failed > 0 || acked != sent[topic]) {
      std::printf(", %lld failed", static_cast<long long>(sent[topic] - acked));
      rc = 1;
    }
    std::printf("\n");
  }
  std::fflush(stdout);
  return rc;
}

}  // namespace vimur::cli
