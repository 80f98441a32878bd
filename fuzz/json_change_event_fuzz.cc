// libFuzzer target for the sinks' reading of change events from topics: the input is split at
// the first newline into a record key and value, decoded as a JSON change event (the envelope
// split and the cached schema path included), which must fail cleanly on anything.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sink/json_envelope.h"
#include "sink/sql/event_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vimur::sink;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  InputRecord record;
  record.topic = "fuzz";
  const size_t cut = input.find('\n');
  if (cut == std::string_view::npos) {
    record.value = std::string(input);
  } else {
    record.key = std::string(input.substr(0, cut));
    record.value = std::string(input.substr(cut + 1));
  }
  JsonEnvelopeParts parts;
  if (SplitJsonEnvelope(*record.value, &parts)) {
    // The parts are views inside the value.
    if (parts.schema.data() < record.value->data() ||
        parts.payload.data() + parts.payload.size() > record.value->data() + record.value->size()) {
      __builtin_trap();
    }
  }
  (void)DecodeJsonEvent(record);
  (void)DescribeRecordKey(record);
  return 0;
}
