#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

// Recognising the waxd of a data directory among the processes of this machine: the state file
// names a pid, but after a crash that pid may belong to an unrelated process by now.
namespace wax::cli {

// Whether `argv` (a process's command line, relative paths resolved against `cwd`) runs waxd
// with --data-dir naming `dataDir`. nullopt when it is a waxd without --data-dir (it took the
// directory from its environment), so the caller must ask the process another way.
std::optional<bool> commandLineServes(const std::vector<std::string>& argv, const std::string& cwd,
                                      const std::string& dataDir);

// Whether `pid` is a live (not zombie) waxd serving `dataDir`.
bool isWaxdOf(pid_t pid, const std::string& dataDir);

// Whether `pid` exists and has not exited (a zombie has).
bool processAlive(pid_t pid);

}  // namespace wax::cli
