#include "source/postgresql/pg_money.h"

namespace vimur::postgresql {

bool ParseMoney(std::string_view text, int scale, std::string* out) {
  std::string whole, fraction;
  bool negative = false, point = false, open_paren = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      (point ? fraction : whole).push_back(c);
    } else if (c == '.') {
      if (point) return false;
      point = true;
    } else if (c == '-') {
      if (negative) return false;
      negative = true;
    } else if (c == '(') {
      if (negative) return false;
      negative = open_paren = true;
    } else if (c == ')') {
      if (!open_paren) return false;
      open_paren = false;
    }
  }
  if ((whole.empty() && fraction.empty()) || open_paren) return false;
  const size_t keep = static_cast<size_t>(scale);
  const bool round_up = fraction.size() > keep && fraction[keep] >= '5';
  fraction.resize(keep, '0');
  std::string digits = whole + fraction;
  if (round_up) {
    size_t i = digits.size();
    while (i > 0 && digits[i - 1] == '9') digits[--i] = '0';
    if (i == 0) {
      digits.insert(digits.begin(), '1');
    } else {
      ++digits[i - 1];
    }
  }
  // digits = whole part then `keep` fraction digits; drop the whole part's leading zeros.
  size_t first = 0;
  while (first + keep + 1 < digits.size() && digits[first] == '0') ++first;
  digits.erase(0, first);
  if (digits.size() < keep + 1) digits.insert(0, keep + 1 - digits.size(), '0');
  const bool zero = digits.find_first_not_of('0') == std::string::npos;
  out->clear();
  if (negative && !zero) out->push_back('-');
  out->append(digits, 0, digits.size() - keep);
  if (keep > 0) {
    out->push_back('.');
    out->append(digits, digits.size() - keep, keep);
  }
  return true;
}

}  // namespace vimur::postgresql
