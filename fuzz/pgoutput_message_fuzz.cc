// libFuzzer target for the pgoutput message parser and the transaction assembler: the input
// is split at 0xFF bytes into messages, parsed on their own and fed in order to an assembler
// (with and without the streamed-transaction framing, streamed transactions spooled to files
// and replayed at their Stream Commit), which must fail cleanly on anything.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/config.h"
#include "source/postgresql/pgoutput_assembler.h"
#include "source/postgresql/pgoutput_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vimur;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  SourceConfig config;
  config.name = "fuzz";
  config.topic_prefix = "fuzz";
  config.decimal_handling_mode = size % 2 == 0 ? "precise" : "string";
  // Streamed transactions are spooled (and their files removed with the assembler).
  config.spool_dir = "/tmp/vimur-pgoutput-fuzz-spool";
  postgresql::PgOutputAssembler assembler(config, "db");
  assembler.set_chunk_bytes(1024);
  size_t emitted = 0;
  auto emit = [&](Transaction&& t) {
    emitted += t.events.size();
    return true;
  };
  while (!input.empty()) {
    const size_t cut = input.find('\xff');
    std::string_view message = input.substr(0, cut);
    input = cut == std::string_view::npos ? std::string_view() : input.substr(cut + 1);
    (void)postgresql::ParsePgOutputMessage(message, /*in_stream=*/true);
    bool stopped = false;
    if (!assembler.Process(message, emit, &stopped).ok()) break;
  }
  (void)emitted;
  return 0;
}
