#include "kube/auth.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/logging.h"
#include "common/time.h"

extern char** environ;

namespace wax::kube {
namespace {

using Clock = CredentialSource::Clock;

// Only the tail of a plugin's stderr goes into an error: enough to show why it failed.
constexpr size_t kStderrTail = 300;

Credentials staticCredentials(const AuthInfo& user) {
  return Credentials{user.token, user.clientCertificateData, user.clientKeyData};
}

class StaticSource : public CredentialSource {
 public:
  explicit StaticSource(Credentials credentials) : credentials_(std::move(credentials)) {}
  Credentials current() override { return credentials_; }

 private:
  Credentials credentials_;
};

std::string readTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw Error(ErrorCode::Unauthorized,
                fmt::format("token file {}: cannot be read: {}", path, std::strerror(errno)));
  }
  std::ostringstream out;
  out << in.rdbuf();
  std::string token = out.str();
  token.erase(token.find_last_not_of(" \n\r\t") + 1);
  if (token.empty()) {
    throw Error(ErrorCode::Unauthorized, fmt::format("token file {}: is empty", path));
  }
  return token;
}

// Re-reads the file every `refresh`: the kubelet rewrites projected tokens well before they
// expire, so a minute-old copy is always still valid.
class TokenFileSource : public CredentialSource {
 public:
  TokenFileSource(const AuthInfo& user, CredentialOptions options)
      : base_(staticCredentials(user)), path_(user.tokenFile), options_(std::move(options)) {}

  Credentials current() override {
    std::lock_guard lock(mutex_);
    Clock::time_point now = options_.now();
    if (token_.empty() || now - readAt_ >= options_.tokenFileRefresh) {
      refreshLocked(now);
    }
    Credentials credentials = base_;
    credentials.bearerToken = token_;
    return credentials;
  }

  void invalidate() override {
    std::lock_guard lock(mutex_);
    readAt_ = Clock::time_point{};
  }

 private:
  void refreshLocked(Clock::time_point now) {
    try {
      token_ = readTokenFile(path_);
      readAt_ = now;
    } catch (const Error& e) {
      if (token_.empty()) {
        throw;
      }
      // A transient read failure keeps the last token rather than failing every request.
      logger("kube")->warn("token file refresh failed, keeping the last token error={}", e.what());
    }
  }

  Credentials base_;
  std::string path_;
  CredentialOptions options_;
  std::mutex mutex_;
  std::string token_;         // guarded by mutex_
  Clock::time_point readAt_;  // guarded by mutex_
};

class ExecSource : public CredentialSource {
 public:
  ExecSource(const AuthInfo& user, CredentialOptions options)
      : base_(staticCredentials(user)), exec_(*user.exec), options_(std::move(options)) {}

  Credentials current() override {
    std::lock_guard lock(mutex_);
    if (!cached_ ||
        (cached_->expiry && *cached_->expiry - options_.expiryMargin <= options_.now())) {
      cached_ = runExecPlugin(exec_, options_.execTimeout);
    }
    Credentials credentials = base_;
    const Credentials& fresh = cached_->credentials;
    if (!fresh.bearerToken.empty()) {
      credentials.bearerToken = fresh.bearerToken;
    }
    if (!fresh.clientCertPem.empty()) {
      credentials.clientCertPem = fresh.clientCertPem;
      credentials.clientKeyPem = fresh.clientKeyPem;
    }
    return credentials;
  }

  void invalidate() override {
    std::lock_guard lock(mutex_);
    cached_.reset();
  }

 private:
  Credentials base_;
  ExecConfig exec_;
  CredentialOptions options_;
  std::mutex mutex_;
  std::optional<ExecResult> cached_;  // guarded by mutex_
};

std::string commandPath(const ExecConfig& exec) {
  namespace fs = std::filesystem;
  // As in client-go: a relative path with a separator is relative to the kubeconfig; a bare
  // name is looked up on PATH.
  if (exec.command.find('/') != std::string::npos && !fs::path(exec.command).is_absolute() &&
      !exec.baseDir.empty()) {
    return (fs::path(exec.baseDir) / exec.command).lexically_normal().string();
  }
  return exec.command;
}

