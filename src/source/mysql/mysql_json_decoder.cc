#include "source/mysql/mysql_json_decoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/byte_reader.h"
#include "core/utf8.h"
#include "source/mysql/mysql_decimal.h"

namespace vimur::mysql {
namespace {

// Value type bytes of the binary JSON format (json_binary.h).
enum JsonType : uint8_t {
  kSmallObject = 0x00,
  kLargeObject = 0x01,
  kSmallArray = 0x02,
  kLargeArray = 0x03,
  kLiteral = 0x04,
  kInt16 = 0x05,
  kUInt16 = 0x06,
  kInt32 = 0x07,
  kUInt32 = 0x08,
  kInt64 = 0x09,
  kUInt64 = 0x0a,
  kDouble = 0x0b,
  kString = 0x0c,
  kOpaque = 0x0f,
};

enum JsonLiteral : uint8_t { kNullLiteral = 0x00, kTrueLiteral = 0x01, kFalseLiteral = 0x02 };

// MySQL field type codes that binary JSON opaque values carry and that are not base64.
constexpr uint8_t kFieldDecimal = 0;
constexpr uint8_t kFieldTimestamp = 7;
constexpr uint8_t kFieldDate = 10;
constexpr uint8_t kFieldTime = 11;
constexpr uint8_t kFieldDatetime = 12;
constexpr uint8_t kFieldTimestamp2 = 17;
constexpr uint8_t kFieldDatetime2 = 18;
constexpr uint8_t kFieldTime2 = 19;
constexpr uint8_t kFieldNewDecimal = 246;

// MySQL documents nest at most 100 levels; deeper input is rejected before the stack suffers.
constexpr int kMaxDepth = 150;

uint64_t LoadLE(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

template <typename T>
void AppendInteger(T v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

void AppendPadded(uint64_t v, int width, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  size_t len = static_cast<size_t>(r.ptr - buf);
  for (size_t i = len; i < static_cast<size_t>(width); ++i) out->push_back('0');
  out->append(buf, len);
}

// ".ffffff" with trailing zeros removed; nothing when zero (JsonStringFormatter.appendTime).
void AppendMicros(uint64_t micros, std::string* out) {
  if (micros == 0) return;
  char buf[7];
  for (int i = 5; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + micros % 10);
    micros /= 10;
  }
  int len = 6;
  while (len > 1 && buf[len - 1] == '0') --len;
  out->push_back('.');
  out->append(buf, static_cast<size_t>(len));
}

void AppendBase64(std::string_view bytes, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
    out->push_back(kAlphabet[v & 63]);
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{p[i]} << 16;
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->append("==");
  } else if (n - i == 2) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
    out->push_back('=');
  }
}

Status Corrupt(size_t offset, const std::string& what) {
  return Status::Corruption("binary JSON: " + what + " at offset " + std::to_string(offset));
}

// Walks a binary JSON document and writes its text.
class BinaryJsonWriter {
 public:
  BinaryJsonWriter(std::string_view doc, std::string* out)
      : data_(reinterpret_cast<const uint8_t*>(doc.data())), size_(doc.size()), out_(out) {
    // Text is at most ~100x the binary size (an 11-byte double entry prints up to ~1100
    // chars); the cap stops documents whose entries share offsets from exploding.
    limit_ = out->size() + 128 * size_ + 4096;
  }

  Status Run() {
    if (size_ == 0) return Corrupt(0, "empty document");
    return WriteValue(data_[0], 1, size_, 0);
  }

