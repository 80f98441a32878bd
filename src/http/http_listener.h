// HttpListener: binds a cpp-httplib server to a configured "host:port" and serves it on a
// thread of its own; shared by the schema registry and the metrics endpoint.
#pragma once

#include <memory>
#include <string>
#include <thread>

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

class HttpListener {
 public:
  // `what` names the service in logs and errors ("registry", "metrics").
  explicit HttpListener(std::string what) : what_(std::move(what)) {}
  ~HttpListener() { Stop(); }
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Add routes here before Start.
  httplib::Server& server() { return server_; }
  // Binds `address` and serves on a background thread; `key` names the configuration key.
  Status Start(const std::string& listen, const std::string& key);
  // The bound port, after Start.
  int port() const { return port_; }
  // Stops serving and joins the thread; safe to call twice.
  void Stop();

 private:
  std::string what_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace vimur::http
