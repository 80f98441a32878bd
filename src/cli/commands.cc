#include "cli/commands.h"

#include <csignal>
#include <cstdio>
#include <optional>

#include "core/config.h"
#include "core/logging.h"
#include "engine/pipeline.h"

namespace vimur::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

struct CommonArgs {
  std::string config_path;
  bool help = false;
};

// Parses `--config FILE` (or `--config=FILE`) and `--help`; prints the error on bad usage.
std::optional<CommonArgs> ParseArgs(const std::vector<std::string>& args, const char* command,
                                    const char* usage) {
  CommonArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
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

constexpr const char* kRunUsage = R"(Usage: vimur run --config FILE

Runs every source in FILE: streams committed row changes as Debezium-compatible events to the
configured transport until SIGINT or SIGTERM, then flushes, commits positions and exits 0.
Positions are kept in state_dir (or the Kafka offsets topic), so a restart resumes where the
last acknowledged transaction ended.
)";

constexpr const char* kCheckUsage = R"(Usage: vimur check --config FILE

Validates FILE, connects to every source and checks the server settings and privileges
capture needs, printing what to fix. Exits 0 only if everything is in order.
)";

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, "run", kRunUsage);
  if (!parsed) return 2;
  if (parsed->help) {
    std::fputs(kRunUsage, stdout);
    return 0;
  }
  auto config = Load(parsed->config_path, "run");
  if (!config) return 2;

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto parts = BuildPipelineParts(*config);
  if (!parts.ok()) {
    LOG_ERROR << parts.status().message();
    return parts.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  LOG_INFO << "vimur " << VIMUR_VERSION << " running pipeline " << config->name << " with "
           << config->sources.size() << " source(s) to " << config->transport.type;
  Pipeline pipeline(*config, std::move(parts).value());
  Status s = pipeline.Run(g_stop);
  if (!s.ok()) {
    LOG_ERROR << s.message();
    return 1;
  }
  return 0;
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
  std::printf(all_ok ? "all checks passed\n" : "some checks failed: fix the items above\n");
  return all_ok ? 0 : 1;
}

}  // namespace vimur::cli
