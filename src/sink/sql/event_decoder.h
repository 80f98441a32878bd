// Decodes Vimur's (Debezium's) JSON change events, with or without the embedded Kafka Connect
// schema, into rows of SqlValues the SQL targets can write.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "sink/record_input.h"
#include "sink/sql/sql_value.h"

namespace vimur::sink {

struct RowChange {
  char op = 0;  // 'c' insert, 'u' update, 'd' delete, 'r' snapshot read; 0: nothing to apply
  std::string db;
  std::string table;
  std::vector<std::string> key_columns;  // from the record's key, in its order
  bool has_before = false;
  bool has_after = false;
  Row before;
  Row after;
  int64_t source_ts_ms = 0;  // commit time at the source
};

// Decodes `record`. A tombstone or a truncate yields op 0 (nothing to apply). Errors name the
// record's topic, partition and offset.
Result<RowChange> DecodeJsonEvent(const InputRecord& record);
// `decode` of each record of `batch`, in order. A large batch is split and decoded on two
// threads where the machine has more than one core (`decode` must allow that).
std::vector<Result<RowChange>> DecodeEach(
    const std::vector<InputRecord>& batch,
    const std::function<Result<RowChange>(const InputRecord&)>& decode);
// DecodeJsonEvent of each record of `batch` (DecodeEach).
std::vector<Result<RowChange>> DecodeJsonEvents(const std::vector<InputRecord>& batch);
// The same without the one-pass fast path (a JSON tree throughout): what DecodeJsonEvent must
// equal, for tests and the fuzz target.
Result<RowChange> DecodeJsonEventByTree(const InputRecord& record);

// The record's key for messages: the key object without its embedded schema, cut short.
std::string DescribeRecordKey(const InputRecord& record);

// Helpers, public for tests: Connect Decimal bytes (big-endian two's complement) with `scale`
// as decimal text; days since the epoch (a Connect Date is an INT32) as YYYY-MM-DD;
// microseconds since the epoch as YYYY-MM-DD HH:MM:SS[.ffffff]; microseconds of a day as
// [-]HH:MM:SS[.ffffff].
std::string DecimalText(const std::string& unscaled_big_endian, int scale);
std::string DateText(int32_t days);
std::string DateTimeText(int64_t micros);
std::string TimeText(int64_t micros);
Result<std::string> Base64Decode(const std::string& text);

}  // namespace vimur::sink
