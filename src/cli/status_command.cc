// vimur status: asks the running pipeline (metrics_listen) for its sources' and sinks' state
// and prints a short table; when none answers, prints the stored positions.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include "cli/commands.h"
#include "core/config.h"
#include "core/logging.h"
#include "engine/pipeline.h"
#include "http/http_listener.h"
#include "server/metrics_text.h"

namespace vimur::cli {
namespace {

constexpr const char* kStatusUsage = R"(Usage: vimur status --config FILE

Prints one line per source and sink of FILE: its state, events (sources: published and
acknowledged; sinks: records applied), lag in ms and position. The figures come from the
running `vimur run` of FILE through metrics_listen (/metrics); when none answers (or
metrics_listen is not set), the positions stored for each source are printed, marked
"not running". With high_availability, a standby process shows its sources as "standby".
Exits 0 when it printed a status, 2 on bad usage or configuration, 1 when
neither the running pipeline nor the stored positions could be read.
)";

struct Row {
  std::string kind, name, state, events = "-", lag = "-", position = "-";
};

void PrintTable(const std::vector<Row>& rows) {
  std::vector<size_t> widths = {4, 4, 5, 6, 6};
  auto widen = [&](const Row& r) {
    widths[0] = std::max(widths[0], r.kind.size());
    widths[1] = std::max(widths[1], r.name.size());
    widths[2] = std::max(widths[2], r.state.size());
    widths[3] = std::max(widths[3], r.events.size());
    widths[4] = std::max(widths[4], r.lag.size());
  };
  const Row header{"KIND", "NAME", "STATE", "EVENTS", "LAG_MS", "POSITION"};
  widen(header);
  for (const Row& r : rows) widen(r);
  for (const Row* r : [&] {
         std::vector<const Row*> all = {&header};
         for (const Row& row : rows) all.push_back(&row);
         return all;
       }()) {
    std::printf("%-*s  %-*s  %-*s  %*s  %*s  %s\n", static_cast<int>(widths[0]), r->kind.c_str(),
                static_cast<int>(widths[1]), r->name.c_str(), static_cast<int>(widths[2]),
                r->state.c_str(), static_cast<int>(widths[3]), r->events.c_str(),
                static_cast<int>(widths[4]), r->lag.c_str(), r->position.c_str());
  }
}

std::string Integer(double v) { return std::to_string(static_cast<int64_t>(v)); }

// GETs /metrics from the running pipeline, with metrics_access's TLS and basic auth; nullopt
// (with `why`) when nothing answers.
std::optional<std::string> FetchMetrics(const std::string& listen,
                                        const ListenerAccessConfig& access, std::string* why) {
  auto address = http::ParseListenAddress(listen, "metrics_listen");
  if (!address.ok()) {
    *why = address.status().message();
    return std::nullopt;
  }
  std::string host = address->host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  const bool ipv6 = host.find(':') != std::string::npos;
  httplib::Client client((access.tls_cert.empty() ? "http://" : "https://") +
                         (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(address->port));
  if (!access.tls_cert.empty() && http::IsLoopbackHost(host)) {
    // Our own process on this machine: its certificate may name another host.
    client.enable_server_certificate_verification(false);
  }
  if (!access.username.empty()) client.set_basic_auth(access.username, access.password);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(5));
  auto res = client.Get("/metrics");
  if (!res) {
    *why = "nothing answers at " + listen + " (" + httplib::to_string(res.error()) + ")";
    return std::nullopt;
  }
  if (res->status != 200) {
    *why = listen + "/metrics answered HTTP " + std::to_string(res->status);
    return std::nullopt;
  }
  return res->body;
}

std::vector<Row> RowsFromMetrics(const PipelineConfig& config,
                                 const std::vector<server::MetricSample>& samples) {
  // kind -> name -> metric -> sample
  std::map<std::string, std::map<std::string, std::map<std::string, const server::MetricSample*>>>
      by;
  for (const auto& s : samples) {
    if (!s.Label("source").empty()) by["source"][s.Label("source")][s.name] = &s;
    if (!s.Label("sink").empty()) by["sink"][s.Label("sink")][s.name] = &s;
  }
  // High availability: a standby runs no sources; the group runs them in another process.
  bool standby = false;
  for (const auto& s : samples) {
    if (s.name == "vimur_ha_owner" && s.Label("unit") == "sources" && s.value < 1) standby = true;
  }
  std::vector<Row> rows;
  auto add = [&](const std::string& kind, const std::string& name) {
    Row r{kind, name, "not running"};
    if (kind == "source" && standby) {
      r.state = "standby";
      rows.push_back(r);
      return;
    }
    auto it = by[kind].find(name);
    if (it == by[kind].end()) {
      r.state = "not run here";  // e.g. vimur run --only sinks
      rows.push_back(r);
      return;
    }
    auto& m = it->second;
    auto value = [&](const std::string& metric) -> const server::MetricSample* {
      auto f = m.find(metric);
      return f == m.end() ? nullptr : f->second;
    };
    const std::string prefix = "vimur_" + kind;
    if (auto* up = value(prefix + "_up")) r.state = up->value >= 1 ? "running" : "down";
    auto* events =
        value(kind == "source" ? "vimur_source_events_total" : "vimur_sink_records_total");
    if (events) r.events = Integer(events->value);
    if (auto* lag = value(prefix + "_lag_ms")) r.lag = Integer(lag->value);
    if (auto* pos = value("vimur_source_position_info")) r.position = pos->Label("position");
    rows.push_back(r);
  };
  for (const SourceConfig& s : config.sources) add("source", s.name);
  for (const SinkConfig& s : config.sinks) add("sink", s.name);
  return rows;
}

}  // namespace

