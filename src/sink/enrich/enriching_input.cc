#include "sink/enrich/enriching_input.h"

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "sink/search/search_plan.h"
#include "sink/sql/event_decoder.h"

namespace vimur::sink {
namespace {

using ojson = nlohmann::ordered_json;

std::string RowRole(const SinkEnrichConfig& e) { return "enrich:" + e.name; }
std::string FieldsRole(const SinkEnrichConfig& e) { return "enrich-fields:" + e.name; }

// A column added to a row image: its value and its Connect field schema.
struct AddedColumn {
  std::string name;
  ojson value;
  ojson schema;
};

// The struct schema ("fields" array) of `image` in the envelope's schema; null when the record
// carries no schema.
ojson* ImageFields(ojson& doc, const std::string& image) {
  if (!doc.contains("schema") || !doc["schema"].is_object()) return nullptr;
  ojson& fields = doc["schema"]["fields"];
  if (!fields.is_array()) return nullptr;
  for (ojson& f : fields) {
    if (f.is_object() && f.value("field", "") == image && f.contains("fields") &&
        f["fields"].is_array()) {
      return &f["fields"];
    }
  }
  return nullptr;
}

// Runs `step` on `record`; JSON of unexpected shape (the accessors throw) leaves the record as
// it is: the sink's decoder reports it.
template <typename Step>
Status Guarded(const InputRecord& record, Step step) {
  try {
    return step();
  } catch (const nlohmann::json::exception& e) {
    LOG_WARN << "record " << record.Where() << " not enriched: " << e.what();
    return Status::Ok();
  }
}

}  // namespace

std::vector<std::string> EnrichingInput::TopicsToRead(const SinkConfig& sink) {
  std::vector<std::string> topics = sink.topics;
  for (const SinkEnrichConfig& e : sink.enrich) {
    if (!e.join.empty()) topics.push_back(e.join);
    if (!e.invalidate.empty()) topics.push_back(e.invalidate);
  }
  return topics;
}

EnrichingInput::EnrichingInput(std::unique_ptr<RecordInput> input, const SinkConfig& sink,
                               std::string store_dir)
    : input_(std::move(input)),
      sink_name_(sink.name),
      sink_topics_(sink.topics),
      store_dir_(std::move(store_dir)) {}

EnrichingInput::~EnrichingInput() = default;

Result<std::unique_ptr<EnrichingInput>> EnrichingInput::Make(std::unique_ptr<RecordInput> input,
                                                             const SinkConfig& sink,
                                                             std::string store_dir) {
  auto made = std::unique_ptr<EnrichingInput>(
      new EnrichingInput(std::move(input), sink, std::move(store_dir)));
  VIMUR_RETURN_IF_ERROR(made->sink_topics_.status());
  for (const SinkEnrichConfig& c : sink.enrich) {
    const std::string where = "sink " + sink.name + ": enrich " + c.name;
    Enrichment e;
    e.config = c;
    e.topics = RegexList(c.topics);
    if (!e.topics.status().ok()) return e.topics.status().WithContext(where + ": topics");
    for (auto [text, slot] :
         {std::pair{&c.join, &e.join}, std::pair{&c.invalidate, &e.invalidate}}) {
      if (text->empty()) continue;
      auto compiled = RegexPattern::Compile(*text);
      if (!compiled.ok()) return compiled.status().WithContext(where);
      *slot = std::make_unique<RegexPattern>(std::move(compiled).value());
    }
    if (!c.query.empty()) {
      VIMUR_ASSIGN_OR_RETURN(e.query, BackQuery::Make(c, sink.name));
    }
    made->enrichments_.push_back(std::move(e));
  }
  return made;
}

Status EnrichingInput::Start() {
  bool joins = false;
  for (const Enrichment& e : enrichments_) joins = joins || e.join != nullptr;
  if (joins) {
    const std::string where = "sink " + sink_name_ + ": enrich store";
    bool created = false;
    auto store = JoinStore::Open(store_dir_, &created);
    if (!store.ok()) return store.status().WithContext(where);
    store_ = std::move(store).value();
    auto marked = store_->Rebuilding();
    if (!marked.ok()) return marked.status().WithContext(where);
    rebuilding_ = *marked;
    if (rebuilding_) {
      LOG_INFO << where << " " << store_dir_
               << " is new: reading the topics from their start to fill it";
      input_->ReadFromBeginning();
    }
  }
  return input_->Start();
}

Result<std::vector<InputRecord>> EnrichingInput::Poll(size_t max_records,
                                                      std::chrono::milliseconds max_wait) {
  if (pending_.empty()) {
    VIMUR_ASSIGN_OR_RETURN(pending_, input_->Poll(max_records, max_wait));
  }
  if (pending_.empty()) return pending_;
  if (store_) VIMUR_RETURN_IF_ERROR(store_->Begin());
  auto out = EnrichBatch(pending_);
  if (store_) {
    if (!out.ok()) {
      store_->Abort();
      return out.status();
    }
    VIMUR_RETURN_IF_ERROR(store_->Commit());
  }
  if (!out.ok()) return out.status();
  pending_.clear();
  return out;
}

Result<std::vector<InputRecord>> EnrichingInput::EnrichBatch(
    const std::vector<InputRecord>& batch) {
  std::vector<InputRecord> out;
  out.reserve(batch.size());
  std::vector<InputRecord> held;
  // Related rows first: an event is enriched with the newest related row of its batch.
  for (const InputRecord& r : batch) {
    for (Enrichment& e : enrichments_) {
      if ((e.join && e.join->Matches(r.topic)) ||
          (e.invalidate && e.invalidate->Matches(r.topic))) {
        VIMUR_RETURN_IF_ERROR(Guarded(r, [&] { return Follow(e, r); }));
      }
    }
  }
  for (const InputRecord& r : batch) {
    if (!sink_topics_.AnyMatches(r.topic)) {
      held.push_back(InputRecord{r.topic, r.partition, r.offset, std::nullopt, std::nullopt, 0});
      continue;
    }
    out.push_back(r);
    VIMUR_RETURN_IF_ERROR(Guarded(r, [&] { return Enrich(out.back()); }));
  }
  for (InputRecord& h : held) {
    InputRecord& slot = held_[{h.topic, h.partition}];
    if (slot.topic.empty() || slot.offset < h.offset) slot = std::move(h);
  }
  return out;
}

// A record of a `join` topic updates the store; one of an `invalidate` topic drops the cached
// answer for its key. Records that are not change events Vimur reads are skipped with a warning
// (they are the related table's, not the sink's).
Status EnrichingInput::Follow(Enrichment& e, const InputRecord& record) {
  if (!record.value) return Status::Ok();
  auto change = DecodeJsonEvent(record);
  if (change.ok() && change->op == 0) return Status::Ok();
  Result<std::string> id = change.ok()
                               ? RowId(*change, change->has_after ? change->after : change->before)
                               : Result<std::string>(change.status());
  if (!id.ok()) {
    LOG_WARN << "sink " << sink_name_ << ": enrich " << e.config.name << ": record "
             << record.Where() << " skipped: " << id.status().message();
    return Status::Ok();
  }
  if (e.query) {
    e.query->Invalidate(*id);
    return Status::Ok();
  }
  if (!change->has_after) return store_->DeleteRow(RowRole(e.config), *id);
  ojson doc = ojson::parse(*record.value, nullptr, false);
  const ojson& payload = doc.contains("payload") && doc.contains("schema") ? doc["payload"] : doc;
  if (!payload.is_object() || !payload.contains("after") || !payload["after"].is_object()) {
    return Status::Ok();
  }
  ojson row = {{"row", payload["after"]}};
  VIMUR_RETURN_IF_ERROR(store_->PutRow(RowRole(e.config), *id, row.dump()));
  if (const ojson* fields = ImageFields(doc, "after")) {
    const std::string text = fields->dump();
    VIMUR_ASSIGN_OR_RETURN(auto stored, store_->GetRow(FieldsRole(e.config), "after"));
    if (!stored || *stored != text) {
      VIMUR_RETURN_IF_ERROR(store_->PutRow(FieldsRole(e.config), "after", text));
    }
  }
  return Status::Ok();
}

Status EnrichingInput::Enrich(InputRecord& record) {
  if (!record.value) return Status::Ok();
  std::vector<Enrichment*> applicable;
  for (Enrichment& e : enrichments_) {
    if (e.topics.empty() || e.topics.AnyMatches(record.topic)) applicable.push_back(&e);
  }
  if (applicable.empty()) return Status::Ok();
  // A record the decoder cannot read goes to the sink as it is: the sink's on_error handles it.
  auto change = DecodeJsonEvent(record);
  if (!change.ok() || change->op == 0) return Status::Ok();
  ojson doc = ojson::parse(*record.value, nullptr, false);
  if (!doc.is_object()) return Status::Ok();
  const bool enveloped = doc.contains("payload") && doc.contains("schema");
  ojson& payload = enveloped ? doc["payload"] : doc;
  for (const char* image : {"before", "after"}) {
    const bool present = image[0] == 'a' ? change->has_after : change->has_before;
    if (!present || !payload.contains(image) || !payload[image].is_object()) continue;
    const Row& row = image[0] == 'a' ? change->after : change->before;
    std::vector<AddedColumn> added;
    for (Enrichment* e : applicable) {
      if (e->query) {
        VIMUR_ASSIGN_OR_RETURN(BackQuery::Answer answer, e->query->Lookup(row));
        for (size_t i = 0; i < e->config.columns.size(); ++i) {
          added.push_back({e->config.columns[i], answer[i] ? ojson(*answer[i]) : ojson(),
                           ojson{{"type", "string"}, {"optional", true}}});
        }
        continue;
      }
      ojson related;  // null: no related row
      if (auto on = JoinText(row, e->config.on)) {
        VIMUR_ASSIGN_OR_RETURN(auto stored, store_->GetRow(RowRole(e->config), *on));
        if (stored) related = ojson::parse(*stored, nullptr, false).value("row", ojson());
      }
      VIMUR_ASSIGN_OR_RETURN(auto fields_text, store_->GetRow(FieldsRole(e->config), "after"));
      ojson fields = fields_text ? ojson::parse(*fields_text, nullptr, false) : ojson::array();
      std::vector<std::string> names = e->config.columns;
      if (names.empty()) {
        for (const ojson& f : fields) {
          if (f.is_object()) names.push_back(f.value("field", ""));
        }
        if (names.empty() && related.is_object()) {
          for (auto it = related.begin(); it != related.end(); ++it) names.push_back(it.key());
        }
      }
      for (const std::string& name : names) {
        ojson schema = {{"type", "string"}, {"optional", true}};
        for (const ojson& f : fields) {
          if (f.is_object() && f.value("field", "") == name) schema = f;
        }
        schema["optional"] = true;
        ojson value = related.is_object() && related.contains(name) ? related[name] : ojson();
        added.push_back({e->config.prefix + name, std::move(value), std::move(schema)});
      }
    }
    ojson* fields = enveloped ? ImageFields(doc, image) : nullptr;
    for (AddedColumn& c : added) {
      payload[image][c.name] = std::move(c.value);
      if (fields == nullptr) continue;
      bool known = false;
      for (const ojson& f : *fields) known = known || f.value("field", "") == c.name;
      if (!known) {
        c.schema["field"] = c.name;
        fields->push_back(std::move(c.schema));
      }
    }
  }
  record.value = doc.dump(-1, ' ', false, ojson::error_handler_t::replace);
  return Status::Ok();
}

Status EnrichingInput::Acknowledge(const std::vector<InputRecord>& batch) {
  std::vector<InputRecord> all = batch;
  for (auto& [where, record] : held_) all.push_back(record);
  VIMUR_RETURN_IF_ERROR(input_->Acknowledge(all));
  held_.clear();
  // The first acknowledgement after a rebuild began moved the offsets back: from now on a
  // restart resumes from them.
  if (rebuilding_ && store_) {
    VIMUR_RETURN_IF_ERROR(store_->EndRebuild());
    rebuilding_ = false;
  }
  return Status::Ok();
}

}  // namespace vimur::sink
