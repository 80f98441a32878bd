// libFuzzer target for the local log's on-disk readers: the input is read as a segment file
// (records) and as a commit log (commit records), which must fail cleanly on anything.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transport/local/commit_log.h"
#include "transport/local/segment_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vimur::local;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  LogSegmentReader records(input, "fuzz.log");
  LogRecordView r;
  size_t total = 0;
  while (true) {
    auto got = records.Next(&r);
    if (!got.ok() || !*got) break;
    total += (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
  }
  LogSegmentReader commits(input, "__commits");
  std::string_view body;
  while (true) {
    auto got = commits.NextFrame(&body);
    if (!got.ok() || !*got) break;
    (void)CommitState::Decode(body);
  }
  // Unframed bodies too, so the parsers see inputs without a valid CRC in front.
  (void)ParseRecordBody(input, &r);
  (void)CommitState::Decode(input);
  (void)total;
  return 0;
}
