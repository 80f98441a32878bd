// The OpenSearch `_bulk` request of a batch of documents (NDJSON: an `index` action with its
// document, or a `delete` action, per document) and the per-item outcome of its answer.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "sink/search/document_builder.h"

namespace vimur::sink {

// The NDJSON body of `actions`, each line ending in '\n'.
std::string BulkBody(const std::vector<const DocumentAction*>& actions);

struct BulkItemOutcome {
  enum Kind { kDone, kRetry, kRefused } kind = kDone;
  std::string error;  // kRetry, kRefused: the item's status and error
};

// One outcome per action from the answer's `items` (same order). A delete of a missing
// document (404) is done; 429 and 5xx items are retried; other failures are refused. An answer
// that does not list one item per action is Corruption.
Result<std::vector<BulkItemOutcome>> ParseBulkAnswer(const std::string& answer,
                                                     size_t action_count);

}  // namespace vimur::sink
