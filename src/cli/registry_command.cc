// `vimur registry`: serves the Confluent-compatible schema registry, storing schemas in Kafka.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "core/config.h"
#include "core/logging.h"
#include "registry/compatibility.h"
#include "registry/kafka_registry_log.h"
#include "registry/registry_server.h"
#include "registry/registry_store.h"

namespace vimur::cli {
namespace {

std::atomic<bool> g_registry_stop{false};

void OnRegistrySignal(int) { g_registry_stop = true; }

constexpr const char* kRegistryUsage = R"(Usage: vimur registry --config FILE

Serves the Confluent schema registry REST API (subjects, versions, schema ids, compatibility
checks, config) on registry.listen (default 127.0.0.1:8081) until SIGINT or SIGTERM.
Schemas are stored in the compacted Kafka topic registry.topic (default _schemas) of the
cluster in transport.bootstrap_servers (with transport.client_config for TLS/SASL), and read
back at start, so subjects, versions and ids survive restarts. The default compatibility
level is registry.compatibility (default BACKWARD); PUT /config changes it.

Keys used from FILE:
  registry.listen, registry.topic, registry.compatibility
  transport.bootstrap_servers, transport.client_config, transport.topic.replication_factor
)";

}  // namespace

int RegistryCommand(const std::vector<std::string>& args) {
  std::string config_path;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kRegistryUsage, stdout);
      return 0;
    }
    if ((a == "--config" || a == "-c") && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else {
      std::fprintf(stderr, "vimur registry: unknown or incomplete argument '%s'\n\n%s", a.c_str(),
                   kRegistryUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "vimur registry: --config FILE is required\n\n%s", kRegistryUsage);
    return 2;
  }
  auto config = LoadConfigFile(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "vimur registry: %s\n", config.status().message().c_str());
    return 2;
  }
  LogLevel level;
  if (ParseLogLevel(config->log_level, &level)) SetLogLevel(level);
  if (config->transport.bootstrap_servers.empty()) {
    std::fprintf(stderr,
                 "vimur registry: %s: transport.bootstrap_servers must name the Kafka cluster "
                 "that stores the schemas (topic %s)\n",
                 config_path.c_str(), config->registry.topic.c_str());
    return 2;
  }
  auto default_level = registry::ParseCompatibilityLevel(config->registry.compatibility);
  if (!default_level) {
    std::fprintf(stderr, "vimur registry: bad registry.compatibility '%s'\n",
                 config->registry.compatibility.c_str());
    return 2;
  }

  struct sigaction sa {};
  sa.sa_handler = OnRegistrySignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  registry::KafkaRegistryLogOptions log_options;
  log_options.bootstrap_servers = config->transport.bootstrap_servers;
  log_options.client_config = config->transport.client_config;
  log_options.topic = config->registry.topic;
  log_options.replication_factor = config->transport.topic.replication_factor;
  auto log = registry::OpenKafkaRegistryLog(log_options);
  if (!log.ok()) {
    LOG_ERROR << log.status().message();
    return log.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  auto store = std::make_shared<registry::RegistryStore>(
      std::shared_ptr<registry::RegistryLog>(std::move(log).value()), *default_level);
  Status s = store->Load();
  if (!s.ok()) {
    LOG_ERROR << "registry: loading schemas from " << config->registry.topic << ": " << s.message();
    return 1;
  }
  registry::RegistryServer server(store, config->registry.access);
  s = server.Start(config->registry.listen);
  if (!s.ok()) {
    LOG_ERROR << s.message();
    return 1;
  }
  // Follows the topic: records others append (a second registry, or MirrorMaker copying
  // `_schemas` to this site) are served without a restart.
  auto next_follow = std::chrono::steady_clock::now();
  while (!g_registry_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (std::chrono::steady_clock::now() < next_follow) continue;
    next_follow += std::chrono::milliseconds(config->registry.follow_interval_ms);
    Status followed = store->CatchUp();
    if (!followed.ok()) {
      LOG_WARN << "registry: following " << config->registry.topic << ": " << followed.message();
    }
  }
  LOG_INFO << "registry: stopping";
  server.Stop();
  return 0;
}

}  // namespace vimur::cli
