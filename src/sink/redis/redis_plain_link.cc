// The plain TCP RedisLink: hiredis's blocking context (its own buffers, reads and parser).
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include "sink/redis/redis_link.h"

namespace vimur::sink {
namespace {

timeval Timeval(int ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

class PlainLink final : public RedisLink {
 public:
  PlainLink(redisContext* context, std::string where)
      : context_(context), where_(std::move(where)) {}
  ~PlainLink() override { redisFree(context_); }
  PlainLink(const PlainLink&) = delete;
  PlainLink& operator=(const PlainLink&) = delete;

  Status Exchange(const std::vector<std::vector<std::string>>& commands,
                  const std::function<void(const redisReply&)>& on_reply) override {
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
        return Status::IoError(where_ + ": " + context_->errstr);
      }
    }
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
        return Status::Unavailable(where_ + " did not answer (" + context_->errstr +
                                   "); the batch is sent again");
      }
      auto* reply = static_cast<redisReply*>(raw);
      on_reply(*reply);
      freeReplyObject(reply);
    }
    return Status::Ok();
  }

 private:
  redisContext* context_;
  std::string where_;
};

}  // namespace

Result<std::unique_ptr<RedisLink>> OpenPlainRedisLink(const RedisUrl& url, int timeout_ms,
                                                      const std::string& where) {
  redisContext* context = redisConnectWithTimeout(url.host.c_str(), url.port, Timeval(timeout_ms));
  if (context == nullptr || context->err != 0) {
    std::string why = context == nullptr ? "out of memory" : context->errstr;
    if (context != nullptr) redisFree(context);
    return Status::Unavailable(where + " cannot be reached: " + why +
                               "; check that it runs and the url's host and port");
  }
  redisSetTimeout(context, Timeval(timeout_ms));
  return std::unique_ptr<RedisLink>(std::make_unique<PlainLink>(context, where));
}

}  // namespace vimur::sink
