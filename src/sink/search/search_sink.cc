#include "sink/search/search_sink.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/logging.h"
#include "core/metrics_probes.h"
#include "sink/search/bulk_body.h"

namespace vimur::sink {
namespace {

const InputRecord& CauseOf(const DocumentAction& a) {
  return *static_cast<const InputRecord*>(a.cause);
}

}  // namespace

SearchSink::SearchSink(SinkConfig config, std::string store_dir, SchemaFetcher avro_schemas)
    : config_(std::move(config)),
      store_dir_(std::move(store_dir)),
      decoder_(std::move(avro_schemas)) {}

SearchSink::~SearchSink() = default;

Status SearchSink::Open() {
  const std::string where = "sink " + config_.name;
  if (config_.url.rfind("http://", 0) != 0 && config_.url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument(where + ": url '" + config_.url +
                                   "' is not an http:// or https:// URL of OpenSearch");
  }
  if (!config_.mappings.empty()) {
    auto m = nlohmann::json::parse(config_.mappings, nullptr, false);
    if (m.is_discarded() || !m.is_object()) {
      return Status::InvalidArgument(where +
                                     ": mappings is not a JSON object; write it as "
                                     "'{\"properties\": {...}}'");
    }
  }
  auto plan = SearchPlan::Make(config_);
  if (!plan.ok()) return plan.status();
  plan_ = std::make_unique<SearchPlan>(std::move(plan).value());
  if (!config_.tls_verify) {
    LOG_WARN << where << ": tls_verify is false: the server's certificate and name are not "
             << "checked (for tests only)";
  }
  client_ =
      std::make_unique<SearchClient>(config_.url, HttpAccess::Of(config_), config_.timeout_ms);
  return Status::Ok();
}

Status SearchSink::OpenStore() {
  const std::string where = "sink " + config_.name;
  bool created = false;
  auto store = JoinStore::Open(store_dir_, &created);
  if (!store.ok()) return store.status().WithContext(where);
  store_ = std::move(store).value();
  auto marked = store_->Rebuilding();
  if (!marked.ok()) return marked.status().WithContext(where);
  rebuilding_ = *marked;
  return Status::Ok();
}

Status SearchSink::Reach() {
  HttpAnswer a = client_->Call("GET", "/", "", "");
  if (a.ok()) return Status::Ok();
  return Status::Unavailable("sink " + config_.name + ": " + config_.url + ": " +
                             a.Describe().substr(0, 300) + "; check the url and credentials");
}

Status SearchSink::EnsureIndex(const std::atomic<bool>& stop) {
  const std::string path = "/" + config_.index;
  auto backoff = std::chrono::milliseconds(100);
  const auto max_backoff = std::chrono::milliseconds(config_.retry_max_backoff_ms);
  for (int attempt = 1;; ++attempt) {
    HttpAnswer a = client_->Call("HEAD", path, "", "");
    if (a.status == 200) return Status::Ok();
    if (a.status == 404) {
      std::string body = "{}";
      if (!config_.mappings.empty()) body = "{\"mappings\":" + config_.mappings + "}";
      a = client_->Call("PUT", path, body, "application/json");
      // Another writer may have created it meanwhile.
      if (a.ok() || a.body.find("resource_already_exists_exception") != std::string::npos) {
        LOG_INFO << "sink " << config_.name << ": created index " << config_.index;
        return Status::Ok();
      }
    }
    if (!a.retriable()) {
      return Status::FailedPrecondition("sink " + config_.name + ": index " + config_.index +
                                        " at " + config_.url + ": " + a.Describe().substr(0, 400) +
                                        "; check the url, the credentials and mappings");
    }
    if (stop.load()) return Status::Aborted("stopped while waiting for OpenSearch");
    LOG_WARN << "sink " << config_.name << ": " << config_.url << ": " << a.Describe() << "; retry "
             << attempt << " in " << backoff.count() << " ms";
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, max_backoff);
  }
}

