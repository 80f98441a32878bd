#include "server/metrics_server.h"

#include "core/logging.h"
#include "server/health.h"
#include "server/status_page.h"

namespace vimur::server {

MetricsServer::MetricsServer(metrics::Registry& registry, ListenerAccessConfig access,
                             int history_interval_s)
    : registry_(registry),
      history_(registry, history_interval_s),
      listener_("metrics", std::move(access)) {
  httplib::Server& s = listener_.server();
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry_.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    Health health = CheckHealth(registry_);
    res.status = health.healthy ? 200 : 503;
    res.set_content(health.Text(), "text/plain; charset=utf-8");
  });
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(StatusPageHtml()), "text/html; charset=utf-8");
  });
  s.Get("/history.json", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(history_.Json(), "application/json");
  });
}

Status MetricsServer::Start(const std::string& listen, bool allow_remote) {
  VIMUR_ASSIGN_OR_RETURN(http::ListenAddress address,
                         http::ParseListenAddress(listen, "metrics_listen"));
  if (!allow_remote && !http::IsLoopbackHost(address.host)) {
    return Status::InvalidArgument(
        "metrics_listen '" + listen +
        "' is not a loopback address. Use 127.0.0.1:PORT, or set metrics_allow_remote: true "
        "to serve other hosts (with metrics_access for TLS and basic auth)");
  }
  if (!http::IsLoopbackHost(address.host) && (!listener_.tls() || !listener_.authenticates())) {
    LOG_WARN << "metrics_listen " << listen << " serves other hosts without "
             << (listener_.tls() ? "authentication" : "TLS")
             << ": set metrics_access (tls_cert, tls_key, username, password_file)";
  }
  VIMUR_RETURN_IF_ERROR(listener_.Start(listen, "metrics_listen"));
  history_.Start();
  return Status::Ok();
}

}  // namespace vimur::server
