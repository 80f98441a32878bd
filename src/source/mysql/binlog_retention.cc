#include "source/mysql/binlog_retention.h"

namespace vimur::mysql {

BinlogRetention RetainedFrom(const std::vector<std::pair<std::string, uint64_t>>& logs,
                             const std::string& file, uint64_t pos) {
  BinlogRetention out;
  bool listed = false;
  for (const auto& [name, size] : logs) listed |= name == file;
  bool counting = !listed;
  for (const auto& [name, size] : logs) {
    if (name == file) {
      counting = true;
      out.bytes += size > pos ? size - pos : 0;
      ++out.files;
    } else if (counting) {
      out.bytes += size;
      ++out.files;
    }
  }
  return out;
}

}  // namespace vimur::mysql
