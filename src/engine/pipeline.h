// Pipeline: runs sources into a transport: capture threads feed a byte-bounded queue, the
// publisher serializes and sends, and positions are committed only after acknowledgement.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "core/config.h"
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

 private:
  struct Item;
  Result<Position> StartPosition(size_t source_index);
  Status CommitPosition(size_t source_index, const Position& position);

  PipelineConfig config_;
  PipelineParts parts_;
};

}  // namespace vimur
