// BuildPipelineParts: the concrete sources, transport and offset store a configuration names.
#include "engine/pipeline.h"
#include "source/mysql/mysql_source.h"
#include "transport/stdout_transport.h"

namespace vimur {

Result<PipelineParts> BuildPipelineParts(const PipelineConfig& config) {
  PipelineParts parts;
  for (const SourceConfig& s : config.sources) {
    if (s.type != "mysql") {
      return Status::InvalidArgument("source " + s.name + ": type '" + s.type +
                                     "' is not available in this version; use type: mysql");
    }
    parts.sources.push_back(std::make_unique<mysql::MySqlSource>(s));
  }
  if (config.transport.type == "stdout") {
    if (config.format.type != "json") {
      return Status::InvalidArgument(
          "transport.type stdout writes JSON lines; set format.type: json");
    }
    parts.transport = std::make_unique<StdoutTransport>(stdout);
  } else {
    return Status::InvalidArgument("transport.type '" + config.transport.type +
                                   "' is not available in this version; use stdout");
  }
  parts.offsets = std::make_unique<FileOffsetStore>(config.state_dir, config.name);
  return parts;
}

}  // namespace vimur