Result<std::vector<DocumentAction>> SearchSink::Update(const std::vector<InputRecord>& batch,
                                                       RecordInput& input, int64_t* newest_ts) {
  VIMUR_RETURN_IF_ERROR(store_->Begin());
  DocumentBuilder builder(*plan_, *store_);
  AffectedRoots affected;
  auto run = [&]() -> Result<std::vector<DocumentAction>> {
    std::vector<Result<RowChange>> changes = decoder_.DecodeAll(batch);
    for (size_t i = 0; i < batch.size(); ++i) {
      const InputRecord& r = batch[i];
      if (!r.value) continue;  // a tombstone: compaction's business, not a change
      const std::vector<int>& roles = plan_->RolesOf(r.topic);
      if (roles.empty()) continue;  // a topic of `topics` that no role reads
      const Result<RowChange>& change = changes[i];
      Status s = change.status();
      if (change.ok()) {
        *newest_ts = std::max(*newest_ts, change->source_ts_ms);
        for (int role : roles) {
          s = builder.Apply(*change, role, &r, &affected);
          if (!s.ok()) break;
        }
      }
      if (!s.ok()) {
        if (s.code() == StatusCode::kIoError) return s;  // the store failed: stop
        VIMUR_RETURN_IF_ERROR(decoder_.GiveUp(config_, r, s, input));
      }
    }
    return builder.Build(affected);
  };
  auto actions = run();
  if (!actions.ok()) {
    store_->Abort();
    return actions.status();
  }
  Status committed = store_->Commit();
  if (!committed.ok()) return committed.WithContext("sink " + config_.name);
  return actions;
}

struct SearchSink::Prepared final : PreparedBatch {
  std::vector<DocumentAction> actions;
  std::optional<HttpAnswer> answer;  // to the attempt
};

Result<std::unique_ptr<PreparedBatch>> SearchSink::Prepare(const std::vector<InputRecord>& batch,
                                                           RecordInput& input,
                                                           const std::atomic<bool>& stop,
                                                           int64_t* newest_ts) {
  // A back-query database that does not answer: the batch is taken again (the store's
  // transaction was rolled back) after a backoff; nothing is acknowledged meanwhile.
  VIMUR_RETURN_IF_ERROR(decoder_.Prepare(batch, config_, input, stop));
  auto backoff = std::chrono::milliseconds(100);
  auto actions = Update(batch, input, newest_ts);
  for (int attempt = 1; !actions.ok() && actions.status().code() == StatusCode::kUnavailable;
       ++attempt) {
    if (stop.load())
      return Status::Aborted("stopped while retrying: " + actions.status().message());
    metrics::SinkProbe::For(config_.name).retries.Add();
    LOG_WARN << "sink " << config_.name << ": " << actions.status().message() << "; retry "
             << attempt << " in " << backoff.count() << " ms (nothing is acknowledged meanwhile)";
    input.Wait(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(config_.retry_max_backoff_ms));
    actions = Update(batch, input, newest_ts);
  }
  if (!actions.ok()) return actions.status();
  auto prepared = std::make_unique<Prepared>();
  prepared->actions = std::move(actions).value();
  return std::unique_ptr<PreparedBatch>(std::move(prepared));
}

void SearchSink::Attempt(Prepared& prepared) {
  if (prepared.actions.empty()) return;
  std::vector<const DocumentAction*> sending;
  sending.reserve(prepared.actions.size());
  for (const DocumentAction& a : prepared.actions) sending.push_back(&a);
  prepared.answer = client_->Call("POST", "/" + config_.index + "/_bulk", BulkBody(sending),
                                  "application/x-ndjson");
}

