// Sink: applies the records of a RecordInput to a target (a database, an index, ...). The
// engine runs each configured sink on a thread of its own inside `vimur run`.
#pragma once

#include <atomic>
#include <string>

#include "core/status.h"
#include "sink/record_input.h"

namespace vimur::sink {

class Sink {
 public:
  virtual ~Sink() = default;
  virtual const std::string& name() const = 0;
  // Checks and prepares what the sink needs before reading (target URLs, format). Errors here
  // are configuration errors.
  virtual Status Open() = 0;
  // Reads `input` and applies it until `stop` (returns OK) or a fatal error. Acknowledges a
  // batch only after the target committed it.
  virtual Status Run(RecordInput& input, const std::atomic<bool>& stop) = 0;
};

}  // namespace vimur::sink
