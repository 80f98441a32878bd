// SearchClient: the few OpenSearch REST calls the search sink makes (HEAD and PUT of an index,
// POST of a `_bulk` body) over libcurl, with optional basic authentication and https (HttpAccess).
#pragma once

#include <string>

#include "sink/http/http_poster.h"

namespace vimur::sink {

class SearchClient {
 public:
  // `base_url`: http(s)://HOST:PORT without a trailing '/'.
  SearchClient(std::string base_url, HttpAccess access, int timeout_ms);
  ~SearchClient();
  SearchClient(const SearchClient&) = delete;
  SearchClient& operator=(const SearchClient&) = delete;

  // `method` HEAD, GET, PUT or POST on base_url + `path`; the answer's whole body is kept.
  HttpAnswer Call(const std::string& method, const std::string& path, const std::string& body,
                  const std::string& content_type);
  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
  HttpAccess access_;
  int timeout_ms_;
  void* easy_ = nullptr;  // CURL, reused so the connection stays open
};

}  // namespace vimur::sink
