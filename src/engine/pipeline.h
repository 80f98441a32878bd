// Pipeline: runs sources into a transport: capture threads feed a byte-bounded queue, the
// publisher serializes and sends, and positions are committed only after acknowledgement.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "core/config.h"
#include "engine/bounded_queue.h"
#include "source/source.h"
#include "transport/transport.h"

namespace vimur {

struct PipelineParts {
  std::vector<std::unique_ptr<Source>> sources;  // one per config.sources entry, same order
  std::unique_ptr<Transport> transport;          // owns the offset store too (Transport::offsets)
};

// Builds the parts a configuration describes (real sources and transports).
Result<PipelineParts> BuildPipelineParts(const PipelineConfig& config);

class Pipeline {
 public:
  Pipeline(PipelineConfig config, PipelineParts parts);
  // Runs until `stop` is set (then drains, flushes, commits and returns OK) or a fatal error.
  Status Run(const std::atomic<bool>& stop);
  // Stops publishing at once, from any thread (high availability: another process owns the
  // sources now): the transport refuses further sends and gives up what it holds; Run returns
  // once `stop` is set too. With exactly_once nothing more commits, events or positions.
  void Abandon();

 private:
  struct Item;
  Result<Position> StartPosition(size_t source_index);
  // Runs source `i` into `queue` until `stop`, restarting it with backoff after a retriable
  // failure (restart_max_attempts), from the end of the last transaction it delivered. Returns its
  // final error when it cannot recover (the pipeline then stops), OK when stopped.
  Status RunSource(size_t i, const Position& start, ByteBoundedQueue<Item>& queue,
                   const std::atomic<bool>& stop);
  Status CommitPosition(size_t source_index, const Position& position);

  PipelineConfig config_;
  PipelineParts parts_;
};

}  // namespace vimur
