#include "server/health.h"

namespace vimur::server {
namespace {

void Collect(const metrics::Registry& registry, const std::string& family, const char* kind,
             Health* health) {
  for (const auto& [labels, value] : registry.GaugeValues(family)) {
    if (value >= 1) continue;
    std::string name;
    for (const auto& [k, v] : labels) {
      if (k == kind) name = v;
    }
    health->healthy = false;
    health->down.push_back(std::string(kind) + " " + name);
  }
}

}  // namespace

std::string Health::Text() const {
  if (healthy) return standby ? "ok (standby: the sources run in another process)\n" : "ok\n";
  std::string out;
  for (const std::string& d : down) out += d + " is not running\n";
  return out;
}

Health CheckHealth(const metrics::Registry& registry) {
  Health health;
  // High availability: a standby runs no sources, and that is healthy.
  for (const auto& [labels, value] : registry.GaugeValues("vimur_ha_owner")) {
    for (const auto& [k, v] : labels) {
      if (k == "unit" && v == "sources" && value < 1) health.standby = true;
    }
  }
  if (!health.standby) Collect(registry, "vimur_source_up", "source", &health);
  Collect(registry, "vimur_sink_up", "sink", &health);
  return health;
}

}  // namespace vimur::server
