#include "sink/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <strings.h>

namespace vimur::sink {
namespace {

// The command for messages: its name and first argument (a key), never AUTH's password.
std::string Describe(const std::vector<std::string>& command) {
  if (!command.empty() && strcasecmp(command[0].c_str(), "AUTH") == 0) return "AUTH";
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

RedisConnection::RedisConnection(RedisUrl url, int timeout_ms, RedisTls tls)
    : url_(std::move(url)), timeout_ms_(timeout_ms), tls_(std::move(tls)) {}

RedisConnection::~RedisConnection() { Drop(); }

void RedisConnection::Drop() { link_.reset(); }

Status RedisConnection::Connect() {
  if (link_ != nullptr) return Status::Ok();
  const std::string where = "Redis at " + url_.Redacted();
  auto link = url_.tls ? OpenTlsRedisLink(url_, tls_, timeout_ms_, where)
                       : OpenPlainRedisLink(url_, timeout_ms_, where);
  VIMUR_RETURN_IF_ERROR(link.status());
  link_ = std::move(link).value();
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
  Status first_error;
  size_t i = 0;
  Status sent = link_->Exchange(commands, [&](const redisReply& reply) {
    std::string why;
    if (IsError(&reply, &why) && first_error.ok()) {
      std::string text = "Redis refused '" + Describe(commands[i]) + "': " + why;
      // A server still loading its data or a replica without its primary answers later.
      bool later = why.rfind("LOADING", 0) == 0 || why.rfind("BUSY", 0) == 0 ||
                   why.rfind("TRYAGAIN", 0) == 0 || why.rfind("MASTERDOWN", 0) == 0;
      first_error = later ? Status::Unavailable(text) : Status::FailedPrecondition(text);
    }
    ++i;
  });
  if (!sent.ok()) {
    Drop();
    return sent;
  }
  return first_error;
}

}  // namespace vimur::sink