int StatusCommand(const std::vector<std::string>& args) {
  std::string config_path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kStatusUsage, stdout);
      return 0;
    }
    if ((args[i] == "--config" || args[i] == "-c") && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i].rfind("--config=", 0) == 0) {
      config_path = args[i].substr(9);
    } else {
      std::fprintf(stderr, "vimur status: unknown argument '%s'\n\n%s", args[i].c_str(),
                   kStatusUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "vimur status: --config FILE is required\n\n%s", kStatusUsage);
    return 2;
  }
  auto config = LoadConfigFile(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "vimur status: %s\n", config.status().message().c_str());
    return 2;
  }
  std::string why = "metrics_listen is not set, so a running pipeline cannot be asked";
  if (!config->metrics_listen.empty()) {
    if (auto body = FetchMetrics(config->metrics_listen, config->metrics_access, &why)) {
      auto samples = server::ParseMetricsText(*body);
      if (samples.ok()) {
        std::printf("pipeline %s: running (metrics at %s)\n", config->name.c_str(),
                    config->metrics_listen.c_str());
        PrintTable(RowsFromMetrics(*config, *samples));
        return 0;
      }
      why = config->metrics_listen + "/metrics: " + samples.status().message();
    }
  }
  std::printf("pipeline %s: not running (%s); stored positions:\n", config->name.c_str(),
              why.c_str());
  auto parts = BuildPipelineParts(*config);
  if (!parts.ok()) {
    std::fprintf(stderr, "vimur status: %s\n", parts.status().message().c_str());
    return 2;
  }
  std::vector<Row> rows;
  bool all_read = true;
  for (const SourceConfig& s : config->sources) {
    Row r{"source", s.name, "not running"};
    auto stored = parts->transport->offsets().Load(s.name);
    if (!stored.ok()) {
      r.position = "cannot read: " + stored.status().message();
      all_read = false;
    } else {
      r.position = *stored ? (*stored)->Describe() : "none stored (first start)";
    }
    rows.push_back(r);
  }
  for (const SinkConfig& s : config->sinks) rows.push_back(Row{"sink", s.name, "not running"});
  PrintTable(rows);
  return all_read ? 0 : 1;
}

}  // namespace vimur::cli
