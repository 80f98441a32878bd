// The key and value of a routed outbox event (Debezium's outbox event router): one column's
// value as itself, in JSON (optionally with its Connect schema) and as an Avro primitive.
#pragma once

#include <string>

#include "core/value.h"

namespace vimur {

// The Connect type of a value (string, int64, double, boolean, bytes); OutboxAvroSchema gives
// its Avro type.
const char* OutboxConnectType(const Value& v);
// The Avro schema of the value's type: "string", "long", "double", "boolean" or "bytes".
std::string OutboxAvroSchema(const Value& v);

// Appends the value as JSON: `schemas` wraps it as {"schema":{...},"payload":...};
// `expand_json` writes text that parses as JSON as itself instead of as a JSON string.
void AppendOutboxJson(const Value& v, bool schemas, bool expand_json, std::string* out);

}  // namespace vimur
