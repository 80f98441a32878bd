// HttpListener: binds a cpp-httplib server to a configured "host:port" and serves it on a
// thread of its own; shared by the schema registry and the metrics endpoint.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "core/config.h"
#include "core/status.h"
#include "http/httplib.h"

namespace vimur::http {

struct ListenAddress {
  std::string host;  // without IPv6 brackets
  int port = 0;      // 0: any free port
};

// Parses "host:port" ("[::1]:9400" for IPv6). `key` names the configuration key in errors.
Result<ListenAddress> ParseListenAddress(const std::string& listen, const std::string& key);

// Whether `host` is a loopback address or name (127.0.0.0/8, ::1, localhost).
bool IsLoopbackHost(const std::string& host);

// Whether `authorization` (an Authorization header) carries basic auth `username:password`.
bool BasicAuthMatches(const std::string& authorization, const std::string& username,
                      const std::string& password);

class HttpListener {
 public:
  // `what` names the service in logs and errors ("registry", "metrics"); `access` gives TLS
  // (HTTPS with its certificate) and basic auth (every request needs the user and password).
  explicit HttpListener(std::string what, ListenerAccessConfig access = {});
  ~HttpListener() { Stop(); }
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Add routes here before Start.
  httplib::Server& server() { return *server_; }
  // Binds `address` and serves on a background thread; `key` names the configuration key.
  // Fails when the TLS certificate or key cannot be loaded.
  Status Start(const std::string& listen, const std::string& key);
  // Whether it serves HTTPS and asks for basic auth.
  bool tls() const { return !access_.tls_cert.empty(); }
  bool authenticates() const { return !access_.username.empty(); }
  // The bound port, after Start.
  int port() const { return port_; }
  // Stops serving and joins the thread; safe to call twice.
  void Stop();

 private:
  std::string what_;
  ListenerAccessConfig access_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace vimur::http
