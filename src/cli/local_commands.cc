// waxctl local start|stop|status|dashboard: runs waxd in the background for this user.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/waxd_process.h"
#include "common/error.h"
#include "common/paths.h"

namespace fs = std::filesystem;

namespace wax::cli {

namespace {

struct LocalState {
  std::string url;
  pid_t pid = 0;
};

std::optional<LocalState> readState(const std::string& dataDir) {
  std::ifstream in(stateFilePath(dataDir));
  if (!in) {
    return std::nullopt;
  }
  try {
    const auto state = nlohmann::json::parse(in);
    return LocalState{state.at("url"), state.at("pid").get<pid_t>()};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

enum class Health { NotRunning, NotAnswering, Answering };

// A state file counts only when its pid is still the waxd of this data directory: after a crash
// the pid may have been reused by an unrelated process.
std::optional<LocalState> liveState(const std::string& dataDir) {
  auto state = readState(dataDir);
  if (!state || !isWaxdOf(state->pid, dataDir)) {
    return std::nullopt;
  }
  return state;
}

Health health(const LocalState& state) {
  return Client(Connection{state.url, ""}).probe("/healthz") == 200 ? Health::Answering
                                                                    : Health::NotAnswering;
}

std::string notAnswering(const LocalState& state, const std::string& dataDir) {
  return fmt::format(
      "waxd is running but not answering at {} (pid {}); it may be busy: see {}, or restart it "
      "with `waxctl local stop && waxctl local start`",
      state.url, state.pid, waxdLogPath(dataDir));
}

// The last `count` lines of the log written since `offset` (where it ended before the start).
std::string logTail(const std::string& dataDir, std::streamoff offset, size_t count) {
  std::ifstream in(waxdLogPath(dataDir), std::ios::binary);
  in.seekg(offset);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  std::string tail;
  for (size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i) {
    tail += (tail.empty() ? "  " : "\n  ") + lines[i];
  }
  return tail.empty() ? "  (nothing)" : tail;
}

[[noreturn]] void execWaxd(const std::string& dataDir, const std::vector<std::string>& extra) {
  setsid();
  const std::string log = waxdLogPath(dataDir);
  // waxd's log may quote what dataflows print: this user's alone, like the rest of the data.
  const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  const int in = open("/dev/null", O_RDONLY);
  if (out >= 0 && in >= 0) {
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
  }
  std::vector<std::string> args = {executableDir() + "/waxd", "--data-dir", dataDir};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  _exit(127);
}

// Starts waxd as a grandchild, so that it is not our child and outlives us; the child passes
// the grandchild's pid back through a pipe so that a waxd exiting at once is noticed at once.
pid_t spawnWaxd(const std::string& dataDir, const std::vector<std::string>& extra) {
  int pipeFds[2];
  if (pipe2(pipeFds, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::Internal, "cannot start waxd: pipe failed");
  }
  const pid_t child = fork();
  if (child < 0) {
    throw Error(ErrorCode::Internal, "cannot start waxd: fork failed");
  }
  if (child == 0) {
    const pid_t grandchild = fork();
    if (grandchild == 0) {
      execWaxd(dataDir, extra);
    }
    const ssize_t written = write(pipeFds[1], &grandchild, sizeof grandchild);
    _exit(written == sizeof grandchild ? 0 : 1);
  }
  close(pipeFds[1]);
  pid_t waxd = -1;
  const ssize_t got = read(pipeFds[0], &waxd, sizeof waxd);
  close(pipeFds[0]);
  waitpid(child, nullptr, 0);
  if (got != sizeof waxd || waxd <= 0) {
    throw Error(ErrorCode::Internal, "cannot start waxd: fork failed");
  }
  return waxd;
}

int start(const std::string& dataDir, const std::vector<std::string>& extra) {
  if (auto state = liveState(dataDir)) {
    if (health(*state) != Health::Answering) {
      throw Error(ErrorCode::Unavailable, notAnswering(*state, dataDir));
    }
    std::cout << fmt::format("waxd is already running at {} (pid {})\n", state->url, state->pid);
    return kExitOk;
  }
  if (!fs::exists(dataDir)) {
    fs::create_directories(dataDir);
    fs::permissions(dataDir, fs::perms::owner_all);  // an existing directory is left as it is
  }
  std::error_code noLog;
  const auto logSize = fs::file_size(waxdLogPath(dataDir), noLog);
  const pid_t waxd = spawnWaxd(dataDir, extra);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto state = liveState(dataDir);
    if (state && state->pid == waxd && health(*state) == Health::Answering) {
      std::cout << fmt::format("waxd started at {} (pid {})\ndata directory: {}\n", state->url,
                               state->pid, dataDir);
      return kExitOk;
    }
    if (!processAlive(waxd)) {
      throw Error(
          ErrorCode::Unavailable,
          fmt::format("waxd exited before it was ready; the end of {}:\n{}", waxdLogPath(dataDir),
                      logTail(dataDir, noLog ? 0 : static_cast<std::streamoff>(logSize), 10)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw Error(ErrorCode::Unavailable,
              "waxd did not become ready within 30 s; see " + waxdLogPath(dataDir));
}

void removeStateFile(const std::string& dataDir, pid_t pid) {
  const auto state = readState(dataDir);
  if (state && state->pid == pid) {
    std::error_code ignored;
    fs::remove(stateFilePath(dataDir), ignored);
  }
}

int stop(const std::string& dataDir, double timeoutSeconds) {
  if (!(timeoutSeconds > 0) || timeoutSeconds > 365.0 * 24 * 3600) {
    throw UsageError(fmt::format(
        "--timeout {}: give a positive number of seconds (at most a year), e.g. --timeout 60",
        timeoutSeconds));
  }
  const auto state = readState(dataDir);
  if (!state) {
    std::cout << "waxd is not running\n";
    return kExitOk;
  }
  if (!isWaxdOf(state->pid, dataDir)) {
    // Left by a waxd that crashed; its pid may now be another program's, which is not ours to
    // stop.
    removeStateFile(dataDir, state->pid);
    std::cout << fmt::format("waxd is not running (removed the stale {})\n",
                             stateFilePath(dataDir));
    return kExitOk;
  }
  kill(state->pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeoutSeconds));
  while (processAlive(state->pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(state->pid, SIGKILL);
      removeStateFile(dataDir, state->pid);
      std::cout << "waxd did not stop in time and was killed\n";
      return kExitOk;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  removeStateFile(dataDir, state->pid);
  std::cout << fmt::format("waxd stopped (pid {})\n", state->pid);
  return kExitOk;
}

int status(const std::string& dataDir, const std::string& output) {
  const auto state = liveState(dataDir);
  const Health answer = state ? health(*state) : Health::NotRunning;
  if (output == "json") {
    nlohmann::json body = {{"running", state.has_value()},
                           {"answering", answer == Health::Answering},
                           {"dataDir", dataDir},
                           {"log", waxdLogPath(dataDir)}};
    if (state) {
      body["url"] = state->url;
      body["pid"] = state->pid;
    }
    std::cout << body.dump(2) << "\n";
  } else if (answer == Health::Answering) {
    std::cout << fmt::format(
        "waxd is running\nurl:            {}\npid:            {}\n"
        "data directory: {}\nlog:            {}\n",
        state->url, state->pid, dataDir, waxdLogPath(dataDir));
  } else if (answer == Health::NotAnswering) {
    std::cout << fmt::format(
        "waxd is running but not answering (pid {})\nurl:            {}\n"
        "data directory: {}\nlog:            {}\n",
        state->pid, state->url, dataDir, waxdLogPath(dataDir));
  } else {
    std::cout << fmt::format("waxd is not running\ndata directory: {}\nlog:            {}\n",
                             dataDir, waxdLogPath(dataDir));
  }
  return answer == Health::Answering ? kExitOk : kExitError;
}

std::string readTokenFile(const std::string& dataDir) {
  std::ifstream in(tokenFilePath(dataDir));
  std::string token;
  if (!(in >> token)) {
    throw Error(ErrorCode::Forbidden,
                fmt::format("cannot read waxd's token {}: run this as the user who started waxd",
                            tokenFilePath(dataDir)));
  }
  return token;
}

// Prints a link that signs one browser in to the dashboard, once, within 15 minutes.
int dashboard(const std::string& dataDir) {
  const auto state = liveState(dataDir);
  if (!state) {
    throw Error(ErrorCode::Unavailable, "waxd is not running; start it with `waxctl local start`");
  }
  Client client(Connection{state->url, readTokenFile(dataDir)});
  const auto answer = client.post("/auth/sign-in-links", nlohmann::json::object());
  std::cout << fmt::format(
      "Open this link in a browser to sign in to the dashboard (it works once, within 15 "
      "minutes):\n\n  {}{}\n",
      state->url, answer.at("path").get<std::string>());
  return kExitOk;
}

}  // namespace

void addLocalCommands(CLI::App& app, Context& context) {
  auto* local = app.add_subcommand("local", "Run the Wax platform on this machine (waxd)");
  local->require_subcommand(1);

  auto* startCommand = local->add_subcommand("start", "Start waxd in the background");
  auto extra = std::make_shared<std::vector<std::string>>();
  startCommand->add_option("--waxd-arg", *extra, "Pass an argument on to waxd (repeatable)");
  startCommand->callback(
      [&context, extra] { context.exitCode = start(context.flags.dataDir, *extra); });

  auto* stopCommand = local->add_subcommand("stop", "Stop waxd and every dataflow it runs");
  auto timeout = std::make_shared<double>(60);
  stopCommand->add_option("--timeout", *timeout, "Seconds to wait before killing waxd")
      ->capture_default_str();
  stopCommand->callback(
      [&context, timeout] { context.exitCode = stop(context.flags.dataDir, *timeout); });

  auto* statusCommand = local->add_subcommand("status", "Show whether waxd runs, where, as what");
  auto output = std::make_shared<std::string>("text");
  statusCommand->add_option("-o,--output", *output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  statusCommand->callback(
      [&context, output] { context.exitCode = status(context.flags.dataDir, *output); });

  auto* dashboardCommand = local->add_subcommand(
      "dashboard", "Print a one-time link that signs a browser in to waxd's dashboard");
  dashboardCommand->callback([&context] { context.exitCode = dashboard(context.flags.dataDir); });
}

}  // namespace wax::cli
