#include "local/supervisor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "common/logging.h"
#include "local/change_notifier.h"
#include "local/log_writer.h"
#include "local/pid_records.h"
#include "local/spawn.h"

namespace wax::local {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kProbeInterval{500};
// A loopback connect completes at once unless the listen backlog is full; then the process is
// busy rather than ready, and the probe should not hold up the supervisor thread.
constexpr milliseconds kProbeTimeout{50};
// Exits are noticed through pidfds; this tick is the fallback for kernels without them.
constexpr milliseconds kReapInterval{50};
// After a failure the survivors cannot go on anyway, so they get less time than on a stop.
constexpr milliseconds kFailureGrace{2000};
constexpr size_t kReadChunk = 64 * 1024;
// Bounds the reads of one process per pass, so a chatty process does not starve the others, and
// the final drain of an exited one, in case an escaped grandchild keeps writing.
constexpr int kMaxReadsPerPass = 16;
constexpr int kMaxDrainReads = 256;

std::string isoNow() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  const auto millis =
      std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

bool portAccepts(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    wax::logger("supervisor")
        ->error("cannot create readiness probe socket port={} error={}", port,
                std::strerror(errno));
    return false;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  bool accepted = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  if (!accepted && errno == EINPROGRESS) {
    pollfd writable{fd, POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof(error);
    accepted = ::poll(&writable, 1, static_cast<int>(kProbeTimeout.count())) == 1 &&
               ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
  }
  ::close(fd);
  return accepted;
}

// Through syscall(): glibc 2.36 declares pidfd_open without C linkage, so C++ cannot link it.
int openPidFd(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// Signals the process group led by `pid`. Callers only do so while the leader is alive or an
// unreaped zombie, so the group id cannot belong to anyone else yet.
void signalGroup(pid_t pid, int sig) {
  if (::kill(-pid, sig) != 0 && errno != ESRCH) {
    wax::logger("supervisor")
        ->error("cannot signal process group pid={} signal={} error={}", pid, sig,
                std::strerror(errno));
  }
}

struct Process {
  ProcessSpec spec;
  ProcessStatus status;
  std::unique_ptr<LogWriter> log;
  bool succeeded = false;    // exited 0 in the current run
  bool interrupted = false;  // got SIGINT in the current run; a second one would cut cleanup short
  int outputFd = -1;
  int pidFd = -1;  // -1 when the kernel has no pidfds; exits are then found by the reap tick
  std::string recordPath;
  Clock::time_point nextProbe;
};

struct Group {
  GroupSpec spec;
  GroupStatus status;
  std::vector<Process> processes;
  Clock::time_point startedAt;
  Clock::time_point restartAt;  // in BackOff
  int failureStreak = 0;        // exponent of the back-off; reset after backoffReset of health
  bool tearingDown = false;     // a process failed; the survivors are being stopped
  bool stopping = false;        // stop(), a new runHash, or shutdown
  std::optional<Clock::time_point> killAt;  // SIGKILL for whatever still runs
  std::optional<GroupSpec> replacement;     // started once the stop completes
  std::vector<std::promise<void>> waiters;  // released once the stop completes

  bool anyRunning() const {
    return std::any_of(processes.begin(), processes.end(),
                       [](const Process& p) { return p.status.running; });
  }
};

struct Command {
  enum class Kind { Ensure, Stop, Shutdown };
  Kind kind;
  GroupSpec spec;   // Ensure
  std::string key;  // Stop
  std::promise<void> done;
};

// What one pass of the supervisor thread must deliver once the lock is released.
struct Effects {
  std::set<std::string> changed;
  std::vector<std::promise<void>> finished;
};

void validate(const GroupSpec& spec) {
  if (spec.key.empty()) {
    throw wax::Error(ErrorCode::Invalid, "local process group has an empty key");
  }
  if (spec.processes.empty()) {
    throw wax::Error(ErrorCode::Invalid,
                     fmt::format("local process group {} has no processes", spec.key));
  }
  for (size_t i = 0; i < spec.processes.size(); ++i) {
    const ProcessSpec& process = spec.processes[i];
    if (process.argv.empty() || process.argv[0].empty() || process.argv[0][0] != '/') {
      throw wax::Error(
          ErrorCode::Invalid,
          fmt::format("process {} of {} needs argv with an absolute program path", i, spec.key));
    }
    if (process.logPath.empty()) {
      throw wax::Error(ErrorCode::Invalid,
                       fmt::format("process {} of {} has no log path", i, spec.key));
    }
  }
}

}  // namespace

// One long-lived thread owns every child: it forks them (so PR_SET_PDEATHSIG stays tied to a
// thread that outlives them), reads their output, reaps them and runs the timers. Public calls
// post commands to it; status() reads the state under the same lock.
class Supervisor::Impl {
 public:
  Impl(SupervisorOptions options, std::function<void(const std::string&)> onChange);
  ~Impl();

  void ensure(const GroupSpec& spec);
  void stop(const std::string& key);
  std::optional<GroupStatus> status(const std::string& key) const;
  std::vector<std::string> keys() const;

 private:
  void submit(Command command);
  void wake();
  void run();
  void runPass(Effects& effects);
  std::vector<pollfd> pollSet() const;
  int pollTimeoutMs() const;

  void handleCommands(Effects& effects);
  void handleEnsure(GroupSpec spec, std::promise<void> done, Effects& effects);
  void handleStop(const std::string& key, std::promise<void> done, Effects& effects);
  void handleShutdown();

  Group makeGroup(GroupSpec spec) const;
  void startGroup(Group& group, Effects& effects);
  std::string startProcess(Group& group, size_t index);
  void failGroup(Group& group, const std::string& error, Effects& effects);
  milliseconds backoffDelay(int failureStreak) const;
  void beginStop(Group& group);
  void interrupt(Group& group, milliseconds grace);
  void settle(Effects& effects);

  void readOutput(Process& process, int maxReads);
  void closeOutput(Process& process);
  void reapExited(Group& group, Effects& effects);
  void onExit(Group& group, size_t index, std::optional<int> waitStatus, Effects& effects);
  std::string recordExit(Process& process, std::optional<int> waitStatus) const;
  void handleTimers(Group& group, Effects& effects);

  const SupervisorOptions options_;
  const std::shared_ptr<spdlog::logger> logger_;
  ChangeNotifier notifier_;
  std::vector<char> readBuffer_;  // used by the supervisor thread only

  mutable std::mutex mutex_;
  std::map<std::string, Group> groups_;  // guarded by mutex_
  std::deque<Command> commands_;         // guarded by mutex_
  bool shuttingDown_ = false;            // guarded by mutex_

  int wakeFd_ = -1;
  std::thread thread_;  // last, so that it starts after everything it uses
};

Supervisor::Impl::Impl(SupervisorOptions options, std::function<void(const std::string&)> onChange)
    : options_(std::move(options)),
      logger_(wax::logger("supervisor")),
      notifier_(std::move(onChange)),
      readBuffer_(kReadChunk) {
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeFd_ < 0) {
    throw wax::Error(
        ErrorCode::Internal,
        fmt::format("cannot start the process supervisor: eventfd: {}", std::strerror(errno)));
  }
  thread_ = std::thread([this] { run(); });
}

Supervisor::Impl::~Impl() {
  // The owner is going away; it is not told about the groups being stopped for it.
  notifier_.close();
  Command shutdown{Command::Kind::Shutdown, {}, {}, {}};
  {
    std::lock_guard lock(mutex_);
    commands_.push_back(std::move(shutdown));
  }
  wake();
  thread_.join();
  ::close(wakeFd_);
}

void Supervisor::Impl::ensure(const GroupSpec& spec) {
  validate(spec);
  submit(Command{Command::Kind::Ensure, spec, {}, {}});
}

void Supervisor::Impl::stop(const std::string& key) {
  submit(Command{Command::Kind::Stop, {}, key, {}});
}

std::optional<GroupStatus> Supervisor::Impl::status(const std::string& key) const {
  std::lock_guard lock(mutex_);
  const auto it = groups_.find(key);
  if (it == groups_.end()) {
    return std::nullopt;
  }
  GroupStatus status = it->second.status;
  status.processes.clear();
  for (const Process& process : it->second.processes) {
    status.processes.push_back(process.status);
    status.processes.back().readinessPort = process.spec.readinessPort.value_or(0);
  }
  return status;
}

std::vector<std::string> Supervisor::Impl::keys() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> result;
  for (const auto& [key, group] : groups_) {
    result.push_back(key);
  }
  return result;
}

