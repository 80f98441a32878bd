#include "sink/row_json.h"

#include <cerrno>
#include <cstdlib>

namespace vimur::sink {
namespace {

// Integer text that round-trips through int64 becomes a number; float and double columns
// become doubles; anything else (decimals) stays an exact string.
nlohmann::ordered_json NumberJson(const std::string& text, const ColumnType* type) {
  if (!text.empty() && text.find_first_of(".eE") == std::string::npos) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno == 0 && end != nullptr && *end == '\0') return static_cast<int64_t>(v);
    errno = 0;
    unsigned long long u = std::strtoull(text.c_str(), &end, 10);
    if (text[0] != '-' && errno == 0 && end != nullptr && *end == '\0') {
      return static_cast<uint64_t>(u);
    }
  }
  bool floating = type == nullptr
                      ? text.find_first_of("eE") != std::string::npos
                      : (type->connect_type == "float" || type->connect_type == "double" ||
                         type->connect_type == "float32" || type->connect_type == "float64");
  if (floating) {
    char* end = nullptr;
    double d = std::strtod(text.c_str(), &end);
    if (end != nullptr && *end == '\0') return d;
  }
  if (type == nullptr && text.find('.') != std::string::npos) {
    // No schema: JSON gave a number, so it is one.
    char* end = nullptr;
    double d = std::strtod(text.c_str(), &end);
    if (end != nullptr && *end == '\0') return d;
  }
  return text;
}

}  // namespace

std::string Base64Encode(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

nlohmann::ordered_json ValueToJson(const SqlValue& v, const ColumnType* type) {
  switch (v.kind) {
    case SqlKind::kNull: return nullptr;
    case SqlKind::kNumber: return NumberJson(v.text, type);
    case SqlKind::kBool: return v.text == "1";
    case SqlKind::kText: return v.text;
    case SqlKind::kBytes: return Base64Encode(v.text);
    case SqlKind::kArray: {
      const ColumnType* element =
          type != nullptr && !type->items.empty() ? &type->items[0] : nullptr;
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const SqlValue& item : v.items) out.push_back(ValueToJson(item, element));
      return out;
    }
  }
  return nullptr;
}

nlohmann::ordered_json RowToJson(const Row& row) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (size_t i = 0; i < row.names.size(); ++i) {
    const ColumnType* type = i < row.types.size() ? &row.types[i] : nullptr;
    out[row.names[i]] = ValueToJson(row.values[i], type);
  }
  return out;
}

}  // namespace vimur::sink
