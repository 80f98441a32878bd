// Test support for the Kafka integration tests: a local broker started through
// scripts/kafka in a temporary directory, and small librdkafka readers for checking results.
#pragma once

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#ifndef VIMUR_SOURCE_DIR
#error "VIMUR_SOURCE_DIR must point at the repository"
#endif

namespace vimur::kafka::testing {

// Runs a command through the shell; returns its exit status and stdout.
inline int RunCommand(const std::string& command, std::string* out) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out->append(buf.data(), n);
  int rc = pclose(pipe);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// A single-node Kafka in its own temporary directory; stopped and removed on destruction.
class KafkaTestBroker {
 public:
  KafkaTestBroker() {
    char tmpl[] = "/tmp/vimur-kafka-test-XXXXXX";
    const char* made = mkdtemp(tmpl);
    dir_ = made ? made : "";
  }
  ~KafkaTestBroker() {
    if (dir_.empty()) return;
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  KafkaTestBroker(const KafkaTestBroker&) = delete;
  KafkaTestBroker& operator=(const KafkaTestBroker&) = delete;

  // Starts (or restarts, keeping data and ports) the broker; empty string on success.
  std::string Start() {
    if (dir_.empty()) return "mkdtemp failed";
    std::string out;
    // The broker stops by itself if this process dies without stopping it.
    int rc = RunCommand("VIMUR_KAFKA_WATCH_PID=" + std::to_string(getpid()) + " " +
                            std::string(VIMUR_SOURCE_DIR) + "/scripts/kafka start '" + dir_ +
                            "' 2>'" + dir_ + "/script.log'",
                        &out);
    std::string log = ReadFile(dir_ + "/script.log");
    if (rc != 0) return "scripts/kafka start failed (" + std::to_string(rc) + "): " + log;
    // The last line is KAFKA_BOOTSTRAP=host:port.
    while (!out.empty() && out.back() == '\n') out.pop_back();
    std::string last = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
    const std::string prefix = "KAFKA_BOOTSTRAP=";
    if (last.rfind(prefix, 0) != 0) return "unexpected output of scripts/kafka: " + out;
    bootstrap_ = last.substr(prefix.size());
    return "";
  }

  bool Stop() {
    std::string out;
    return RunCommand(
               std::string(VIMUR_SOURCE_DIR) + "/scripts/kafka stop '" + dir_ + "' 2>/dev/null",
               &out) == 0;
  }

  const std::string& bootstrap() const { return bootstrap_; }
  const std::string& dir() const { return dir_; }

 private:
  static std::string ReadFile(const std::string& path) {
    std::string out;
    FILE* f = fopen(path.c_str(), "r");
    if (f == nullptr) return out;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
    fclose(f);
    return out;
  }

  std::string dir_;
  std::string bootstrap_;
};

// A test suite with a broker of its own, started before the suite's first test and stopped
// after its last; every test fails at once if it did not start.
class KafkaBrokerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = new KafkaTestBroker();
    start_error_ = broker_->Start();
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(start_error_, "") << "the test broker did not start"; }

  static inline KafkaTestBroker* broker_ = nullptr;
  static inline std::string start_error_;
};

struct ConsumedRecord {
  int32_t partition = -1;
  int64_t offset = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// Reads every partition of `topic` from the beginning to its end; empty on failure with
// *error set.
inline std::vector<ConsumedRecord> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                             bool read_committed, std::string* error) {
  std::vector<ConsumedRecord> records;
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "isolation.level", read_committed ? "read_committed" : "read_uncommitted",
                    errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  // assign() needs a group id even though this reader never joins or commits.
  rd_kafka_conf_set(conf, "group.id", "vimur-test-reader", errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    *error = errstr;
    return records;
  }
  rd_kafka_poll_set_consumer(rk);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  int partitions = 0;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (topic == md->topics[i].topic) partitions = md->topics[i].partition_cnt;
    }
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(rkt);
  if (partitions == 0) {
    *error = "topic " + topic + " has no partitions";
    rd_kafka_destroy(rk);
    return records;
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::set<int32_t> at_end;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (static_cast<int>(at_end.size()) < partitions) {
    if (std::chrono::steady_clock::now() > deadline) {
      *error = "timed out reading " + topic;
      break;
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(m->partition);
    } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ConsumedRecord r;
      r.partition = m->partition;
      r.offset = m->offset;
      if (m->key) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) r.value.emplace(static_cast<const char*>(m->payload), m->len);
      records.push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return records;
}

// Partition count and the non-default configs of a topic, read through the admin API.
struct TopicDescription {
  int partitions = 0;
  std::map<std::string, std::string> config;
};

inline TopicDescription DescribeTopic(const std::string& bootstrap, const std::string& topic,
                                      std::string* error) {
  TopicDescription out;
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof(errstr));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    *error = errstr;
    return out;
  }
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (topic == md->topics[i].topic) out.partitions = md->topics[i].partition_cnt;
    }
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(rkt);

  rd_kafka_ConfigResource_t* res =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_DescribeConfigs(rk, &res, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 15000);
  if (ev == nullptr || rd_kafka_event_error(ev)) {
    *error = ev ? rd_kafka_event_error_string(ev) : "DescribeConfigs timed out";
  } else {
    size_t n = 0;
    const rd_kafka_ConfigResource_t** resources =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      size_t m = 0;
      const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(resources[i], &m);
      for (size_t j = 0; j < m; ++j) {
        const char* value = rd_kafka_ConfigEntry_value(entries[j]);
        out.config[rd_kafka_ConfigEntry_name(entries[j])] = value ? value : "";
      }
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_ConfigResource_destroy(res);
  rd_kafka_destroy(rk);
  return out;
}

}  // namespace vimur::kafka::testing
