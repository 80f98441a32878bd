// RedisConnection: one connection to Redis (plain or TLS, a RedisLink) that sends a list of
// commands as one pipeline and checks every reply. Reconnects (AUTH, SELECT) on the next call
// after a failure.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sink/redis/redis_link.h"
#include "sink/redis/redis_url.h"

namespace vimur::sink {

class RedisConnection {
 public:
  // `tls` is used when the url is rediss://.
  RedisConnection(RedisUrl url, int timeout_ms, RedisTls tls = {});
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects (and authenticates) unless connected. Unavailable when Redis cannot be reached
  // or the TLS handshake fails, PermissionDenied when AUTH or SELECT is refused.
  Status Connect();
  // Sends `commands` in one pipeline and reads every reply. Unavailable/IoError (retriable)
  // when the connection failed; FailedPrecondition naming the command when Redis answered one
  // with an error (e.g. WRONGTYPE), after reading all replies.
  Status Pipeline(const std::vector<std::vector<std::string>>& commands);
  const RedisUrl& url() const { return url_; }

 private:
  void Drop();

  RedisUrl url_;
  int timeout_ms_;
  RedisTls tls_;
  std::unique_ptr<RedisLink> link_;
};

}  // namespace vimur::sink
