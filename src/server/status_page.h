// The status page served at `/` of metrics_listen: one HTML document with a small script that
// reads /metrics and /history.json and redraws itself every few seconds (no build step).
#pragma once

#include <string_view>

namespace vimur::server {

std::string_view StatusPageHtml();

}  // namespace vimur::server