 private:
  // Writes the value of `type` whose bytes start at `pos` and may extend up to `end`.
  Status WriteValue(uint8_t type, size_t pos, size_t end, int depth) {
    switch (type) {
      case kSmallObject: return WriteContainer(true, false, pos, end, depth);
      case kLargeObject: return WriteContainer(true, true, pos, end, depth);
      case kSmallArray: return WriteContainer(false, false, pos, end, depth);
      case kLargeArray: return WriteContainer(false, true, pos, end, depth);
      case kLiteral:
        if (end - pos < 1) return Corrupt(pos, "truncated literal");
        return WriteLiteral(data_[pos], pos);
      case kInt16:
      case kUInt16:
      case kInt32:
      case kUInt32:
      case kInt64:
      case kUInt64:
      case kDouble: {
        size_t width = (type == kInt16 || type == kUInt16)   ? 2
                       : (type == kInt32 || type == kUInt32) ? 4
                                                             : 8;
        if (end - pos < width) return Corrupt(pos, "truncated number");
        WriteNumber(type, LoadLE(data_ + pos, width));
        return Status::Ok();
      }
      case kString: {
        uint64_t len = 0;
        VIMUR_RETURN_IF_ERROR(ReadVariableLength(&pos, end, &len));
        if (len > end - pos)
          return Corrupt(pos, "string of " + std::to_string(len) + " bytes overruns");
        out_->push_back('"');
        AppendJsonEscaped({reinterpret_cast<const char*>(data_ + pos), static_cast<size_t>(len)},
                          out_);
        out_->push_back('"');
        return Status::Ok();
      }
      case kOpaque: return WriteOpaque(pos, end);
      default: return Corrupt(pos == 0 ? 0 : pos - 1, "unknown value type " + std::to_string(type));
    }
  }

  Status WriteLiteral(uint8_t literal, size_t pos) {
    switch (literal) {
      case kNullLiteral: out_->append("null"); return Status::Ok();
      case kTrueLiteral: out_->append("true"); return Status::Ok();
      case kFalseLiteral: out_->append("false"); return Status::Ok();
      default: return Corrupt(pos, "invalid literal " + std::to_string(literal));
    }
  }

  void WriteNumber(uint8_t type, uint64_t raw) {
    switch (type) {
      case kInt16: AppendInteger(static_cast<int16_t>(raw), out_); break;
      case kUInt16: AppendInteger(static_cast<uint16_t>(raw), out_); break;
      case kInt32: AppendInteger(static_cast<int32_t>(raw), out_); break;
      case kUInt32: AppendInteger(static_cast<uint32_t>(raw), out_); break;
      case kInt64: AppendInteger(static_cast<int64_t>(raw), out_); break;
      case kUInt64: AppendInteger(raw, out_); break;
      default: {
        double d;
        std::memcpy(&d, &raw, sizeof(d));
        AppendJavaStyleDouble(d, out_);
      }
    }
  }

  // Object: count, size, key entries (offset, length), value entries (type, offset or inline
  // value), keys, values. Array: the same without keys. Offsets count from `pos`.
  Status WriteContainer(bool object, bool large, size_t pos, size_t end, int depth) {
    const char* what = object ? "object" : "array";
    if (depth >= kMaxDepth) return Corrupt(pos, std::string(what) + " nested too deep");
    const size_t ws = large ? 4 : 2;
    if (end - pos < 2 * ws) return Corrupt(pos, std::string("truncated ") + what + " header");
    const uint64_t count = LoadLE(data_ + pos, ws);
    const uint64_t bytes = LoadLE(data_ + pos + ws, ws);
    if (bytes > end - pos) {
      return Corrupt(pos, std::string(what) + " size " + std::to_string(bytes) + " overruns the " +
                              std::to_string(end - pos) + " bytes left");
    }
    const uint64_t key_entry = ws + 2;
    const uint64_t value_entry = 1 + ws;
    const uint64_t header = 2 * ws + count * ((object ? key_entry : 0) + value_entry);
    if (header > bytes) {
      return Corrupt(pos, std::string(what) + " of " + std::to_string(count) +
                              " entries does not fit its size " + std::to_string(bytes));
    }
    const size_t cend = pos + static_cast<size_t>(bytes);
    const size_t keys_at = pos + 2 * ws;
    const size_t values_at = keys_at + (object ? static_cast<size_t>(count * key_entry) : 0);
    out_->push_back(object ? '{' : '[');
    for (size_t i = 0; i < count; ++i) {
      if (out_->size() > limit_) return Corrupt(pos, "document expands beyond its size limit");
      if (i != 0) out_->push_back(',');
      if (object) {
        const size_t ke = keys_at + i * key_entry;
        const uint64_t key_offset = LoadLE(data_ + ke, ws);
        const uint64_t key_length = LoadLE(data_ + ke + ws, 2);
        if (key_offset > bytes || key_length > bytes - key_offset) {
          return Corrupt(ke, "key " + std::to_string(i) + " outside its object");
        }
        out_->push_back('"');
        AppendJsonEscaped({reinterpret_cast<const char*>(data_ + pos + key_offset),
                           static_cast<size_t>(key_length)},
                          out_);
        out_->append("\":");
      }
      const size_t ve = values_at + i * value_entry;
      const uint8_t type = data_[ve];
      const uint64_t field = LoadLE(data_ + ve + 1, ws);
      switch (type) {
        case kLiteral:
          VIMUR_RETURN_IF_ERROR(WriteLiteral(static_cast<uint8_t>(field & 0xff), ve + 1));
          continue;
        case kInt16:
        case kUInt16: WriteNumber(type, field); continue;
        case kInt32:
        case kUInt32:
          if (large) {
            WriteNumber(type, field);
            continue;
          }
          break;
        default: break;
      }
      if (field >= bytes) {
        return Corrupt(ve, "value offset " + std::to_string(field) + " outside its " + what);
      }
      VIMUR_RETURN_IF_ERROR(WriteValue(type, pos + static_cast<size_t>(field), cend, depth + 1));
    }
    out_->push_back(object ? '}' : ']');
    return Status::Ok();
  }

