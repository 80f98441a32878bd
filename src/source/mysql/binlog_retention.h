// How much binary log the server keeps for a source: the files from the source's resume
// position to the newest, and their bytes after that position (a metric for operators).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vimur::mysql {

struct BinlogRetention {
  uint64_t files = 0;  // files from the resume position's file to the newest, both included
  uint64_t bytes = 0;  // their sizes, less the part of the first before the position
};

// From `logs` (SHOW BINARY LOGS: name and size, oldest first) and the resume position. A file
// no longer listed (purged) counts everything the server has.
BinlogRetention RetainedFrom(const std::vector<std::pair<std::string, uint64_t>>& logs,
                             const std::string& file, uint64_t pos);

}  // namespace vimur::mysql
