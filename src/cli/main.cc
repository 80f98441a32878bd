// vimur: the command line. Subcommands: run, check, verify, tail, export, status, snapshot,
// registry; --help and --version everywhere.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace {

constexpr const char* kUsage =
    R"(vimur — change data capture from MySQL/MariaDB to Kafka, Debezium-compatible

Usage:
  vimur run --config FILE [--only sources|sinks]
                              run every source and sink of FILE until SIGINT/SIGTERM
  vimur check --config FILE   validate FILE and every connection, privilege and setting
  vimur verify --config FILE --sink NAME [--repair] [--show N]
                              compare a sql sink's targets with its sources (0 same, 1 differ)
  vimur tail --config FILE --topic REGEX [--from-beginning] [--max N]
                              print a topic's events as JSON lines as they arrive
  vimur export --config FILE --to-kafka BOOTSTRAP [--topic REGEX]
                              copy the local log's topics to Kafka (keys, partitions, order)
  vimur status --config FILE  the running pipeline's sources and sinks (or stored positions)
  vimur snapshot --config FILE --table DB.TABLE [--where SQL] [--wait] [--cancel]
                              read tables again while the running pipeline streams
  vimur registry --config FILE  serve the Confluent-compatible schema registry (Kafka-backed)
  vimur config-reference      print every configuration key, its default and meaning
  vimur --version             print the version
  vimur COMMAND --help        help for one command

Logs go to stderr; stdout carries only data and command results.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string& command = args[0];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "--version" || command == "version") {
    std::printf("vimur %s\n", VIMUR_VERSION);
    return 0;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "run") return vimur::cli::RunCommand(rest);
  if (command == "check") return vimur::cli::CheckCommand(rest);
  if (command == "verify") return vimur::cli::VerifyCommand(rest);
  if (command == "registry") return vimur::cli::RegistryCommand(rest);
  if (command == "tail") return vimur::cli::TailCommand(rest);
  if (command == "export") return vimur::cli::ExportCommand(rest);
  if (command == "status") return vimur::cli::StatusCommand(rest);
  if (command == "snapshot") return vimur::cli::SnapshotCommand(rest);
  if (command == "config-reference") return vimur::cli::ConfigReferenceCommand(rest);
  std::fprintf(stderr, "vimur: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
