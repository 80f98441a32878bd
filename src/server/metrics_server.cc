#include "server/metrics_server.h"

#include "server/health.h"

namespace vimur::server {

MetricsServer::MetricsServer(metrics::Registry& registry) : registry_(registry) {
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
        "' is not a loopback address: the metrics listener has no TLS or authentication. Use "
        "127.0.0.1:PORT, or set metrics_allow_remote: true to serve other hosts");
  }
  return listener_.Start(listen, "metrics_listen");
}

}  // namespace vimur::server
