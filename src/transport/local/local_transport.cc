#include "transport/local/local_transport.h"

namespace vimur::local {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Status LocalTransport::EnsureOpen() {
  if (log_) return Status::Ok();
  VIMUR_ASSIGN_OR_RETURN(log_, LocalLog::Open(options_));
  return Status::Ok();
}

Status LocalTransport::Start() { return EnsureOpen(); }

Status LocalTransport::Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) {
  VIMUR_RETURN_IF_ERROR(EnsureOpen());
  std::optional<std::pair<std::string, std::string>> end;
  if (batch.end) end.emplace(batch.source_name, batch.end->ToJson());
  const bool commit = end.has_value();
  // The records' bytes are copied into the segment files before Append returns.
  return log_->Append(batch.records, NowMs(), std::move(end), commit, std::move(on_acked));
}

Status LocalTransport::Flush(std::chrono::milliseconds timeout) {
  if (!log_) return Status::Ok();
  return log_->Flush(timeout);
}

void LocalTransport::Shutdown() {
  if (log_) log_->Shutdown();
}

Result<std::optional<Position>> LocalTransport::Load(const std::string& source_name) {
  VIMUR_RETURN_IF_ERROR(EnsureOpen());
  CommitState state = log_->Committed();
  auto it = state.positions.find(source_name);
  if (it == state.positions.end()) return std::optional<Position>();
  auto position = Position::FromJson(it->second);
  if (!position.ok()) {
    return position.status().WithContext("local log " + options_.dir + ": position of source " +
                                         source_name);
  }
  return std::optional<Position>(std::move(position).value());
}

Status LocalTransport::Commit(const std::string& source_name, const Position& position) {
  VIMUR_RETURN_IF_ERROR(EnsureOpen());
  return log_->AppendAndWait({}, NowMs(), std::make_pair(source_name, position.ToJson()));
}

}  // namespace vimur::local
