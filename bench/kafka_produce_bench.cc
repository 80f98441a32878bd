// The limit for Kafka catch-up: librdkafka alone producing a given set of records (keys and
// values read from a file) with the producer settings of Vimur's Kafka transport, no capture.
//
//   kafka_produce_bench --bootstrap HOST:PORT --topic T --input FILE [--set NAME=VALUE ...]
//
// FILE holds records as [u32le key length][key][u32le value length][value], length 0xffffffff
// meaning null (bench/kafka_catchup.sh writes it from the records Vimur produced). The topic
// must exist. Timed from the first produce call to the last delivery report; prints one line
// "messages=N bytes=B seconds=S msgs_per_s=R mb_per_s=M errors=E".
// Settings as in src/transport/kafka/kafka_transport.cc: enable.idempotence=true, acks=all,
// partitioner=murmur2_random, message.timeout.ms=0, the same queue bound; --set adds the
// client_config properties (linger.ms, compression.type, ...) given to Vimur.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr uint32_t kNull = 0xffffffffu;
constexpr size_t kWindowBytes = 64u << 20;  // Vimur's default max_in_flight_bytes

struct Span {
  const char* data = nullptr;  // nullptr: null
  size_t size = 0;
};

struct Record {
  Span key;
  Span value;
};

std::atomic<uint64_t> g_delivered{0};
std::atomic<uint64_t> g_errors{0};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (g_errors.fetch_add(1) == 0) {
      std::fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(message->err));
    }
  }
  g_delivered.fetch_add(1);
}

bool ReadSpan(const std::string& buf, size_t* at, Span* out) {
  if (buf.size() - *at < 4) return false;
  uint32_t len;
  std::memcpy(&len, buf.data() + *at, 4);  // little-endian machines only (x86, arm64)
  *at += 4;
  if (len == kNull) {
    *out = Span{};
    return true;
  }
  if (buf.size() - *at < len) return false;
  *out = Span{buf.data() + *at, len};
  *at += len;
  return true;
}

bool Set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "property %s: %s\n", name.c_str(), err);
    return false;
  }
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: kafka_produce_bench --bootstrap HOST:PORT --topic T --input FILE "
               "[--set NAME=VALUE ...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap, topic, input;
  std::vector<std::pair<std::string, std::string>> extra;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string value = argv[++i];
    if (arg == "--bootstrap") {
      bootstrap = value;
    } else if (arg == "--topic") {
      topic = value;
    } else if (arg == "--input") {
      input = value;
    } else if (arg == "--set") {
      size_t eq = value.find('=');
      if (eq == std::string::npos) return Usage();
      extra.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else {
      return Usage();
    }
  }
  if (bootstrap.empty() || topic.empty() || input.empty()) return Usage();

  std::ifstream in(input, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", input.c_str());
    return 1;
  }
  std::string buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Record> records;
  uint64_t payload_bytes = 0;
  for (size_t at = 0; at < buf.size();) {
    Record r;
    if (!ReadSpan(buf, &at, &r.key) || !ReadSpan(buf, &at, &r.value)) {
      std::fprintf(stderr, "%s: truncated record at byte %zu\n", input.c_str(), at);
      return 1;
    }
    payload_bytes += r.key.size + r.value.size;
    records.push_back(r);
  }

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  bool ok =
      Set(conf, "queue.buffering.max.kbytes", std::to_string(kWindowBytes / 1024 * 2 + 4096)) &&
      Set(conf, "queue.buffering.max.messages", "0") &&
      Set(conf, "client.id", "kafka-produce-bench") && Set(conf, "message.timeout.ms", "0");
  for (const auto& [name, value] : extra) ok = ok && Set(conf, name, value);
  ok = ok && Set(conf, "bootstrap.servers", bootstrap) && Set(conf, "enable.idempotence", "true") &&
       Set(conf, "acks", "all") && Set(conf, "partitioner", "murmur2_random");
  if (!ok) return 2;
  rd_kafka_conf_set_dr_msg_cb(conf, &OnDelivery);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "cannot create the producer: %s\n", err);
    return 1;
  }
  // Connect and fetch the topic's metadata before the clock starts, as Vimur has done by the
  // time its first batch is sent.
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(rk, 0, rkt, &metadata, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "no metadata for %s\n", topic.c_str());
    return 1;
  }
  rd_kafka_metadata_destroy(metadata);

  auto start = std::chrono::steady_clock::now();
  for (const Record& r : records) {
    while (true) {
      rd_kafka_resp_err_t e = rd_kafka_producev(
          rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(0),
          RD_KAFKA_V_KEY(const_cast<char*>(r.key.data), r.key.size),
          RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data), r.value.size), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        std::fprintf(stderr, "produce failed: %s\n", rd_kafka_err2str(e));
        return 1;
      }
      rd_kafka_poll(rk, 10);
    }
    rd_kafka_poll(rk, 0);
  }
  while (g_delivered.load() < records.size()) rd_kafka_poll(rk, 5);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("messages=%zu bytes=%llu seconds=%.3f msgs_per_s=%.0f mb_per_s=%.1f errors=%llu\n",
              records.size(), static_cast<unsigned long long>(payload_bytes), seconds,
              records.size() / seconds, payload_bytes / seconds / 1e6,
              static_cast<unsigned long long>(g_errors.load()));
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return g_errors.load() == 0 ? 0 : 1;
}
