#include "cli/waxd_process.h"

#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/paths.h"

namespace fs = std::filesystem;

namespace wax::cli {

namespace {

fs::path normalPath(const fs::path& path, const fs::path& base) {
  std::error_code ignored;
  const fs::path absolute = path.is_absolute() ? path : base / path;
  const fs::path canonical = fs::weakly_canonical(absolute, ignored);
  const fs::path normal = (canonical.empty() ? absolute : canonical).lexically_normal();
  return normal.has_filename() ? normal : normal.parent_path();  // "/d/wax/" is "/d/wax"
}

std::string readProcFile(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + name, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> commandLine(pid_t pid) {
  std::vector<std::string> argv;
  std::istringstream in(readProcFile(pid, "cmdline"));
  for (std::string arg; std::getline(in, arg, '\0');) {
    argv.push_back(arg);
  }
  return argv;
}

// waxd holds <data-dir>/waxd.lock open for as long as it runs.
bool holdsLockOf(pid_t pid, const std::string& dataDir) {
  const fs::path lock = normalPath(fs::path(dataDir) / "waxd.lock", fs::current_path());
  std::error_code error;
  for (fs::directory_iterator fd("/proc/" + std::to_string(pid) + "/fd", error), end;
       !error && fd != end; fd.increment(error)) {
    std::error_code ignored;
    if (fs::read_symlink(fd->path(), ignored) == lock) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<bool> commandLineServes(const std::vector<std::string>& argv, const std::string& cwd,
                                      const std::string& dataDir) {
  if (argv.empty() || fs::path(argv[0]).filename() != "waxd") {
    return false;
  }
  const std::string flag = "--data-dir";
  std::optional<std::string> given;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == flag && i + 1 < argv.size()) {
      given = argv[i + 1];
    } else if (argv[i].rfind(flag + "=", 0) == 0) {
      given = argv[i].substr(flag.size() + 1);
    }
  }
  if (!given) {
    return std::nullopt;
  }
  return normalPath(*given, cwd) == normalPath(dataDir, fs::current_path());
}

bool processAlive(pid_t pid) {
  if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM)) {
    return false;
  }
  const std::string stat = readProcFile(pid, "stat");
  const auto end = stat.rfind(')');
  return end == std::string::npos || stat.compare(end, 4, ") Z ") != 0;
}

bool isWaxdOf(pid_t pid, const std::string& dataDir) {
  if (!processAlive(pid)) {
    return false;
  }
  std::error_code error;
  const fs::path cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", error);
  const auto serves = commandLineServes(commandLine(pid), error ? "/" : cwd.string(), dataDir);
  return serves ? *serves : holdsLockOf(pid, dataDir);
}

}  // namespace wax::cli
