// MetricsServer: serves a metrics Registry over HTTP: `/metrics` in the Prometheus text format
// 0.0.4, `/health` (200 "ok", or 503 naming each source and sink that is not running), the
// status page at `/` and the last hour of its charted figures at `/history.json`.
#pragma once

#include <string>

#include "core/metrics.h"
#include "core/status.h"
#include "http/http_listener.h"
#include "server/metrics_history.h"

namespace vimur::server {

class MetricsServer {
 public:
  // `access` (metrics_access): TLS and basic auth; the page's history is sampled every
  // `history_interval_s` (metrics_history_interval_s).
  explicit MetricsServer(metrics::Registry& registry, ListenerAccessConfig access = {},
                         int history_interval_s = 10);
  // Binds `listen` (metrics_listen; port 0 picks a free one) and serves in the background. A
  // non-loopback address is refused unless `allow_remote` (metrics_allow_remote).
  Status Start(const std::string& listen, bool allow_remote);
  int port() const { return listener_.port(); }
  void Stop() {
    listener_.Stop();
    history_.Stop();
  }

 private:
  metrics::Registry& registry_;
  MetricsHistory history_;
  http::HttpListener listener_;
};

}  // namespace vimur::server
