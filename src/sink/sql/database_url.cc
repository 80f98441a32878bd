#include <cctype>
#include <cstdlib>

#include "sink/sql/sql_connection.h"

namespace vimur::sink {
namespace {

std::string PercentDecode(const std::string& s) {
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

}  // namespace

std::string DatabaseUrl::Redacted() const {
  std::string scheme = dialect == Dialect::kMariaDb ? "mariadb" : "postgresql";
  return scheme + "://" + user + "@" + host + ":" + std::to_string(port) + "/" + database +
         (tls == "preferred" ? "" : "?tls=" + tls);
}

Result<DatabaseUrl> ParseDatabaseUrl(const std::string& url) {
  auto bad = [&](const std::string& why) {
    std::string shown = url;
    size_t at = shown.rfind('@');
    size_t scheme = shown.find("://");
    if (at != std::string::npos && scheme != std::string::npos) {
      size_t colon = shown.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) shown.replace(colon + 1, at - colon - 1, "***");
    }
    return Status::InvalidArgument("target URL '" + shown + "': " + why +
                                   "; expected mariadb://USER:PASSWORD@HOST:PORT/DB or "
                                   "postgresql://USER:PASSWORD@HOST:PORT/DB");
  };
  DatabaseUrl u;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return bad("no scheme");
  std::string scheme = url.substr(0, scheme_end);
  if (scheme == "mariadb" || scheme == "mysql") {
    u.dialect = Dialect::kMariaDb;
    u.port = 3306;
  } else if (scheme == "postgresql" || scheme == "postgres") {
    u.dialect = Dialect::kPostgres;
    u.port = 5432;
  } else {
    return bad("unknown scheme '" + scheme + "'");
  }
  std::string rest = url.substr(scheme_end + 3);
  size_t slash = rest.find('/');
  if (slash == std::string::npos || slash + 1 >= rest.size()) return bad("no database name");
  u.database = rest.substr(slash + 1);
  if (size_t q = u.database.find('?'); q != std::string::npos) {
    const std::string query = u.database.substr(q + 1);
    u.database.resize(q);
    for (size_t start = 0; start <= query.size();) {
      size_t end = query.find('&', start);
      if (end == std::string::npos) end = query.size();
      const std::string pair = query.substr(start, end - start);
      start = end + 1;
      if (pair.empty()) continue;
      const size_t eq = pair.find('=');
      const std::string name = pair.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1));
      if (name == "tls") {
        if (value != "disabled" && value != "preferred" && value != "required" &&
            value != "verify_ca" && value != "verify_identity") {
          return bad("tls=" + value +
                     " is not one of disabled, preferred, required, verify_ca, verify_identity");
        }
        u.tls = value;
      } else if (name == "tls_ca") {
        u.tls_ca = value;
      } else if (name == "tls_cert") {
        u.tls_cert = value;
      } else if (name == "tls_key") {
        u.tls_key = value;
      } else {
        return bad("unknown parameter '" + name + "' (known: tls, tls_ca, tls_cert, tls_key)");
      }
    }
    if ((u.tls == "verify_ca" || u.tls == "verify_identity") && u.tls_ca.empty()) {
      return bad("tls=" + u.tls +
                 " needs tls_ca=FILE, the CA that signed the server's "
                 "certificate");
    }
  }
  std::string authority = rest.substr(0, slash);
  size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    u.user = PercentDecode(userinfo.substr(0, colon));
    if (colon != std::string::npos) u.password = PercentDecode(userinfo.substr(colon + 1));
  }
  if (u.user.empty()) return bad("no user");
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos) {
    char* end = nullptr;
    long port = std::strtol(authority.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535) return bad("bad port");
    u.port = static_cast<int>(port);
    authority.resize(colon);
  }
  if (!authority.empty()) u.host = authority;
  return u;
}

}  // namespace vimur::sink

#include "sink/sql/sql_connections.h"

namespace vimur::sink {

std::unique_ptr<SqlConnection> MakeConnection(const DatabaseUrl& url) {
  return url.dialect == Dialect::kMariaDb ? MakeMariaDbConnection(url)
                                          : MakePostgresConnection(url);
}

}  // namespace vimur::sink
