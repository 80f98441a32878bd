// The configuration table: every key of the YAML file, declared once with its type, default,
// range or allowed values and meaning. It drives loading, validation and docs/configuration.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace vimur::config {

enum class ValueType {
  kString,
  kBool,
  kInt,
  kChoice,       // one string of a fixed set
  kList,         // list of strings (optionally regexes)
  kMap,          // mapping of names to strings
  kSection,      // a nested mapping with its own keys (e.g. tls)
  kSectionList,  // a list of sections (e.g. sources)
  kSectionMap,   // names to sections (e.g. topic_overrides)
  kPlanned,      // a key of a later version: refused with `planned`
};

// Where a leaf key's value lives in its section's struct.
using FieldRef = std::variant<std::string*, bool*, int*, int64_t*, uint32_t*,
                              std::vector<std::string>*, std::map<std::string, std::string>*>;

struct Section;

// A value of a choice that a later version will accept; refused now, saying why.
struct PlannedChoice {
  std::string value;
  std::string why;
};

// One key of a section. Made by the helpers below (Text, Int, ...), refined by the setters.
struct Key {
  std::string name;
  ValueType type = ValueType::kString;
  std::string default_value;  // as written in YAML, read by the key's own rules; "" for none
  std::string default_doc;    // shown in the reference instead of default_value
  std::string required;       // non-empty: the key must be set; says what to write
  int64_t min = 0;
  int64_t max = 0;
  std::vector<std::string> choices;
  std::map<std::string, std::string> aliases;  // accepted spelling -> stored value
  std::vector<PlannedChoice> planned_values;
  bool expand = true;  // ${VAR} expands; false for keys holding templates of their own
  bool regexes = false;
  bool scalar_list = false;  // kList: a single string is read as a list of one
  std::string pattern;       // kString: the whole value must match this regex
  std::string pattern_doc;
  std::string planned;  // kPlanned: why the key is not available in this version
  std::string doc;
  const Section* section = nullptr;  // kSection, kSectionList, kSectionMap

  // Binding to the struct: each takes the section's struct (as void*).
  std::function<FieldRef(void*)> field;                    // leaf keys
  std::function<void*(void*)> nested;                      // kSection: the member
  std::function<void*(void*)> append;                      // kSectionList: a new element
  std::function<void*(void*, const std::string&)> insert;  // kSectionMap: element `name`
  bool inherit = false;  // kSectionMap: elements start from a sibling, not from defaults
  std::string entry;     // kSectionMap documented inline: the placeholder of an entry's name

  Key& Default(std::string v) { return default_value = std::move(v), *this; }
  Key& DefaultDoc(std::string v) { return default_doc = std::move(v), *this; }
  Key& Required(std::string expected) { return required = std::move(expected), *this; }
  Key& Alias(std::string spelling, std::string value) {
    return aliases[std::move(spelling)] = std::move(value), *this;
  }
  Key& PlannedValue(std::string value, std::string why) {
    return planned_values.push_back({std::move(value), std::move(why)}), *this;
  }
  Key& Verbatim() { return expand = false, *this; }
  Key& Regexes() { return regexes = true, *this; }
  Key& ScalarAsList() { return scalar_list = true, *this; }
  Key& Pattern(std::string re, std::string expected) {
    pattern = std::move(re);
    pattern_doc = std::move(expected);
    return *this;
  }
  Key& Doc(std::string text) { return doc = std::move(text), *this; }
};

// The keys of one mapping in the file, bound to one struct type.
struct Section {
  std::string path;     // "" (top level), "sources[]", "sources[].tls", "transport", ...
  std::string heading;  // reference heading; empty: listed inline in the parent's table
  std::string intro;    // reference text under the heading
  std::vector<Key> keys;
  std::function<std::shared_ptr<void>()> make;  // a default-constructed struct

  const Key* Find(const std::string& name) const {
    for (const Key& k : keys) {
      if (k.name == name) return &k;
    }
    return nullptr;
  }
};

