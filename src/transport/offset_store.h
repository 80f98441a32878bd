// OffsetStore: where a pipeline's resume Position per source lives. Each transport owns the one
// that fits it (Kafka: the offsets topic; stdout: files in state_dir) and hands it to the engine.
#pragma once

#include <optional>
#include <string>

#include "core/position.h"
#include "core/status.h"

namespace vimur {

class OffsetStore {
 public:
  virtual ~OffsetStore() = default;
  // The position stored for `source_name`; nullopt when none is.
  virtual Result<std::optional<Position>> Load(const std::string& source_name) = 0;
  // Stores `position` for `source_name` durably before returning.
  virtual Status Commit(const std::string& source_name, const Position& position) = 0;
  // True when the transport writes each acknowledged batch's end here itself (Kafka: the
  // offset record follows the batch, in exactly-once mode inside the same transaction), so a
  // batch's on_acked(OK) means its position is durable. Otherwise the engine commits the
  // positions of acknowledged batches with Commit.
  virtual bool WrittenWithBatches() const { return false; }
};

}  // namespace vimur
