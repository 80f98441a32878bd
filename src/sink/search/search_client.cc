#include "sink/search/search_client.h"

#include <curl/curl.h>

#include <mutex>

namespace vimur::sink {
namespace {

size_t KeepAll(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

}  // namespace

SearchClient::SearchClient(std::string base_url, HttpAccess access, int timeout_ms)
    : base_url_(std::move(base_url)), access_(std::move(access)), timeout_ms_(timeout_ms) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  easy_ = curl_easy_init();
}

SearchClient::~SearchClient() {
  if (easy_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(easy_));
}

HttpAnswer SearchClient::Call(const std::string& method, const std::string& path,
                              const std::string& body, const std::string& content_type) {
  CURL* easy = static_cast<CURL*>(easy_);
  curl_easy_reset(easy);
  HttpAnswer answer;
  const std::string url = base_url_ + path;
  curl_slist* headers = nullptr;
  if (!content_type.empty()) {
    headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  if (method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  access_.Apply(easy);
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, KeepAll);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &answer.body);
  CURLcode rc = curl_easy_perform(easy);
  answer.Finish(easy, rc, error_buffer);
  if (rc != CURLE_OK) answer.body.clear();
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);  // error_buffer goes out of scope
  curl_slist_free_all(headers);
  return answer;
}

}  // namespace vimur::sink
