#include "common/paths.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace wax {

namespace {

std::string envOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string home() {
  return envOr("HOME", "/tmp");
}

}  // namespace

std::string defaultDataDir() {
  if (const char* dir = std::getenv("WAX_DATA_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return envOr("XDG_DATA_HOME", home() + "/.local/share") + "/wax";
}

std::string defaultPython() {
  if (const char* python = std::getenv("WAX_PYTHON"); python != nullptr && *python != '\0') {
    return python;
  }
  const std::string cached =
      envOr("WAX_CACHE_DIR", home() + "/.cache/wax") + "/python/bytewax-0.21.1/bin/python";
  if (fs::exists(cached)) {
    return cached;
  }
  for (const char* candidate : {"/usr/local/bin/python3", "/usr/bin/python3"}) {
    if (fs::exists(candidate)) {
      return candidate;
    }
  }
  return "python3";
}

std::string executableDir() {
  std::error_code error;
  const auto self = fs::read_symlink("/proc/self/exe", error);
  return error ? "." : self.parent_path().string();
}

std::string stateFilePath(const std::string& dataDir) {
  return dataDir + "/waxd.json";
}
std::string tokenFilePath(const std::string& dataDir) {
  return dataDir + "/token";
}
std::string waxdLogPath(const std::string& dataDir) {
  return dataDir + "/waxd.log";
}

}  // namespace wax
