#include "core/config_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "core/config.h"
#include "core/regex_pattern.h"

namespace vimur::config {
namespace {

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

std::string ChoiceList(const Key& k) {
  std::string list;
  for (const auto& c : k.choices) list += (list.empty() ? "" : " | ") + c;
  for (const auto& [alias, value] : k.aliases) list += (list.empty() ? "" : " | ") + alias;
  return list;
}

// Edit distance, for "did you mean" on unknown keys.
size_t Distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// Stores `text` in k's field by k's rules. Returns "" on success, else what was expected.
std::string Store(const Key& k, const std::string& text, void* object) {
  FieldRef field = k.field(object);
  switch (k.type) {
    case ValueType::kString:
      if (!k.pattern.empty() && !text.empty()) {
        Result<RegexPattern> pattern = RegexPattern::Compile(k.pattern);
        if (!pattern.ok() || !pattern->Matches(text)) return k.pattern_doc;
      }
      *std::get<std::string*>(field) = text;
      return "";
    case ValueType::kChoice: {
      std::string value = text;
      if (auto a = k.aliases.find(text); a != k.aliases.end()) value = a->second;
      if (std::find(k.choices.begin(), k.choices.end(), value) == k.choices.end()) {
        return "one of " + ChoiceList(k) + ", got '" + text + "'";
      }
      *std::get<std::string*>(field) = value;
      return "";
    }
    case ValueType::kBool: {
      bool value;
      if (text == "true" || text == "yes" || text == "on") {
        value = true;
      } else if (text == "false" || text == "no" || text == "off") {
        value = false;
      } else {
        return "true or false, got '" + text + "'";
      }
      *std::get<bool*>(field) = value;
      return "";
    }
    case ValueType::kInt: {
      char* end = nullptr;
      errno = 0;
      long long parsed = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno != 0 || parsed < k.min || parsed > k.max) {
        return "an integer from " + std::to_string(k.min) + " to " + std::to_string(k.max) +
               ", got '" + text + "'";
      }
      std::visit(Overloaded{[&](int* p) { *p = static_cast<int>(parsed); },
                            [&](int64_t* p) { *p = parsed; },
                            [&](uint32_t* p) { *p = static_cast<uint32_t>(parsed); }, [](auto*) {}},
                 field);
      return "";
    }
    case ValueType::kList:
    case ValueType::kMap:
    case ValueType::kSection:
    case ValueType::kSectionList:
    case ValueType::kSectionMap:
    case ValueType::kPlanned: return "a value of a key that holds a single value";
  }
  return "a known type";
}

}  // namespace

std::string JoinKey(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

Status ApplyDefaults(const Section& section, void* object) {
  for (const Key& k : section.keys) {
    if (k.default_value.empty() || !k.field) continue;
    std::string expected = Store(k, k.default_value, object);
    if (!expected.empty()) {
      return Status::Internal("configuration table: default '" + k.default_value + "' of '" +
                              JoinKey(section.path, k.name) + "' is not " + expected);
    }
  }
  return Status::Ok();
}

Status Reader::Error(const std::string& key, const YAML::Node& at, const std::string& expected,
                     const std::string& problem) const {
  return Fail(at, problem + " for '" + key + "': expected " + expected);
}

Status Reader::Fail(const YAML::Node& at, const std::string& message) const {
  std::string where = origin_;
  if (at.Mark().line >= 0) where += ":" + std::to_string(at.Mark().line + 1);
  return Status::InvalidArgument(where + ": " + message);
}

std::string Reader::Where(const std::string& key, const YAML::Node& v) const {
  std::string w = origin_;
  if (v.Mark().line >= 0) w += ":" + std::to_string(v.Mark().line + 1);
  return w + " '" + key + "'";
}

Status Reader::CheckKeyNames(const Section& section, const YAML::Node& node,
                             const std::string& path) const {
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return Fail(kv.first, "expected a key name in " + path);
    const std::string& name = kv.first.Scalar();
    const Key* k = section.Find(name);
    if (k != nullptr && k->type == ValueType::kPlanned) {
      return Fail(kv.first,
                  "'" + JoinKey(path, name) + "' is not available in this version: " + k->planned);
    }
    if (k != nullptr) continue;
    std::string list;
    std::string suggestion;
    size_t best = 3;  // suggest only names at most two edits away
    for (const Key& known : section.keys) {
      if (known.type == ValueType::kPlanned) continue;
      list += (list.empty() ? "" : ", ") + known.name;
      size_t d = Distance(name, known.name);
      if (d < best && d < known.name.size()) {
        best = d;
        suggestion = known.name;
      }
    }
    std::string message = "unknown key '" + JoinKey(path, name) + "'";
    if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
    message +=
        "; the keys of " + (path.empty() ? std::string("the top level") : path) + " are: " + list;
    return Fail(kv.first, message);
  }
  return Status::Ok();
}

