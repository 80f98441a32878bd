// Health of a running pipeline, read from its metrics: healthy when every source and sink
// reports itself up (vimur_source_up, vimur_sink_up = 1); a high-availability standby
// (vimur_ha_owner{unit="sources"} 0) runs no sources and is healthy when its sinks are.
#pragma once

#include <string>
#include <vector>

#include "core/metrics.h"

namespace vimur::server {

struct Health {
  bool healthy = true;
  bool standby = false;  // high availability: the group runs the sources in another process
  std::vector<std::string> down;  // "source shop-db", "sink orders-split"
  // "ok\n", or one line per component that is not running.
  std::string Text() const;
};

Health CheckHealth(const metrics::Registry& registry);

}  // namespace vimur::server
