// The LocalLogOptions a pipeline configuration asks for (transport.* keys, state_dir, name).
#pragma once

#include <string>

#include "core/config.h"
#include "transport/local/local_log.h"

namespace vimur::local {

// The log's directory: state_dir/<pipeline name>/log.
std::string LocalLogDir(const PipelineConfig& config);
LocalLogOptions LocalLogOptionsFor(const PipelineConfig& config);
// Where consumer offsets of sinks reading the log live: state_dir/<pipeline name>/consumers.
std::string LocalConsumersDir(const PipelineConfig& config);

}  // namespace vimur::local