void Supervisor::Impl::submit(Command command) {
  std::future<void> done = command.done.get_future();
  {
    std::lock_guard lock(mutex_);
    commands_.push_back(std::move(command));
  }
  wake();
  done.get();
}

void Supervisor::Impl::wake() {
  const uint64_t one = 1;
  if (::write(wakeFd_, &one, sizeof(one)) < 0 && errno != EAGAIN) {
    logger_->error("cannot wake the supervisor thread error={}", std::strerror(errno));
  }
}

void Supervisor::Impl::run() {
  ::pthread_setname_np(::pthread_self(), "wax-supervisor");
  while (true) {
    std::vector<pollfd> fds;
    int timeoutMs;
    {
      std::lock_guard lock(mutex_);
      if (shuttingDown_ && groups_.empty() && commands_.empty()) {
        return;
      }
      fds = pollSet();
      timeoutMs = pollTimeoutMs();
    }

    if (::poll(fds.data(), fds.size(), timeoutMs) < 0 && errno != EINTR) {
      logger_->error("supervisor poll failed error={}", std::strerror(errno));
      std::this_thread::sleep_for(kReapInterval);  // rather than spin on a persistent error
    }

    Effects effects;
    {
      std::lock_guard lock(mutex_);
      runPass(effects);
    }
    for (const auto& key : effects.changed) {
      notifier_.notify(key);
    }
    for (auto& done : effects.finished) {
      done.set_value();
    }
  }
}

