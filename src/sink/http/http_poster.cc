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
  char error_buffer[CURL_ERROR_SIZE] = {};
};

// Failures of the TLS layer: the server's certificate, the handshake, the CA or client files.
bool IsTlsFailure(CURLcode rc) {
  switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT: return true;
    default: return false;
  }
}

}  // namespace

HttpAccess HttpAccess::Of(const SinkConfig& config) {
  HttpAccess a;
  a.tls_ca = config.tls_ca;
  a.tls_cert = config.tls_cert;
  a.tls_key = config.tls_key;
  a.tls_verify = config.tls_verify;
  a.username = config.username;
  a.password = config.password;
  return a;
}

void HttpAccess::Apply(void* handle) const {
  CURL* easy = static_cast<CURL*>(handle);
  if (!tls_ca.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, tls_ca.c_str());
    curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);  // only tls_ca, not the system's directory
  }
  if (!tls_cert.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERT, tls_cert.c_str());
    curl_easy_setopt(easy, CURLOPT_SSLKEY, tls_key.c_str());
  }
  if (!tls_verify) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!username.empty()) {
    curl_easy_setopt(easy, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(easy, CURLOPT_USERNAME, username.c_str());
    curl_easy_setopt(easy, CURLOPT_PASSWORD, password.c_str());
  }
}

std::string HttpAnswer::Describe() const {
  if (status == 0) {
    std::string out = "no answer (" + error + ")";
    if (tls_failed) {
      out +=
          "; check tls_ca (the PEM file of the CA that signed the server's certificate), "
          "tls_cert and tls_key";
    }
    return out;
  }
  std::string out = "HTTP " + std::to_string(status);
  if (status == 401) out += " (the credentials were refused: check username and password)";
  if (status == 403) out += " (forbidden: check the user's permissions)";
  std::string line;  // the body on one line: an HTML error page's line breaks become spaces
  for (char c : body) {
    if (c != '\n' && c != '\r' && c != '\t' && c != ' ') {
      line += c;
    } else if (!line.empty() && line.back() != ' ') {
      line += ' ';
    }
  }
  if (!line.empty() && line.back() == ' ') line.pop_back();
  if (!line.empty()) out += ": " + line;
  return out;
}

void HttpAnswer::Finish(void* easy, int rc, const char* error_buffer) {
  const CURLcode code = static_cast<CURLcode>(rc);
  if (code == CURLE_OK) {
    curl_easy_getinfo(static_cast<CURL*>(easy), CURLINFO_RESPONSE_CODE, &status);
    return;
  }
  error = curl_easy_strerror(code);
  if (error_buffer != nullptr && error_buffer[0] != '\0' && error != error_buffer) {
    error += std::string(": ") + error_buffer;
  }
  tls_failed = IsTlsFailure(code);
}

HttpPoster::HttpPoster(std::string url, int timeout_ms, HttpAccess access)
    : url_(std::move(url)), timeout_ms_(timeout_ms), access_(std::move(access)) {
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
    curl_easy_setopt(t.easy, CURLOPT_ERRORBUFFER, t.error_buffer);
    access_.Apply(t.easy);
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
    t->answer->Finish(msg->easy_handle, msg->data.result, t->error_buffer);
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
