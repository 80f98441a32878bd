// SearchPlan: the search sink's configuration made usable: which role(s) a topic plays (the
// root, or a relation), each row's id, the columns it links by, and the fields kept per role.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/regex_pattern.h"
#include "core/status.h"
#include "sink/enrich/back_query.h"
#include "sink/sql/event_decoder.h"

namespace vimur::sink {

// The columns kept in a document and their names there.
struct FieldShape {
  std::vector<std::string> fields;            // empty: every column
  std::map<std::string, std::string> rename;  // column -> name in the document

  nlohmann::ordered_json Apply(const nlohmann::ordered_json& row) const;
};

struct SearchRelation {
  std::string name;
  std::string key;  // many: the child column equal to the root's key
  std::string on;   // one: the root column equal to the related row's key
  FieldShape shape;
  std::shared_ptr<BackQuery> query;  // back-query mode: rows read from the database, not stored
  bool many() const { return !key.empty(); }
};

// A role: the root (kRootRole) or the index of a relation.
constexpr int kRootRole = -1;

class SearchPlan {
 public:
  static Result<SearchPlan> Make(const SinkConfig& config);

  // The roles of `topic`, root first; empty when it plays none.
  const std::vector<int>& RolesOf(const std::string& topic);
  const std::vector<SearchRelation>& relations() const { return relations_; }
  const FieldShape& root_shape() const { return root_shape_; }
  // The store's name of a role: "" for the root, else the relation's name.
  std::string RoleName(int role) const;

 private:
  std::optional<RegexPattern> root_;
  std::vector<RegexPattern> relation_topics_;
  std::vector<SearchRelation> relations_;
  FieldShape root_shape_;
  std::map<std::string, std::vector<int>> roles_;  // cache by topic
};

// The id of `row`: its key columns' values (the record key's columns) as text, joined by '|'
// (null as "null"). Errors name the table when it has no key or a key column is missing.
Result<std::string> RowId(const RowChange& change, const Row& row);

// The text of `column` of `row` for joins (a number's decimal text, a string as it is);
// nullopt when the column is null or absent.
std::optional<std::string> JoinText(const Row& row, const std::string& column);

}  // namespace vimur::sink
