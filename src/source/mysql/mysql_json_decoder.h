// MySQL 8 binary JSON (sql-common/json_binary.cc) to JSON text as Debezium writes it, and the
// partial JSON updates (sql/json_diff.cc) that PARTIAL_UPDATE_ROWS events carry.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace vimur::mysql {

// Appends the compact JSON text of the binary JSON document `doc` to `out`, formatted like
// Debezium's JsonStringFormatter: no spaces, strings escaped only for '"', '\\' and control
// characters, doubles as Java prints them (plain decimal, exact), DECIMAL as exact digits,
// DATE/TIME/DATETIME as quoted strings, other opaque values as quoted base64.
// Bad input fails with Corruption naming the offset; `out` may then hold partial text.
Status MySqlJsonToText(std::string_view doc, std::string* out);

// Applies a binlog Json_diff_vector (the bytes after its 4-byte length: per diff an operation
// byte 0 REPLACE / 1 INSERT / 2 REMOVE, a packed-length path like `$.a[2]."b c"`, and for
// REPLACE/INSERT a packed-length binary JSON value) to `json_text`, a document produced by
// MySqlJsonToText, and writes the updated document to `out` (replacing its contents).
// Objects keep MySQL's key order (shorter keys first, then bytewise).
Status ApplyMySqlJsonDiff(std::string_view json_text, std::string_view diffs, std::string* out);

// Appends `bytes` as the body of a JSON string (without quotes), escaped like
// JsonStringFormatter; invalid UTF-8 becomes U+FFFD.
void AppendJsonEscaped(std::string_view bytes, std::string* out);

// Appends a double the way Debezium formats JSON doubles (Java Double.toString, or the exact
// plain decimal expansion when that would use an exponent).
void AppendJavaStyleDouble(double value, std::string* out);

}  // namespace vimur::mysql
