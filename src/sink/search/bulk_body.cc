#include "sink/search/bulk_body.h"

#include <nlohmann/json.hpp>

namespace vimur::sink {

std::string BulkBody(const std::vector<const DocumentAction*>& actions) {
  std::string body;
  for (const DocumentAction* action : actions) {
    const DocumentAction& a = *action;
    nlohmann::ordered_json head = {{a.document ? "index" : "delete", {{"_id", a.id}}}};
    body += head.dump();
    body += '\n';
    if (a.document) {
      body += a.document->dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      body += '\n';
    }
  }
  return body;
}

Result<std::vector<BulkItemOutcome>> ParseBulkAnswer(const std::string& answer,
                                                     size_t action_count) {
  auto j = nlohmann::json::parse(answer, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("items") || !j["items"].is_array()) {
    return Status::Corruption("the _bulk answer is not an object with `items`: " +
                              answer.substr(0, 300));
  }
  const auto& items = j["items"];
  if (items.size() != action_count) {
    return Status::Corruption("the _bulk answer lists " + std::to_string(items.size()) +
                              " items for " + std::to_string(action_count) + " actions");
  }
  std::vector<BulkItemOutcome> out(action_count);
  for (size_t i = 0; i < action_count; ++i) {
    const auto& item = items[i];
    if (!item.is_object() || item.empty()) {
      return Status::Corruption("item " + std::to_string(i) + " of the _bulk answer is empty");
    }
    const std::string action = item.begin().key();
    const nlohmann::json& result = item.begin().value();
    const int status = result.value("status", 0);
    if ((status >= 200 && status < 300) || (action == "delete" && status == 404)) continue;
    BulkItemOutcome& o = out[i];
    o.kind = (status == 429 || status >= 500) ? BulkItemOutcome::kRetry : BulkItemOutcome::kRefused;
    o.error = action + " answered " + std::to_string(status);
    if (result.contains("error")) o.error += ": " + result["error"].dump().substr(0, 300);
  }
  return out;
}

}  // namespace vimur::sink
