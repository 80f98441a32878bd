// MariaDbServer: a private MariaDB server for integration tests, started with
// scripts/mariadb in a temporary directory and removed again when the object goes away.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "source/mysql/mysql_connection.h"

namespace vimur::testing {

class MariaDbServer {
 public:
  // Initialises and starts a server (binlog ROW/FULL/FULL, GTID strict mode, server_id 1);
  // `extra_options` are appended to mariadbd's command line.
  static Result<std::unique_ptr<MariaDbServer>> Start(std::vector<std::string> extra_options = {});

  MariaDbServer(const MariaDbServer&) = delete;
  MariaDbServer& operator=(const MariaDbServer&) = delete;
  // Stops the server and deletes its directory.
  ~MariaDbServer();

  uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }

  // Connection options for the root account (root/root) and the capture account
  // (vimur/vimur, least privilege).
  mysql::MySqlConnectOptions RootOptions() const;
  mysql::MySqlConnectOptions VimurOptions() const;
  Result<mysql::MySqlConnection> Connect(const std::string& user, const std::string& password);

  // Statements as root over one kept connection (so BEGIN ... COMMIT across calls works);
  // the connection is re-opened after Kill/Restart/Stop.
  Status Exec(std::string_view sql);
  Result<std::vector<mysql::SqlRow>> Query(std::string_view sql);
  // First column of the first row ("" for NULL).
  Result<std::string> QueryValue(std::string_view sql);

  Status Kill();     // kill -9
  Status Stop();     // clean shutdown
  Status Restart();  // same port, same data (also after Kill/Stop)
  bool running() const { return running_; }

 private:
  MariaDbServer(std::string dir, uint16_t port) : dir_(std::move(dir)), port_(port) {}
  // Runs scripts/mariadb CMD DIR ARGS; returns its stdout.
  Result<std::string> RunScript(const std::string& cmd, const std::vector<std::string>& args);
  Result<mysql::MySqlConnection*> Root();

  std::string dir_;
  uint16_t port_ = 0;
  bool running_ = false;
  std::optional<mysql::MySqlConnection> root_;
};

// Parses "MARIADB_PORT=NNNN" from the last such line of the script's output; 0 if absent.
uint16_t ParseMariaDbPort(std::string_view output);

}  // namespace vimur::testing
