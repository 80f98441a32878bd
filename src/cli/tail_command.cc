// `vimur tail`: prints the events of the topics matching a regex as JSON lines, as they arrive.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/config.h"
#include "core/logging.h"
#include "core/regex_pattern.h"
#include "registry/schema_registry_client.h"
#include "sink/avro_translation.h"
#include "sink/kafka_record_input.h"
#include "sink/local_record_input.h"
#include "transport/local/local_log_options.h"

namespace vimur::cli {
namespace {

constexpr const char* kTailUsage =
    R"(Usage: vimur tail --config FILE --topic REGEX [--from-beginning] [--max N]

Prints the events of the topics whose whole name matches REGEX (a topic name is a regex
that matches itself, dots included) as JSON lines on stdout, as they arrive:
  {"topic":..,"partition":..,"offset":..,"timestamp":..,"key":{..},"value":{..}}
(value null for a tombstone). Reads through FILE's transport (Kafka, or the embedded local
log under state_dir, also while `vimur run` writes it) as a consumer group of its own that
commits nothing, so it never moves a sink's resume point nor holds the local log's retention.

  --from-beginning  start at the oldest event kept (default: only new events)
  --max N           exit 0 after N events (default: until SIGINT or SIGTERM)
)";

std::atomic<bool> g_tail_stop{false};

void OnTailSignal(int) { g_tail_stop = true; }

nlohmann::json Parsed(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return *text;  // not JSON: the text as it is
  return j;
}

}  // namespace

int TailCommand(const std::vector<std::string>& args) {
  std::string config_path, topic;
  bool from_beginning = false;
  long long max = -1;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* what) -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "vimur tail: %s needs %s\n\n%s", a.c_str(), what, kTailUsage);
        return std::nullopt;
      }
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kTailUsage, stdout);
      return 0;
    } else if (a == "--config" || a == "-c") {
      auto v = value("a file path");
      if (!v) return 2;
      config_path = *v;
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a == "--topic") {
      auto v = value("a topic name or regex");
      if (!v) return 2;
      topic = *v;
    } else if (a.rfind("--topic=", 0) == 0) {
      topic = a.substr(8);
    } else if (a == "--from-beginning") {
      from_beginning = true;
    } else if (a == "--max") {
      auto v = value("a number of events");
      if (!v) return 2;
      char* end = nullptr;
      max = std::strtoll(v->c_str(), &end, 10);
      if (*end != '\0' || max < 1) {
        std::fprintf(stderr, "vimur tail: --max takes a positive number, not '%s'\n", v->c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "vimur tail: unknown argument '%s'\n\n%s", a.c_str(), kTailUsage);
      return 2;
    }
  }
  if (config_path.empty() || topic.empty()) {
    std::fprintf(stderr, "vimur tail: --config FILE and --topic REGEX are required\n\n%s",
                 kTailUsage);
    return 2;
  }
  if (auto check = RegexPattern::Compile(topic); !check.ok()) {
    std::fprintf(stderr, "vimur tail: --topic: %s\n", check.status().message().c_str());
    return 2;
  }
  auto config = LoadConfigFile(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "vimur tail: %s\n", config.status().message().c_str());
    return 2;
  }
  LogLevel level;
  if (ParseLogLevel(config->log_level, &level)) SetLogLevel(level);
  if (config->transport.type != "kafka" && config->transport.type != "local") {
    std::fprintf(stderr,
                 "vimur tail: %s has transport.type %s; tail reads Kafka topics or the local "
                 "log (set transport.type: kafka or local)\n",
                 config_path.c_str(), config->transport.type.c_str());
    return 2;
  }
  const std::string group =
      "vimur-tail." + config->name + "." + std::to_string(::getpid()) + "." +
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  std::unique_ptr<sink::RecordInput> input;
  if (config->transport.type == "local") {
    // Reads only: no .lock, no offsets file (tail never acknowledges).
    sink::LocalInputOptions o;
    o.log = local::LocalLogOptionsFor(*config);
    o.consumers_dir = local::LocalConsumersDir(*config);
    o.group_id = group;
    o.topic_regexes = {topic};
    o.sink_name = "tail";
    o.from_end = !from_beginning;
    input = std::make_unique<sink::LocalRecordInput>(o);
  } else {
    sink::KafkaInputOptions o;
    o.bootstrap_servers = config->transport.bootstrap_servers;
    o.group_id = group;
    o.topic_regexes = {topic};
    o.client_config = config->transport.client_config;
    o.sink_name = "tail";
    o.from_end = !from_beginning;
    input = std::make_unique<sink::KafkaRecordInput>(o);
  }
  if (config->format.type == "avro") {
    // Avro records print as the Connect JSON a sink reads: {"schema": ..., "payload": ...}.
    auto registry = registry::HttpSchemaRegistryClient::FromConfig(config->format);
    if (!registry.ok()) {
      std::fprintf(stderr, "vimur tail: %s\n", registry.status().message().c_str());
      return 2;
    }
    input = std::make_unique<sink::AvroDecodingInput>(
        std::move(input), [client = *registry](int32_t id) { return client->SchemaById(id); });
  }
  Status started = input->Start();
  if (!started.ok()) {
    std::fprintf(stderr, "vimur tail: %s\n", started.message().c_str());
    return 1;
  }
  std::signal(SIGINT, OnTailSignal);
  std::signal(SIGTERM, OnTailSignal);
  long long printed = 0;
  int rc = 0;
  while (!g_tail_stop.load() && (max < 0 || printed < max)) {
    auto batch = input->Poll(500, std::chrono::milliseconds(200));
    if (!batch.ok()) {
      if (!batch.status().retriable()) {
        std::fprintf(stderr, "vimur tail: %s\n", batch.status().message().c_str());
        rc = 1;
        break;
      }
      LOG_WARN << "tail: " << batch.status().message();
      continue;
    }
    for (const sink::InputRecord& r : *batch) {
      if (max >= 0 && printed >= max) break;
      nlohmann::ordered_json line;
      line["topic"] = r.topic;
      line["partition"] = r.partition;
      line["offset"] = r.offset;
      line["timestamp"] = r.timestamp_ms;
      line["key"] = Parsed(r.key);
      line["value"] = Parsed(r.value);
      std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fputc('\n', stdout);
      ++printed;
    }
    std::fflush(stdout);
  }
  input->Close();
  return rc;
}

}  // namespace vimur::cli