Status Reader::ReadSection(const Section& section, const YAML::Node& node, const std::string& path,
                           void* object, bool apply_defaults) const {
  if (!node.IsMap()) {
    return Error(path.empty() ? "the top level" : path, node, "a mapping of keys to values");
  }
  VIMUR_RETURN_IF_ERROR(CheckKeyNames(section, node, path));
  if (apply_defaults) VIMUR_RETURN_IF_ERROR(ApplyDefaults(section, object));
  const YAML::Node& map = node;
  for (const Key& k : section.keys) {  // in table order: a key may start from an earlier one
    if (k.type == ValueType::kPlanned) continue;
    std::string key = JoinKey(path, k.name);
    YAML::Node v = map[k.name];
    if (!v || v.IsNull()) {
      if (!k.required.empty()) return Error(key, node, k.required, "missing key");
      continue;
    }
    VIMUR_RETURN_IF_ERROR(ReadKey(k, v, key, object));
    if (!k.required.empty() && k.field) {  // `name: ''` is as missing as no name
      FieldRef field = k.field(object);
      std::string** text = std::get_if<std::string*>(&field);
      if (text != nullptr && (*text)->empty()) return Error(key, node, k.required, "missing key");
    }
  }
  return Status::Ok();
}

Result<std::string> Reader::ScalarText(const Key& k, const YAML::Node& v,
                                       const std::string& key) const {
  if (!v.IsScalar()) return Error(key, v, "a single value");
  if (!k.expand) return v.Scalar();
  return ExpandEnvironment(v.Scalar(), Where(key, v));
}

Status Reader::ReadKey(const Key& k, const YAML::Node& v, const std::string& key,
                       void* object) const {
  switch (k.type) {
    case ValueType::kString:
    case ValueType::kBool:
    case ValueType::kInt:
    case ValueType::kChoice: {
      VIMUR_ASSIGN_OR_RETURN(std::string text, ScalarText(k, v, key));
      for (const PlannedChoice& p : k.planned_values) {
        if (p.value == text) {
          return Fail(v, "'" + key + ": " + text + "' is not available in this version: " + p.why +
                             " (accepted here: " + ChoiceList(k) + ")");
        }
      }
      std::string expected = Store(k, text, object);
      if (!expected.empty()) return Error(key, v, expected);
      return Status::Ok();
    }
    case ValueType::kList: {
      if (k.scalar_list && v.IsScalar()) {
        auto* one = std::get<std::vector<std::string>*>(k.field(object));
        VIMUR_ASSIGN_OR_RETURN(std::string item, ScalarText(k, v, key));
        *one = {std::move(item)};
        return Status::Ok();
      }
      if (!v.IsSequence()) return Error(key, v, "a list, e.g. ['a', 'b']");
      auto* out = std::get<std::vector<std::string>*>(k.field(object));
      out->clear();
      for (size_t i = 0; i < v.size(); ++i) {
        std::string where = key + "[" + std::to_string(i) + "]";
        VIMUR_ASSIGN_OR_RETURN(std::string item, ScalarText(k, v[i], where));
        if (k.regexes) {
          if (Result<RegexPattern> re = RegexPattern::Compile(item); !re.ok()) {
            return Error(where, v[i], "a valid regular expression: " + re.status().message());
          }
        }
        out->push_back(std::move(item));
      }
      return Status::Ok();
    }
    case ValueType::kMap: {
      if (!v.IsMap()) return Error(key, v, "a mapping of names to values");
      auto* out = std::get<std::map<std::string, std::string>*>(k.field(object));
      for (const auto& kv : v) {
        std::string name = kv.first.as<std::string>();
        VIMUR_ASSIGN_OR_RETURN((*out)[name], ScalarText(k, kv.second, key + "." + name));
      }
      return Status::Ok();
    }
    case ValueType::kSection: return ReadSection(*k.section, v, key, k.nested(object), true);
    case ValueType::kSectionList: {
      if (!v.IsSequence() || (!k.required.empty() && v.size() == 0)) {
        return Error(key, v, k.required.empty() ? "a list" : k.required);
      }
      for (size_t i = 0; i < v.size(); ++i) {
        VIMUR_RETURN_IF_ERROR(ReadSection(*k.section, v[i], key + "[" + std::to_string(i) + "]",
                                          k.append(object), true));
      }
      return Status::Ok();
    }
    case ValueType::kSectionMap: {
      if (!v.IsMap()) return Error(key, v, "a mapping of names to settings");
      for (const auto& kv : v) {
        std::string name = kv.first.as<std::string>();
        VIMUR_RETURN_IF_ERROR(ReadSection(*k.section, kv.second, key + "." + name,
                                          k.insert(object, name), !k.inherit));
      }
      return Status::Ok();
    }
    case ValueType::kPlanned: return Fail(v, "'" + key + "' is not available in this version");
  }
  return Status::Internal("configuration table: unknown type of '" + key + "'");
}

}  // namespace vimur::config
