#pragma once

#include <map>
#include <string>
#include <vector>

namespace wax::local {

struct CommandResult {
  int exitCode = -1;   // -1 when killed by a signal or not started
  std::string output;  // the last few KiB of stdout and stderr, for error messages
};

// Runs a short-lived helper command (pip, tar, python -m bytewax.recovery) to completion, with
// its output appended to `logPath` when that is not empty. Waits only for its own child.
CommandResult runCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         const std::string& workingDir, const std::string& logPath);

// The environment of this process as a map, to pass on to children.
std::map<std::string, std::string> inheritedEnvironment();

}  // namespace wax::local
