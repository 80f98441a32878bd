#include "source/mysql/xa_statement.h"

#include <cctype>

#include "source/mysql/binlog_event.h"

namespace vimur::mysql {
namespace {

void SkipSpace(std::string_view s, size_t* i) {
  while (*i < s.size() && std::isspace(static_cast<unsigned char>(s[*i]))) ++*i;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool FromHex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexDigit(hex[i]);
    int lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// One XID string: X'hex', 0xhex, 'text' or "text".
bool ReadString(std::string_view s, size_t* i, std::string* out) {
  SkipSpace(s, i);
  if (*i >= s.size()) return false;
  if ((s[*i] == 'X' || s[*i] == 'x') && *i + 1 < s.size() && s[*i + 1] == '\'') {
    size_t end = s.find('\'', *i + 2);
    if (end == std::string_view::npos) return false;
    if (!FromHex(s.substr(*i + 2, end - *i - 2), out)) return false;
    *i = end + 1;
    return true;
  }
  if (s[*i] == '0' && *i + 1 < s.size() && (s[*i + 1] == 'x' || s[*i + 1] == 'X')) {
    size_t end = *i + 2;
    while (end < s.size() && HexDigit(s[end]) >= 0) ++end;
    std::string_view hex = s.substr(*i + 2, end - *i - 2);
    std::string padded = hex.size() % 2 ? "0" + std::string(hex) : std::string(hex);
    if (!FromHex(padded, out)) return false;
    *i = end;
    return true;
  }
  if (s[*i] == '\'' || s[*i] == '"') {
    const char quote = s[*i];
    out->clear();
    for (size_t j = *i + 1; j < s.size(); ++j) {
      if (s[j] == '\\' && j + 1 < s.size()) {
        out->push_back(s[++j]);
      } else if (s[j] == quote) {
        if (j + 1 < s.size() && s[j + 1] == quote) {
          out->push_back(quote);
          ++j;
          continue;
        }
        *i = j + 1;
        return true;
      } else {
        out->push_back(s[j]);
      }
    }
  }
  return false;
}

bool ReadComma(std::string_view s, size_t* i) {
  SkipSpace(s, i);
  if (*i < s.size() && s[*i] == ',') {
    ++*i;
    return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> CanonicalXid(std::string_view rest) {
  XaPrepareEvent xid;
  xid.format_id = 1;  // the default of the XA statements
  size_t i = 0;
  if (!ReadString(rest, &i, &xid.gtrid)) return std::nullopt;
  if (ReadComma(rest, &i)) {
    if (!ReadString(rest, &i, &xid.bqual)) return std::nullopt;
    if (ReadComma(rest, &i)) {
      SkipSpace(rest, &i);
      size_t end = i;
      bool negative = end < rest.size() && rest[end] == '-';
      if (negative) ++end;
      int64_t value = 0;
      size_t digits = 0;
      while (end < rest.size() && std::isdigit(static_cast<unsigned char>(rest[end]))) {
        value = value * 10 + (rest[end] - '0');
        if (value > (int64_t{1} << 32)) return std::nullopt;
        ++end;
        ++digits;
      }
      if (digits == 0) return std::nullopt;
      xid.format_id = static_cast<int32_t>(negative ? -value : value);
    }
  }
  return xid.ToSql();
}

}  // namespace vimur::mysql
