#include "sink/sql/sql_sink.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string_view>

#include "core/logging.h"
#include "core/metrics_probes.h"
#include "sink/batch_loop.h"

namespace vimur::sink {
namespace {

bool SameKey(const Place& a, const Place& b) {
  return a.target == b.target && a.table == b.table && a.key == b.key;
}

// Debezium's placeholder for an unchanged TOASTed value PostgreSQL did not send: as text or
// bytes, as an array of it (text-like and bytea elements), or an int array of its bytes.
constexpr std::string_view kUnavailableValue = "__debezium_unavailable_value";

bool IsUnavailable(const SqlValue& v) {
  if (v.kind == SqlKind::kText || v.kind == SqlKind::kBytes) return v.text == kUnavailableValue;
  if (v.kind != SqlKind::kArray) return false;
  if (v.items.size() == 1) return IsUnavailable(v.items[0]);
  if (v.items.size() != kUnavailableValue.size()) return false;
  for (size_t i = 0; i < v.items.size(); ++i) {
    if (v.items[i].kind != SqlKind::kNumber ||
        v.items[i].text != std::to_string(static_cast<unsigned char>(kUnavailableValue[i]))) {
      return false;
    }
  }
  return true;
}

// An update's placeholders keep the target's value: the value an earlier change of the same
// place in this batch wrote, else the column is left out of the row (the upsert does not set
// it, so the target keeps what it has).
void KeepUnavailable(const WriteAction* earlier, Row* row) {
  for (size_t i = row->names.size(); i-- > 0;) {
    if (!IsUnavailable(row->values[i])) continue;
    const SqlValue* before =
        earlier != nullptr && !earlier->remove ? earlier->row.Find(row->names[i]) : nullptr;
    if (before != nullptr) {
      row->values[i] = *before;
      continue;
    }
    row->names.erase_at(i);
    row->values.erase(row->values.begin() + static_cast<std::ptrdiff_t>(i));
    if (i < row->types.size()) row->types.erase_at(i);
  }
}

}  // namespace

Status PlanChange(const Router& router, RowChange change, const std::string& topic,
                  ApplyPlan* plan) {
  if (change.op == 0) return Status::Ok();
  RowContext context{nullptr, change.db, change.table, topic};
  auto remove = [&](const Place& place) {
    WriteAction gone;
    gone.remove = true;
    gone.place = place;
    plan->by_target[gone.place.target][gone.place.Id()] = std::move(gone);
  };
  std::optional<Place> old_place;
  if (change.has_before && (change.op == 'u' || change.op == 'd')) {
    context.row = &change.before;
    Row written;
    VIMUR_ASSIGN_OR_RETURN(Place p, router.Locate(context, change.key_columns, &written));
    old_place = std::move(p);
  }
  if (change.op == 'd') {
    if (!old_place) {
      return Status::Corruption("a delete without a before-image cannot be applied");
    }
    remove(*old_place);  // also outside the filter: deleting a row that is not there is harmless
    return Status::Ok();
  }
  if (!change.has_after) return Status::Corruption("an insert or update without an after-image");
  context.row = &change.after;
  VIMUR_ASSIGN_OR_RETURN(bool keep, router.Keeps(context));
  if (!keep) {
    // Outside the filter. An insert is not applied. An update may leave the filter: its row is
    // deleted from the target, unless the before-image shows it was outside already. A
    // snapshot read states the whole truth of a row: it is deleted in case it is there.
    bool was_outside = false;
    if (change.op == 'u' && change.has_before) {
      RowContext before = context;
      before.row = &change.before;
      auto kept = router.Keeps(before);
      was_outside = kept.ok() && !*kept;  // a partial before-image cannot tell: delete
    }
    if (change.op == 'c' || was_outside) return Status::Ok();
    Row written;
    VIMUR_ASSIGN_OR_RETURN(Place place, router.Locate(context, change.key_columns, &written));
    remove(place);
    if (old_place && !SameKey(*old_place, place)) remove(*old_place);
    return Status::Ok();
  }
  WriteAction a;
  VIMUR_ASSIGN_OR_RETURN(a.place,
                         router.Locate(context, change.key_columns, &change.after, &a.row));
  if (old_place && !SameKey(*old_place, a.place)) {
    remove(*old_place);  // the row moves (a routing or key column changed): its old place goes
  }
  std::string id = a.place.Id();
  auto& actions = plan->by_target[a.place.target];
  if (change.op == 'u') {
    auto earlier = actions.find(id);
    KeepUnavailable(earlier == actions.end() ? nullptr : &earlier->second, &a.row);
  }
  actions[id] = std::move(a);
  return Status::Ok();
}

SqlSink::SqlSink(SinkConfig config, FormatConfig format, SchemaFetcher avro_schemas)
    : config_(std::move(config)), format_(std::move(format)), decoder_(std::move(avro_schemas)) {}

SqlSink::~SqlSink() = default;

Status SqlSink::Open() {
  if (config_.create_tables && !format_.schemas && format_.type != "avro") {
    return Status::InvalidArgument(
        "sink " + config_.name +
        ": create_tables: true needs the events' schemas to choose column types; set "
        "format.schemas: true, or create the tables yourself and set create_tables: false");
  }
  VIMUR_ASSIGN_OR_RETURN(Router router, Router::Make(config_));
  router_ = std::make_unique<Router>(std::move(router));
  for (const auto& [name, text] : config_.targets) {
    auto url = ParseDatabaseUrl(text);
    if (!url.ok()) return url.status().WithContext("sink " + config_.name + ": target " + name);
    writers_[name] = std::make_unique<TargetWriter>(
        name, MakeConnection(*url), config_.create_tables, config_.schema_evolution == "basic");
  }
  return Status::Ok();
}

Status SqlSink::ApplyOnce(const ApplyPlan& plan) {
  for (const auto& [target, actions] : plan.by_target) {
    std::vector<const WriteAction*> list;
    list.reserve(actions.size());
    for (const auto& [id, a] : actions) list.push_back(&a);
    VIMUR_RETURN_IF_ERROR(writers_.at(target)->Apply(list));
  }
  return Status::Ok();
}

Status SqlSink::ApplyWithRetry(const ApplyPlan& plan, RecordInput& input,
                               const std::atomic<bool>& stop) {
  auto backoff = std::chrono::milliseconds(100);
  const auto max_backoff = std::chrono::milliseconds(config_.retry_max_backoff_ms);
  for (int attempt = 1;; ++attempt) {
    Status s = ApplyOnce(plan);
    if (s.ok() || !s.retriable()) return s;
    if (stop.load()) return Status::Aborted("stopped while retrying: " + s.message());
    metrics::SinkProbe& probe = metrics::SinkProbe::For(config_.name);
    probe.retries.Add();
    probe.up.Set(0);
    LOG_WARN << "sink " << config_.name << ": " << s.message() << "; retry " << attempt << " in "
             << backoff.count() << " ms (nothing is acknowledged meanwhile)";
    input.Wait(backoff);
    backoff = std::min(backoff * 2, max_backoff);
  }
}

void SqlSink::CheckColumns(const RowChange& change) {
  const Row& row = change.has_after ? change.after : change.before;
  if (router_->mapping().empty() || row.names.empty()) return;
  if (!checked_tables_.insert(change.db + "." + change.table).second) return;
  std::string missing;
  for (const std::string& c : router_->mapping().NotIn(row.names.view())) {
    missing += (missing.empty() ? "" : ", ") + c;
  }
  if (!missing.empty()) {
    LOG_WARN << "sink " << config_.name << ": " << change.db << "." << change.table
             << " has no column " << missing
             << " named in 'columns' (applied once the column appears; check the spelling)";
  }
}

struct SqlSink::Prepared final : PreparedBatch {
  ApplyPlan plan;
  std::vector<const InputRecord*> planned;  // in order, for applying them one by one
};

Result<std::unique_ptr<PreparedBatch>> SqlSink::Prepare(const std::vector<InputRecord>& records,
                                                        RecordInput& input, int64_t* newest_ts,
                                                        const std::atomic<bool>& stop) {
  auto prepared = std::make_unique<Prepared>();
  prepared->planned.reserve(records.size());
  VIMUR_RETURN_IF_ERROR(decoder_.Prepare(records, config_, input, stop));
  std::vector<Result<RowChange>> changes = decoder_.DecodeAll(records);
  for (size_t i = 0; i < records.size(); ++i) {
    const InputRecord& r = records[i];
    Result<RowChange>& change = changes[i];
    Status s = change.status();
    if (change.ok()) {
      CheckColumns(*change);
      const int64_t ts = change->source_ts_ms;
      s = PlanChange(*router_, std::move(change).value(), r.topic, &prepared->plan);
      if (s.ok()) {
        *newest_ts = std::max(*newest_ts, ts);
        prepared->planned.push_back(&r);
      }
    }
    if (!s.ok()) VIMUR_RETURN_IF_ERROR(decoder_.GiveUp(config_, r, s, input));
  }
  return std::unique_ptr<PreparedBatch>(std::move(prepared));
}

Status SqlSink::Finish(const Prepared& batch, Status first, RecordInput& input,
                       const std::atomic<bool>& stop) {
  Status s = first.retriable() ? ApplyWithRetry(batch.plan, input, stop) : std::move(first);
  const auto& planned = batch.planned;
  if (s.ok() || s.code() == StatusCode::kAborted || planned.empty()) return s;
  if (planned.size() == 1) return decoder_.GiveUp(config_, *planned[0], s, input);
  // The target refused the batch for good: find the record(s) it refuses, one at a time and
  // in order, so that the others are applied and the error names the record.
  LOG_WARN << "sink " << config_.name << ": batch of " << planned.size() << " records refused ("
           << s.message() << "); applying them one by one";
  for (const InputRecord* record : planned) {
    ApplyPlan single;
    // Decoded and planned before: again the same (its schemas may have left the cache since).
    VIMUR_RETURN_IF_ERROR(decoder_.Prepare({*record}, config_, input, stop));
    auto change = decoder_.Decode(*record);
    VIMUR_RETURN_IF_ERROR(change.status());
    VIMUR_RETURN_IF_ERROR(PlanChange(*router_, std::move(change).value(), record->topic, &single));
    Status one = ApplyWithRetry(single, input, stop);
    if (one.code() == StatusCode::kAborted) return one;
    if (!one.ok()) VIMUR_RETURN_IF_ERROR(decoder_.GiveUp(config_, *record, one, input));
  }
  return Status::Ok();
}

Status SqlSink::Run(RecordInput& input, const std::atomic<bool>& stop) {
  BatchStages stages;
  stages.prepare = [&](const std::vector<InputRecord>& batch, int64_t* newest) {
    return Prepare(batch, input, newest, stop);
  };
  stages.attempt = [&](PreparedBatch& p) { return ApplyOnce(static_cast<Prepared&>(p).plan); };
  stages.finish = [&](const std::vector<InputRecord>&, PreparedBatch& p, Status attempted) {
    return Finish(static_cast<Prepared&>(p), std::move(attempted), input, stop);
  };
  return RunBatchLoop(config_, input, stop, stages);
}

}  // namespace vimur::sink
