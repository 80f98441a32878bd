// The subcommands of the vimur command line; each returns the process exit code.
// 0 success, 1 failure of the work, 2 bad usage or configuration.
#pragma once

#include <string>
#include <vector>

namespace vimur::cli {

int RunCommand(const std::vector<std::string>& args);
int CheckCommand(const std::vector<std::string>& args);
int VerifyCommand(const std::vector<std::string>& args);           // verify_command.cc
int RegistryCommand(const std::vector<std::string>& args);         // registry_command.cc
int ConfigReferenceCommand(const std::vector<std::string>& args);  // config_reference_command.cc
int TailCommand(const std::vector<std::string>& args);             // tail_command.cc
int ExportCommand(const std::vector<std::string>& args);           // export_command.cc
int StatusCommand(const std::vector<std::string>& args);           // status_command.cc
int SnapshotCommand(const std::vector<std::string>& args);         // snapshot_command.cc

}  // namespace vimur::cli