void Supervisor::Impl::runPass(Effects& effects) {
  uint64_t wakeups;
  [[maybe_unused]] ssize_t ignored = ::read(wakeFd_, &wakeups, sizeof(wakeups));
  try {
    handleCommands(effects);
    for (auto& [key, group] : groups_) {
      for (Process& process : group.processes) {
        readOutput(process, kMaxReadsPerPass);
      }
      reapExited(group, effects);
      handleTimers(group, effects);
    }
    settle(effects);
  } catch (const std::exception& e) {
    // A bug here must not take waxd and every dataflow down with it; the next pass retries.
    logger_->error("supervisor pass failed error={}", e.what());
  }
}

std::vector<pollfd> Supervisor::Impl::pollSet() const {
  std::vector<pollfd> fds{{wakeFd_, POLLIN, 0}};
  for (const auto& [key, group] : groups_) {
    for (const Process& process : group.processes) {
      if (process.outputFd >= 0) {
        fds.push_back({process.outputFd, POLLIN, 0});
      }
      if (process.pidFd >= 0) {
        fds.push_back({process.pidFd, POLLIN, 0});
      }
    }
  }
  return fds;
}

int Supervisor::Impl::pollTimeoutMs() const {
  const auto now = Clock::now();
  std::optional<Clock::time_point> next;
  const auto consider = [&next](Clock::time_point at) {
    if (!next || at < *next) {
      next = at;
    }
  };

  for (const auto& [key, group] : groups_) {
    if (group.killAt) {
      consider(*group.killAt);
    }
    if (group.status.phase == GroupPhase::BackOff && !group.tearingDown && !group.stopping) {
      consider(group.restartAt);
    }
    for (const Process& process : group.processes) {
      if (process.status.running && process.pidFd < 0) {
        consider(now + kReapInterval);
      }
      if (process.status.running && process.spec.readinessPort && !process.status.ready) {
        consider(process.nextProbe);
      }
    }
  }
  if (!next) {
    return -1;
  }
  const auto wait = std::chrono::ceil<milliseconds>(*next - now).count();
  return static_cast<int>(std::clamp<int64_t>(wait, 0, INT_MAX));
}

void Supervisor::Impl::handleCommands(Effects& effects) {
  std::deque<Command> commands;
  commands.swap(commands_);
  for (Command& command : commands) {
    switch (command.kind) {
      case Command::Kind::Ensure:
        handleEnsure(std::move(command.spec), std::move(command.done), effects);
        break;
      case Command::Kind::Stop:
        handleStop(command.key, std::move(command.done), effects);
        break;
      case Command::Kind::Shutdown:
        handleShutdown();
        break;
    }
  }
}

