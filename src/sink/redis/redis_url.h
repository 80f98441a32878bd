// RedisUrl: where the redis sink writes, parsed from `url:
// redis://[USER][:PASSWORD@]HOST:PORT[/DB]` (`rediss://`: the same over TLS).
#pragma once

#include <string>

#include "core/status.h"

namespace vimur::sink {

struct RedisUrl {
  std::string host;
  int port = 6379;
  std::string user;      // ACL user for AUTH; empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECT
  bool tls = false;      // rediss://

  // For messages: the URL without the password.
  std::string Redacted() const;
};

// Parses `text`: `redis://` or `rediss://` (TLS).
Result<RedisUrl> ParseRedisUrl(const std::string& text);

}  // namespace vimur::sink
