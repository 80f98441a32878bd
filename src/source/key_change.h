// A primary-key change as Debezium writes it: a delete of the old key (followed by its
// tombstone) and a create of the new one, so compaction forgets the old key. Every source.
#pragma once

#include "core/change_event.h"

namespace vimur {

// Whether `event` is an update with both images whose key columns differ between them.
bool ChangesKey(const ChangeEvent& event);

// Turns the update `*update` into the delete of its old key and returns the create of its new
// key; the caller gives the create its place (total_order, data_collection_order).
ChangeEvent SplitKeyChange(ChangeEvent* update);

}  // namespace vimur
