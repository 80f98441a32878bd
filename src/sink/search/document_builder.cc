#include "sink/search/document_builder.h"

#include "sink/row_json.h"

namespace vimur::sink {
namespace {

// A stored row: {"row": {...}, "links": {"relation": "value", ...}}.
struct Stored {
  nlohmann::ordered_json row;
  std::map<std::string, std::string> links;
};

Result<std::optional<Stored>> Load(JoinStore& store, const std::string& role,
                                   const std::string& id) {
  VIMUR_ASSIGN_OR_RETURN(auto text, store.GetRow(role, id));
  if (!text) return std::optional<Stored>();
  auto j = nlohmann::ordered_json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("row")) {
    return Status::Corruption("join store " + store.dir() + ": the row '" + id + "' of '" + role +
                              "' is damaged; remove the store directory to rebuild it");
  }
  Stored s;
  s.row = std::move(j["row"]);
  if (j.contains("links")) {
    for (const auto& [name, value] : j["links"].items()) {
      if (value.is_string()) s.links[name] = value.get<std::string>();
    }
  }
  return std::optional<Stored>(std::move(s));
}

// The root row (as stored, RowToJson's values) as the Row a back-query reads its ${...} from.
Row JsonRow(const nlohmann::ordered_json& json) {
  Row row;
  for (const auto& [name, value] : json.items()) {
    row.names.push_back(name);
    if (value.is_null()) {
      row.values.push_back(SqlValue::Null());
    } else if (value.is_boolean()) {
      row.values.push_back(SqlValue::Bool(value.get<bool>()));
    } else if (value.is_number()) {
      row.values.push_back(SqlValue::Number(value.dump()));
    } else if (value.is_string()) {
      row.values.push_back(SqlValue::Text(value.get<std::string>()));
    } else {
      row.values.push_back(SqlValue::Text(value.dump()));
    }
  }
  return row;
}

// A back-query's answer row as a document object: `fields` name its columns.
nlohmann::ordered_json AnswerJson(const SearchRelation& r, const BackQuery::Answer& answer) {
  nlohmann::ordered_json row = nlohmann::ordered_json::object();
  for (size_t i = 0; i < answer.size() && i < r.shape.fields.size(); ++i) {
    row[r.shape.fields[i]] = answer[i] ? nlohmann::ordered_json(*answer[i]) : nullptr;
  }
  return r.shape.Apply(row);
}

}  // namespace

Status DocumentBuilder::Apply(const RowChange& change, int role, const void* cause,
                              AffectedRoots* affected) {
  if (change.op == 0) return Status::Ok();
  const bool remove = change.op == 'd';
  if (remove ? !change.has_before : !change.has_after) {
    return Status::Corruption(std::string("a ") + (remove ? "delete without a before-image"
                                                          : "change without an after-image"));
  }
  const Row& row = remove ? change.before : change.after;
  VIMUR_ASSIGN_OR_RETURN(std::string id, RowId(change, row));
  const std::string name = plan_.RoleName(role);
  if (role != kRootRole && plan_.relations()[static_cast<size_t>(role)].query) {
    // Back-query mode: the related row is not stored; its change re-indexes the roots it
    // belongs to (now and before) and drops their cached answers.
    const SearchRelation& r = plan_.relations()[static_cast<size_t>(role)];
    if (!r.many()) {
      r.query->Invalidate(id);
      affected->related.emplace(std::make_pair(role, id), cause);
      return Status::Ok();
    }
    for (const Row* image : {change.has_after ? &change.after : nullptr,
                             change.has_before ? &change.before : nullptr}) {
      if (image == nullptr) continue;
      if (auto v = JoinText(*image, r.key)) {
        r.query->Invalidate(*v);
        affected->roots.emplace(*v, cause);
      }
    }
    return Status::Ok();
  }
  // The links the row has now: the root's `on` columns, or a child's `key` column.
  std::map<std::string, std::string> links;
  if (!remove) {
    if (role == kRootRole) {
      for (const SearchRelation& r : plan_.relations()) {
        if (r.many()) continue;
        if (auto v = JoinText(row, r.on)) links[r.name] = *v;
      }
    } else {
      const SearchRelation& r = plan_.relations()[static_cast<size_t>(role)];
      if (r.many()) {
        if (auto v = JoinText(row, r.key)) links[r.name] = *v;
      }
    }
  }
  VIMUR_ASSIGN_OR_RETURN(auto old, Load(store_, name, id));
  std::map<std::string, std::string> old_links;
  if (old) old_links = old->links;
  for (const auto& [relation, value] : old_links) {
    auto now = links.find(relation);
    if (now != links.end() && now->second == value) continue;
    if (role == kRootRole) {
      VIMUR_RETURN_IF_ERROR(store_.RemoveLink(relation, value, id));
    } else {
      VIMUR_RETURN_IF_ERROR(store_.RemoveLink(relation, value, id));
      affected->roots.emplace(value, cause);  // the root the child left
    }
  }
  for (const auto& [relation, value] : links) {
    VIMUR_RETURN_IF_ERROR(store_.AddLink(relation, value, id));
    if (role != kRootRole) affected->roots.emplace(value, cause);
  }
  if (remove) {
    VIMUR_RETURN_IF_ERROR(store_.DeleteRow(name, id));
  } else {
    nlohmann::ordered_json stored = {{"row", RowToJson(row)}, {"links", links}};
    VIMUR_RETURN_IF_ERROR(store_.PutRow(name, id, stored.dump()));
  }
  // The root a child belonged to by its before-image too: after a kill between the store's
  // commit and the `_bulk`, a replayed move or delete finds the store already changed.
  if (role != kRootRole && change.has_before) {
    const SearchRelation& r = plan_.relations()[static_cast<size_t>(role)];
    if (r.many()) {
      if (auto v = JoinText(change.before, r.key)) affected->roots.emplace(*v, cause);
    }
  }
  if (role == kRootRole) {
    affected->roots.emplace(id, cause);
  } else if (!plan_.relations()[static_cast<size_t>(role)].many()) {
    affected->related.emplace(std::make_pair(role, id), cause);
  }
  return Status::Ok();
}

