// HttpSchemaRegistryClient: registers and looks up Avro schemas in any Confluent-compatible
// schema registry over HTTP(S), with basic auth and a TLS CA option; ids are cached per
// (subject, schema) so each is asked for once.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "core/config.h"
#include "core/status.h"
#include "format/avro/avro_event_serializer.h"

namespace vimur::registry {

struct RegistryClientOptions {
  std::string url;       // http://host:8081 or https://host/path
  std::string user;      // basic auth, when set
  std::string password;  // never logged
  std::string ca_file;   // https: CA bundle to verify the server with (default: system CAs)
  bool verify_tls = true;
  int timeout_ms = 10000;
  // Retriable failures (connection refused, timeouts, 408/429/5xx) are retried with backoff
  // (from retry_initial_ms, doubling, at most 30 s apart) for this long before they are
  // returned: a registry outage stalls publishing instead of ending it.
  std::chrono::milliseconds retry_for{std::chrono::minutes(10)};
  int retry_initial_ms = 500;
};

struct RegisteredSchema {
  int32_t id = 0;
  int version = 0;
  std::string schema;
};

class HttpSchemaRegistryClient : public avro::SchemaRegistryClient {
 public:
  // Fails on a URL that is not http(s)://host[:port][/path].
  static Result<std::shared_ptr<HttpSchemaRegistryClient>> Create(RegistryClientOptions options);
  // From the `format` section: registry_url, registry_user, registry_password, registry_ca.
  static Result<std::shared_ptr<HttpSchemaRegistryClient>> FromConfig(const FormatConfig& format);
  ~HttpSchemaRegistryClient() override;

  // POST /subjects/{subject}/versions. A 409 (incompatible) becomes FailedPrecondition with the
  // registry's explanation; connection trouble and 5xx are retriable (Unavailable).
  Result<int32_t> Register(const std::string& subject, const std::string& schema) override;
  // PUT /config/{subject} {"compatibility": level}.
  Status SetSubjectCompatibility(const std::string& subject, const std::string& level) override;
  // POST /subjects/{subject}: the id and version of an already registered schema.
  Result<RegisteredSchema> Lookup(const std::string& subject, const std::string& schema);
  // GET /schemas/ids/{id}.
  Result<std::string> SchemaById(int32_t id);

 private:
  explicit HttpSchemaRegistryClient(RegistryClientOptions options);
  struct Impl;
  // Sends one request, retrying retriable failures (RegistryClientOptions::retry_for);
  // returns the body of a 2xx reply or the mapped error.
  Result<std::string> Send(const char* method, const std::string& path, const std::string& body);
  Result<std::string> SendOnce(const char* method, const std::string& path,
                               const std::string& body);

  RegistryClientOptions options_;
  std::unique_ptr<Impl> impl_;
  std::mutex mu_;  // guards the HTTP client and the cache
  std::map<std::pair<std::string, std::string>, int32_t> ids_;
};

}  // namespace vimur::registry