  // Opaque value: MySQL field type byte, variable length, bytes.
  Status WriteOpaque(size_t pos, size_t end) {
    if (end - pos < 1) return Corrupt(pos, "truncated opaque value");
    const uint8_t field_type = data_[pos++];
    uint64_t len = 0;
    VIMUR_RETURN_IF_ERROR(ReadVariableLength(&pos, end, &len));
    if (len > end - pos)
      return Corrupt(pos, "opaque value of " + std::to_string(len) + " bytes overruns");
    const uint8_t* p = data_ + pos;
    switch (field_type) {
      case kFieldDecimal:
      case kFieldNewDecimal: {
        // Precision, scale, then the binary decimal.
        if (len < 2) return Corrupt(pos, "truncated opaque DECIMAL");
        const int precision = p[0];
        const int scale = p[1];
        const size_t size = DecimalBinarySize(precision, scale);
        if (size == 0 || len - 2 < size) return Corrupt(pos, "invalid opaque DECIMAL");
        char text[kMaxDecimalTextSize];
        size_t text_len = 0;
        Status s = FormatBinaryDecimal(p + 2, precision, scale, text, &text_len);
        if (!s.ok()) return Corrupt(pos, s.message());
        out_->append(text, text_len);
        return Status::Ok();
      }
      case kFieldDate:
      case kFieldTime:
      case kFieldTime2:
      case kFieldDatetime:
      case kFieldDatetime2:
      case kFieldTimestamp:
      case kFieldTimestamp2: {
        if (len < 8) return Corrupt(pos, "truncated opaque temporal value");
        WriteTemporal(field_type, static_cast<int64_t>(LoadLE(p, 8)));
        return Status::Ok();
      }
      default:
        out_->push_back('"');
        AppendBase64({reinterpret_cast<const char*>(p), static_cast<size_t>(len)}, out_);
        out_->push_back('"');
        return Status::Ok();
    }
  }

  // Packed temporal value (TIME_to_longlong_packed): (date-time bits << 24) | microseconds,
  // negated for negative TIME.
  void WriteTemporal(uint8_t field_type, int64_t packed) {
    const bool negative = packed < 0;
    const uint64_t magnitude =
        negative ? uint64_t{0} - static_cast<uint64_t>(packed) : static_cast<uint64_t>(packed);
    const uint64_t micros = magnitude % (uint64_t{1} << 24);
    const uint64_t bits = magnitude >> 24;
    const uint64_t ymd = bits >> 17;
    const uint64_t hms = bits % (uint64_t{1} << 17);
    const uint64_t year_month = (ymd >> 5) % (uint64_t{1} << 17);
    const uint64_t day = ymd % 32;
    const uint64_t second = hms % 64;
    const uint64_t minute = (hms >> 6) % 64;
    out_->push_back('"');
    if (field_type == kFieldTime || field_type == kFieldTime2) {
      if (negative) out_->push_back('-');
      AppendPadded((bits >> 12) % 1024, 2, out_);
      out_->push_back(':');
      AppendPadded(minute, 2, out_);
      out_->push_back(':');
      AppendPadded(second, 2, out_);
      AppendMicros(micros, out_);
    } else {
      AppendPadded(year_month / 13, 4, out_);
      out_->push_back('-');
      AppendPadded(year_month % 13, 2, out_);
      out_->push_back('-');
      AppendPadded(day, 2, out_);
      if (field_type != kFieldDate) {
        out_->push_back(' ');
        AppendPadded(hms >> 12, 2, out_);
        out_->push_back(':');
        AppendPadded(minute, 2, out_);
        out_->push_back(':');
        AppendPadded(second, 2, out_);
        AppendMicros(micros, out_);
      }
    }
    out_->push_back('"');
  }

