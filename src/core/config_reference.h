// The reference part of docs/configuration.md, generated from the configuration table, and
// the markers that delimit it in the document (the prose around it is written by hand).
#pragma once

#include <string>

#include "core/status.h"

namespace vimur::config {

inline constexpr const char* kReferenceBegin =
    "<!-- BEGIN config-reference: generated from src/core/config_table.cc; edit the table, "
    "then run `vimur config-reference --write docs/configuration.md` -->";
inline constexpr const char* kReferenceEnd = "<!-- END config-reference -->";

// Every section and key of the table as Markdown tables: key, default, values, meaning.
std::string ReferenceMarkdown();

// The text between the markers of `document` (without them).
Result<std::string> ExtractReference(const std::string& document);

// `document` with the text between its markers replaced by `reference`.
Result<std::string> ReplaceReference(const std::string& document, const std::string& reference);

}  // namespace vimur::config
