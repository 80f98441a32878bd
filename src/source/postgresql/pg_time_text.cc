#include "source/postgresql/pg_time_text.h"

#include <cstdio>

namespace vimur::postgresql {
namespace {

// Reads [+-]digits at `*pos`; false when there are none.
bool SignedNumber(std::string_view text, size_t* pos, int64_t* out) {
  size_t i = *pos;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  const size_t digits_from = i;
  int64_t v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + (text[i++] - '0');
  }
  if (i == digits_from) return false;
  *out = negative ? -v : v;
  *pos = i;
  return true;
}

// Reads ".ffffff" as microseconds (more than 6 digits are cut, as PostgreSQL never writes them).
int64_t FractionMicros(std::string_view text, size_t* pos) {
  if (*pos >= text.size() || text[*pos] != '.') return 0;
  ++*pos;
  int64_t v = 0;
  int digits = 0;
  while (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9') {
    if (digits < 6) v = v * 10 + (text[*pos] - '0');
    ++digits;
    ++*pos;
  }
  for (; digits < 6; ++digits) v *= 10;
  return v;
}

// "[+-]HH:MM:SS[.ffffff]" at `*pos`: hours, minutes and seconds with the sign on each.
bool ClockPart(std::string_view text, size_t* pos, int64_t* hours, int64_t* minutes,
               int64_t* seconds, int64_t* micros) {
  size_t i = *pos;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  int64_t h = 0, m = 0, s = 0;
  if (!SignedNumber(text, &i, &h) || i >= text.size() || text[i++] != ':') return false;
  if (!SignedNumber(text, &i, &m) || i >= text.size() || text[i++] != ':') return false;
  if (!SignedNumber(text, &i, &s)) return false;
  const int64_t f = FractionMicros(text, &i);
  const int64_t sign = negative ? -1 : 1;
  *hours = sign * h;
  *minutes = sign * m;
  *seconds = sign * s;
  *micros = sign * f;
  *pos = i;
  return true;
}

}  // namespace

bool ParseIntervalMicros(std::string_view text, int64_t* micros) {
  int64_t years = 0, months = 0, days = 0, hours = 0, minutes = 0, seconds = 0, fraction = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    // A clock part has a ':' before the next space.
    const size_t space = text.find(' ', i);
    const std::string_view token =
        text.substr(i, space == std::string_view::npos ? text.npos : space - i);
    if (token.find(':') != std::string_view::npos) {
      if (!ClockPart(text, &i, &hours, &minutes, &seconds, &fraction)) return false;
      any = true;
      continue;
    }
    int64_t n = 0;
    if (!SignedNumber(text, &i, &n) || i >= text.size() || text[i++] != ' ') return false;
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view unit = text.substr(i, end - i);
    i = end;
    if (unit == "year" || unit == "years") {
      years += n;
    } else if (unit == "mon" || unit == "mons") {
      months += n;
    } else if (unit == "day" || unit == "days") {
      days += n;
    } else {
      return false;
    }
    any = true;
  }
  if (!any) return false;
  // As io.debezium.time.MicroDuration.durationMicros, in doubles, with DAYS_PER_MONTH_AVG.
  const double days_per_month = 365.25 / 12.0;
  const double total_days =
      static_cast<double>(years * 12 + months) * days_per_month + static_cast<double>(days);
  const double total_seconds =
      ((total_days * 24 + static_cast<double>(hours)) * 60 + static_cast<double>(minutes)) * 60 +
      (static_cast<double>(seconds) + static_cast<double>(fraction) / 1e6);
  *micros = static_cast<int64_t>(total_seconds * 1e6);
  return true;
}

bool ParseTimeTz(std::string_view text, std::string* iso_utc) {
  size_t i = 0;
  int64_t h = 0, m = 0, s = 0;
  if (!SignedNumber(text, &i, &h) || i >= text.size() || text[i++] != ':') return false;
  if (!SignedNumber(text, &i, &m) || i >= text.size() || text[i++] != ':') return false;
  if (!SignedNumber(text, &i, &s)) return false;
  const int64_t fraction = FractionMicros(text, &i);
  if (i >= text.size() || (text[i] != '+' && text[i] != '-')) return false;
  const int64_t sign = text[i++] == '-' ? -1 : 1;
  int64_t oh = 0, om = 0, os = 0;
  if (!SignedNumber(text, &i, &oh)) return false;
  if (i < text.size() && text[i] == ':') {
    ++i;
    if (!SignedNumber(text, &i, &om)) return false;
    if (i < text.size() && text[i] == ':') {
      ++i;
      if (!SignedNumber(text, &i, &os)) return false;
    }
  }
  if (i != text.size() || h < 0 || h > 24 || m < 0 || m > 59 || s < 0 || s > 59) return false;
  constexpr int64_t kDay = 86400;
  int64_t utc = h * 3600 + m * 60 + s - sign * (oh * 3600 + om * 60 + os);
  if (utc == kDay && fraction == 0) {  // the end of the day at UTC, as Debezium keeps it
    *iso_utc = "24:00:00Z";
    return true;
  }
  utc = ((utc % kDay) + kDay) % kDay;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%02d:%02d:%02d", static_cast<int>(utc / 3600),
                static_cast<int>(utc / 60 % 60), static_cast<int>(utc % 60));
  std::string out = buffer;
  if (fraction > 0) {
    std::snprintf(buffer, sizeof buffer, ".%06d", static_cast<int>(fraction));
    std::string digits = buffer;
    while (digits.back() == '0') digits.pop_back();
    out += digits;
  }
  *iso_utc = out + "Z";
  return true;
}

}  // namespace vimur::postgresql
