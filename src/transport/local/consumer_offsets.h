// The committed offsets of the consumer groups reading the local log
// (state_dir/<name>/consumers/<group>.json), as retention reads them to wait for slow groups.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "core/status.h"

namespace vimur::local {

struct SlowestReader {
  int64_t next = 0;   // the smallest next offset a group committed
  std::string group;  // that group
};

// Per (topic, partition): the group that has read the least of it. A group that committed
// nothing for a partition does not hold it; an absent directory is no group; a file that
// does not parse is skipped with LOG_WARN (remove it to release what it holds).
Result<std::map<std::pair<std::string, int>, SlowestReader>> SlowestReaders(
    const std::string& consumers_dir);

}  // namespace vimur::local