inline Key MakeKey(std::string name, ValueType type) {
  Key k;
  k.name = std::move(name);
  k.type = type;
  return k;
}

template <typename S>
Section MakeSection(std::string path, std::string heading, std::string intro,
                    std::vector<Key> keys) {
  return Section{std::move(path), std::move(heading), std::move(intro), std::move(keys),
                 [] { return std::shared_ptr<void>(std::make_shared<S>()); }};
}

template <typename S, typename T>
std::function<FieldRef(void*)> Bind(T S::*member) {
  return [member](void* object) -> FieldRef { return &(static_cast<S*>(object)->*member); };
}

template <typename S>
Key Text(std::string name, std::string S::*member) {
  Key k = MakeKey(std::move(name), ValueType::kString);
  k.field = Bind(member);
  return k;
}

template <typename S>
Key Flag(std::string name, bool S::*member) {
  Key k = MakeKey(std::move(name), ValueType::kBool);
  k.field = Bind(member);
  return k;
}

template <typename S, typename T>
Key Int(std::string name, T S::*member, int64_t min, int64_t max) {
  Key k = MakeKey(std::move(name), ValueType::kInt);
  k.min = min;
  k.max = max;
  k.field = Bind(member);
  return k;
}

template <typename S>
Key Choice(std::string name, std::string S::*member, std::vector<std::string> choices) {
  Key k = MakeKey(std::move(name), ValueType::kChoice);
  k.choices = std::move(choices);
  k.field = Bind(member);
  return k;
}

template <typename S>
Key List(std::string name, std::vector<std::string> S::*member) {
  Key k = MakeKey(std::move(name), ValueType::kList);
  k.field = Bind(member);
  return k;
}

template <typename S>
Key Map(std::string name, std::map<std::string, std::string> S::*member) {
  Key k = MakeKey(std::move(name), ValueType::kMap);
  k.field = Bind(member);
  return k;
}

template <typename S, typename C>
Key Nested(std::string name, C S::*member, const Section& section) {
  Key k = MakeKey(std::move(name), ValueType::kSection);
  k.section = &section;
  k.nested = [member](void* object) -> void* { return &(static_cast<S*>(object)->*member); };
  return k;
}

template <typename S, typename C>
Key Items(std::string name, std::vector<C> S::*member, const Section& section) {
  Key k = MakeKey(std::move(name), ValueType::kSectionList);
  k.section = &section;
  k.append = [member](void* object) -> void* {
    return &(static_cast<S*>(object)->*member).emplace_back();
  };
  return k;
}

// Named sections whose settings start from the sibling `from` (e.g. per-topic overrides of
// the topic defaults), so a key left out keeps the sibling's value.
template <typename S, typename C>
Key Entries(std::string name, std::map<std::string, C> S::*member, C S::*from,
            const Section& section) {
  Key k = MakeKey(std::move(name), ValueType::kSectionMap);
  k.section = &section;
  k.insert = [member, from](void* object, const std::string& entry) -> void* {
    S* s = static_cast<S*>(object);
    return &((s->*member)[entry] = s->*from);
  };
  k.inherit = true;
  return k;
}

// Named sections that start from the defaults, their keys listed in the reference as
// `name.ENTRY.key` (e.g. `columns.COLUMN.rename`).
template <typename S, typename C>
Key Named(std::string name, std::map<std::string, C> S::*member, std::string entry,
          const Section& section) {
  Key k = MakeKey(std::move(name), ValueType::kSectionMap);
  k.section = &section;
  k.insert = [member](void* object, const std::string& name) -> void* {
    return &(static_cast<S*>(object)->*member)[name];
  };
  k.entry = std::move(entry);
  return k;
}

inline Key Planned(std::string name, std::string why) {
  Key k = MakeKey(std::move(name), ValueType::kPlanned);
  k.planned = std::move(why);
  return k;
}

// The top-level section of PipelineConfig (config.h); every other section hangs under it.
const Section& PipelineTable();

}  // namespace vimur::config
