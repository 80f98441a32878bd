#include "registry/schema_registry_client.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/logging.h"
#include "http/httplib.h"

namespace vimur::registry {
namespace {

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

struct HttpSchemaRegistryClient::Impl {
  std::unique_ptr<httplib::Client> client;
  std::string base_path;  // "" or "/prefix"
};

HttpSchemaRegistryClient::HttpSchemaRegistryClient(RegistryClientOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

HttpSchemaRegistryClient::~HttpSchemaRegistryClient() = default;

Result<std::shared_ptr<HttpSchemaRegistryClient>> HttpSchemaRegistryClient::Create(
    RegistryClientOptions options) {
  const std::string& url = options.url;
  size_t scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("format.registry_url '" + url +
                                   "': expected http://host:port or https://host:port");
  }
  size_t path_start = url.find('/', scheme_end + 3);
  std::string host_port =
      url.substr(0, path_start == std::string::npos ? std::string::npos : path_start);
  std::string path = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (host_port.size() <= scheme_end + 3) {
    return Status::InvalidArgument("format.registry_url '" + url + "' has no host");
  }
  std::shared_ptr<HttpSchemaRegistryClient> c(new HttpSchemaRegistryClient(std::move(options)));
  try {
    c->impl_->client = std::make_unique<httplib::Client>(host_port);
  } catch (const std::exception& e) {
    return Status::InvalidArgument("format.registry_url '" + url + "': " + e.what());
  }
  if (!c->impl_->client->is_valid()) {
    return Status::InvalidArgument("format.registry_url '" + url + "' is not usable");
  }
  c->impl_->base_path = path;
  httplib::Client& h = *c->impl_->client;
  const RegistryClientOptions& o = c->options_;
  if (!o.user.empty()) h.set_basic_auth(o.user.c_str(), o.password.c_str());
  if (scheme == "https") {
    if (!o.ca_file.empty()) h.set_ca_cert_path(o.ca_file.c_str());
    h.enable_server_certificate_verification(o.verify_tls);
  }
  time_t sec = o.timeout_ms / 1000;
  time_t usec = (o.timeout_ms % 1000) * 1000;
  h.set_connection_timeout(sec, usec);
  h.set_read_timeout(sec, usec);
  h.set_write_timeout(sec, usec);
  h.set_keep_alive(true);
  h.set_default_headers({{"Accept", "application/vnd.schemaregistry.v1+json"}});
  return c;
}

Result<std::shared_ptr<HttpSchemaRegistryClient>> HttpSchemaRegistryClient::FromConfig(
    const FormatConfig& format) {
  RegistryClientOptions o;
  o.url = format.registry_url;
  o.user = format.registry_user;
  o.password = format.registry_password;
  o.ca_file = format.registry_ca;
  return Create(std::move(o));
}

Result<std::string> HttpSchemaRegistryClient::Send(const char* method, const std::string& path,
                                                   const std::string& body) {
  const auto give_up = std::chrono::steady_clock::now() + options_.retry_for;
  auto backoff = std::chrono::milliseconds(options_.retry_initial_ms);
  for (int attempt = 1;; ++attempt) {
    Result<std::string> reply = SendOnce(method, path, body);
    if (reply.ok() || !reply.status().retriable() ||
        std::chrono::steady_clock::now() + backoff > give_up) {
      return reply;
    }
    LOG_WARN << reply.status().message() << " (attempt " << attempt << "; retrying in "
             << backoff.count() << " ms: publishing waits for the registry)";
    std::this_thread::sleep_for(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(30));
  }
}

Result<std::string> HttpSchemaRegistryClient::SendOnce(const char* method, const std::string& path,
                                                       const std::string& body) {
  httplib::Client& h = *impl_->client;
  std::string full = impl_->base_path + path;
  const char* type = "application/vnd.schemaregistry.v1+json";
  const std::string verb(method);
  httplib::Result r = verb == "POST"  ? h.Post(full, body, type)
                      : verb == "PUT" ? h.Put(full, body, type)
                                      : h.Get(full);
  std::string what = std::string(method) + " " + options_.url + path;
  if (!r) {
    std::string m = "schema registry " + what + ": " + httplib::to_string(r.error());
    switch (r.error()) {
      case httplib::Error::SSLLoadingCerts:
      case httplib::Error::SSLServerVerification:
        // Retrying cannot fix a certificate the client does not trust.
        return Status::FailedPrecondition(m + "; check format.registry_ca and the URL's host");
      default: return Status::Unavailable(m);
    }
  }
  int status = r->status;
  if (status >= 200 && status < 300) return r->body;
  std::string message = r->body;
  try {
    auto j = nlohmann::json::parse(r->body);
    if (j.is_object() && j.contains("message")) {
      message = j.value("message", "") + " (error_code " +
                std::to_string(j.value("error_code", status)) + ")";
    }
  } catch (const nlohmann::json::exception&) {
  }
  std::string m = "schema registry " + what + ": HTTP " + std::to_string(status) + ": " + message;
  if (status == 401 || status == 403) {
    return Status::PermissionDenied(m + "; check format.registry_user and registry_password");
  }
  if (status == 409) {
    return Status::FailedPrecondition(m);
  }
  if (status == 404) return Status::NotFound(m);
  if (status == 408 || status == 429 || status >= 500) return Status::Unavailable(m);
  return Status::InvalidArgument(m);
}

Result<int32_t> HttpSchemaRegistryClient::Register(const std::string& subject,
                                                   const std::string& schema) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_pair(subject, schema);
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  nlohmann::json body{{"schema", schema}};
  VIMUR_ASSIGN_OR_RETURN(
      std::string reply,
      Send("POST", "/subjects/" + UrlEncode(subject) + "/versions", body.dump()));
  try {
    auto j = nlohmann::json::parse(reply);
    int32_t id = j.at("id").get<int32_t>();
    ids_.emplace(std::move(key), id);
    return id;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("schema registry reply to registering " + subject +
                              " has no id: " + e.what());
  }
}

Status HttpSchemaRegistryClient::SetSubjectCompatibility(const std::string& subject,
                                                         const std::string& level) {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json body{{"compatibility", level}};
  auto reply = Send("PUT", "/config/" + UrlEncode(subject), body.dump());
  if (!reply.ok()) {
    return reply.status().WithContext("setting the compatibility of subject '" + subject + "'");
  }
  return Status::Ok();
}

Result<RegisteredSchema> HttpSchemaRegistryClient::Lookup(const std::string& subject,
                                                          const std::string& schema) {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json body{{"schema", schema}};
  VIMUR_ASSIGN_OR_RETURN(std::string reply,
                         Send("POST", "/subjects/" + UrlEncode(subject), body.dump()));
  try {
    auto j = nlohmann::json::parse(reply);
    RegisteredSchema r;
    r.id = j.at("id").get<int32_t>();
    r.version = j.at("version").get<int>();
    r.schema = j.value("schema", "");
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("schema registry reply to a lookup in " + subject + ": " + e.what());
  }
}

Result<std::string> HttpSchemaRegistryClient::SchemaById(int32_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  VIMUR_ASSIGN_OR_RETURN(std::string reply, Send("GET", "/schemas/ids/" + std::to_string(id), ""));
  try {
    return nlohmann::json::parse(reply).at("schema").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("schema registry reply for id " + std::to_string(id) + ": " +
                              e.what());
  }
}

}  // namespace vimur::registry
