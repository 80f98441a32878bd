#include "sink/json_scanner.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/utf8.h"

namespace vimur::sink {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool Hex4(std::string_view s, size_t i, uint32_t* out) {
  if (i + 4 > s.size()) return false;
  uint32_t v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    const char c = s[k];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  *out = v;
  return true;
}

constexpr int kMaxDepth = 256;  // deeper: declined (the caller's full parser decides)

}  // namespace

char JsonScanner::Peek() {
  while (i_ < s_.size()) {
    const char c = s_[i_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return c;
    ++i_;
  }
  return 0;
}

bool JsonScanner::ReadString(std::string* scratch, std::string_view* out) {
  const size_t start = ++i_;  // past the opening quote
  size_t j = start;
  while (true) {
    if (j >= s_.size()) return false;
    const auto c = static_cast<unsigned char>(s_[j]);
    if (c == '"') {
      *out = s_.substr(start, j - start);
      i_ = j + 1;
      return true;
    }
    if (c == '\\') break;
    if (c < 0x20) return false;
    if (c < 0x80) {
      ++j;
      continue;
    }
    const size_t n = Utf8SequenceLength(s_, j);
    if (n == 0) return false;
    j += n;
  }
  // Escapes: unescaped into `scratch`.
  scratch->assign(s_.data() + start, j - start);
  while (true) {
    if (j >= s_.size()) return false;
    const auto c = static_cast<unsigned char>(s_[j]);
    if (c == '"') {
      *out = *scratch;
      i_ = j + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(s_, j);
      if (n == 0) return false;
      scratch->append(s_.data() + j, n);
      j += n;
      continue;
    }
    if (c != '\\') {
      scratch->push_back(static_cast<char>(c));
      ++j;
      continue;
    }
    if (j + 1 >= s_.size()) return false;
    const char e = s_[j + 1];
    j += 2;
    switch (e) {
      case '"': scratch->push_back('"'); break;
      case '\\': scratch->push_back('\\'); break;
      case '/': scratch->push_back('/'); break;
      case 'b': scratch->push_back('\b'); break;
      case 'f': scratch->push_back('\f'); break;
      case 'n': scratch->push_back('\n'); break;
      case 'r': scratch->push_back('\r'); break;
      case 't': scratch->push_back('\t'); break;
      case 'u': {
        uint32_t cp;
        if (!Hex4(s_, j, &cp)) return false;
        j += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low;
          if (j + 6 > s_.size() || s_[j] != '\\' || s_[j + 1] != 'u' || !Hex4(s_, j + 2, &low) ||
              low < 0xDC00 || low > 0xDFFF) {
            return false;
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          j += 6;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return false;
        }
        AppendUtf8(cp, scratch);
        break;
      }
      default: return false;
    }
  }
}

bool JsonScanner::ReadNumber(JsonScalar* out) {
  const size_t start = i_;
  size_t j = i_;
  const bool negative = j < s_.size() && s_[j] == '-';
  if (negative) ++j;
  if (j >= s_.size()) return false;
  if (s_[j] == '0') {
    ++j;
  } else if (s_[j] >= '1' && s_[j] <= '9') {
    while (j < s_.size() && IsDigit(s_[j])) ++j;
  } else {
    return false;
  }
  bool floating = false;
  if (j < s_.size() && s_[j] == '.') {
    ++j;
    if (j >= s_.size() || !IsDigit(s_[j])) return false;
    while (j < s_.size() && IsDigit(s_[j])) ++j;
    floating = true;
  }
  if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
    ++j;
    if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) ++j;
    if (j >= s_.size() || !IsDigit(s_[j])) return false;
    while (j < s_.size() && IsDigit(s_[j])) ++j;
    floating = true;
  }
  out->number = s_.substr(start, j - start);
  i_ = j;
  const char* first = s_.data() + start;
  const char* last = s_.data() + j;
  if (!floating) {
    if (negative && std::from_chars(first, last, out->integer).ec == std::errc()) {
      out->kind = JsonScalar::Kind::kInteger;
      return true;
    }
    if (!negative && std::from_chars(first, last, out->unsigned_integer).ec == std::errc()) {
      out->kind = JsonScalar::Kind::kUnsigned;
      return true;
    }
  }
  // A fraction, an exponent or beyond 64 bits: a double, as nlohmann reads it (strtod on the
  // token; an overflow is an error).
  out->kind = JsonScalar::Kind::kFloat;
  number_scratch_.assign(first, last);
  out->floating = std::strtod(number_scratch_.c_str(), nullptr);
  return std::isfinite(out->floating);
}

bool JsonScanner::ReadWord(std::string_view word) {
  if (s_.substr(i_, word.size()) != word) return false;
  i_ += word.size();
  return true;
}

bool JsonScanner::ReadScalar(JsonScalar* out) {
  const char c = Peek();
  switch (c) {
    case '"': out->kind = JsonScalar::Kind::kString; return ReadString(&value_scratch_, &out->text);
    case 't':
      out->kind = JsonScalar::Kind::kBool;
      out->boolean = true;
      return ReadWord("true");
    case 'f':
      out->kind = JsonScalar::Kind::kBool;
      out->boolean = false;
      return ReadWord("false");
    case 'n': out->kind = JsonScalar::Kind::kNull; return ReadWord("null");
    default:
      if (c == '-' || IsDigit(c)) return ReadNumber(out);
      return false;
  }
}

bool JsonScanner::Skip(std::string_view* raw) {
  Peek();
  const size_t start = i_;
  if (!SkipValue(0)) return false;
  if (raw != nullptr) *raw = s_.substr(start, i_ - start);
  return true;
}

bool JsonScanner::SkipValue(int depth) {
  if (depth > kMaxDepth) return false;
  const char c = Peek();
  if (c == '{') {
    return ReadObject([&](std::string_view) { return SkipValue(depth + 1); });
  }
  if (c == '[') {
    ++i_;
    if (Peek() == ']') {
      ++i_;
      return true;
    }
    while (true) {
      if (!SkipValue(depth + 1)) return false;
      const char next = Peek();
      if (next == 0) return false;
      ++i_;
      if (next == ']') return true;
      if (next != ',') return false;
    }
  }
  JsonScalar ignored;
  return ReadScalar(&ignored);
}

}  // namespace vimur::sink
