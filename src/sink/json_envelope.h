// Splits a Kafka Connect JSON record ({"schema": ..., "payload": ...}) into the texts of its two
// parts without parsing them, so a sink parses a schema it has seen before only once.
#pragma once

#include <string_view>

namespace vimur::sink {

struct JsonEnvelopeParts {
  std::string_view schema;   // the schema's JSON text; empty when absent
  std::string_view payload;  // the payload's JSON text; empty when absent
};

// The top-level "schema" and "payload" members of `json` when it is an object of these two (in
// either order); false when it has other members, or is not such an object, or is not
// well-formed as far as the scan needs (the caller then parses the whole text and reports).
// The parts are views into `json` and not validated beyond their bracket structure.
bool SplitJsonEnvelope(std::string_view json, JsonEnvelopeParts* parts);

// The same without a scan when `json` is exactly {"schema":`known_schema`,"payload":...} (the
// compact form Vimur writes); otherwise as SplitJsonEnvelope.
bool SplitJsonEnvelope(std::string_view json, std::string_view known_schema,
                       JsonEnvelopeParts* parts);

}  // namespace vimur::sink
