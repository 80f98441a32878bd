// OutboxRouter: Debezium's outbox event router for one source: an inserted row of an outbox
// table becomes one record on the topic its aggregate type names, keyed by the aggregate id.
#pragma once

#include <string>
#include <unordered_map>

#include "core/change_event.h"
#include "core/config.h"
#include "core/regex_pattern.h"
#include "format/event_serializer.h"
#include "transport/transport.h"

namespace vimur {

// The header that carries an outbox event's id, as Debezium's router names it.
inline constexpr std::string_view kOutboxIdHeader = "id";

class OutboxRouter {
 public:
  explicit OutboxRouter(OutboxConfig config);

  // True when `event` is a change of an outbox table: it is routed here and published
  // nowhere else.
  bool Routes(const ChangeEvent& event);
  // Appends the record of a routed event to `out`: creates and snapshot reads become events;
  // deletes (an outbox row is usually deleted right after its insert) add nothing; updates
  // add nothing and are logged once per table.
  Status Append(const ChangeEvent& event, EventSerializer& serializer, OutgoingBatch* out);

 private:
  // Where the router's columns are in one table shape; -1 when missing.
  struct Columns {
    bool outbox = false;
    int id = -1, key = -1, payload = -1, route_by = -1;
  };
  const Columns& ColumnsOf(const TableSchema& table);

  OutboxConfig config_;
  RegexList tables_;
  std::unordered_map<const TableSchema*, Columns> columns_;
  std::unordered_map<std::string, bool> warned_updates_;  // by db.table
  std::string key_, value_;
};

}  // namespace vimur
