#include "cli/commands.h"

#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/logging.h"
#include "core/metrics_probes.h"
#include "engine/high_availability.h"
#include "engine/pipeline.h"
#include "engine/sink_runner.h"
#include "server/metrics_server.h"
#include "sink/redis/redis_sink.h"
#include "sink/search/search_sink.h"
#include "sink/sql/sql_connection.h"

namespace vimur::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

struct CommonArgs {
  std::string config_path;
  bool help = false;
};

// Parses `--config FILE` (or `--config=FILE`) and `--help`; prints the error on bad usage.
// `--only sources|sinks` is accepted when `only` is given.
std::optional<CommonArgs> ParseArgs(const std::vector<std::string>& args, const char* command,
                                    const char* usage, std::string* only = nullptr) {
  CommonArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only != nullptr && (a == "--only" || a.rfind("--only=", 0) == 0)) {
      if (a == "--only" && i + 1 >= args.size()) {
        std::fprintf(stderr, "vimur %s: --only needs sources or sinks\n\n%s", command, usage);
        return std::nullopt;
      }
      *only = a == "--only" ? args[++i] : a.substr(7);
      if (*only != "sources" && *only != "sinks") {
        std::fprintf(stderr, "vimur %s: --only takes sources or sinks, not '%s'\n\n%s", command,
                     only->c_str(), usage);
        return std::nullopt;
      }
    } else if (a == "--help" || a == "-h") {
      out.help = true;
    } else if (a == "--config" || a == "-c") {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "vimur %s: --config needs a file path\n\n%s", command, usage);
        return std::nullopt;
      }
      out.config_path = args[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      out.config_path = a.substr(9);
    } else {
      std::fprintf(stderr, "vimur %s: unknown argument '%s'\n\n%s", command, a.c_str(), usage);
      return std::nullopt;
    }
  }
  if (!out.help && out.config_path.empty()) {
    std::fprintf(stderr, "vimur %s: --config FILE is required\n\n%s", command, usage);
    return std::nullopt;
  }
  return out;
}

std::optional<PipelineConfig> Load(const std::string& path, const char* command) {
  auto config = LoadConfigFile(path);
  if (!config.ok()) {
    std::fprintf(stderr, "vimur %s: %s\n", command, config.status().message().c_str());
    return std::nullopt;
  }
  LogLevel level;
  if (ParseLogLevel(config->log_level, &level)) SetLogLevel(level);
  return std::move(config).value();
}

constexpr const char* kRunUsage = R"(Usage: vimur run --config FILE [--only sources|sinks]

Runs every source and sink in FILE until SIGINT or SIGTERM, then flushes, commits positions and
exits 0. Sources stream committed row changes as Debezium-compatible events to the configured
transport; positions are kept in state_dir (or the Kafka offsets topic), so a restart resumes
where the last acknowledged transaction ended. Sinks read the topics as Kafka consumer groups
and apply them to their targets, committing their offsets after the target committed.

  --only sources   run only the sources (capture)
  --only sinks     run only the sinks (apply), e.g. on another machine or scaled on its own

With high_availability.enabled, several processes run the same FILE: they join one Kafka
consumer group and the sources run in the one the group assigns them to; the others wait as
standbys and take over when it dies (docs/operations.md, "High availability").
)";

constexpr const char* kCheckUsage = R"(Usage: vimur check --config FILE

