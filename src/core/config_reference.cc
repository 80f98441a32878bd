#include "core/config_reference.h"

#include <sstream>
#include <vector>

#include "core/config_reader.h"
#include "core/config_table.h"

namespace vimur::config {
namespace {

std::string Cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string Code(const std::string& text) { return "`" + text + "`"; }

std::string Values(const Key& k) {
  std::string v;
  switch (k.type) {
    case ValueType::kString: v = k.pattern.empty() ? "string" : "string: " + k.pattern_doc; break;
    case ValueType::kBool: v = "`true` or `false`"; break;
    case ValueType::kInt:
      v = "integer, " + std::to_string(k.min) + " to " + std::to_string(k.max);
      break;
    case ValueType::kChoice:
      for (const auto& c : k.choices) v += (v.empty() ? "" : ", ") + Code(c);
      for (const auto& [alias, value] : k.aliases) {
        v += ", " + Code(alias) + " (= " + Code(value) + ")";
      }
      break;
    case ValueType::kList:
      v = k.regexes       ? "list of regexes"
          : k.scalar_list ? "string or list of strings"
                          : "list of strings";
      break;
    case ValueType::kMap: v = "mapping of names to strings"; break;
    case ValueType::kSection: v = "mapping"; break;
    case ValueType::kSectionList: v = "list of mappings"; break;
    case ValueType::kSectionMap: v = "mapping of names to mappings"; break;
    case ValueType::kPlanned: v = "not available"; break;
  }
  if (!k.expand) v += "; `${...}` is kept as written, not expanded";
  return v;
}

std::string DefaultText(const Key& k) {
  if (!k.required.empty()) return "required";
  bool section = k.type == ValueType::kSection || k.type == ValueType::kSectionList ||
                 k.type == ValueType::kSectionMap;
  if (section && k.default_doc.empty()) return "";
  if (!k.default_doc.empty()) return k.default_doc;
  if (k.default_value.empty()) return "none";
  if (k.type == ValueType::kString || k.type == ValueType::kChoice) {
    return Code(k.default_value);
  }
  return k.default_value;
}

struct Writer {
  std::ostringstream out;

  // The rows of `section` (keys prefixed by `prefix`), collecting headed child sections and
  // keys or values that are not available in this version.
  void Rows(const Section& section, const std::string& prefix,
            std::vector<const Section*>* children, std::vector<std::string>* planned) {
    for (const Key& k : section.keys) {
      std::string name = prefix + k.name;
      std::string full = JoinKey(section.path, k.name);  // e.g. sources[].type
      if (k.type == ValueType::kPlanned) {
        planned->push_back(Code(full) + ": " + k.planned);
        continue;
      }
      for (const PlannedChoice& p : k.planned_values) {
        planned->push_back(Code(full + ": " + p.value) + ": " + p.why);
      }
      out << "| " << Code(name) << " | " << Cell(DefaultText(k)) << " | " << Cell(Values(k))
          << " | " << Cell(k.doc) << " |\n";
      if (k.type == ValueType::kSectionMap && !k.entry.empty()) {
        Rows(*k.section, name + "." + k.entry + ".", children, planned);
        continue;
      }
      if (k.section == nullptr || k.type == ValueType::kSectionMap) continue;
      if (k.section->heading.empty()) {
        Rows(*k.section, name + ".", children, planned);
      } else {
        children->push_back(k.section);
      }
    }
  }

  void WriteSection(const config::Section& section) {
    out << "\n## " << section.heading << "\n\n";
    if (!section.intro.empty()) out << section.intro << "\n\n";
    out << "| key | default | values | meaning |\n|---|---|---|---|\n";
    std::vector<const config::Section*> children;
    std::vector<std::string> planned;
    Rows(section, "", &children, &planned);
    if (!planned.empty()) {
      out << "\nNot available in this version (refused, so that nothing is silently "
             "ignored):\n\n";
      for (const auto& p : planned) out << "- " << p << "\n";
    }
    for (const auto* child : children) WriteSection(*child);
  }
};

}  // namespace

std::string ReferenceMarkdown() {
  Writer w;
  w.WriteSection(PipelineTable());
  w.out << "\n";
  return w.out.str();
}

Result<std::string> ExtractReference(const std::string& document) {
  size_t begin = document.find(kReferenceBegin);
  size_t end = document.find(kReferenceEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    return Status::InvalidArgument(
        std::string("the document has no generated reference between '") + kReferenceBegin +
        "' and '" + kReferenceEnd + "'; add both markers, each on a line of its own");
  }
  begin += std::string(kReferenceBegin).size();
  if (begin < document.size() && document[begin] == '\n') ++begin;
  return document.substr(begin, end - begin);
}

Result<std::string> ReplaceReference(const std::string& document, const std::string& reference) {
  VIMUR_ASSIGN_OR_RETURN(std::string old, ExtractReference(document));
  size_t begin = document.find(kReferenceBegin) + std::string(kReferenceBegin).size();
  if (begin < document.size() && document[begin] == '\n') ++begin;
  return document.substr(0, begin) + reference + document.substr(begin + old.size());
}

}  // namespace vimur::config
