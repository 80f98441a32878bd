// HttpPoster: POSTs several JSON bodies to one URL at once (libcurl's multi interface) and
// reports each answer: the status code, or the transport error when none came. HttpAccess: the
// TLS and basic-auth options of an http(s) connection, shared with the search sink's client.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace vimur::sink {

// TLS and basic authentication of the http and search sinks' connections (their `tls_*`,
// `username` and `password` keys).
struct HttpAccess {
  std::string tls_ca;    // PEM CA file trusted instead of the system store; empty: system CAs
  std::string tls_cert;  // PEM client certificate; empty: none
  std::string tls_key;   // its PEM key
  bool tls_verify = true;
  std::string username;  // basic auth; empty: none
  std::string password;  // never logged

  static HttpAccess Of(const SinkConfig& config);
  // Sets the options on a CURL easy handle (void* keeps curl.h out of this header).
  void Apply(void* easy) const;
};

struct HttpRequest {
  std::string body;
  std::vector<std::string> headers;  // "Name: value"
};

struct HttpAnswer {
  long status = 0;    // 0: no answer (see error)
  std::string error;  // transport error (connect, timeout, TLS, ...); empty when status is set
  bool tls_failed = false;  // the error is about TLS (certificate, handshake, key)
  std::string body;         // the start of the answer's body, for messages

  bool ok() const { return status >= 200 && status < 300; }
  // Worth sending again: no answer, 5xx, 408 or 429.
  bool retriable() const { return status == 0 || status >= 500 || status == 408 || status == 429; }
  // The status (with a hint on 401/403) or the error (with a hint on TLS failures).
  std::string Describe() const;
  // Fills `status`, or `error` and `tls_failed` from curl's result `rc` (a CURLcode) and the
  // detail curl left in `error_buffer` (CURLOPT_ERRORBUFFER).
  void Finish(void* easy, int rc, const char* error_buffer);
};

class HttpPoster {
 public:
  HttpPoster(std::string url, int timeout_ms, HttpAccess access = {});
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  // Sends every request concurrently and waits for all answers (one per request, same order).
  std::vector<HttpAnswer> PostAll(const std::vector<const HttpRequest*>& requests);

 private:
  std::string url_;
  int timeout_ms_;
  HttpAccess access_;
  void* multi_ = nullptr;  // CURLM
};

}  // namespace vimur::sink
