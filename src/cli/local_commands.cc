// waxctl local start|stop|status: runs waxd in the background for this user.
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

bool alive(pid_t pid) {
  return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

// The state of a waxd that answers; a state file left by a crashed waxd does not count.
std::optional<LocalState> runningState(const std::string& dataDir) {
  auto state = readState(dataDir);
  if (!state || !alive(state->pid)) {
    return std::nullopt;
  }
  if (Client(Connection{state->url, ""}).probe("/healthz") != 200) {
    return std::nullopt;
  }
  return state;
}

[[noreturn]] void execWaxd(const std::string& dataDir, const std::vector<std::string>& extra) {
  setsid();
  const std::string log = waxdLogPath(dataDir);
  const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
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

int start(const std::string& dataDir, const std::vector<std::string>& extra) {
  if (auto state = runningState(dataDir)) {
    std::cout << fmt::format("waxd is already running at {} (pid {})\n", state->url, state->pid);
    return kExitOk;
  }
  fs::create_directories(dataDir);
  const pid_t child = fork();
  if (child < 0) {
    throw Error(ErrorCode::Internal, "cannot start waxd: fork failed");
  }
  if (child == 0) {
    if (fork() == 0) {  // a grandchild, so that waxd is not our child and outlives us
      execWaxd(dataDir, extra);
    }
    _exit(0);
  }
  waitpid(child, nullptr, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto state = runningState(dataDir)) {
      std::cout << fmt::format("waxd started at {} (pid {})\ndata directory: {}\n", state->url,
                               state->pid, dataDir);
      return kExitOk;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw Error(ErrorCode::Unavailable,
              "waxd did not become ready within 30 s; see " + waxdLogPath(dataDir));
}

int stop(const std::string& dataDir, int timeoutSeconds) {
  auto state = readState(dataDir);
  if (!state || !alive(state->pid)) {
    std::cout << "waxd is not running\n";
    return kExitOk;
  }
  kill(state->pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
  while (alive(state->pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(state->pid, SIGKILL);
      std::cout << "waxd did not stop in time and was killed\n";
      return kExitOk;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cout << fmt::format("waxd stopped (pid {})\n", state->pid);
  return kExitOk;
}

int status(const std::string& dataDir, const std::string& output) {
  const auto state = runningState(dataDir);
  if (output == "json") {
    nlohmann::json body = {{"running", state.has_value()}, {"dataDir", dataDir}};
    if (state) {
      body["url"] = state->url;
      body["pid"] = state->pid;
    }
    std::cout << body.dump(2) << "\n";
  } else if (state) {
    std::cout << fmt::format(
        "waxd is running\nurl:            {}\npid:            {}\n"
        "data directory: {}\nlog:            {}\n",
        state->url, state->pid, dataDir, waxdLogPath(dataDir));
  } else {
    std::cout << fmt::format("waxd is not running\ndata directory: {}\n", dataDir);
  }
  return state ? kExitOk : kExitError;
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
  auto timeout = std::make_shared<int>(60);
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
}

}  // namespace wax::cli
