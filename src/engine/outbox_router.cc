#include "engine/outbox_router.h"

#include "core/logging.h"

namespace vimur {
namespace {

constexpr std::string_view kPlaceholder = "${routedByValue}";

// The text of a value naming a topic or an event id.
std::string ValueText(const Value& v) {
  switch (v.kind) {
    case ValueKind::kInt: return std::to_string(v.i);
    case ValueKind::kUInt: return std::to_string(v.u);
    case ValueKind::kText:
    case ValueKind::kBytes: return std::string(v.s);
    default: return "";
  }
}

}  // namespace

OutboxRouter::OutboxRouter(OutboxConfig config)
    : config_(std::move(config)), tables_(config_.tables) {}

const OutboxRouter::Columns& OutboxRouter::ColumnsOf(const TableSchema& table) {
  auto it = columns_.find(&table);
  if (it != columns_.end()) return it->second;
  constexpr size_t kMaxShapes = 256;
  if (columns_.size() >= kMaxShapes) columns_.clear();
  Columns c;
  c.outbox = tables_.AnyMatches(table.qualified_name());
  auto index = [&](const std::string& name) {
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (table.columns[i].name == name) return static_cast<int>(i);
    }
    return -1;
  };
  c.id = index(config_.id);
  c.key = index(config_.key);
  c.payload = index(config_.payload);
  c.route_by = index(config_.route_by);
  return columns_.emplace(&table, c).first->second;
}

bool OutboxRouter::Routes(const ChangeEvent& event) {
  return event.table && !tables_.empty() && ColumnsOf(*event.table).outbox;
}

Status OutboxRouter::Append(const ChangeEvent& event, EventSerializer& serializer,
                            OutgoingBatch* out) {
  const TableSchema& t = *event.table;
  if (event.op == Op::kDelete) return Status::Ok();
  if (event.op == Op::kUpdate) {
    if (!warned_updates_[t.qualified_name()]) {
      warned_updates_[t.qualified_name()] = true;
      LOG_WARN << "outbox table " << t.qualified_name()
               << " had an update, which is no event: skipped (outbox rows are inserted, then "
                  "deleted; this is logged once per table)";
    }
    return Status::Ok();
  }
  const Columns& c = ColumnsOf(t);
  for (const auto& [column, index] :
       {std::pair{&config_.id, c.id}, std::pair{&config_.key, c.key},
        std::pair{&config_.payload, c.payload}, std::pair{&config_.route_by, c.route_by}}) {
    if (index < 0) {
      return Status::InvalidArgument(
          "outbox table " + t.qualified_name() + " has no column '" + *column +
          "': add it, or name the column to use in the source's outbox settings (id, key, "
          "payload, route_by)");
    }
  }
  const Value& route = event.after[static_cast<size_t>(c.route_by)];
  const std::string routed_by = ValueText(route);
  if (routed_by.empty()) {
    return Status::InvalidArgument("outbox table " + t.qualified_name() + ": column '" +
                                   config_.route_by +
                                   "' of a new row is empty or null, so it "
                                   "names no topic");
  }
  std::string topic = config_.topic;
  if (size_t at = topic.find(kPlaceholder); at != std::string::npos) {
    topic.replace(at, kPlaceholder.size(), routed_by);
  }
  const Value& key = event.after[static_cast<size_t>(c.key)];
  const Value& payload = event.after[static_cast<size_t>(c.payload)];
  if (key.kind == ValueKind::kArray || payload.kind == ValueKind::kArray) {
    return Status::InvalidArgument("outbox table " + t.qualified_name() +
                                   ": the key and payload columns cannot be arrays");
  }
  std::optional<std::string_view> key_bytes;
  if (!key.is_null()) {
    VIMUR_RETURN_IF_ERROR(serializer.OutboxField(topic, true, key, false, &key_));
    key_bytes = key_;
  }
  std::optional<std::string_view> value_bytes;
  if (!payload.is_null()) {
    VIMUR_RETURN_IF_ERROR(
        serializer.OutboxField(topic, false, payload, config_.expand_json_payload, &value_));
    value_bytes = value_;
  }
  out->Add(topic, key_bytes, value_bytes);
  const std::string id = ValueText(event.after[static_cast<size_t>(c.id)]);
  if (!id.empty()) out->SetHeader(kOutboxIdHeader, id);
  return Status::Ok();
}

}  // namespace vimur