std::vector<std::string> childEnvironment(const ExecConfig& exec) {
  std::vector<std::string> env;
  auto overridden = [&exec](std::string_view entry) {
    for (const auto& [name, value] : exec.env) {
      if (entry.size() > name.size() && entry.substr(0, name.size()) == name &&
          entry[name.size()] == '=') {
        return true;
      }
    }
    return entry.starts_with("KUBERNETES_EXEC_INFO=");
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (!overridden(*e)) {
      env.emplace_back(*e);
    }
  }
  for (const auto& [name, value] : exec.env) {
    env.push_back(name + "=" + value);
  }
  nlohmann::json info = {{"apiVersion", exec.apiVersion},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", false}}}};
  env.push_back("KUBERNETES_EXEC_INFO=" + info.dump());
  return env;
}

struct ProcessOutput {
  int status = 0;  // as from waitpid
  bool timedOut = false;
  std::string out;
  std::string err;
};

// Drains both pipes until they close or the deadline passes.
void drain(int outFd, int errFd, std::chrono::milliseconds timeout, ProcessOutput& result) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{outFd, POLLIN, 0}, {errFd, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open = 2;
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timedOut = true;
      return;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      char buffer[4096];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

ProcessOutput runProcess(const std::string& path, const ExecConfig& exec,
                         std::chrono::milliseconds timeout) {
  int outPipe[2];
  int errPipe[2];
  if (::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::Internal, fmt::format("exec plugin \"{}\": cannot create pipes: {}",
                                                 exec.command, std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2);

  std::vector<std::string> argStrings{path};
  argStrings.insert(argStrings.end(), exec.args.begin(), exec.args.end());
  std::vector<std::string> envStrings = childEnvironment(exec);
  std::vector<char*> argv;
  std::vector<char*> envp;
  for (auto& s : argStrings)
    argv.push_back(s.data());
  for (auto& s : envStrings)
    envp.push_back(s.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);

  pid_t pid = 0;
  int rc = posix_spawnp(&pid, path.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  ProcessOutput result;
  if (rc != 0) {
    ::close(outPipe[0]);
    ::close(errPipe[0]);
    std::string hint = exec.installHint.empty() ? "" : " " + exec.installHint;
    throw Error(ErrorCode::Unauthorized,
                fmt::format("exec plugin \"{}\" could not be started: {}{}", exec.command,
                            std::strerror(rc), hint));
  }
  drain(outPipe[0], errPipe[0], timeout, result);
  ::close(outPipe[0]);
  ::close(errPipe[0]);
  if (result.timedOut) {
    ::kill(pid, SIGKILL);
  }
  while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
  }
  return result;
}

std::string tail(const std::string& text) {
  std::string trimmed = text.substr(0, text.find_last_not_of(" \n\r\t") + 1);
  if (trimmed.size() > kStderrTail) {
    trimmed = "..." + trimmed.substr(trimmed.size() - kStderrTail);
  }
  return trimmed;
}

std::string failureOf(const ProcessOutput& output) {
  if (output.timedOut) {
    return "timed out";
  }
  if (WIFSIGNALED(output.status)) {
    return fmt::format("killed by signal {}", WTERMSIG(output.status));
  }
  return fmt::format("exit status {}", WEXITSTATUS(output.status));
}

std::string stringAt(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Parses the plugin's stdout. Messages never quote it: it holds the credential.
ExecResult parseExecCredential(const ExecConfig& exec, const std::string& out) {
  auto fail = [&exec](const std::string& problem) {
    return Error(ErrorCode::Unauthorized,
                 fmt::format("exec plugin \"{}\": {}", exec.command, problem));
  };
  auto doc = nlohmann::json::parse(out, nullptr, false);
  if (!doc.is_object() || stringAt(doc, "kind") != "ExecCredential") {
    throw fail("output is not an ExecCredential JSON object");
  }
  if (stringAt(doc, "apiVersion") != exec.apiVersion) {
    throw fail(fmt::format("output apiVersion \"{}\" does not match the configured \"{}\"",
                           stringAt(doc, "apiVersion"), exec.apiVersion));
  }
  const auto status = doc.value("status", nlohmann::json::object());
  ExecResult result;
  result.credentials.bearerToken = stringAt(status, "token");
  result.credentials.clientCertPem = stringAt(status, "clientCertificateData");
  result.credentials.clientKeyPem = stringAt(status, "clientKeyData");
  if (result.credentials.clientCertPem.empty() != result.credentials.clientKeyPem.empty()) {
    throw fail("status.clientCertificateData and status.clientKeyData must be set together");
  }
  if (result.credentials.bearerToken.empty() && result.credentials.clientCertPem.empty()) {
    throw fail("status has neither a token nor a client certificate");
  }
  std::string expiry = stringAt(status, "expirationTimestamp");
  if (!expiry.empty()) {
    result.expiry = parseRfc3339(expiry);
    if (!result.expiry) {
      throw fail(fmt::format("status.expirationTimestamp \"{}\" is not RFC 3339", expiry));
    }
  }
  return result;
}

}  // namespace

ExecResult runExecPlugin(const ExecConfig& exec, std::chrono::milliseconds timeout) {
  ProcessOutput output = runProcess(commandPath(exec), exec, timeout);
  bool ok = !output.timedOut && WIFEXITED(output.status) && WEXITSTATUS(output.status) == 0;
  if (!ok) {
    std::string detail = tail(output.err);
    std::string hint =
        WIFEXITED(output.status) && WEXITSTATUS(output.status) == 127 && !exec.installHint.empty()
            ? " " + exec.installHint
            : "";
    throw Error(ErrorCode::Unauthorized,
                fmt::format("exec plugin \"{}\" failed: {}{}{}", exec.command, failureOf(output),
                            detail.empty() ? "" : ": " + detail, hint));
  }
  return parseExecCredential(exec, output.out);
}

CredentialSourcePtr makeCredentialSource(const AuthInfo& user, CredentialOptions options) {
  if (user.exec) {
    return std::make_shared<ExecSource>(user, std::move(options));
  }
  // As in client-go, the token file wins over an inline token: it is the one that is kept fresh.
  if (!user.tokenFile.empty()) {
    return std::make_shared<TokenFileSource>(user, std::move(options));
  }
  return std::make_shared<StaticSource>(staticCredentials(user));
}

}  // namespace wax::kube