Result<std::optional<nlohmann::ordered_json>> DocumentBuilder::Document(const std::string& id) {
  VIMUR_ASSIGN_OR_RETURN(auto root, Load(store_, plan_.RoleName(kRootRole), id));
  if (!root) return std::optional<nlohmann::ordered_json>();
  nlohmann::ordered_json doc = plan_.root_shape().Apply(root->row);
  for (const SearchRelation& r : plan_.relations()) {
    if (r.query) {
      VIMUR_ASSIGN_OR_RETURN(auto answers, r.query->LookupAll(JsonRow(root->row)));
      if (r.many()) {
        doc[r.name] = nlohmann::ordered_json::array();
        for (const BackQuery::Answer& a : answers) doc[r.name].push_back(AnswerJson(r, a));
      } else {
        doc[r.name] = answers.empty() ? nlohmann::ordered_json() : AnswerJson(r, answers.front());
      }
      continue;
    }
    if (r.many()) {
      nlohmann::ordered_json items = nlohmann::ordered_json::array();
      VIMUR_ASSIGN_OR_RETURN(auto children, store_.Linked(r.name, id));
      for (const std::string& child : children) {
        VIMUR_ASSIGN_OR_RETURN(auto row, Load(store_, r.name, child));
        if (row) items.push_back(r.shape.Apply(row->row));
      }
      doc[r.name] = std::move(items);
      continue;
    }
    doc[r.name] = nullptr;
    auto link = root->links.find(r.name);
    if (link == root->links.end()) continue;
    VIMUR_ASSIGN_OR_RETURN(auto related, Load(store_, r.name, link->second));
    if (related) doc[r.name] = r.shape.Apply(related->row);
  }
  return std::optional<nlohmann::ordered_json>(std::move(doc));
}

Result<std::vector<DocumentAction>> DocumentBuilder::Build(const AffectedRoots& affected) {
  std::map<std::string, const void*> roots = affected.roots;
  for (const auto& [related, cause] : affected.related) {
    const SearchRelation& r = plan_.relations()[static_cast<size_t>(related.first)];
    VIMUR_ASSIGN_OR_RETURN(auto ids, store_.Linked(r.name, related.second));
    for (std::string& id : ids) roots.emplace(std::move(id), cause);
  }
  std::vector<DocumentAction> actions;
  actions.reserve(roots.size());
  for (const auto& [id, cause] : roots) {
    VIMUR_ASSIGN_OR_RETURN(auto doc, Document(id));
    actions.push_back(DocumentAction{id, std::move(doc), cause});
  }
  return actions;
}

}  // namespace vimur::sink
