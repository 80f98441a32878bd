// RedisLink: how a RedisConnection's commands reach Redis and its replies come back. Two kinds,
// one file each: plain TCP through hiredis's own context (redis_plain_link.cc), and TLS over
// OpenSSL with hiredis's command formatting and reply parser (redis_tls_link.cc), since
// Debian 12's hiredis 0.14 has no TLS of its own.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sink/redis/redis_url.h"

struct redisReply;

namespace vimur::sink {

// The TLS files of a rediss:// link (the sink's tls_* keys).
struct RedisTls {
  std::string ca;      // PEM CA file; empty: the system's CAs
  std::string cert;    // PEM client certificate (with key); empty: none
  std::string key;     // its PEM key
  bool verify = true;  // false: neither the certificate nor the host name is checked
};

class RedisLink {
 public:
  virtual ~RedisLink() = default;

  // Sends `commands` as one pipeline, then calls `on_reply` with each reply, in order (the
  // reply is freed after the call). A failure of the connection (Unavailable or IoError, its
  // message naming `where`) leaves the link unusable: the caller opens a new one.
  virtual Status Exchange(const std::vector<std::vector<std::string>>& commands,
                          const std::function<void(const redisReply&)>& on_reply) = 0;
};

// Connects to `url` without TLS; `where` names the server in messages (without the password).
Result<std::unique_ptr<RedisLink>> OpenPlainRedisLink(const RedisUrl& url, int timeout_ms,
                                                      const std::string& where);
// Connects to `url` and completes the TLS handshake, checking the server's certificate and
// host name (an IP address against the certificate's IP SANs) unless `tls.verify` is false.
// Unavailable when that fails, with OpenSSL's reason and the keys to check.
Result<std::unique_ptr<RedisLink>> OpenTlsRedisLink(const RedisUrl& url, const RedisTls& tls,
                                                    int timeout_ms, const std::string& where);

}  // namespace vimur::sink
