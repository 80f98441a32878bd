// FileOffsetStore: the OffsetStore of transports that keep no positions of their own (stdout):
// one JSON file per source in state_dir, replaced atomically (write, fsync, rename).
#pragma once

#include <optional>
#include <string>

#include "core/position.h"
#include "core/status.h"
#include "transport/offset_store.h"

namespace vimur {

class FileOffsetStore : public OffsetStore {
 public:
  // `pipeline` names the subdirectory of `state_dir`, so pipelines can share a state_dir.
  FileOffsetStore(std::string state_dir, std::string pipeline);
  Result<std::optional<Position>> Load(const std::string& source_name) override;
  Status Commit(const std::string& source_name, const Position& position) override;
  std::string PathFor(const std::string& source_name) const;

 private:
  std::string dir_;
};

}  // namespace vimur
