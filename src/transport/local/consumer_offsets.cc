#include "transport/local/consumer_offsets.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "transport/local/file_io.h"

namespace vimur::local {

Result<std::map<std::pair<std::string, int>, SlowestReader>> SlowestReaders(
    const std::string& consumers_dir) {
  std::map<std::pair<std::string, int>, SlowestReader> out;
  std::error_code ec;
  if (!std::filesystem::exists(consumers_dir, ec)) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(consumers_dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) return Status::IoError("cannot list " + consumers_dir + ": " + ec.message());
  for (const auto& path : files) {
    auto text = ReadWholeFile(path.string());
    if (!text.ok()) {
      if (text.status().code() == StatusCode::kNotFound) continue;  // removed meanwhile
      return text.status();
    }
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      LOG_WARN << "local log: consumer offsets " << path.string()
               << " do not parse; that group does not hold retention (fix or remove the file)";
      continue;
    }
    const std::string group = path.stem().string();
    for (const auto& [topic, parts] : j.items()) {
      if (!parts.is_object()) continue;
      for (const auto& [p, next] : parts.items()) {
        if (!next.is_number_integer() || p.empty() ||
            p.find_first_not_of("0123456789") != std::string::npos || p.size() > 6) {
          continue;
        }
        const auto key = std::make_pair(topic, std::stoi(p));
        const int64_t n = next.get<int64_t>();
        auto it = out.find(key);
        if (it == out.end() || n < it->second.next) out[key] = {n, group};
      }
    }
  }
  return out;
}

}  // namespace vimur::local
