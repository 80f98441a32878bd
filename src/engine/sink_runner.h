// SinkRunner: runs the configured sinks inside `vimur run`, each on a thread of its own with
// its own input (a Kafka consumer group), until stopped or until one fails.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "core/config.h"
#include "sink/avro_translation.h"
#include "sink/record_input.h"
#include "sink/sink.h"

namespace vimur {

class SinkRunner {
 public:
  // Builds and opens every sink of `config` (configuration errors are reported here).
  static Result<std::unique_ptr<SinkRunner>> Make(const PipelineConfig& config);
  // Runs all sinks until `stop` (returns OK) or until one fails (the others are stopped and
  // its error returned).
  Status Run(const std::atomic<bool>& stop);

 private:
  struct Entry {
    std::unique_ptr<sink::Sink> sink;
    std::unique_ptr<sink::RecordInput> input;
  };
  std::vector<Entry> entries_;
};

// The directory of a sink's local state: STATE_DIR/PIPELINE/sinks/NAME.
std::string SinkStateDir(const PipelineConfig& config, const SinkConfig& s);

// Builds the sink `s` of `config`, opened (also for `vimur verify`). `avro_schemas`: the sink
// (not http) reads Avro records directly with these (none: its input hands on JSON).
Result<std::unique_ptr<sink::Sink>> MakeSink(const PipelineConfig& config, const SinkConfig& s,
                                             sink::SchemaFetcher avro_schemas = nullptr);

}  // namespace vimur
