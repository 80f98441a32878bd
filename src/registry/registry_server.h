// RegistryServer: the Confluent schema registry REST API (subjects, versions, schema ids,
// compatibility checks, config) over HTTP, served from a RegistryStore by cpp-httplib.
#pragma once

#include <memory>
#include <string>

#include "core/config.h"
#include "core/status.h"
#include "registry/registry_store.h"

namespace vimur::registry {

class RegistryServer {
 public:
  // `access` (registry.access): TLS and basic auth of the REST API.
  explicit RegistryServer(std::shared_ptr<RegistryStore> store, ListenerAccessConfig access = {});
  ~RegistryServer();
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  // Binds `listen` ("host:port"; port 0 picks a free one) and serves on a background thread.
  Status Start(const std::string& listen);
  // The bound port, after Start.
  int port() const;
  // Stops serving and joins the thread; safe to call twice.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vimur::registry
