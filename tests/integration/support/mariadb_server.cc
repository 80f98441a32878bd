#include "mariadb_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <utility>

namespace vimur::testing {
namespace {

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

std::string ScriptPath() { return std::string(VIMUR_SOURCE_DIR) + "/scripts/mariadb"; }

}  // namespace

uint16_t ParseMariaDbPort(std::string_view output) {
  constexpr std::string_view kKey = "MARIADB_PORT=";
  size_t at = output.rfind(kKey);
  if (at == std::string_view::npos) return 0;
  unsigned long port = 0;
  for (size_t i = at + kKey.size(); i < output.size() && output[i] >= '0' && output[i] <= '9';
       ++i) {
    port = port * 10 + static_cast<unsigned long>(output[i] - '0');
    if (port > 65535) return 0;
  }
  return static_cast<uint16_t>(port);
}

Result<std::unique_ptr<MariaDbServer>> MariaDbServer::Start(
    std::vector<std::string> extra_options) {
  std::string templ = (std::filesystem::temp_directory_path() / "vimur-mariadb-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    return Status::IoError("cannot create a temporary directory from " + templ);
  }
  std::unique_ptr<MariaDbServer> server(new MariaDbServer(templ, 0));
  VIMUR_ASSIGN_OR_RETURN(std::string output, server->RunScript("start", extra_options));
  server->port_ = ParseMariaDbPort(output);
  if (server->port_ == 0) {
    return Status::Internal("scripts/mariadb start printed no MARIADB_PORT line: " + output);
  }
  server->running_ = true;
  return server;
}

MariaDbServer::~MariaDbServer() {
  root_.reset();
  if (!dir_.empty()) {
    (void)RunScript("stop", {});
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

Result<std::string> MariaDbServer::RunScript(const std::string& cmd,
                                             const std::vector<std::string>& args) {
  // The script's watchdog stops the server (and removes its directory) if this process dies
  // without running the destructor, e.g. on a sanitizer abort.
  std::string command = "VIMUR_MARIADB_OWNER_PID=" + std::to_string(getpid()) +
                        " VIMUR_MARIADB_CLEANUP=1 " + ShellQuote(ScriptPath()) + " " + cmd + " " +
                        ShellQuote(dir_);
  for (const auto& arg : args) command += " " + ShellQuote(arg);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return Status::IoError("cannot run " + command);
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  int rc = pclose(pipe);
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    return Status::Internal(command + " failed (status " + std::to_string(rc) + "): " + output);
  }
  return output;
}

mysql::MySqlConnectOptions MariaDbServer::RootOptions() const {
  mysql::MySqlConnectOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  options.user = "root";
  options.password = "root";
  options.ssl_mode = mysql::SslMode::kDisabled;
  options.connect_timeout_s = 5;
  options.read_timeout_s = 30;
  return options;
}

mysql::MySqlConnectOptions MariaDbServer::VimurOptions() const {
  mysql::MySqlConnectOptions options = RootOptions();
  options.user = "vimur";
  options.password = "vimur";
  return options;
}

Result<mysql::MySqlConnection> MariaDbServer::Connect(const std::string& user,
                                                      const std::string& password) {
  mysql::MySqlConnectOptions options = RootOptions();
  options.user = user;
  options.password = password;
  return mysql::MySqlConnection::Connect(options);
}

Result<mysql::MySqlConnection*> MariaDbServer::Root() {
  if (!root_) {
    VIMUR_ASSIGN_OR_RETURN(mysql::MySqlConnection conn,
                           mysql::MySqlConnection::Connect(RootOptions()));
    root_.emplace(std::move(conn));
  }
  return &*root_;
}

Status MariaDbServer::Exec(std::string_view sql) {
  VIMUR_ASSIGN_OR_RETURN(mysql::MySqlConnection * conn, Root());
  return conn->Execute(sql);
}

Result<std::vector<mysql::SqlRow>> MariaDbServer::Query(std::string_view sql) {
  VIMUR_ASSIGN_OR_RETURN(mysql::MySqlConnection * conn, Root());
  return conn->Query(sql);
}

Result<std::string> MariaDbServer::QueryValue(std::string_view sql) {
  VIMUR_ASSIGN_OR_RETURN(mysql::MySqlConnection * conn, Root());
  VIMUR_ASSIGN_OR_RETURN(std::optional<std::string> value, conn->QueryValue(sql));
  return value.value_or("");
}

Status MariaDbServer::Kill() {
  root_.reset();
  VIMUR_ASSIGN_OR_RETURN(std::string output, RunScript("kill", {}));
  running_ = false;
  return Status::Ok();
}

Status MariaDbServer::Stop() {
  root_.reset();
  VIMUR_ASSIGN_OR_RETURN(std::string output, RunScript("stop", {}));
  running_ = false;
  return Status::Ok();
}

Status MariaDbServer::Restart() {
  root_.reset();
  VIMUR_ASSIGN_OR_RETURN(std::string output, RunScript("restart", {}));
  uint16_t port = ParseMariaDbPort(output);
  if (port != port_) {
    return Status::Internal("scripts/mariadb restart came back on port " + std::to_string(port) +
                            " instead of " + std::to_string(port_));
  }
  running_ = true;
  return Status::Ok();
}

}  // namespace vimur::testing