void Supervisor::Impl::handleEnsure(GroupSpec spec, std::promise<void> done, Effects& effects) {
  if (shuttingDown_) {
    effects.finished.push_back(std::move(done));
    return;
  }
  auto it = groups_.find(spec.key);
  if (it == groups_.end()) {
    const std::string key = spec.key;
    Group& group = groups_.emplace(key, makeGroup(std::move(spec))).first->second;
    startGroup(group, effects);
    effects.finished.push_back(std::move(done));
    return;
  }

  Group& group = it->second;
  if (!group.stopping && group.spec.runHash == spec.runHash) {
    effects.finished.push_back(std::move(done));
    return;
  }
  // The caller waits until its spec runs; a later ensure() or stop() supersedes it.
  logger_->info("replacing group key={} old_run_hash={} new_run_hash={}", spec.key,
                group.spec.runHash, spec.runHash);
  group.replacement = std::move(spec);
  group.waiters.push_back(std::move(done));
  if (!group.stopping) {
    beginStop(group);
  }
}

void Supervisor::Impl::handleStop(const std::string& key, std::promise<void> done,
                                  Effects& effects) {
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    effects.finished.push_back(std::move(done));
    return;
  }
  Group& group = it->second;
  group.replacement.reset();
  group.waiters.push_back(std::move(done));
  if (!group.stopping) {
    beginStop(group);
  }
}

void Supervisor::Impl::handleShutdown() {
  shuttingDown_ = true;
  // Every group gets its grace period at the same time, so shutdown takes one period, not many.
  for (auto& [key, group] : groups_) {
    group.replacement.reset();
    if (!group.stopping) {
      beginStop(group);
    }
  }
}

Group Supervisor::Impl::makeGroup(GroupSpec spec) const {
  Group group;
  group.status.runHash = spec.runHash;
  for (const ProcessSpec& processSpec : spec.processes) {
    Process process;
    process.spec = processSpec;
    process.log = std::make_unique<LogWriter>(processSpec.logPath, options_.logMaxBytes,
                                              options_.logKeepFiles);
    group.processes.push_back(std::move(process));
  }
  group.spec = std::move(spec);
  return group;
}

void Supervisor::Impl::startGroup(Group& group, Effects& effects) {
  logger_->info("starting group key={} run_hash={} restarts={}", group.spec.key, group.spec.runHash,
                group.status.restarts);
  group.status.phase = GroupPhase::Running;
  group.startedAt = Clock::now();
  group.tearingDown = false;
  group.killAt.reset();
  effects.changed.insert(group.spec.key);

  for (size_t i = 0; i < group.processes.size(); ++i) {
    const std::string error = startProcess(group, i);
    if (!error.empty()) {
      failGroup(group, fmt::format("process {} could not be started: {}", i, error), effects);
      return;
    }
  }
}

std::string Supervisor::Impl::startProcess(Group& group, size_t index) {
  Process& process = group.processes[index];
  SpawnResult spawned = spawnProcess(process.spec);
  if (!spawned.error.empty()) {
    logger_->error("cannot start process key={} index={} error={}", group.spec.key, index,
                   spawned.error);
    process.log->appendLine(
        fmt::format("[wax] process {} could not be started: {}", index, spawned.error));
    return spawned.error;
  }

  process.status.pid = spawned.pid;
  process.status.running = true;
  process.status.ready = false;
  process.succeeded = false;
  process.interrupted = false;
  process.outputFd = spawned.outputFd;
  process.nextProbe = Clock::now();
  process.pidFd = openPidFd(spawned.pid);
  if (process.pidFd < 0) {
    logger_->debug("no pidfd, falling back to polling key={} index={} error={}", group.spec.key,
                   index, std::strerror(errno));
  }
  if (!options_.runDir.empty()) {
    process.recordPath = pidRecordPath(options_.runDir, group.spec.key, index);
    writePidRecord(process.recordPath, spawned.pid);
  }

  process.log->appendLine(
      fmt::format("[wax] process {} started (pid {}) at {}", index, spawned.pid, isoNow()));
  logger_->info("process started key={} index={} pid={}", group.spec.key, index, spawned.pid);
  return "";
}

void Supervisor::Impl::failGroup(Group& group, const std::string& error, Effects& effects) {
  const auto now = Clock::now();
  if (now - group.startedAt >= options_.backoffReset) {
    group.failureStreak = 0;
  }
  ++group.failureStreak;
  ++group.status.restarts;
  const milliseconds delay = backoffDelay(group.failureStreak);

  group.status.phase = GroupPhase::BackOff;
  group.status.lastError = error;
  group.restartAt = now + delay;
  group.status.nextRestart = std::chrono::system_clock::now() + delay;
  group.tearingDown = true;
  effects.changed.insert(group.spec.key);
  logger_->warn("group failed key={} error=\"{}\" restarts={} backoff_ms={}", group.spec.key, error,
                group.status.restarts, delay.count());

  interrupt(group, std::min(options_.gracePeriod, kFailureGrace));
}