  // Lengths of strings and opaque values: 7 bits per byte, high bit = more, at most 5 bytes.
  Status ReadVariableLength(size_t* pos, size_t end, uint64_t* out) {
    uint64_t len = 0;
    for (int i = 0; i < 5; ++i) {
      if (*pos >= end) return Corrupt(*pos, "truncated length");
      uint8_t b = data_[(*pos)++];
      len |= uint64_t{b & 0x7fu} << (7 * i);
      if ((b & 0x80) == 0) {
        if (len > 0xffffffffu) return Corrupt(*pos, "length over 4 GiB");
        *out = len;
        return Status::Ok();
      }
    }
    return Corrupt(*pos, "unterminated length");
  }

  const uint8_t* data_;
  size_t size_;
  std::string* out_;
  size_t limit_;
};

// ---------------------------------------------------------------------------------------------
// A small document tree for partial updates. Scalars keep their JSON text verbatim so numbers
// and strings print exactly as MySqlJsonToText wrote them.

struct JsonNode {
  enum class Kind : uint8_t { kScalar, kObject, kArray };
  Kind kind = Kind::kScalar;
  std::string text;                // scalar
  std::vector<std::string> keys;   // object keys, unescaped, in MySQL order
  std::vector<JsonNode> children;  // object values (parallel to keys) or array elements
};

class TextParser {
 public:
  explicit TextParser(std::string_view text, const char* what) : text_(text), what_(what) {}

  Status ParseDocument(JsonNode* node) {
    VIMUR_RETURN_IF_ERROR(ParseValue(node, 0));
    SkipSpace();
    if (pos_ != text_.size()) return Error("trailing characters");
    return Status::Ok();
  }

  // Parses a quoted JSON string at the cursor into its unescaped bytes.
  Status ParseString(std::string* out) {
    if (pos_ >= text_.size() || text_[pos_] != '"') return Error("expected '\"'");
    ++pos_;
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string");
      char c = text_[pos_++];
      if (c == '"') return Status::Ok();
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return Error("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          VIMUR_RETURN_IF_ERROR(ParseHex4(&cp));
          if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            uint32_t low = 0;
            VIMUR_RETURN_IF_ERROR(ParseHex4(&low));
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              AppendUtf8(0xFFFD, out);
              cp = low;
            }
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
          AppendUtf8(cp, out);
          break;
        }
        default: return Error("invalid escape");
      }
    }
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  size_t pos() const { return pos_; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void Advance() { ++pos_; }
  Status Error(const std::string& what) const {
    return Status::Corruption(std::string(what_) + ": " + what + " at offset " +
                              std::to_string(pos_));
  }

 private:
  Status ParseHex4(uint32_t* out) {
    if (text_.size() - pos_ < 4) return Error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return Error("invalid \\u escape");
    }
    *out = v;
    return Status::Ok();
  }

  Status ParseValue(JsonNode* node, int depth) {
    if (depth >= kMaxDepth) return Error("nested too deep");
    SkipSpace();
    if (AtEnd()) return Error("unexpected end");
    char c = text_[pos_];
    if (c == '{' || c == '[') {
      const bool object = c == '{';
      node->kind = object ? JsonNode::Kind::kObject : JsonNode::Kind::kArray;
      ++pos_;
      SkipSpace();
      if (!AtEnd() && text_[pos_] == (object ? '}' : ']')) {
        ++pos_;
        return Status::Ok();
      }
      while (true) {
        if (object) {
          SkipSpace();
          std::string key;
          VIMUR_RETURN_IF_ERROR(ParseString(&key));
          node->keys.push_back(std::move(key));
          SkipSpace();
          if (AtEnd() || text_[pos_] != ':') return Error("expected ':'");
          ++pos_;
        }
        node->children.emplace_back();
        VIMUR_RETURN_IF_ERROR(ParseValue(&node->children.back(), depth + 1));
        SkipSpace();
        if (AtEnd()) return Error("unterminated container");
        char sep = text_[pos_++];
        if (sep == ',') continue;
        if (sep == (object ? '}' : ']')) return Status::Ok();
        return Error("expected ',' or end of container");
      }
    }
    size_t start = pos_;
    if (c == '"') {
      std::string ignored;
      VIMUR_RETURN_IF_ERROR(ParseString(&ignored));
    } else {
      while (!AtEnd()) {
        char d = text_[pos_];
        if (d == ',' || d == ']' || d == '}' || d == ':' || d == ' ' || d == '\t' || d == '\n' ||
            d == '\r' || d == '{' || d == '[' || d == '"') {
          break;
        }
        ++pos_;
      }
      if (pos_ == start) return Error("expected a value");
    }
    node->kind = JsonNode::Kind::kScalar;
    node->text.assign(text_.substr(start, pos_ - start));
    return Status::Ok();
  }

  std::string_view text_;
  const char* what_;
  size_t pos_ = 0;
};

