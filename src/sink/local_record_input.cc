#include "sink/local_record_input.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/logging.h"
#include "transport/local/file_io.h"

namespace vimur::sink {

LocalRecordInput::LocalRecordInput(LocalInputOptions options)
    : options_(std::move(options)),
      regexes_(options_.topic_regexes),
      follower_(options_.log.dir + "/" + local::kCommitLogName) {}

std::string LocalRecordInput::OffsetsPath() const {
  return options_.consumers_dir + "/" + options_.group_id + ".json";
}

Status LocalRecordInput::Start() {
  VIMUR_RETURN_IF_ERROR(regexes_.status());
  auto text = local::ReadWholeFile(OffsetsPath());
  if (text.ok()) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::Corruption("sink " + options_.sink_name + ": the offsets file " +
                                OffsetsPath() +
                                " is damaged; restore it or remove it to read the log again "
                                "from its start");
    }
    for (const auto& [topic, parts] : j.items()) {
      if (!parts.is_object()) continue;
      for (const auto& [p, next] : parts.items()) {
        if (!next.is_number_integer()) continue;
        committed_[{topic, std::stoi(p)}] = next.get<int64_t>();
      }
    }
  } else if (text.status().code() != StatusCode::kNotFound) {
    return text.status();
  }
  if (from_beginning_) {
    LOG_INFO << "sink " << options_.sink_name << ": reading every topic from its start ("
             << committed_.size() << " stored partition offset(s) ignored)";
    committed_.clear();  // acknowledgements move the stored offsets back to what was applied
  }
  fetch_ = committed_;
  VIMUR_RETURN_IF_ERROR(Refresh());
  started_ = true;
  LOG_INFO << "sink " << options_.sink_name << ": reading the local log " << options_.log.dir
           << " as " << options_.group_id << " (" << committed_.size()
           << " partition offset(s) stored)";
  return Status::Ok();
}

Status LocalRecordInput::Refresh() {
  VIMUR_ASSIGN_OR_RETURN(bool changed, follower_.Refresh());
  if (!changed) return Status::Ok();
  for (const auto& [topic, offsets] : follower_.state().topics) {
    auto m = matches_.find(topic);
    if (m == matches_.end()) {
      const bool match = topic != options_.dead_letter_topic && regexes_.AnyMatches(topic);
      m = matches_.emplace(topic, match).first;
      if (match) {
        LOG_INFO << "sink " << options_.sink_name << ": reading topic " << topic << " ("
                 << offsets.size() << " partition(s))";
      }
    }
    if (!m->second) continue;
    for (size_t p = 0; p < offsets.size(); ++p) {
      TopicPartition tp{topic, static_cast<int32_t>(p)};
      if (readers_.count(tp) == 0) {
        readers_[tp] = std::make_unique<local::PartitionReader>(
            options_.log.dir + "/" + topic + "/" + std::to_string(p),
            topic + "[" + std::to_string(p) + "]");
        // A group that committed here holds retention (slow_consumer: wait), so records
        // removed before it read them are an error (slow_consumer: drop).
        readers_[tp]->set_skips_are_errors(committed_.count(tp) > 0);
        if (fetch_.count(tp) == 0) {
          // from_end: topics known at Start begin at their end; later ones are new, read whole.
          fetch_[tp] = options_.from_end && !started_ ? offsets[p] : 0;
        }
      }
    }
  }
  return Status::Ok();
}

Result<std::vector<InputRecord>> LocalRecordInput::Poll(size_t max_records,
                                                        std::chrono::milliseconds max_wait) {
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  std::vector<InputRecord> out;
  while (true) {
    VIMUR_RETURN_IF_ERROR(Refresh());
    const auto& topics = follower_.state().topics;
    std::vector<TopicPartition> order;
    for (const auto& [tp, reader] : readers_) order.push_back(tp);
    for (size_t i = 0; i < order.size() && out.size() < max_records; ++i) {
      const TopicPartition& tp = order[(round_robin_ + i) % order.size()];
      const int64_t until = topics.at(tp.first)[static_cast<size_t>(tp.second)];
      int64_t& next = fetch_[tp];
      if (next >= until) continue;
      std::vector<local::OwnedRecord> got;
      Status s = readers_[tp]->Read(&next, until, max_records - out.size(), 16 << 20, &got);
      if (!s.ok()) return s.WithContext("sink " + options_.sink_name);
      for (auto& r : got) {
        InputRecord in;
        in.topic = tp.first;
        in.partition = tp.second;
        in.offset = r.offset;
        in.key = std::move(r.key);
        in.value = std::move(r.value);
        in.timestamp_ms = r.timestamp_ms;
        out.push_back(std::move(in));
      }
    }
    ++round_robin_;
    if (!out.empty()) return out;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return out;
    local::LocalLog::WaitForCommit(
        options_.log.dir, follower_.state().sequence,
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
  }
}

Status LocalRecordInput::SaveOffsets() {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [tp, next] : committed_) j[tp.first][std::to_string(tp.second)] = next;
  std::error_code ec;
  std::filesystem::create_directories(options_.consumers_dir, ec);
  if (ec) {
    return Status::IoError("sink " + options_.sink_name + ": cannot create " +
                           options_.consumers_dir + ": " + ec.message());
  }
  return local::WriteFileAtomically(OffsetsPath(), j.dump() + "\n")
      .WithContext("sink " + options_.sink_name + ": storing consumer offsets");
}

Status LocalRecordInput::Acknowledge(const std::vector<InputRecord>& batch) {
  if (batch.empty()) return Status::Ok();
  for (const InputRecord& r : batch) {
    int64_t& next = committed_[{r.topic, r.partition}];
    next = std::max(next, r.offset + 1);
  }
  return SaveOffsets();
}

void LocalRecordInput::Wait(std::chrono::milliseconds how_long) {
  std::this_thread::sleep_for(how_long);
}

Status LocalRecordInput::DeadLetter(const InputRecord& record, const std::string& error) {
  if (!dead_letters_) {
    auto log = local::LocalLog::Open(options_.log);
    if (!log.ok()) return log.status().WithContext("sink " + options_.sink_name + ": dead letter");
    dead_letters_ = std::move(log).value();
  }
  // The local log has no record headers: the reason and origin travel in a JSON envelope.
  nlohmann::json envelope;
  envelope["error"] = error;
  envelope["topic"] = record.topic;
  envelope["partition"] = record.partition;
  envelope["offset"] = record.offset;
  envelope["value"] = record.value ? nlohmann::json(*record.value) : nlohmann::json();
  const std::string value = envelope.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  OutgoingRecord out;
  out.topic = options_.dead_letter_topic;
  if (record.key) out.key = *record.key;
  out.value = value;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return dead_letters_->AppendAndWait({out}, now, std::nullopt)
      .WithContext("sink " + options_.sink_name + ": dead letter to " + options_.dead_letter_topic);
}

}  // namespace vimur::sink
