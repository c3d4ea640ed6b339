#include "local/command.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"

extern char** environ;

namespace wax::local {

namespace {

constexpr size_t kKeptOutputBytes = 4096;

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (auto& value : strings) {
    result.push_back(value.data());
  }
  result.push_back(nullptr);
  return result;
}

[[noreturn]] void execChild(std::vector<std::string> argv, std::vector<std::string> env,
                            const std::string& workingDir, int outputFd) {
  dup2(outputFd, STDOUT_FILENO);
  dup2(outputFd, STDERR_FILENO);
  int devNull = open("/dev/null", O_RDONLY);
  if (devNull >= 0) {
    dup2(devNull, STDIN_FILENO);
  }
  if (!workingDir.empty() && chdir(workingDir.c_str()) != 0) {
    _exit(126);
  }
  auto args = pointers(argv);
  auto envp = pointers(env);
  execve(args[0], args.data(), envp.data());
  _exit(127);
}

void appendToLog(const std::string& logPath, const char* data, size_t size) {
  if (logPath.empty()) {
    return;
  }
  int fd = open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return;
  }
  [[maybe_unused]] auto written = write(fd, data, size);
  close(fd);
}

}  // namespace

std::map<std::string, std::string> inheritedEnvironment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string pair = *entry;
    const auto equals = pair.find('=');
    if (equals != std::string::npos) {
      env[pair.substr(0, equals)] = pair.substr(equals + 1);
    }
  }
  return env;
}

CommandResult runCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         const std::string& workingDir, const std::string& logPath) {
  if (!logPath.empty()) {
    std::filesystem::create_directories(std::filesystem::path(logPath).parent_path());
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::Internal, std::string("cannot create a pipe: ") + strerror(errno));
  }
  std::vector<std::string> envStrings;
  for (const auto& [name, value] : env) {
    envStrings.push_back(name + "=" + value);
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw Error(ErrorCode::Internal, std::string("cannot fork: ") + strerror(errno));
  }
  if (pid == 0) {
    execChild(argv, envStrings, workingDir, fds[1]);
  }
  close(fds[1]);

  CommandResult result;
  char buffer[8192];
  ssize_t count;
  while ((count = read(fds[0], buffer, sizeof buffer)) != 0) {
    if (count < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    appendToLog(logPath, buffer, static_cast<size_t>(count));
    result.output.append(buffer, static_cast<size_t>(count));
    if (result.output.size() > 2 * kKeptOutputBytes) {
      result.output.erase(0, result.output.size() - kKeptOutputBytes);
    }
  }
  close(fds[0]);

  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (result.output.size() > kKeptOutputBytes) {
    result.output.erase(0, result.output.size() - kKeptOutputBytes);
  }
  return result;
}

}  // namespace wax::local