void Serialize(const JsonNode& node, std::string* out) {
  switch (node.kind) {
    case JsonNode::Kind::kScalar: out->append(node.text); return;
    case JsonNode::Kind::kObject:
      out->push_back('{');
      for (size_t i = 0; i < node.children.size(); ++i) {
        if (i != 0) out->push_back(',');
        out->push_back('"');
        AppendJsonEscaped(node.keys[i], out);
        out->append("\":");
        Serialize(node.children[i], out);
      }
      out->push_back('}');
      return;
    case JsonNode::Kind::kArray:
      out->push_back('[');
      for (size_t i = 0; i < node.children.size(); ++i) {
        if (i != 0) out->push_back(',');
        Serialize(node.children[i], out);
      }
      out->push_back(']');
      return;
  }
}

// MySQL orders object keys by length, then bytewise (Json_key_comparator).
bool KeyLess(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

struct PathLeg {
  bool member = false;
  std::string name;       // member
  uint64_t index = 0;     // array cell
  bool from_end = false;  // [last] / [last-N]
};

// Parses a simple JSON path (`$`, `.name`, `."quoted"`, `[N]`, `[last]`, `[last-N]`).
Status ParsePath(std::string_view path, std::vector<PathLeg>* legs) {
  TextParser p(path, "JSON diff path");
  p.SkipSpace();
  if (p.AtEnd() || p.Peek() != '$') return p.Error("path must start with '$'");
  p.Advance();
  while (true) {
    p.SkipSpace();
    if (p.AtEnd()) return Status::Ok();
    PathLeg leg;
    char c = p.Peek();
    if (c == '.') {
      p.Advance();
      p.SkipSpace();
      if (p.AtEnd()) return p.Error("missing member name");
      leg.member = true;
      if (p.Peek() == '"') {
        VIMUR_RETURN_IF_ERROR(p.ParseString(&leg.name));
      } else {
        size_t start = p.pos();
        while (!p.AtEnd() && p.Peek() != '.' && p.Peek() != '[' && p.Peek() != ' ') p.Advance();
        leg.name.assign(path.substr(start, p.pos() - start));
        if (leg.name.empty() || leg.name == "*") return p.Error("unsupported member leg");
      }
    } else if (c == '[') {
      p.Advance();
      p.SkipSpace();
      bool need_number = true;
      if (path.substr(p.pos(), 4) == "last") {
        for (int i = 0; i < 4; ++i) p.Advance();
        leg.from_end = true;
        p.SkipSpace();
        if (!p.AtEnd() && p.Peek() == '-') {
          p.Advance();
          p.SkipSpace();
        } else {
          need_number = false;
        }
      }
      if (need_number) {
        size_t start = p.pos();
        uint64_t v = 0;
        while (!p.AtEnd() && p.Peek() >= '0' && p.Peek() <= '9') {
          if (v > (uint64_t{1} << 40)) return p.Error("array index too large");
          v = v * 10 + static_cast<uint64_t>(p.Peek() - '0');
          p.Advance();
        }
        if (p.pos() == start) return p.Error("expected an array index");
        leg.index = v;
      }
      p.SkipSpace();
      if (p.AtEnd() || p.Peek() != ']') return p.Error("expected ']'");
      p.Advance();
    } else {
      return p.Error("unsupported path leg");
    }
    legs->push_back(std::move(leg));
  }
}

// Json_array_index: the position a leg names in an array of `size` elements.
struct ArrayIndex {
  size_t position;
  bool within_bounds;
};
ArrayIndex ResolveIndex(const PathLeg& leg, size_t size) {
  if (leg.from_end) {
    return {leg.index < size ? static_cast<size_t>(size - leg.index - 1) : 0, leg.index < size};
  }
  return {static_cast<size_t>(std::min<uint64_t>(leg.index, size)), leg.index < size};
}

// Follows legs [0, count) from `node`; nullptr when a leg does not match.
JsonNode* Seek(JsonNode* node, const std::vector<PathLeg>& legs, size_t count) {
  for (size_t i = 0; i < count && node != nullptr; ++i) {
    const PathLeg& leg = legs[i];
    if (node->kind == JsonNode::Kind::kArray && !leg.member) {
      ArrayIndex idx = ResolveIndex(leg, node->children.size());
      node = idx.within_bounds ? &node->children[idx.position] : nullptr;
    } else if (node->kind == JsonNode::Kind::kObject && leg.member) {
      auto it = std::find(node->keys.begin(), node->keys.end(), leg.name);
      node = it == node->keys.end() ? nullptr
                                    : &node->children[static_cast<size_t>(it - node->keys.begin())];
    } else {
      node = nullptr;
    }
  }
  return node;
}

enum class DiffOp : uint8_t { kReplace = 0, kInsert = 1, kRemove = 2 };

Status Rejected(DiffOp op, std::string_view path) {
  static const char* const kNames[] = {"REPLACE", "INSERT", "REMOVE"};
  return Status::Corruption(std::string("JSON diff ") + kNames[static_cast<int>(op)] + " at " +
                            std::string(path) +
                            " does not apply to the before image (is binlog_row_image=FULL?)");
}

Status ApplyOne(JsonNode* root, DiffOp op, std::string_view path_text, JsonNode* value) {
  std::vector<PathLeg> legs;
  VIMUR_RETURN_IF_ERROR(ParsePath(path_text, &legs));
  if (legs.empty()) return Rejected(op, path_text);
  if (op == DiffOp::kReplace) {
    JsonNode* target = Seek(root, legs, legs.size());
    if (target == nullptr) return Rejected(op, path_text);
    *target = std::move(*value);
    return Status::Ok();
  }
  JsonNode* parent = Seek(root, legs, legs.size() - 1);
  if (parent == nullptr) return Rejected(op, path_text);
  const PathLeg& last = legs.back();
  if (parent->kind == JsonNode::Kind::kObject && last.member) {
    auto it = std::find(parent->keys.begin(), parent->keys.end(), last.name);
    const size_t at = static_cast<size_t>(it - parent->keys.begin());
    if (op == DiffOp::kInsert) {
      if (it != parent->keys.end()) return Rejected(op, path_text);
      auto pos = std::lower_bound(
          parent->keys.begin(), parent->keys.end(), last.name,
          [](const std::string& a, const std::string& b) { return KeyLess(a, b); });
      const size_t insert_at = static_cast<size_t>(pos - parent->keys.begin());
      parent->keys.insert(pos, last.name);
      parent->children.insert(parent->children.begin() + static_cast<std::ptrdiff_t>(insert_at),
                              std::move(*value));
      return Status::Ok();
    }
    if (it == parent->keys.end()) return Rejected(op, path_text);
    parent->keys.erase(it);
    parent->children.erase(parent->children.begin() + static_cast<std::ptrdiff_t>(at));
    return Status::Ok();
  }
  if (parent->kind == JsonNode::Kind::kArray && !last.member) {
    ArrayIndex idx = ResolveIndex(last, parent->children.size());
    if (op == DiffOp::kInsert) {
      parent->children.insert(parent->children.begin() + static_cast<std::ptrdiff_t>(idx.position),
                              std::move(*value));
      return Status::Ok();
    }
    if (!idx.within_bounds) return Rejected(op, path_text);
    parent->children.erase(parent->children.begin() + static_cast<std::ptrdiff_t>(idx.position));
    return Status::Ok();
  }
  return Rejected(op, path_text);
}

}  // namespace

