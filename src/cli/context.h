#pragma once

#include <memory>
#include <string>

#include "cli/client.h"

// What every waxctl command shares: the global flags and the connection they lead to.
namespace wax::cli {

struct GlobalFlags {
  std::string server;  // --server / WAX_SERVER: a WaxAPI URL; empty means the local waxd
  std::string token;   // --token / WAX_TOKEN
  std::string dataDir;
};

class Context {
 public:
  GlobalFlags flags;
  int exitCode = 0;  // set by the command that ran

  // The client for the configured server; for the local waxd, reads its URL and token from
  // the data directory and says how to start it when it is not running.
  Client& client();

 private:
  std::unique_ptr<Client> client_;
};

// The exit codes of every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// A usage mistake the parser cannot see (e.g. a missing --yes); main() exits with kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace wax::cli
