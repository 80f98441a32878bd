// Primary keys of captured rows: a key change as Debezium writes it (a delete of the old key,
// followed by its tombstone, and a create of the new one), and a key's comparable bytes.
#pragma once

#include <string>
#include <vector>

#include "core/change_event.h"

namespace vimur {

// Whether `event` is an update with both images whose key columns differ between them.
bool ChangesKey(const ChangeEvent& event);

// Turns the update `*update` into the delete of its old key and returns the create of its new
// key; the caller gives the create its place (total_order, data_collection_order).
ChangeEvent SplitKeyChange(ChangeEvent* update);

// Bytes that are equal for equal key values of `row`, whichever way (stream or SELECT) they
// were decoded: what incremental snapshots compare chunk rows and streamed changes by.
std::string KeyFingerprint(const TableSchema& table, const std::vector<Value>& row);

}  // namespace vimur