void AppendJsonEscaped(std::string_view bytes, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  size_t run = 0;  // start of the pending run of bytes copied unchanged
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t len = Utf8SequenceLength(bytes, i);
      if (len != 0) {
        i += len;
        continue;
      }
    }
    out->append(bytes.data() + run, i - run);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\t': out->append("\\t"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      default:
        if (c < 0x20) {
          const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out->append(esc, sizeof(esc));
        } else {
          out->append("\xEF\xBF\xBD");  // invalid UTF-8 byte -> U+FFFD, as Java decodes it
        }
    }
    ++i;
    run = i;
  }
  out->append(bytes.data() + run, n - run);
}

void AppendJavaStyleDouble(double value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");  // MySQL JSON cannot hold NaN or infinities
    return;
  }
  if (value == 0) {
    out->append(std::signbit(value) ? "-0.0" : "0.0");
    return;
  }
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    // Double.toString: shortest digits that round-trip, at least one digit after the point.
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed);
    size_t len = static_cast<size_t>(r.ptr - buf);
    out->append(buf, len);
    if (std::memchr(buf, '.', len) == nullptr) out->append(".0");
    return;
  }
  // Double.toString would use an exponent; Debezium then prints new BigDecimal(value)
  // .toPlainString(): the exact binary value, without trailing zeros.
  char buf[1600];
  int len = std::snprintf(buf, sizeof(buf), "%.1074f", value);
  if (len <= 0 || static_cast<size_t>(len) >= sizeof(buf)) {
    out->append("null");
    return;
  }
  size_t end = static_cast<size_t>(len);
  while (end > 0 && buf[end - 1] == '0') --end;
  if (end > 0 && buf[end - 1] == '.') --end;
  out->append(buf, end);
}