Status SearchSink::Send(const std::vector<DocumentAction>& actions, std::optional<HttpAnswer> first,
                        RecordInput& input, const std::atomic<bool>& stop) {
  std::vector<const DocumentAction*> todo;
  for (const DocumentAction& a : actions) todo.push_back(&a);
  const std::string path = "/" + config_.index + "/_bulk";
  auto backoff = std::chrono::milliseconds(100);
  const auto max_backoff = std::chrono::milliseconds(config_.retry_max_backoff_ms);
  for (int attempt = 1; !todo.empty(); ++attempt) {
    HttpAnswer answer = attempt == 1 && first
                            ? std::move(*first)
                            : client_->Call("POST", path, BulkBody(todo), "application/x-ndjson");
    const bool exhausted = config_.max_attempts > 0 && attempt >= config_.max_attempts;
    std::vector<const DocumentAction*> again;
    std::string last_error;
    if (answer.ok()) {
      auto outcomes = ParseBulkAnswer(answer.body, todo.size());
      if (!outcomes.ok()) return outcomes.status().WithContext("sink " + config_.name);
      for (size_t i = 0; i < todo.size(); ++i) {
        const BulkItemOutcome& o = (*outcomes)[i];
        if (o.kind == BulkItemOutcome::kDone) continue;
        if (o.kind == BulkItemOutcome::kRetry && !exhausted) {
          again.push_back(todo[i]);
          last_error = "document " + todo[i]->id + ": " + o.error;
          continue;
        }
        Status why = Status::FailedPrecondition("OpenSearch refused document " + todo[i]->id +
                                                " of index " + config_.index + ": " + o.error);
        VIMUR_RETURN_IF_ERROR(decoder_.GiveUp(config_, CauseOf(*todo[i]), why, input));
      }
    } else if (answer.retriable() && !exhausted) {
      again = todo;
      last_error = answer.Describe().substr(0, 300);
    } else {
      Status why = Status::FailedPrecondition(
          "POST " + config_.url + path + " answered " + answer.Describe().substr(0, 300) +
          (answer.retriable() ? " after " + std::to_string(attempt) + " attempts (max_attempts)"
                              : ""));
      for (const DocumentAction* a : todo) {
        VIMUR_RETURN_IF_ERROR(decoder_.GiveUp(config_, CauseOf(*a), why, input));
      }
    }
    todo = std::move(again);
    if (todo.empty()) break;
    if (stop.load()) return Status::Aborted("stopped while retrying: " + last_error);
    metrics::SinkProbe& probe = metrics::SinkProbe::For(config_.name);
    probe.retries.Add();
    probe.up.Set(0);
    LOG_WARN << "sink " << config_.name << ": _bulk: " << last_error << " (" << todo.size()
             << " documents); retry " << attempt << " in " << backoff.count()
             << " ms (nothing is acknowledged meanwhile)";
    input.Wait(backoff);
    backoff = std::min(backoff * 2, max_backoff);
  }
  return Status::Ok();
}

Status SearchSink::Run(RecordInput& input, const std::atomic<bool>& stop) {
  LOG_INFO << "sink " << config_.name << ": indexing into " << config_.url << "/" << config_.index
           << " (join store " << store_dir_ << ")";
  VIMUR_RETURN_IF_ERROR(OpenStore());
  Status ready = EnsureIndex(stop);
  if (ready.code() == StatusCode::kAborted) return Status::Ok();
  VIMUR_RETURN_IF_ERROR(ready);
  if (rebuilding_) {
    LOG_INFO << "sink " << config_.name
             << ": the join store is new: rebuilding it from the start of the topics";
    input.ReadFromBeginning();
  }
  BatchStages stages;
  stages.prepare = [&](const std::vector<InputRecord>& batch, int64_t* newest) {
    return Prepare(batch, input, stop, newest);
  };
  stages.attempt = [&](PreparedBatch& p) {
    Attempt(static_cast<Prepared&>(p));
    return Status::Ok();
  };
  stages.finish = [&](const std::vector<InputRecord>&, PreparedBatch& p, Status) {
    auto& prepared = static_cast<Prepared&>(p);
    Status sent = prepared.actions.empty()
                      ? Status::Ok()
                      : Send(prepared.actions, std::move(prepared.answer), input, stop);
    if (!sent.ok()) return sent;
    // The first batch acknowledged after a rebuild began moved the offsets back (batches are
    // acknowledged in order, each after it finished): from the second on, a restart resumes
    // from them.
    if (rebuilding_ && batches_++ > 0) {
      VIMUR_RETURN_IF_ERROR(store_->EndRebuild().WithContext("sink " + config_.name));
      rebuilding_ = false;
      LOG_INFO << "sink " << config_.name << ": the join store caught up with the offsets";
    }
    return sent;
  };
  return RunBatchLoop(config_, input, stop, stages);
}

}  // namespace vimur::sink
