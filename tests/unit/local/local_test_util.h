#pragma once

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "local/pid_records.h"
#include "local/supervisor.h"

// Shared helpers for the local-mode tests: temporary directories, polling, and process specs
// built from /bin/sh scripts.
namespace wax::local::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/wax-local-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed for " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

inline size_t countOccurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Polls `condition` until it holds or `timeout` passes; returns whether it held.
inline bool waitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// A process that no longer runs. Orphans are reaped by init, which may take a moment (or, in
// some containers, never happen), so a zombie counts as gone.
inline bool isGone(pid_t pid) {
  const auto stat = readProcStat(pid);
  return !stat || stat->state == 'Z';
}

inline ProcessSpec shellProcess(const std::string& script, const std::string& logPath) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.env = {{"PATH", "/usr/bin:/bin"}};
  spec.workingDir = "/";
  spec.logPath = logPath;
  return spec;
}

// Options for fast tests: short back-offs and grace periods.
inline SupervisorOptions fastOptions(const std::string& runDir) {
  SupervisorOptions options;
  options.runDir = runDir;
  options.backoffBase = std::chrono::milliseconds(50);
  options.backoffMax = std::chrono::milliseconds(2000);
  options.gracePeriod = std::chrono::milliseconds(2000);
  return options;
}

}  // namespace wax::local::testing
