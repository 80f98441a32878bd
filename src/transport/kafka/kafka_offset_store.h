// KafkaOffsetStore: source positions in a compacted Kafka topic, one record per
// ["pipeline", "source"] key. The transport writes them with the batches they end; this
// store reads them back (read_committed) and writes a position that travels with no batch.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "transport/kafka/kafka_options.h"
#include "transport/offset_store.h"

namespace vimur::kafka {

// The offsets-topic key for a source: the JSON array ["pipeline", "source"].
std::string OffsetKey(const std::string& pipeline, const std::string& source);

class KafkaOffsetStore : public OffsetStore {
 public:
  // `commit` writes a position through the transport's producer (as an empty batch, in
  // exactly-once mode a transaction of its own) and returns once it is durable.
  using CommitFn = std::function<Status(const std::string& source, const Position& position)>;
  KafkaOffsetStore(const KafkaTransportOptions& options, CommitFn commit)
      : options_(options), commit_(std::move(commit)) {}

  // Reads the offsets topic to its end and returns the last position stored for the source.
  // With exactly-once call it after the transport started, which fences an earlier instance
  // so that its open transaction does not hold the read back.
  Result<std::optional<Position>> Load(const std::string& source_name) override;
  Status Commit(const std::string& source_name, const Position& position) override {
    return commit_(source_name, position);
  }
  bool WrittenWithBatches() const override { return true; }

 private:
  const KafkaTransportOptions& options_;
  CommitFn commit_;
};

}  // namespace vimur::kafka
