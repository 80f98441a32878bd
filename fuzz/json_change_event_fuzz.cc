// libFuzzer target for the sinks' reading of change events from topics: the input is split at
// the first newline into a record key and value, decoded as a JSON change event (the envelope
// split and the cached schema path included), which must fail cleanly on anything. A value in
// the Confluent wire format (first byte 0) goes through the Avro translation first, with a
// schema of every Avro kind (records, unions, arrays, maps, enums, fixed, decimals). The
// decoder's one-pass fast path must give exactly what the tree-based decoding gives, and the sql
// sink's direct Avro decoding exactly what decoding the translation gives. Schema id 1 has every
// Avro kind, id 2 a flat envelope with a source (what the direct decoding reads), any other id a
// key record.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sink/avro_translation.h"
#include "sink/json_envelope.h"
#include "sink/sql/avro_event_decoder.h"
#include "sink/sql/event_decoder.h"

namespace {

constexpr const char* kAvroSchema = R"({"type":"record","name":"Envelope","namespace":"f.db.t",
  "fields":[
  {"name":"before","type":["null",{"type":"record","name":"Value","fields":[
    {"name":"id","type":"long"},
    {"name":"d","type":["null",{"type":"bytes","scale":2,"precision":10,"logicalType":"decimal",
      "connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal"}]},
    {"name":"s","type":{"type":"int","connect.type":"int16"}},
    {"name":"f","type":"float"},{"name":"g","type":"double"},{"name":"b","type":"boolean"},
    {"name":"a","type":["null",{"type":"array","items":["null","string"]}]},
    {"name":"m","type":{"type":"map","values":"long"}},
    {"name":"e","type":{"type":"enum","name":"E","symbols":["x","y"]}},
    {"name":"x","type":{"type":"fixed","name":"X","size":3}}]}],"default":null},
  {"name":"after","type":["null","f.db.t.Value"],"default":null},
  {"name":"op","type":"string"},{"name":"ts_ms","type":["null","long"]}]})";

constexpr const char* kFlatSchema = R"({"type":"record","name":"Envelope","namespace":"f.db.u",
  "fields":[
  {"name":"before","type":["null",{"type":"record","name":"Value","fields":[
    {"name":"id","type":"long"},
    {"name":"d","type":["null",{"type":"bytes","scale":2,"precision":10,"logicalType":"decimal",
      "connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal"}]},
    {"name":"s","type":{"type":"int","connect.type":"int16"}},
    {"name":"f","type":"float"},{"name":"g","type":["null","double"]},{"name":"b","type":"boolean"},
    {"name":"e","type":{"type":"enum","name":"E","symbols":["x","y"]}},
    {"name":"x","type":{"type":"fixed","name":"X","size":3}},
    {"name":"t","type":["null","string"]},
    {"name":"z","type":{"type":"string","connect.name":"io.debezium.time.ZonedTimestamp"}},
    {"name":"day","type":{"type":"int","connect.name":"io.debezium.time.Date"}},
    {"name":"at","type":{"type":"long","connect.name":"io.debezium.time.MicroTimestamp"}},
    {"name":"ms","type":{"type":"long","connect.name":"io.debezium.time.Timestamp"}}]}],
    "default":null},
  {"name":"after","type":["null","f.db.u.Value"],"default":null},
  {"name":"source","type":{"type":"record","name":"Source","fields":[
    {"name":"version","type":"string"},{"name":"db","type":"string"},
    {"name":"table","type":["null","string"]},{"name":"ts_ms","type":"long"},
    {"name":"pos","type":["null","long"]}]}},
  {"name":"op","type":"string"},{"name":"ts_ms","type":["null","long"]}]})";

constexpr const char* kKeySchema =
    R"({"type":"record","name":"Key","namespace":"f.db.u","fields":[{"name":"id","type":"long"}]})";

vimur::Result<std::string> SchemaById(int32_t id) {
  return std::string(id == 1 ? kAvroSchema : id == 2 ? kFlatSchema : kKeySchema);
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
