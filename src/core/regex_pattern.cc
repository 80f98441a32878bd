#include "core/regex_pattern.h"

#include <regex>

namespace vimur {

struct RegexPattern::Compiled {
  std::regex re;
};

RegexPattern::RegexPattern(std::string pattern, std::shared_ptr<const Compiled> compiled)
    : pattern_(std::move(pattern)), compiled_(std::move(compiled)) {}

Result<RegexPattern> RegexPattern::Compile(const std::string& pattern) {
  try {
    auto compiled = std::make_shared<Compiled>(
        Compiled{std::regex(pattern, std::regex::ECMAScript | std::regex::optimize)});
    return RegexPattern(pattern, std::move(compiled));
  } catch (const std::regex_error& e) {
    return Status::InvalidArgument("'" + pattern + "' is not a valid regular expression (" +
                                   e.what() + ")");
  }
}

bool RegexPattern::Matches(std::string_view text) const {
  return std::regex_match(text.begin(), text.end(), compiled_->re);
}

RegexList::RegexList(const std::vector<std::string>& patterns) {
  patterns_.reserve(patterns.size());
  for (const std::string& p : patterns) {
    Result<RegexPattern> compiled = RegexPattern::Compile(p);
    if (compiled.ok()) {
      patterns_.push_back(std::move(compiled).value());
    } else if (status_.ok()) {
      status_ = compiled.status();
    }
  }
}

bool RegexList::AnyMatches(std::string_view text) const {
  for (const RegexPattern& p : patterns_) {
    if (p.Matches(text)) return true;
  }
  return false;
}

}  // namespace vimur