Validates FILE, connects to every source and checks the server settings and privileges
capture needs, and connects to every target of every sink, printing what to fix. Exits 0 only
if everything is in order.
)";

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  std::string only;
  auto parsed = ParseArgs(args, "run", kRunUsage, &only);
  if (!parsed) return 2;
  if (parsed->help) {
    std::fputs(kRunUsage, stdout);
    return 0;
  }
  auto config = Load(parsed->config_path, "run");
  if (!config) return 2;
  const bool run_sources = only != "sinks";
  const bool run_sinks = only != "sources" && !config->sinks.empty();
  if (only == "sinks" && config->sinks.empty()) {
    std::fprintf(stderr, "vimur run: --only sinks, but %s declares no sinks\n",
                 parsed->config_path.c_str());
    return 2;
  }

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto exit_code = [](const Status& s) {
    return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kUnsupported ? 2 : 1;
  };
  std::unique_ptr<SinkRunner> sinks;
  if (run_sinks) {
    auto made = SinkRunner::Make(*config);
    if (!made.ok()) {
      LOG_ERROR << made.status().message();
      return exit_code(made.status());
    }
    sinks = std::move(made).value();
  }
  std::optional<Pipeline> pipeline;
  // High availability: the sources run only while the consumer group assigns them here; each
  // ownership builds its own pipeline (built once now to report configuration errors early).
  const bool high_availability = run_sources && config->high_availability.enabled;
  if (run_sources) {
    auto parts = BuildPipelineParts(*config);
    if (!parts.ok()) {
      LOG_ERROR << parts.status().message();
      return exit_code(parts.status());
    }
    if (!high_availability) pipeline.emplace(*config, std::move(parts).value());
  }
  std::optional<server::MetricsServer> metrics_server;
  if (!config->metrics_listen.empty()) {
    metrics::RegisterProcessMetrics();
    metrics_server.emplace(metrics::Registry::Default(), config->metrics_access,
                           config->metrics_history_interval_s);
    Status listening = metrics_server->Start(config->metrics_listen, config->metrics_allow_remote);
    if (!listening.ok()) {
      LOG_ERROR << listening.message();
      return exit_code(listening);
    }
  }
  LOG_INFO << "vimur " << VIMUR_VERSION << " running pipeline " << config->name << ": "
           << (run_sources ? std::to_string(config->sources.size()) : std::string("no"))
           << " source(s) to " << config->transport.type << ", "
           << (run_sinks ? config->sinks.size() : 0) << " sink(s)";

  // Either half failing stops the other; a signal stops both.
  std::atomic<bool> stop_all{false};
  std::atomic<bool> sinks_failed{false};
  std::atomic<bool> done{false};
  Status sink_status, source_status;
  std::thread sink_thread;
  if (sinks) {
    sink_thread = std::thread([&] {
      sink_status = sinks->Run(stop_all);
      if (!sink_status.ok()) sinks_failed = true;
    });
  }
  std::thread relay([&] {
    while (!done.load()) {
      if (g_stop.load() || sinks_failed.load()) stop_all = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  if (pipeline) {
    source_status = pipeline->Run(stop_all);
  } else if (high_availability) {
    source_status = RunSourcesWithHighAvailability(*config, stop_all);
  } else {
    while (!stop_all.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop_all = true;
  done = true;
  relay.join();
  if (sink_thread.joinable()) sink_thread.join();
  if (!source_status.ok()) {
    LOG_ERROR << source_status.message();
    return 1;
  }
  if (!sink_status.ok()) {
    LOG_ERROR << sink_status.message();
    return 1;
  }
  return 0;
}

// Files that hold secrets and that other users of this machine can read: one warning line each.
void WarnAboutReadableSecrets(const std::string& config_path, const PipelineConfig& config) {
  std::vector<std::pair<std::string, std::string>> files = {{config_path, "configuration"}};
  for (const SourceConfig& s : config.sources) {
    files.push_back({s.password_file, "sources." + s.name + ".password_file"});
  }
  files.push_back({config.format.registry_password_file, "format.registry_password_file"});
  const std::pair<const ListenerAccessConfig*, std::string> listeners[] = {
      {&config.metrics_access, "metrics_access"}, {&config.registry.access, "registry.access"}};
  for (const auto& [access, key] : listeners) {
    files.push_back({access->password_file, key + ".password_file"});
    files.push_back({access->tls_key, key + ".tls_key"});
  }
  for (const SinkConfig& s : config.sinks) {
    files.push_back({s.tls_key, "sinks." + s.name + ".tls_key"});
  }
  for (const auto& [path, what] : files) {
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) continue;
    if ((st.st_mode & (S_IRGRP | S_IROTH)) == 0) continue;
    std::printf("warn  %s %s can be read by other users (mode %03o): chmod 600 %s%s\n",
                what.c_str(), path.c_str(), static_cast<unsigned>(st.st_mode & 0777), path.c_str(),
                what == "configuration"
                    ? ", or keep passwords in files (password_file, ${file:PATH}) or the "
                      "environment (${VAR})"
                    : "");
  }
}

int CheckCommand(const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, "check", kCheckUsage);
  if (!parsed) return 2;
  if (parsed->help) {
    std::fputs(kCheckUsage, stdout);
    return 0;
  }
  auto config = Load(parsed->config_path, "check");
  if (!config) return 2;
  std::printf("ok    configuration %s\n", parsed->config_path.c_str());
  WarnAboutReadableSecrets(parsed->config_path, *config);
  auto parts = BuildPipelineParts(*config);
  if (!parts.ok()) {
    std::printf("FAIL  %s\n", parts.status().message().c_str());
    return 1;
  }
  bool all_ok = true;
  for (size_t i = 0; i < parts->sources.size(); ++i) {
    for (const CheckResult& r : parts->sources[i]->Check()) {
      all_ok = all_ok && r.ok;
      std::printf("%s  source %s: %s", r.ok ? "ok  " : "FAIL", config->sources[i].name.c_str(),
                  r.name.c_str());
      if (!r.detail.empty()) std::printf(" (%s)", r.detail.c_str());
      std::printf("\n");
      if (!r.ok && !r.fix.empty()) std::printf("      fix: %s\n", r.fix.c_str());
    }
  }
  for (const SinkConfig& s : config->sinks) {
    auto sink = MakeSink(*config, s);  // routes, templates, format
    if (!sink.ok()) {
      all_ok = false;
      std::printf("FAIL  sink %s: %s\n", s.name.c_str(), sink.status().message().c_str());
      continue;
    }
    if (auto* redis = dynamic_cast<sink::RedisSink*>(sink->get())) {
      Status reached = redis->Reach();
      all_ok = all_ok && reached.ok();
      std::printf("%s  sink %s: redis (%s)\n", reached.ok() ? "ok  " : "FAIL", s.name.c_str(),
                  redis->Redacted().c_str());
      if (!reached.ok()) std::printf("      fix: %s\n", reached.message().c_str());
    }
    if (auto* search = dynamic_cast<sink::SearchSink*>(sink->get())) {
      Status reached = search->Reach();
      all_ok = all_ok && reached.ok();
      std::printf("%s  sink %s: search (%s)\n", reached.ok() ? "ok  " : "FAIL", s.name.c_str(),
                  s.url.c_str());
      if (!reached.ok()) std::printf("      fix: %s\n", reached.message().c_str());
    }
    if (s.type == "http") {
      // A POST would deliver something: the receiver is not contacted.
      std::printf("ok    sink %s: http (not contacted: a check would post an event)\n",
                  s.name.c_str());
    }
    for (const auto& [target, text] : s.targets) {
      auto url = sink::ParseDatabaseUrl(text);
      Status reached = url.ok() ? sink::MakeConnection(*url)->Connect() : url.status();
      all_ok = all_ok && reached.ok();
      std::printf("%s  sink %s: target %s", reached.ok() ? "ok  " : "FAIL", s.name.c_str(),
                  target.c_str());
      if (url.ok()) std::printf(" (%s)", url->Redacted().c_str());
      std::printf("\n");
      if (!reached.ok()) std::printf("      fix: %s\n", reached.message().c_str());
    }
  }
  std::printf(all_ok ? "all checks passed\n" : "some checks failed: fix the items above\n");
  return all_ok ? 0 : 1;
}

}  // namespace vimur::cli