milliseconds Supervisor::Impl::backoffDelay(int failureStreak) const {
  milliseconds delay = options_.backoffBase;
  for (int i = 1; i < failureStreak && delay < options_.backoffMax; ++i) {
    delay *= 2;
  }
  return std::min(delay, options_.backoffMax);
}

void Supervisor::Impl::beginStop(Group& group) {
  logger_->info("stopping group key={} run_hash={}", group.spec.key, group.spec.runHash);
  group.stopping = true;
  interrupt(group, options_.gracePeriod);
}

void Supervisor::Impl::interrupt(Group& group, milliseconds grace) {
  bool signalled = false;
  for (size_t i = 0; i < group.processes.size(); ++i) {
    Process& process = group.processes[i];
    if (!process.status.running || process.interrupted) {
      continue;
    }
    process.log->appendLine(fmt::format("[wax] stopping process {}: SIGINT", i));
    signalGroup(process.status.pid, SIGINT);
    process.interrupted = true;
    signalled = true;
  }
  const auto killAt = Clock::now() + grace;
  if (signalled && (!group.killAt || killAt < *group.killAt)) {
    group.killAt = killAt;
  }
}

// Completes the stops and teardowns whose processes are all gone.
void Supervisor::Impl::settle(Effects& effects) {
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& group = it->second;
    if (group.anyRunning()) {
      ++it;
      continue;
    }
    group.tearingDown = false;
    group.killAt.reset();
    if (!group.stopping) {
      ++it;
      continue;
    }

    effects.changed.insert(it->first);
    for (auto& waiter : group.waiters) {
      effects.finished.push_back(std::move(waiter));
    }
    if (!options_.runDir.empty()) {
      removePidRecordDir(pidRecordDir(options_.runDir, it->first));
    }
    if (!group.replacement || shuttingDown_) {
      logger_->info("group stopped key={}", it->first);
      it = groups_.erase(it);
      continue;
    }
    group = makeGroup(std::move(*group.replacement));
    startGroup(group, effects);
    ++it;
  }
}

void Supervisor::Impl::readOutput(Process& process, int maxReads) {
  for (int i = 0; i < maxReads && process.outputFd >= 0; ++i) {
    const ssize_t n = ::read(process.outputFd, readBuffer_.data(), readBuffer_.size());
    if (n > 0) {
      process.log->append(std::string_view(readBuffer_.data(), static_cast<size_t>(n)));
    } else if (n == 0) {
      closeOutput(process);
    } else if (errno == EAGAIN) {
      return;
    } else if (errno != EINTR) {
      logger_->error("cannot read process output pid={} error={}", process.status.pid,
                     std::strerror(errno));
      closeOutput(process);
    }
  }
}

void Supervisor::Impl::closeOutput(Process& process) {
  if (process.outputFd >= 0) {
    ::close(process.outputFd);
    process.outputFd = -1;
  }
}

void Supervisor::Impl::reapExited(Group& group, Effects& effects) {
  for (size_t i = 0; i < group.processes.size(); ++i) {
    const pid_t pid = group.processes[i].status.pid;
    if (!group.processes[i].status.running) {
      continue;
    }
    // WNOWAIT leaves the zombie in place, which keeps its pid, and so its process group id,
    // from being reused while we kill what the process left behind.
    siginfo_t info{};
    const int rc = ::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT);
    if ((rc == 0 && info.si_pid == 0) || (rc != 0 && errno == EINTR)) {
      continue;
    }

    std::optional<int> waitStatus;
    if (rc == 0) {
      // Like a container, a process takes what it started with it.
      signalGroup(pid, SIGKILL);
      int status = 0;
      pid_t reaped;
      while ((reaped = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
      }
      if (reaped == pid) {
        waitStatus = status;
      }
    }
    if (!waitStatus) {
      // Someone else reaped our child: SIGCHLD set to SIG_IGN, or a waitpid(-1) elsewhere.
      logger_->error("lost the exit status of process key={} index={} pid={} error={}",
                     group.spec.key, i, pid, std::strerror(errno));
    }
    onExit(group, i, waitStatus, effects);
  }
}

