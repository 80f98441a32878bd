// Archived binlogs (`binlog_archive`): when a source's stored position was purged from the
// server, the missing transactions are read from copies of the binlog files in a directory.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "source/mysql/mysql_source.h"

namespace vimur::mysql {

struct ArchiveCatchUp {
  std::vector<std::string> files;  // archived files read, in order
  uint64_t events = 0;
};

// Reads the files of `dir` from the assembler's position on (the file's format description,
// then the events from the stored offset), following the rotations from file to file, until
// the stream reaches a file in `server_binlogs`: the server continues from its start. Fails
// naming the gap when a file is in neither place, or when an archived copy ends without a
// rotation (copied while still written) before the server's files begin.
Result<ArchiveCatchUp> CatchUpFromArchive(const std::string& dir,
                                          const std::vector<std::string>& server_binlogs,
                                          BinlogTransactionAssembler& assembler,
                                          const TransactionConsumer& emit,
                                          const std::atomic<bool>& stop, bool* stopped);

}  // namespace vimur::mysql
