#include "local/log_reader.h"

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "local/local_runtime.h"

namespace wax::local {

namespace {

constexpr auto kFollowPoll = std::chrono::milliseconds(200);

std::string readAll(std::ifstream& in) {
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

ino_t inodeOf(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

}  // namespace

size_t tailOffset(std::string_view content, int64_t lines) {
  if (lines <= 0) {
    return content.size();
  }
  size_t end = content.size();
  if (end > 0 && content[end - 1] == '\n') {
    --end;  // the final newline ends the last line; it does not start a new one
  }
  while (end > 0) {
    const size_t newline = content.rfind('\n', end - 1);
    if (newline == std::string_view::npos) {
      return 0;
    }
    if (--lines == 0) {
      return newline + 1;
    }
    end = newline;
  }
  return 0;
}

void readLogFile(const std::string& path, const LogReadOptions& options, bool follow,
                 const std::function<bool(std::string_view)>& sink,
                 const std::function<bool()>& stillWanted) {
  std::ifstream in(path, std::ios::binary);
  std::string content = in ? readAll(in) : std::string();
  std::string_view selected = content;
  if (options.tailLines) {
    selected.remove_prefix(tailOffset(selected, *options.tailLines));
  }
  int64_t budget = options.limitBytes.value_or(INT64_MAX);
  auto emit = [&](std::string_view piece) {
    if (static_cast<int64_t>(piece.size()) > budget) {
      piece = piece.substr(0, static_cast<size_t>(budget));
    }
    budget -= static_cast<int64_t>(piece.size());
    return piece.empty() || sink(piece);
  };
  if (!emit(selected) || !follow) {
    return;
  }
  ino_t inode = inodeOf(path);
  bool wanted = true;
  while (budget > 0 && wanted) {
    std::this_thread::sleep_for(kFollowPoll);
    wanted = stillWanted();        // asked before reading, so the last output is never missed
    if (inodeOf(path) != inode) {  // rotated or created: the new file starts from the beginning
      in = std::ifstream(path, std::ios::binary);
      inode = inodeOf(path);
    }
    in.clear();
    const std::string fresh = in ? readAll(in) : std::string();
    if (!fresh.empty() && !emit(fresh)) {
      return;
    }
    if (fresh.empty() && !sink(std::string_view())) {
      return;  // an empty write tells whether the reader is still there
    }
  }
}

void LocalRuntime::readLogs(const std::string& ns, const std::string& name,
                            const operator_::LogOptions& options, bool follow,
                            const operator_::LogSink& sink,
                            const std::function<bool()>& stillWanted) {
  if (options.sinceSeconds || !options.sinceTime.empty()) {
    // The log files hold the processes' output as written, with no time for each line.
    throw Error(ErrorCode::BadRequest,
                "local mode keeps no time for each log line, so it cannot keep only the newer "
                "ones; read the last lines instead (tail_lines, or waxctl's --tail)");
  }
  const auto desired = supervisor_->status(ns + "/" + name);
  const std::string logs = pathsOf(ns, name).logs;
  std::string path = logs + "/process-" + std::to_string(options.process) + ".log";
  struct stat info {};
  if (!follow && stat(path.c_str(), &info) != 0 && !desired) {
    throw Error(ErrorCode::NotFound, "dataflow \"" + ns + "/" + name +
                                         "\" has no logs for "
                                         "process " +
                                         std::to_string(options.process) + " yet");
  }
  if (options.previous) {
    path += ".1";
    follow = false;
    if (stat(path.c_str(), &info) != 0) {
      throw Error(ErrorCode::NotFound, "process " + std::to_string(options.process) + " of \"" +
                                           ns + "/" + name + "\" has no earlier log file yet");
    }
  }
  readLogFile(path, LogReadOptions{options.tailLines, options.limitBytes}, follow, sink,
              stillWanted);
}

}  // namespace wax::local