Status MySqlJsonToText(std::string_view doc, std::string* out) {
  return BinaryJsonWriter(doc, out).Run();
}

Status ApplyMySqlJsonDiff(std::string_view json_text, std::string_view diffs, std::string* out) {
  JsonNode root;
  VIMUR_RETURN_IF_ERROR(TextParser(json_text, "JSON before image").ParseDocument(&root));
  ByteReader reader(diffs);
  std::string value_text;
  size_t index = 0;
  while (!reader.empty()) {
    const size_t at = reader.position();
    auto fail = [&](const Status& s) {
      return Status::Corruption("JSON diff " + std::to_string(index) + " at offset " +
                                std::to_string(at) + ": " + s.message());
    };
    uint8_t op = 0;
    Status s = reader.ReadU8(&op);
    if (!s.ok()) return fail(s);
    if (op > static_cast<uint8_t>(DiffOp::kRemove)) {
      return fail(Status::Corruption("unknown operation " + std::to_string(op)));
    }
    uint64_t path_len = 0;
    std::string_view path;
    s = reader.ReadLengthEncoded(&path_len);
    if (s.ok() && path_len > reader.remaining()) s = Status::Underflow("path overruns the diff");
    if (s.ok()) s = reader.ReadBytes(static_cast<size_t>(path_len), &path);
    if (!s.ok()) return fail(s);
    JsonNode value;
    if (op != static_cast<uint8_t>(DiffOp::kRemove)) {
      uint64_t value_len = 0;
      std::string_view value_bytes;
      s = reader.ReadLengthEncoded(&value_len);
      if (s.ok() && value_len > reader.remaining())
        s = Status::Underflow("value overruns the diff");
      if (s.ok()) s = reader.ReadBytes(static_cast<size_t>(value_len), &value_bytes);
      if (!s.ok()) return fail(s);
      value_text.clear();
      s = MySqlJsonToText(value_bytes, &value_text);
      if (s.ok()) s = TextParser(value_text, "JSON diff value").ParseDocument(&value);
      if (!s.ok()) return fail(s);
    }
    s = ApplyOne(&root, static_cast<DiffOp>(op), path, &value);
    if (!s.ok()) return fail(s);
    ++index;
  }
  out->clear();
  Serialize(root, out);
  return Status::Ok();
}

}  // namespace vimur::mysql
