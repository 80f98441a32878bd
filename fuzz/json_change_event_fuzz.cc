// libFuzzer target for the sinks' reading of change events from topics: the input is split at
// the first newline into a record key and value, decoded as a JSON change event (the envelope
// split and the cached schema path included), which must fail cleanly on anything. A value in
// the Confluent wire format (first byte 0) goes through the Avro translation first, with a
// schema of every Avro kind (records, unions, arrays, maps, enums, fixed, decimals). The
// decoder's one-pass fast path must give exactly what the tree-based decoding gives, and the sql
// sink's direct Avro decoding exactly what decoding the translation gives. Schema id 1 has every
// Avro kind, id 2 is a flat envelope with a source (what the direct decoding reads), any other id
// a key record (tests/data/avro/fuzz-*.avsc).
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "sink/avro_translation.h"
#include "sink/json_envelope.h"
#include "sink/sql/avro_event_decoder.h"
#include "sink/sql/event_decoder.h"

namespace {

// The schemas of tests/data/avro/fuzz-*.avsc.
std::string SchemaFile(const char* name) {
  std::ifstream in(std::string(VIMUR_SOURCE_DIR) + "/tests/data/avro/" + name);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) __builtin_trap();  // run from a build of this source tree
  return text;
}

vimur::Result<std::string> SchemaById(int32_t id) {
  static const std::string every_kind = SchemaFile("fuzz-every-kind.avsc");
  static const std::string flat = SchemaFile("fuzz-flat-envelope.avsc");
  static const std::string key = SchemaFile("fuzz-key.avsc");
  return id == 1 ? every_kind : id == 2 ? flat : key;
}

bool SameRow(const vimur::sink::Row& a, const vimur::sink::Row& b) {
  return a.names == b.names && a.values == b.values && a.types == b.types;
}

bool SameChange(const vimur::sink::RowChange& a, const vimur::sink::RowChange& b) {
  return a.op == b.op && a.db == b.db && a.table == b.table && a.key_columns == b.key_columns &&
         a.has_before == b.has_before && a.has_after == b.has_after &&
         SameRow(a.before, b.before) && SameRow(a.after, b.after) &&
         a.source_ts_ms == b.source_ts_ms;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vimur::sink;
  static AvroToConnectJson avro(SchemaById);
  static AvroEventDecoder avro_decoder(SchemaById);
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
  if (IsConfluentAvro(*record.value) || (record.key && IsConfluentAvro(*record.key))) {
    if (!avro_decoder.Prepare({record}).ok()) __builtin_trap();
    auto direct = avro_decoder.Decode(record);
    for (std::optional<std::string>* bytes : {&record.key, &record.value}) {
      if (!*bytes || !IsConfluentAvro(**bytes)) continue;
      auto translated = avro.Translate(**bytes);
      if (!translated.ok()) {
        if (direct.ok()) __builtin_trap();
        return 0;
      }
      *bytes = std::move(translated).value();
    }
    auto json = DecodeJsonEvent(record);
    if (direct.ok() != json.ok()) __builtin_trap();
    if (direct.ok() && !SameChange(*direct, *json)) __builtin_trap();
    if (!direct.ok() && direct.status().message() != json.status().message()) __builtin_trap();
  }
  JsonEnvelopeParts parts;
  if (SplitJsonEnvelope(*record.value, &parts)) {
    // The parts are views inside the value.
    if (parts.schema.data() < record.value->data() ||
        parts.payload.data() + parts.payload.size() > record.value->data() + record.value->size()) {
      __builtin_trap();
    }
  }
  auto fast = DecodeJsonEvent(record);
  auto tree = DecodeJsonEventByTree(record);
  if (fast.ok() != tree.ok()) __builtin_trap();
  if (fast.ok() && !SameChange(*fast, *tree)) __builtin_trap();
  if (!fast.ok() && fast.status().message() != tree.status().message()) __builtin_trap();
  (void)DescribeRecordKey(record);
  return 0;
}
