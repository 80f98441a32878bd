// HttpPoster: POSTs several JSON bodies to one URL at once (libcurl's multi interface) and
// reports each answer: the status code, or the transport error when none came.
#pragma once

#include <string>
#include <vector>

namespace vimur::sink {

struct HttpRequest {
  std::string body;
  std::vector<std::string> headers;  // "Name: value"
};

struct HttpAnswer {
  long status = 0;    // 0: no answer (see error)
  std::string error;  // transport error (connect, timeout, ...); empty when status is set
  std::string body;   // the start of the answer's body, for messages

  bool ok() const { return status >= 200 && status < 300; }
  // Worth sending again: no answer, 5xx, 408 or 429.
  bool retriable() const { return status == 0 || status >= 500 || status == 408 || status == 429; }
  std::string Describe() const;
};

class HttpPoster {
 public:
  HttpPoster(std::string url, int timeout_ms);
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  // Sends every request concurrently and waits for all answers (one per request, same order).
  std::vector<HttpAnswer> PostAll(const std::vector<const HttpRequest*>& requests);

 private:
  std::string url_;
  int timeout_ms_;
  void* multi_ = nullptr;  // CURLM
};

}  // namespace vimur::sink
