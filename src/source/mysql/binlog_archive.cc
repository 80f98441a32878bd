#include "source/mysql/binlog_archive.h"

#include <algorithm>
#include <filesystem>

#include "source/mysql/binlog_file_reader.h"

namespace vimur::mysql {

Result<ArchiveCatchUp> CatchUpFromArchive(const std::string& dir,
                                          const std::vector<std::string>& server_binlogs,
                                          BinlogTransactionAssembler& assembler,
                                          const TransactionConsumer& emit,
                                          const std::atomic<bool>& stop, bool* stopped) {
  auto on_server = [&](const std::string& file) {
    return std::find(server_binlogs.begin(), server_binlogs.end(), file) != server_binlogs.end();
  };
  const std::string first_on_server = server_binlogs.empty() ? "(none)" : server_binlogs.front();
  ArchiveCatchUp done;
  std::string file = assembler.stream_position().file;
  uint64_t skip_before = assembler.stream_position().pos;
  while (!on_server(file) && !stop.load() && !*stopped) {
    const std::string path = dir + "/" + file;
    if (!std::filesystem::exists(path)) {
      return Status::FailedPrecondition(
          "binlog " + file + " is neither on the server (its binlogs start at " + first_on_server +
          ") nor in binlog_archive " + dir +
          ": the changes it held cannot be read; copy it there, or remove the stored offset to "
          "start again (snapshot: when_needed takes a new snapshot in such a case)");
    }
    VIMUR_ASSIGN_OR_RETURN(auto reader, BinlogFileReader::Open(path));
    bool first = true;
    while (!stop.load() && !*stopped) {
      auto event = reader->Next();
      if (!event.ok()) return event.status().WithContext("reading archived binlog " + path);
      if (!*event) break;
      // The format description (first) is always read; then nothing before the stored offset.
      if (!first && reader->position() < skip_before) continue;
      first = false;
      VIMUR_RETURN_IF_ERROR(assembler.Process(**event, emit, stopped)
                                .WithContext("archived binlog " + path + " at " +
                                             std::to_string(reader->position())));
      ++done.events;
    }
    done.files.push_back(file);
    if (stop.load() || *stopped) break;
    const std::string next = assembler.stream_position().file;
    if (next == file) {
      return Status::FailedPrecondition(
          "archived binlog " + path + " ends at byte " + std::to_string(reader->next_position()) +
          " without a rotation to the next file (a copy of a file still being written?), and "
          "the server's binlogs start at " +
          first_on_server + ": the changes between cannot be read; copy the whole file again");
    }
    file = next;
    skip_before = 0;
  }
  return done;
}

}  // namespace vimur::mysql
