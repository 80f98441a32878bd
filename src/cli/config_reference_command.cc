// `vimur config-reference`: prints the configuration reference generated from the table, or
// with --write FILE replaces the generated part of FILE (docs/configuration.md).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "core/config_reference.h"

namespace vimur::cli {
namespace {

constexpr const char* kUsage = R"(Usage: vimur config-reference [--write FILE]

Prints every configuration key with its default, accepted values and meaning (Markdown),
generated from the table the configuration loader validates with. With --write FILE, replaces
the generated part of FILE (between its config-reference markers), e.g. docs/configuration.md.
)";

}  // namespace

int ConfigReferenceCommand(const std::vector<std::string>& args) {
  std::string write_path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (args[i] == "--write" && i + 1 < args.size()) {
      write_path = args[++i];
    } else {
      std::fprintf(stderr, "vimur config-reference: unknown argument '%s'\n\n%s", args[i].c_str(),
                   kUsage);
      return 2;
    }
  }
  std::string reference = config::ReferenceMarkdown();
  if (write_path.empty()) {
    std::fputs(reference.c_str(), stdout);
    return 0;
  }
  std::ifstream in(write_path);
  if (!in) {
    std::fprintf(stderr, "vimur config-reference: cannot read '%s'\n", write_path.c_str());
    return 1;
  }
  std::stringstream document;
  document << in.rdbuf();
  auto updated = config::ReplaceReference(document.str(), reference);
  if (!updated.ok()) {
    std::fprintf(stderr, "vimur config-reference: %s: %s\n", write_path.c_str(),
                 updated.status().message().c_str());
    return 1;
  }
  std::ofstream out(write_path, std::ios::trunc);
  out << *updated;
  if (!out) {
    std::fprintf(stderr, "vimur config-reference: cannot write '%s'\n", write_path.c_str());
    return 1;
  }
  return 0;
}

}  // namespace vimur::cli
