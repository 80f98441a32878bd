#include "sink/row_json.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>

#include "core/utf8.h"

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

// `text` as a JSON string the way dump() writes it; false when it is not UTF-8 (dump() throws).
bool AppendJsonString(const std::string& text, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(text, i);
      if (n == 0) return false;
      out->append(text, i, n);
      i += n;
      continue;
    }
    ++i;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\f': out->append("\\f"); break;
      case '\r': out->append("\\r"); break;
      default:
        if (c < 0x20) {
          static const char* kHex = "0123456789abcdef";
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
  return true;
}

template <typename Int>
void AppendInteger(Int v, std::string* out) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  out->append(buf, end);
}

// Integer text that NumberJson reads as a 64-bit integer and AppendInteger writes back unchanged:
// digits without leading zeros (or "0"), maybe after '-' (not "-0").
bool IsPlainInteger(const std::string& text) {
  const char* first = text.data();
  const char* last = first + text.size();
  const bool negative = first != last && *first == '-';
  const char* digits = negative ? first + 1 : first;
  if (digits == last || (*digits == '0' && (last - digits > 1 || negative))) return false;
  if (negative) {
    int64_t v = 0;
    auto r = std::from_chars(first, last, v);
    return r.ec == std::errc() && r.ptr == last;
  }
  uint64_t v = 0;
  auto r = std::from_chars(first, last, v);
  return r.ec == std::errc() && r.ptr == last;
}

// One value as ValueToJson(value, type).dump() writes it; false when that would throw.
bool AppendValueJson(const SqlValue& v, const ColumnType* type, std::string* out) {
  switch (v.kind) {
    case SqlKind::kNull: out->append("null"); return true;
    case SqlKind::kBool: out->append(v.text == "1" ? "true" : "false"); return true;
    case SqlKind::kText: return AppendJsonString(v.text, out);
    case SqlKind::kBytes: return AppendJsonString(Base64Encode(v.text), out);
    case SqlKind::kNumber: {
      if (IsPlainInteger(v.text)) {
        out->append(v.text);  // as NumberJson would read and write it
        return true;
      }
      const nlohmann::ordered_json n = NumberJson(v.text, type);
      if (n.is_number_integer() && !n.is_number_unsigned()) {
        AppendInteger(n.get<int64_t>(), out);
      } else if (n.is_number_unsigned()) {
        AppendInteger(n.get<uint64_t>(), out);
      } else if (n.is_string()) {
        return AppendJsonString(n.get_ref<const std::string&>(), out);
      } else {
        out->append(n.dump());
      }
      return true;
    }
    case SqlKind::kArray: break;
  }
  return false;  // arrays: through the tree
}

}  // namespace

std::string RowJsonText(const Row& row) {
  std::string out;
  out.reserve(64 + row.names.size() * 24);
  out.push_back('{');
  bool ok = true;
  for (size_t i = 0; i < row.names.size() && ok; ++i) {
    for (size_t j = 0; j < i && ok; ++j) ok = row.names[j] != row.names[i];  // a repeated name
    if (i > 0) out.push_back(',');
    ok = ok && AppendJsonString(row.names[i], &out);
    out.push_back(':');
    const ColumnType* type = i < row.types.size() ? &row.types[i] : nullptr;
    ok = ok && AppendValueJson(row.values[i], type, &out);
  }
  if (!ok) return RowToJson(row).dump();  // the unusual cases (and their errors) as before
  out.push_back('}');
  return out;
}

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
