#include "local/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace wax::local {
namespace {

// The exit code of a child that failed before exec; the parent learns the reason through the
// error pipe, so the code is only seen when that pipe failed too.
constexpr int kChildSetupFailed = 127;

// What the child reports through the error pipe when it cannot exec.
struct ChildFailure {
  int step = 0;  // index into kStepNames
  int error = 0;
};

constexpr const char* kStepNames[] = {"setsid", "prctl(PR_SET_PDEATHSIG)", "dup2", "chdir",
                                      "execve"};
enum Step { kSetsid, kPrctl, kDup2, kChdir, kExecve };

// Everything the child needs, prepared before fork: after fork only async-signal-safe calls are
// allowed, because another thread may have held the allocator's lock.
struct ExecPlan {
  std::vector<std::string> envStrings;
  std::vector<char*> argv;
  std::vector<char*> envp;
  const char* workingDir = nullptr;
};

ExecPlan makePlan(const ProcessSpec& spec) {
  ExecPlan plan;
  for (const auto& [name, value] : spec.env) {
    plan.envStrings.push_back(name + "=" + value);
  }
  for (const auto& arg : spec.argv) {
    plan.argv.push_back(const_cast<char*>(arg.c_str()));
  }
  plan.argv.push_back(nullptr);
  for (auto& entry : plan.envStrings) {
    plan.envp.push_back(entry.data());
  }
  plan.envp.push_back(nullptr);
  plan.workingDir = spec.workingDir.empty() ? nullptr : spec.workingDir.c_str();
  return plan;
}

[[noreturn]] void failInChild(int errorFd, Step step) {
  const ChildFailure failure{step, errno};
  // Nothing useful can be done when this write fails; the exit code still says it.
  [[maybe_unused]] ssize_t ignored = ::write(errorFd, &failure, sizeof(failure));
  ::_exit(kChildSetupFailed);
}

// The child must not inherit what waxd's threads set up for themselves: a blocked SIGINT would
// make the grace period useless, an ignored SIGPIPE would change how the process sees a closed
// pipe.
void resetSignals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction defaults {};
  defaults.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    sigaction(sig, &defaults, nullptr);  // fails harmlessly for SIGKILL, SIGSTOP, RT signals
  }
}

[[noreturn]] void runChild(const ExecPlan& plan, pid_t parent, int devNull, int outputFd,
                           int errorFd) {
  resetSignals();
  if (::setsid() < 0) {
    failInChild(errorFd, kSetsid);
  }
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    failInChild(errorFd, kPrctl);
  }
  // The parent may have died before prctl took effect; then no signal will ever come.
  if (::getppid() != parent) {
    ::_exit(kChildSetupFailed);
  }
  if (::dup2(devNull, STDIN_FILENO) < 0 || ::dup2(outputFd, STDOUT_FILENO) < 0 ||
      ::dup2(outputFd, STDERR_FILENO) < 0) {
    failInChild(errorFd, kDup2);
  }
  // Descriptors other code in waxd opened without O_CLOEXEC (a listening socket, say) must not
  // outlive waxd in a dataflow process. Old kernels lack close_range; that is only hygiene.
  ::close_range(3, UINT_MAX, CLOSE_RANGE_CLOEXEC);
  if (plan.workingDir != nullptr && ::chdir(plan.workingDir) != 0) {
    failInChild(errorFd, kChdir);
  }
  ::execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  failInChild(errorFd, kExecve);
}

void closeAll(std::initializer_list<int> fds) {
  for (int fd : fds) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

std::string describeErrno(const char* what) {
  return fmt::format("{}: {}", what, std::strerror(errno));
}

// Blocks until the child has exec'd (the error pipe closes empty) or reported a failure.
std::string awaitExec(pid_t pid, int errorFd, const ExecPlan& plan) {
  ChildFailure failure;
  ssize_t n;
  do {
    n = ::read(errorFd, &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  if (n == 0) {
    return "";
  }

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof(failure)) || failure.step < kSetsid ||
      failure.step > kExecve) {
    return "the child failed before exec";
  }
  const char* step = kStepNames[failure.step];
  const char* error = std::strerror(failure.error);
  if (failure.step == kChdir) {
    return fmt::format("{} {}: {}", step, plan.workingDir, error);
  }
  if (failure.step == kExecve) {
    return fmt::format("{} {}: {}", step, plan.argv[0], error);
  }
  return fmt::format("{}: {}", step, error);
}

}  // namespace

SpawnResult spawnProcess(const ProcessSpec& spec) {
  SpawnResult result;
  const ExecPlan plan = makePlan(spec);

  const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devNull < 0) {
    result.error = describeErrno("open /dev/null");
    return result;
  }
  int output[2];
  if (::pipe2(output, O_CLOEXEC) != 0) {
    result.error = describeErrno("pipe2");
    closeAll({devNull});
    return result;
  }
  // Only our end is non-blocking: the child's stdout must stay blocking for it.
  if (::fcntl(output[0], F_SETFL, O_NONBLOCK) != 0) {
    result.error = describeErrno("fcntl(O_NONBLOCK)");
    closeAll({devNull, output[0], output[1]});
    return result;
  }
  int errors[2];
  if (::pipe2(errors, O_CLOEXEC) != 0) {
    result.error = describeErrno("pipe2");
    closeAll({devNull, output[0], output[1]});
    return result;
  }

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(errors[0]);
    runChild(plan, parent, devNull, output[1], errors[1]);
  }
  closeAll({devNull, output[1], errors[1]});
  if (pid < 0) {
    result.error = describeErrno("fork");
    closeAll({output[0], errors[0]});
    return result;
  }

  result.error = awaitExec(pid, errors[0], plan);
  ::close(errors[0]);
  if (!result.error.empty()) {
    ::close(output[0]);
    return result;
  }
  result.pid = pid;
  result.outputFd = output[0];
  return result;
}

}  // namespace wax::local
