#pragma once

#include <sys/types.h>

#include <string>

#include "local/supervisor.h"

// Starting one supervised process: fork, prepare the child, exec.
namespace wax::local {

struct SpawnResult {
  pid_t pid = -1;
  int outputFd = -1;  // read end of the child's stdout+stderr; non-blocking, close-on-exec
  std::string error;  // set when the process could not be started; pid and outputFd are then -1
};

// Starts `spec` in its own session and process group, with SIGKILL as its parent-death signal
// and stdin on /dev/null. Returns once the child has exec'd (or failed to), so a bad path or
// working directory is reported here rather than as an anonymous exit code.
//
// PR_SET_PDEATHSIG fires when the *thread* that forked exits, so callers must fork from a
// thread that outlives the child.
SpawnResult spawnProcess(const ProcessSpec& spec);

}  // namespace wax::local
