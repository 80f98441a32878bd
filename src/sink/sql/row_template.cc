#include "sink/sql/row_template.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace vimur::sink {
namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool IsName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) return false;
  }
  return true;
}

bool ParseInt(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0' || errno != 0) return false;
  *out = v;
  return true;
}

bool ParseNumber(const std::string& s, long double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  long double v = std::strtold(s.c_str(), &end);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

// `text` modulo n for an integer of any length (decimal digits, optional '-'), from 0 to n-1.
bool DecimalMod(const std::string& text, int64_t n, int64_t* out) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  if (i == text.size()) return false;
  __int128 r = 0;
  for (; i < text.size(); ++i) {
    if (text[i] == '.') {  // a decimal with only zeros after the point is an integer
      for (size_t j = i + 1; j < text.size(); ++j) {
        if (text[j] != '0') return false;
      }
      break;
    }
    if (text[i] < '0' || text[i] > '9') return false;
    r = (r * 10 + (text[i] - '0')) % n;
  }
  int64_t m = static_cast<int64_t>(r);
  if (negative && m != 0) m = n - m;
  *out = m;
  return true;
}

}  // namespace

uint64_t FnvHash64(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

Result<RowTemplate> RowTemplate::Compile(const std::string& text, const std::string& key) {
  RowTemplate t;
  t.source_ = text;
  t.key_ = key;
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(key + ": template '" + text + "': " + why +
                                   " (write ${column}, ${db}, ${table}, ${topic}, "
                                   "${mod(column, n)}, ${hash(column, n)} or "
                                   "${range(column, b1, b2, ...)})");
  };
  size_t i = 0;
  std::string literal;
  while (i < text.size()) {
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      literal += text[i++];
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string::npos) return bad("unterminated '${'");
    if (!literal.empty()) t.parts_.push_back(Part{kText, std::move(literal), 0, {}});
    literal.clear();
    std::string inner = Trim(std::string_view(text).substr(i + 2, close - i - 2));
    i = close + 1;
    Part p;
    size_t open = inner.find('(');
    if (open == std::string::npos) {
      if (!IsName(inner)) return bad("'" + inner + "' is not a column name");
      p.fn = kColumn;
      p.text = inner;
    } else {
      if (inner.back() != ')') return bad("missing ')' in '" + inner + "'");
      std::string fn = Trim(std::string_view(inner).substr(0, open));
      std::vector<std::string> args;
      std::string_view rest = std::string_view(inner).substr(open + 1, inner.size() - open - 2);
      while (true) {
        size_t comma = rest.find(',');
        args.push_back(Trim(rest.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
      if (args.empty() || !IsName(args[0])) return bad("the first argument must be a column");
      p.text = args[0];
      if (fn == "mod" || fn == "hash") {
        p.fn = fn == "mod" ? kMod : kHash;
        if (args.size() != 2 || !ParseInt(args[1], &p.n) || p.n <= 0) {
          return bad(fn + "(column, n) needs a positive integer n");
        }
      } else if (fn == "range") {
        p.fn = kRange;
        if (args.size() < 2) return bad("range(column, b1, ...) needs at least one bound");
        p.bounds.assign(args.begin() + 1, args.end());
        for (std::string& b : p.bounds) {
          if (b.size() >= 2 && (b.front() == '\'' || b.front() == '"') && b.back() == b.front()) {
            b = b.substr(1, b.size() - 2);
          }
        }
      } else {
        return bad("unknown function '" + fn + "'");
      }
    }
    if (p.text != "db" && p.text != "table" && p.text != "topic") t.columns_.push_back(p.text);
    t.parts_.push_back(std::move(p));
  }
  if (!literal.empty()) t.parts_.push_back(Part{kText, std::move(literal), 0, {}});
  return t;
}

Result<std::string> RowTemplate::Evaluate(const RowContext& c) const {
  std::string out;
  for (const Part& p : parts_) {
    if (p.fn == kText) {
      out += p.text;
      continue;
    }
    std::string value;
    if (p.text == "db") {
      value = c.db;
    } else if (p.text == "table") {
      value = c.table;
    } else if (p.text == "topic") {
      value = c.topic;
    } else {
      const SqlValue* v = c.row ? c.row->Find(p.text) : nullptr;
      if (v == nullptr) {
        return Status::InvalidArgument(key_ + ": template '" + source_ + "' reads column '" +
                                       p.text + "', which " + c.db + "." + c.table +
                                       " does not have");
      }
      if (v->is_null()) {
        return Status::InvalidArgument(key_ + ": template '" + source_ + "': column '" + p.text +
                                       "' is null, so the row has no route");
      }
      value = v->text;
    }
    switch (p.fn) {
      case kText: break;
      case kColumn: out += value; break;
      case kMod: {
        int64_t m = 0;
        if (!DecimalMod(value, p.n, &m)) {
          return Status::InvalidArgument(key_ + ": template '" + source_ +
                                         "': mod() needs an "
                                         "integer, column '" +
                                         p.text + "' is '" + value + "'");
        }
        out += std::to_string(m);
        break;
      }
      case kHash: out += std::to_string(FnvHash64(value) % static_cast<uint64_t>(p.n)); break;
      case kRange: {
        long double v = 0;
        bool numeric = ParseNumber(value, &v);
        size_t index = 0;
        for (const std::string& b : p.bounds) {
          long double bound = 0;
          bool at_or_above = numeric && ParseNumber(b, &bound) ? v >= bound : value >= b;
          if (!at_or_above) break;
          ++index;
        }
        out += std::to_string(index);
        break;
      }
    }
  }
  return out;
}

}  // namespace vimur::sink
