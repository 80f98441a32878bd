#include "sink/redis/redis_url.h"

#include <cctype>
#include <cstdlib>

namespace vimur::sink {
namespace {

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool AllDigits(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string RedisUrl::Redacted() const {
  std::string out = tls ? "rediss://" : "redis://";
  if (!user.empty() || !password.empty()) out += user + (password.empty() ? "" : ":***") + "@";
  return out + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<RedisUrl> ParseRedisUrl(const std::string& text) {
  const std::string expected =
      "; expected redis://[USER][:PASSWORD@]HOST:PORT[/DB] (rediss:// for TLS), e.g. "
      "redis://127.0.0.1:6379/0";
  RedisUrl url;
  std::string rest;
  if (text.rfind("redis://", 0) == 0) {
    rest = text.substr(8);
  } else if (text.rfind("rediss://", 0) == 0) {
    rest = text.substr(9);
    url.tls = true;
  } else {
    return Status::InvalidArgument("url does not start with redis:// or rediss://" + expected);
  }
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = auth.find(':');
    url.user = Unescape(auth.substr(0, colon));
    if (colon != std::string::npos) url.password = Unescape(auth.substr(colon + 1));
    if (colon == std::string::npos) {  // redis://PASSWORD@host, as some clients accept
      url.password = url.user;
      url.user.clear();
    }
  }
  std::string hostport = rest;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    hostport = rest.substr(0, slash);
    std::string db = rest.substr(slash + 1);
    if (!db.empty()) {
      if (!AllDigits(db))
        return Status::InvalidArgument("url database '" + db + "' is not a number" + expected);
      url.db = std::atoi(db.c_str());
    }
  }
  size_t colon = hostport.rfind(':');
  url.host = hostport.substr(0, colon);
  if (colon != std::string::npos) {
    std::string port = hostport.substr(colon + 1);
    if (!AllDigits(port) || std::atoi(port.c_str()) < 1 || std::atoi(port.c_str()) > 65535) {
      return Status::InvalidArgument("url port '" + port + "' is not a port number" + expected);
    }
    url.port = std::atoi(port.c_str());
  }
  if (url.host.empty()) return Status::InvalidArgument("url has no host" + expected);
  return url;
}

}  // namespace vimur::sink
