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

namespace {

std::string Base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) n |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Compares without stopping at the first difference, so timing tells nothing of the secret.
bool SameText(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ (i < b.size() ? b[i] : 0);
  return diff == 0;
}

}  // namespace

bool BasicAuthMatches(const std::string& authorization, const std::string& username,
                      const std::string& password) {
  return SameText(authorization, "Basic " + Base64(username + ":" + password));
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

HttpListener::HttpListener(std::string what, ListenerAccessConfig access)
    : what_(std::move(what)), access_(std::move(access)) {
  if (tls()) {
    server_ =
        std::make_unique<httplib::SSLServer>(access_.tls_cert.c_str(), access_.tls_key.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  if (authenticates()) {
    server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (BasicAuthMatches(req.get_header_value("Authorization"), access_.username,
                           access_.password)) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"vimur " + what_ + "\"");
      res.set_content("authentication required\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    });
  }
}

Status HttpListener::Start(const std::string& listen, const std::string& key) {
  VIMUR_ASSIGN_OR_RETURN(ListenAddress address, ParseListenAddress(listen, key));
  if (!server_->is_valid()) {
    return Status::InvalidArgument(what_ + ": cannot load the TLS certificate '" +
                                   access_.tls_cert + "' and key '" + access_.tls_key +
                                   "': check that both are readable PEM files that match");
  }
  if (address.port == 0) {
    address.port = server_->bind_to_any_port(address.host.c_str());
    if (address.port < 0) {
      return Status::Unavailable(what_ + ": cannot bind " + listen + " (" + key +
                                 "): not an address of this host?");
    }
  } else if (!server_->bind_to_port(address.host.c_str(), address.port)) {
    return Status::Unavailable(what_ + ": cannot listen on " + listen + " (" + key +
                               "): in use, or not an address of this host");
  }
  port_ = address.port;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() before the accept loop has started would be lost: wait until it runs.
  for (int i = 0; i < 2000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  LOG_INFO << what_ << ": serving " << (tls() ? "https" : "http") << " on " << address.host << ":"
           << port_ << (authenticates() ? " (basic auth)" : "");
  return Status::Ok();
}

void HttpListener::Stop() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vimur::http
