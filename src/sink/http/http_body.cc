#include "sink/http/http_body.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sink/row_json.h"
#include "sink/sql/row_template.h"

namespace vimur::sink {

std::string EventJson(const InputRecord& record, const RowChange& change, bool flatten) {
  if (!flatten) return record.value.value_or("null");
  const bool deleted = change.op == 'd';
  nlohmann::ordered_json row = RowToJson(deleted ? change.before : change.after);
  row["__op"] = std::string(1, change.op);
  row["__db"] = change.db;
  row["__table"] = change.table;
  row["__source_ts_ms"] = change.source_ts_ms;
  row["__deleted"] = deleted;
  return row.dump();
}

std::string HttpGroup::Body() const {
  std::string out = "[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) out += ',';
    out += events[i];
  }
  out += ']';
  return out;
}

size_t GroupOf(const InputRecord& record, size_t groups) {
  if (groups <= 1) return 0;
  return FnvHash64(record.key.value_or("")) % groups;
}

std::string SignatureHeaderValue(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &length);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

}  // namespace vimur::sink
