// Replays every input kept in tests/data/fuzz/binlog_event_parser/ (the fuzzer's seeds and any
// crash it ever found, minimized) through the fuzz target's entry point, under the sanitizers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

// The fuzz target's function, renamed so it cannot clash with other targets linked here.
#define LLVMFuzzerTestOneInput BinlogEventParserFuzzOne
#include "../../../../fuzz/binlog_event_parser_fuzz.cc"
#undef LLVMFuzzerTestOneInput

namespace vimur::mysql {
namespace {

TEST(BinlogEventParserFuzzRegression, ReplaysEveryKeptInput) {
  const std::filesystem::path dir =
      std::filesystem::path(VIMUR_TEST_DATA_DIR) / "fuzz" / "binlog_event_parser";
  size_t replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_EQ(BinlogEventParserFuzzOne(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
              0);
    ++replayed;
  }
  EXPECT_GE(replayed, 20u) << "the corpus in " << dir << " is missing";
}

}  // namespace
}  // namespace vimur::mysql
