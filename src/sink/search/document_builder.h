// DocumentBuilder: applies row changes to the JoinStore (rows and the links relations join
// by), collects the root ids whose documents they touch, and assembles those documents.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "sink/search/join_store.h"
#include "sink/search/search_plan.h"
#include "sink/sql/event_decoder.h"

namespace vimur::sink {

// What a batch touched: root ids to rebuild, and related rows (relation, id) whose roots are
// looked up once the whole batch is in the store. `cause` is an opaque tag of the first change
// that touched each (the sink's record), for errors.
struct AffectedRoots {
  std::map<std::string, const void*> roots;
  std::map<std::pair<int, std::string>, const void*> related;
};

// A document to index (`document` set) or delete.
struct DocumentAction {
  std::string id;
  std::optional<nlohmann::ordered_json> document;
  const void* cause = nullptr;
};

class DocumentBuilder {
 public:
  DocumentBuilder(const SearchPlan& plan, JoinStore& store) : plan_(plan), store_(store) {}

  // Stores what `change` (op c, u, r or d) does to the rows of `role` and notes the roots it
  // touches. Idempotent: applying a change again leaves the store as it was.
  Status Apply(const RowChange& change, int role, const void* cause, AffectedRoots* affected);
  // The documents of every root `affected` names (looking up the roots of related rows):
  // index actions for roots in the store, delete actions for the others; ordered by id.
  Result<std::vector<DocumentAction>> Build(const AffectedRoots& affected);
  // The document of root `id`; nullopt when the root row is not in the store.
  Result<std::optional<nlohmann::ordered_json>> Document(const std::string& id);

 private:
  const SearchPlan& plan_;
  JoinStore& store_;
};

}  // namespace vimur::sink
