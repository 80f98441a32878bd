// RecordBuilder: records over their topic's limit (`on_oversized_event`), and where an
// event came from for errors about it.
#include <algorithm>

#include "core/logging.h"
#include "engine/record_builder.h"

namespace vimur {
namespace {

// Whether a value may be replaced by the marker: text and binary payloads, never numbers,
// decimals, times or keys.
bool Truncatable(const ColumnSchema& c, const Value& v) {
  if (v.kind != ValueKind::kText && v.kind != ValueKind::kBytes) return false;
  return c.type == LogicalType::kString || c.type == LogicalType::kJson ||
         c.type == LogicalType::kXml || c.type == LogicalType::kBytes;
}

}  // namespace

std::string RecordBuilder::Place(const ChangeEvent& event) {
  const SourceInfo& at = *event.source;
  return event.table->qualified_name() + " at " +
         (at.file.empty() ? "lsn " + std::to_string(at.lsn)
                          : at.file + ":" + std::to_string(at.pos));
}

size_t RecordBuilder::LimitFor(const std::string& topic) const {
  auto it = options_.topic_max_record_bytes.find(topic);
  return it != options_.topic_max_record_bytes.end() ? it->second : options_.max_record_bytes;
}

Status RecordBuilder::HandleOversized(const ChangeEvent& event, int64_t ts_ms, size_t limit,
                                      std::string_view* topic, std::string* truncated) {
  const size_t size = key_.size() + value_.size();
  const std::string what = "a change of " + Place(event) + " serializes to " +
                           std::to_string(size) + " bytes, over the " + std::to_string(limit) +
                           " that topic " + std::string(*topic) + " takes";
  switch (options_.oversized) {
    case OversizedPolicy::kStop:
      return Status::FailedPrecondition(
          what +
          " (its max.message.bytes, or the producer's message.max.bytes); raise it "
          "with transport.topic.config / topic_overrides, or set "
          "transport.on_oversized_event: dead_letter or truncate");
    case OversizedPolicy::kDeadLetter:
      LOG_WARN << what << "; sent whole to " << options_.oversized_topic
               << " (on_oversized_event: dead_letter)";
      *topic = options_.oversized_topic;
      return Status::Ok();
    case OversizedPolicy::kTruncate: break;
  }
  // The largest replaceable values first, until the record fits.
  const TableSchema& t = *event.table;
  struct Candidate {
    bool after;
    size_t column;
    size_t bytes;
  };
  std::vector<Candidate> candidates;
  for (bool after : {true, false}) {
    const std::vector<Value>& row = after ? event.after : event.before;
    for (size_t i = 0; i < row.size() && i < t.columns.size(); ++i) {
      const bool key =
          std::find(t.key_columns.begin(), t.key_columns.end(), i) != t.key_columns.end();
      if (key || !Truncatable(t.columns[i], row[i])) continue;
      if (row[i].s.size() > kTruncatedMarker.size()) {
        candidates.push_back({after, i, row[i].s.size()});
      }
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.bytes > b.bytes; });
  ChangeEvent copy = event;
  std::vector<std::string> names;
  for (const Candidate& c : candidates) {
    Value& v = (c.after ? copy.after : copy.before)[c.column];
    v = v.kind == ValueKind::kBytes ? Value::Bytes(kTruncatedMarker)
                                    : Value::Text(kTruncatedMarker);
    const std::string& name = t.columns[c.column].name;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    key_.Clear();
    value_.Clear();
    VIMUR_RETURN_IF_ERROR(serializer_->AppendKey(copy, &key_).status());
    VIMUR_RETURN_IF_ERROR(serializer_->AppendValue(copy, ts_ms, &value_));
    if (key_.size() + value_.size() <= limit) {
      for (const std::string& n : names) *truncated += (truncated->empty() ? "" : ",") + n;
      LOG_WARN << what << "; values of " << *truncated << " replaced by " << kTruncatedMarker
               << " (on_oversized_event: truncate), header " << kTruncatedHeader;
      return Status::Ok();
    }
  }
  return Status::FailedPrecondition(what + ", and still " +
                                    std::to_string(key_.size() + value_.size()) +
                                    " bytes with every text and binary value truncated; raise "
                                    "the topic's max.message.bytes");
}

}  // namespace vimur
