// KafkaRegistryLog: the schema registry's log kept in a compacted, single-partition Kafka
// topic (`_schemas` by default), written with acks=all and read back from the start at load.
#pragma once

#include <memory>
#include <string>

#include "core/config.h"
#include "core/status.h"
#include "registry/registry_store.h"

namespace vimur::registry {

struct KafkaRegistryLogOptions {
  std::string bootstrap_servers;
  std::map<std::string, std::string> client_config;  // TLS, SASL... as for the transport
  std::string topic = "_schemas";
  int replication_factor = 1;
  int timeout_ms = 30000;
};

// Connects, creates the topic when missing (cleanup.policy=compact) and returns the log.
Result<std::unique_ptr<RegistryLog>> OpenKafkaRegistryLog(const KafkaRegistryLogOptions& options);

}  // namespace vimur::registry