void Supervisor::Impl::onExit(Group& group, size_t index, std::optional<int> waitStatus,
                              Effects& effects) {
  Process& process = group.processes[index];
  const pid_t pid = process.status.pid;
  readOutput(process, kMaxDrainReads);
  closeOutput(process);
  if (process.pidFd >= 0) {
    ::close(process.pidFd);
    process.pidFd = -1;
  }
  if (!process.recordPath.empty()) {
    removePidRecord(process.recordPath);
  }

  const std::string outcome = recordExit(process, waitStatus);
  process.log->appendLine(fmt::format("[wax] process {} {} at {}", index, outcome, isoNow()));
  logger_->info("process exited key={} index={} pid={} outcome=\"{}\"", group.spec.key, index, pid,
                outcome);
  effects.changed.insert(group.spec.key);
  if (group.stopping || group.tearingDown) {
    return;
  }

  if (waitStatus && WIFEXITED(*waitStatus) && WEXITSTATUS(*waitStatus) == 0) {
    process.succeeded = true;
    const bool allSucceeded = std::all_of(group.processes.begin(), group.processes.end(),
                                          [](const Process& p) { return p.succeeded; });
    if (allSucceeded) {
      group.status.phase = GroupPhase::Completed;
      logger_->info("group completed key={} run_hash={}", group.spec.key, group.spec.runHash);
    }
    return;
  }
  failGroup(group, fmt::format("process {} {}", index, outcome), effects);
}

// Updates the status after an exit and says what happened, e.g. "exited with code 1".
std::string Supervisor::Impl::recordExit(Process& process, std::optional<int> waitStatus) const {
  ProcessStatus& status = process.status;
  status.pid = 0;
  status.running = false;
  status.ready = false;
  status.exitCode.reset();
  status.signal.reset();
  if (!waitStatus) {
    return "exited with an unknown status";
  }
  if (WIFSIGNALED(*waitStatus)) {
    // 128 + signal, as shells and Kubernetes report it.
    status.signal = WTERMSIG(*waitStatus);
    status.exitCode = 128 + *status.signal;
    return fmt::format("killed by signal {}", *status.signal);
  }
  status.exitCode = WEXITSTATUS(*waitStatus);
  return fmt::format("exited with code {}", *status.exitCode);
}

void Supervisor::Impl::handleTimers(Group& group, Effects& effects) {
  const auto now = Clock::now();
  if (group.killAt && now >= *group.killAt) {
    group.killAt.reset();
    for (size_t i = 0; i < group.processes.size(); ++i) {
      Process& process = group.processes[i];
      if (process.status.running) {
        process.log->appendLine(
            fmt::format("[wax] process {} outlived its grace period: SIGKILL", i));
        logger_->warn("killing process after grace period key={} index={} pid={}", group.spec.key,
                      i, process.status.pid);
        signalGroup(process.status.pid, SIGKILL);
      }
    }
  }

  if (group.status.phase == GroupPhase::BackOff && !group.tearingDown && !group.stopping &&
      now >= group.restartAt) {
    startGroup(group, effects);
  }

  for (Process& process : group.processes) {
    if (!process.status.running || !process.spec.readinessPort || process.status.ready ||
        now < process.nextProbe) {
      continue;
    }
    process.nextProbe = now + kProbeInterval;
    if (portAccepts(*process.spec.readinessPort)) {
      process.status.ready = true;
      effects.changed.insert(group.spec.key);
      logger_->info("process ready key={} pid={} port={}", group.spec.key, process.status.pid,
                    *process.spec.readinessPort);
    }
  }
}

Supervisor::Supervisor(SupervisorOptions options, std::function<void(const std::string&)> onChange)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(onChange))) {}

Supervisor::~Supervisor() = default;

void Supervisor::ensure(const GroupSpec& spec) {
  impl_->ensure(spec);
}

void Supervisor::stop(const std::string& key) {
  impl_->stop(key);
}

std::optional<GroupStatus> Supervisor::status(const std::string& key) const {
  return impl_->status(key);
}

std::vector<std::string> Supervisor::keys() const {
  return impl_->keys();
}

uint16_t pickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw wax::Error(ErrorCode::Internal,
                     fmt::format("cannot pick a free port: socket: {}", std::strerror(errno)));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd);
    throw wax::Error(ErrorCode::Internal,
                     fmt::format("cannot pick a free port: {}", std::strerror(error)));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace wax::local
