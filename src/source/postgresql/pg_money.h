// PostgreSQL `money` values: their text output (lc_monetary decides the symbol, grouping and
// sign: "$1,234.50", "-$1.00", "($1.00)") as a plain decimal with a fixed number of digits.
#pragma once

#include <string>
#include <string_view>

namespace vimur::postgresql {

// Writes to `out` the decimal of `text` with exactly `scale` fraction digits ("-1234.50"; no
// point when `scale` is 0), rounding half away from zero (Java's HALF_UP, as Debezium's
// money.fraction.digits). The point is '.'; digits, a '-' or parentheses (negative) count,
// and anything else (currency symbol, ',' grouping, spaces) is skipped, which reads the
// output under lc_monetary C or en_US-like locales. False without digits, or with two
// points or two signs.
bool ParseMoney(std::string_view text, int scale, std::string* out);

}  // namespace vimur::postgresql
