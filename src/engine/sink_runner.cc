#include "engine/sink_runner.h"

#include <thread>

#include "core/logging.h"
#include "core/metrics_probes.h"
#include "core/thread_name.h"
#include "registry/schema_registry_client.h"
#include "sink/avro_translation.h"
#include "sink/enrich/enriching_input.h"
#include "sink/http/http_sink.h"
#include "sink/kafka_record_input.h"
#include "sink/local_record_input.h"
#include "sink/redis/redis_sink.h"
#include "sink/search/search_sink.h"
#include "sink/sql/sql_sink.h"
#include "transport/local/local_log_options.h"

namespace vimur {

std::string SinkStateDir(const PipelineConfig& config, const SinkConfig& s) {
  return config.state_dir + "/" + config.name + "/sinks/" + s.name;
}

Result<std::unique_ptr<sink::Sink>> MakeSink(const PipelineConfig& config, const SinkConfig& s,
                                             sink::SchemaFetcher avro_schemas) {
  std::unique_ptr<sink::Sink> made;
  if (s.type == "sql") {
    made = std::make_unique<sink::SqlSink>(s, config.format, std::move(avro_schemas));
  } else if (s.type == "redis") {
    made = std::make_unique<sink::RedisSink>(s, std::move(avro_schemas));
  } else if (s.type == "http") {
    made = std::make_unique<sink::HttpSink>(s);
  } else if (s.type == "search") {
    made = std::make_unique<sink::SearchSink>(s, SinkStateDir(config, s), std::move(avro_schemas));
  } else {
    return Status::InvalidArgument("sink " + s.name + ": type '" + s.type +
                                   "' is not available in this version; use sql, redis, http or "
                                   "search");
  }
  VIMUR_RETURN_IF_ERROR(made->Open());
  return made;
}

Result<std::unique_ptr<SinkRunner>> SinkRunner::Make(const PipelineConfig& config) {
  auto runner = std::unique_ptr<SinkRunner>(new SinkRunner());
  // Avro topics: the sql, redis and search sinks read them directly; the http sink's input (it
  // posts the events) and an enriched sink's hand them on as Connect JSON. Schemas by id from
  // the registry (one client, shared).
  sink::SchemaFetcher fetch;
  if (config.format.type == "avro" && !config.sinks.empty()) {
    VIMUR_ASSIGN_OR_RETURN(auto registry,
                           registry::HttpSchemaRegistryClient::FromConfig(config.format));
    fetch = [registry](int32_t id) { return registry->SchemaById(id); };
  }
  auto reads_avro = [&](const SinkConfig& s) {
    return fetch && s.type != "http" && s.enrich.empty();
  };
  auto input_for =
      [&](const SinkConfig& s,
          std::unique_ptr<sink::RecordInput> input) -> Result<std::unique_ptr<sink::RecordInput>> {
    if (fetch && !reads_avro(s)) {
      input = std::make_unique<sink::AvroDecodingInput>(std::move(input), fetch);
    }
    if (s.enrich.empty()) return input;
    VIMUR_ASSIGN_OR_RETURN(
        auto enriching,
        sink::EnrichingInput::Make(std::move(input), s, SinkStateDir(config, s) + "/enrich"));
    return std::unique_ptr<sink::RecordInput>(std::move(enriching));
  };
  for (const SinkConfig& s : config.sinks) {
    if (config.transport.type != "kafka" && config.transport.type != "local") {
      return Status::InvalidArgument("sink " + s.name +
                                     " reads the transport's topics: set "
                                     "transport.type: local (the embedded log) or kafka; "
                                     "stdout cannot feed sinks");
    }
    VIMUR_ASSIGN_OR_RETURN(auto made,
                           MakeSink(config, s, reads_avro(s) ? fetch : sink::SchemaFetcher()));
    metrics::SinkProbe::For(s.name).up.Set(0);  // listed in /health until it runs
    if (config.transport.type == "local") {
      sink::LocalInputOptions o;
      o.log = local::LocalLogOptionsFor(config);
      o.consumers_dir = local::LocalConsumersDir(config);
      o.group_id = s.group_id;
      o.topic_regexes = sink::EnrichingInput::TopicsToRead(s);
      o.dead_letter_topic = s.dead_letter_topic;
      o.sink_name = s.name;
      VIMUR_ASSIGN_OR_RETURN(auto input, input_for(s, std::make_unique<sink::LocalRecordInput>(o)));
      runner->entries_.push_back({std::move(made), std::move(input)});
      continue;
    }
    sink::KafkaInputOptions o;
    o.bootstrap_servers = config.transport.bootstrap_servers;
    o.group_id = s.group_id;
    o.topic_regexes = sink::EnrichingInput::TopicsToRead(s);
    o.client_config = config.transport.client_config;
    o.dead_letter_topic = s.dead_letter_topic;
    o.replication_factor = config.transport.topic.replication_factor;
    o.sink_name = s.name;
    VIMUR_ASSIGN_OR_RETURN(auto input, input_for(s, std::make_unique<sink::KafkaRecordInput>(o)));
    runner->entries_.push_back({std::move(made), std::move(input)});
  }
  return runner;
}

Status SinkRunner::Run(const std::atomic<bool>& stop) {
  std::atomic<bool> halt{false};
  std::vector<Status> results(entries_.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < entries_.size(); ++i) {
    threads.emplace_back([&, i] {
      SetThreadName("sink:" + entries_[i].sink->name());
      results[i] = entries_[i].sink->Run(*entries_[i].input, halt);
      if (!results[i].ok()) {
        LOG_ERROR << "sink " << entries_[i].sink->name() << " stopped: " << results[i].message();
        halt = true;
      }
    });
  }
  while (!halt.load()) {
    if (stop.load()) halt = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace vimur
