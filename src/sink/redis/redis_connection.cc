#include "sink/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace vimur::sink {
namespace {

timeval Timeval(int ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

std::string Describe(const std::vector<std::string>& command) {
  std::string out;
  for (size_t i = 0; i < command.size() && i < 2; ++i) out += (i ? " " : "") + command[i];
  if (out.size() > 120) out = out.substr(0, 120) + "...";
  return out;
}

// Whether the reply (or, for EXEC, one of its elements) is an error; its text in `why`.
bool IsError(const redisReply* reply, std::string* why) {
  if (reply->type == REDIS_REPLY_ERROR) {
    *why = std::string(reply->str, reply->len);
    return true;
  }
  if (reply->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < reply->elements; ++i) {
      if (IsError(reply->element[i], why)) return true;
    }
  }
  return false;
}

}  // namespace

RedisConnection::RedisConnection(RedisUrl url, int timeout_ms)
    : url_(std::move(url)), timeout_ms_(timeout_ms) {}

RedisConnection::~RedisConnection() { Drop(); }

void RedisConnection::Drop() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

Status RedisConnection::Connect() {
  if (context_ != nullptr) return Status::Ok();
  const std::string where = "Redis at " + url_.Redacted();
  context_ = redisConnectWithTimeout(url_.host.c_str(), url_.port, Timeval(timeout_ms_));
  if (context_ == nullptr || context_->err != 0) {
    std::string why = context_ == nullptr ? "out of memory" : context_->errstr;
    Drop();
    return Status::Unavailable(where + " cannot be reached: " + why +
                               "; check that it runs and the url's host and port");
  }
  redisSetTimeout(context_, Timeval(timeout_ms_));
  std::vector<std::vector<std::string>> setup;
  if (!url_.password.empty()) {
    if (url_.user.empty()) {
      setup.push_back({"AUTH", url_.password});
    } else {
      setup.push_back({"AUTH", url_.user, url_.password});
    }
  }
  if (url_.db != 0) setup.push_back({"SELECT", std::to_string(url_.db)});
  if (!setup.empty()) {
    Status s = Pipeline(setup);
    if (!s.ok()) {
      Drop();
      if (s.retriable()) return s;
      return Status::PermissionDenied(where + ": " + s.message() +
                                      "; check the user and password of the url");
    }
  }
  return Status::Ok();
}

Status RedisConnection::Pipeline(const std::vector<std::vector<std::string>>& commands) {
  VIMUR_RETURN_IF_ERROR(Connect());
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& command : commands) {
    argv.clear();
    lengths.clear();
    for (const std::string& a : command) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      std::string why = context_->errstr;
      Drop();
      return Status::IoError("Redis at " + url_.Redacted() + ": " + why);
    }
  }
  Status first_error;
  for (const auto& command : commands) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      std::string why = context_->errstr;
      Drop();
      return Status::Unavailable("Redis at " + url_.Redacted() + " did not answer (" + why +
                                 "); the batch is sent again");
    }
    auto* reply = static_cast<redisReply*>(raw);
    std::string why;
    if (IsError(reply, &why) && first_error.ok()) {
      std::string text = "Redis refused '" + Describe(command) + "': " + why;
      // A server still loading its data or a replica without its primary answers later.
      bool later = why.rfind("LOADING", 0) == 0 || why.rfind("BUSY", 0) == 0 ||
                   why.rfind("TRYAGAIN", 0) == 0 || why.rfind("MASTERDOWN", 0) == 0;
      first_error = later ? Status::Unavailable(text) : Status::FailedPrecondition(text);
    }
    freeReplyObject(reply);
  }
  return first_error;
}

}  // namespace vimur::sink
