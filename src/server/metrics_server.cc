#include "server/metrics_server.h"

#include "core/logging.h"
#include "server/health.h"

namespace vimur::server {

MetricsServer::MetricsServer(metrics::Registry& registry, ListenerAccessConfig access)
    : registry_(registry), listener_("metrics", std::move(access)) {
  httplib::Server& s = listener_.server();
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry_.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    Health health = CheckHealth(registry_);
    res.status = health.healthy ? 200 : 503;
    res.set_content(health.Text(), "text/plain; charset=utf-8");
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
  return listener_.Start(listen, "metrics_listen");
}

}  // namespace vimur::server
