#include "http/http_listener.h"

#include <arpa/inet.h>

#include <chrono>

#include "core/logging.h"

namespace vimur::http {

Result<ListenAddress> ParseListenAddress(const std::string& listen, const std::string& key) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument(key + " '" + listen +
                                   "': expected host:port, e.g. 127.0.0.1:9400");
  }
  ListenAddress out;
  out.host = listen.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  const std::string port = listen.substr(colon + 1);
  out.port = -1;
  if (!port.empty() && port.size() <= 5 &&
      port.find_first_not_of("0123456789") == std::string::npos) {
    out.port = std::stoi(port);
  }
  if (out.port < 0 || out.port > 65535) {
    return Status::InvalidArgument(key + " '" + listen + "': bad port '" + port +
                                   "' (0 to 65535; 0 picks a free one)");
  }
  return out;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6) != 0;
  }
  return false;
}

Status HttpListener::Start(const std::string& listen, const std::string& key) {
  VIMUR_ASSIGN_OR_RETURN(ListenAddress address, ParseListenAddress(listen, key));
  if (address.port == 0) {
    address.port = server_.bind_to_any_port(address.host.c_str());
    if (address.port < 0) {
      return Status::Unavailable(what_ + ": cannot bind " + listen + " (" + key +
                                 "): not an address of this host?");
    }
  } else if (!server_.bind_to_port(address.host.c_str(), address.port)) {
    return Status::Unavailable(what_ + ": cannot listen on " + listen + " (" + key +
                               "): in use, or not an address of this host");
  }
  port_ = address.port;
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // stop() before the accept loop has started would be lost: wait until it runs.
  for (int i = 0; i < 2000 && !server_.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  LOG_INFO << what_ << ": serving on " << address.host << ":" << port_;
  return Status::Ok();
}

void HttpListener::Stop() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vimur::http
