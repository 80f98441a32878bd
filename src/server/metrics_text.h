// Reads the Prometheus text exposition format (0.0.4) back into samples: what `vimur status`
// fetched from a running pipeline's /metrics.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"

namespace vimur::server {

struct MetricSample {
  std::string name;  // with a histogram's _bucket/_sum/_count suffix
  metrics::Labels labels;
  double value = 0;
  // The value of label `key`, or "" when absent.
  std::string Label(const std::string& key) const;
};

// Parses every sample line (comments and blank lines are skipped). Errors name the line.
Result<std::vector<MetricSample>> ParseMetricsText(std::string_view text);

}  // namespace vimur::server
