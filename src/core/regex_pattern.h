// Whole-text regular expressions (ECMAScript syntax) as the configuration uses them: table and
// column filters, topic selections, key formats. The only place that compiles std::regex.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vimur {

class RegexPattern {
 public:
  // An invalid pattern is an InvalidArgument that quotes it and the compiler's reason.
  static Result<RegexPattern> Compile(const std::string& pattern);

  // True when the whole of `text` matches (std::regex_match, not a search).
  bool Matches(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Compiled;
  RegexPattern(std::string pattern, std::shared_ptr<const Compiled> compiled);

  std::string pattern_;
  std::shared_ptr<const Compiled> compiled_;  // immutable, so copies share it across threads
};

// Patterns of which any may match (include and exclude lists). Built from patterns that the
// configuration reader has already validated; one that does not compile makes status() fail.
class RegexList {
 public:
  RegexList() = default;
  explicit RegexList(const std::vector<std::string>& patterns);

  bool AnyMatches(std::string_view text) const;
  bool empty() const { return patterns_.empty(); }
  const Status& status() const { return status_; }

 private:
  std::vector<RegexPattern> patterns_;
  Status status_;
};

}  // namespace vimur
