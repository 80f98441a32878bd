// What the http sink POSTs: events as JSON (the record's value as written, or the flattened
// row like Debezium's ExtractNewRecordState), split by record key into request bodies, and the
// HMAC-SHA256 signature of a body.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sink/record_input.h"
#include "sink/sql/event_decoder.h"

namespace vimur::sink {

// The event JSON of one record: its value as written (`flatten` false), or the row (after-image;
// the before-image of a delete) with __op, __db, __table, __source_ts_ms and __deleted.
std::string EventJson(const InputRecord& record, const RowChange& change, bool flatten);

// One request: the records it carries (in input order) and their events.
struct HttpGroup {
  std::vector<const InputRecord*> records;
  std::vector<std::string> events;
  std::string Body() const;  // a JSON array of the events
};

// Which of `groups` a record goes to: all records of one key go to the same one.
size_t GroupOf(const InputRecord& record, size_t groups);

// "sha256=" and the lower-case hex HMAC-SHA256 of `body` with `secret`.
std::string SignatureHeaderValue(const std::string& secret, const std::string& body);

}  // namespace vimur::sink
