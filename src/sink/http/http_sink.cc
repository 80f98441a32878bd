#include "sink/http/http_sink.h"

#include <algorithm>
#include <chrono>

#include "core/logging.h"
#include "core/metrics_probes.h"
#include "sink/batch_loop.h"

namespace vimur::sink {

HttpSink::HttpSink(SinkConfig config) : config_(std::move(config)) {}

HttpSink::~HttpSink() = default;

Status HttpSink::Open() {
  if (config_.url.rfind("http://", 0) != 0 && config_.url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("sink " + config_.name + ": url '" + config_.url +
                                   "' is not an http:// or https:// URL");
  }
  if (!config_.tls_verify) {
    LOG_WARN << "sink " << config_.name << ": tls_verify is false: the server's certificate and "
             << "name are not checked (for tests only)";
  }
  poster_ = std::make_unique<HttpPoster>(config_.url, config_.timeout_ms, HttpAccess::Of(config_));
  return Status::Ok();
}

HttpRequest HttpSink::MakeRequest(const HttpGroup& group) const {
  HttpRequest r;
  r.body = group.Body();
  r.headers.push_back("X-Vimur-Sink: " + config_.name);
  r.headers.push_back("X-Vimur-Events: " + std::to_string(group.events.size()));
  if (!config_.hmac_secret.empty()) {
    r.headers.push_back("X-Vimur-Signature: " + SignatureHeaderValue(config_.hmac_secret, r.body));
  }
  return r;
}

Status HttpSink::Process(const std::vector<InputRecord>& batch, RecordInput& input,
                         const std::atomic<bool>& stop, int64_t* newest_ts) {
  std::vector<HttpGroup> groups(static_cast<size_t>(config_.max_in_flight));
  for (const InputRecord& r : batch) {
    if (!r.value) continue;  // a tombstone: compaction's business, not an event
    auto change = DecodeJsonEvent(r);
    if (!change.ok()) {
      VIMUR_RETURN_IF_ERROR(GiveUpRecord(config_, r, change.status(), input));
      continue;
    }
    if (change->op == 0) continue;  // a truncate or a record without a change
    *newest_ts = std::max(*newest_ts, change->source_ts_ms);
    HttpGroup& g = groups[GroupOf(r, groups.size())];
    g.records.push_back(&r);
    g.events.push_back(EventJson(r, *change, config_.flatten));
  }
  std::vector<HttpRequest> requests;
  std::vector<const HttpGroup*> pending;
  for (const HttpGroup& g : groups) {
    if (g.events.empty()) continue;
    requests.push_back(MakeRequest(g));
    pending.push_back(&g);
  }
  std::vector<size_t> todo(pending.size());
  for (size_t i = 0; i < todo.size(); ++i) todo[i] = i;
  auto backoff = std::chrono::milliseconds(100);
  const auto max_backoff = std::chrono::milliseconds(config_.retry_max_backoff_ms);
  for (int attempt = 1; !todo.empty(); ++attempt) {
    std::vector<const HttpRequest*> sending;
    for (size_t i : todo) sending.push_back(&requests[i]);
    std::vector<HttpAnswer> answers = poster_->PostAll(sending);
    std::vector<size_t> again;
    std::string last_error;
    for (size_t j = 0; j < todo.size(); ++j) {
      const HttpAnswer& a = answers[j];
      if (a.ok()) continue;
      const HttpGroup& g = *pending[todo[j]];
      bool exhausted = config_.max_attempts > 0 && attempt >= config_.max_attempts;
      if (a.retriable() && !exhausted) {
        again.push_back(todo[j]);
        last_error = a.Describe();
        continue;
      }
      Status why = Status::FailedPrecondition(
          "POST " + config_.url + " answered " + a.Describe() +
          (a.retriable() ? " after " + std::to_string(attempt) + " attempts (max_attempts)" : ""));
      for (const InputRecord* r : g.records) {
        VIMUR_RETURN_IF_ERROR(GiveUpRecord(config_, *r, why, input));
      }
    }
    todo = std::move(again);
    if (todo.empty()) break;
    if (stop.load()) return Status::Aborted("stopped while retrying: " + last_error);
    metrics::SinkProbe& probe = metrics::SinkProbe::For(config_.name);
    probe.retries.Add();
    probe.up.Set(0);
    LOG_WARN << "sink " << config_.name << ": POST " << config_.url << ": " << last_error << " ("
             << todo.size() << " of " << pending.size() << " requests); retry " << attempt << " in "
             << backoff.count() << " ms (nothing is acknowledged meanwhile)";
    input.Wait(backoff);
    backoff = std::min(backoff * 2, max_backoff);
  }
  return Status::Ok();
}

Status HttpSink::Run(RecordInput& input, const std::atomic<bool>& stop) {
  LOG_INFO << "sink " << config_.name << ": posting to " << config_.url << " ("
           << (config_.flatten ? "flattened rows" : "Debezium envelopes") << ", up to "
           << config_.max_in_flight << " requests at once)";
  return RunBatchLoop(config_, input, stop,
                      [&](const std::vector<InputRecord>& batch, int64_t* newest) {
                        return Process(batch, input, stop, newest);
                      });
}

}  // namespace vimur::sink
