#include "sink/http/http_poster.h"

#include <curl/curl.h>

#include <mutex>

namespace vimur::sink {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t KeepHead(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() < 300) out->append(data, std::min(size * n, 300 - out->size()));
  return size * n;
}

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpAnswer* answer = nullptr;
};

}  // namespace

std::string HttpAnswer::Describe() const {
  if (status == 0) return "no answer (" + error + ")";
  std::string out = "HTTP " + std::to_string(status);
  if (!body.empty()) out += ": " + body;
  return out;
}

HttpPoster::HttpPoster(std::string url, int timeout_ms)
    : url_(std::move(url)), timeout_ms_(timeout_ms) {
  GlobalInit();
  multi_ = curl_multi_init();
}

HttpPoster::~HttpPoster() {
  if (multi_ != nullptr) curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

std::vector<HttpAnswer> HttpPoster::PostAll(const std::vector<const HttpRequest*>& requests) {
  CURLM* multi = static_cast<CURLM*>(multi_);
  std::vector<HttpAnswer> answers(requests.size());
  std::vector<Transfer> transfers(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    Transfer& t = transfers[i];
    t.answer = &answers[i];
    t.easy = curl_easy_init();
    for (const std::string& h : requests[i]->headers)
      t.headers = curl_slist_append(t.headers, h.c_str());
    t.headers = curl_slist_append(t.headers, "Content-Type: application/json");
    t.headers = curl_slist_append(t.headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(t.easy, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(t.easy, CURLOPT_POST, 1L);
    curl_easy_setopt(t.easy, CURLOPT_POSTFIELDS, requests[i]->body.data());
    curl_easy_setopt(t.easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(requests[i]->body.size()));
    curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, t.headers);
    curl_easy_setopt(t.easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
    curl_easy_setopt(t.easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms_));
    curl_easy_setopt(t.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, KeepHead);
    curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, &answers[i].body);
    curl_easy_setopt(t.easy, CURLOPT_PRIVATE, &t);
    curl_multi_add_handle(multi, t.easy);
  }
  int running = 0;
  do {
    CURLMcode mc = curl_multi_perform(multi, &running);
    if (mc != CURLM_OK) break;
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 200, nullptr);
  } while (running > 0);
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
    if (msg->data.result == CURLE_OK) {
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &t->answer->status);
    } else {
      t->answer->error = curl_easy_strerror(msg->data.result);
    }
  }
  for (Transfer& t : transfers) {
    if (t.answer->status == 0 && t.answer->error.empty()) t.answer->error = "transfer not finished";
    curl_multi_remove_handle(multi, t.easy);
    curl_easy_cleanup(t.easy);
    curl_slist_free_all(t.headers);
  }
  return answers;
}

}  // namespace vimur::sink
