#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

// Reads a log file the way `kubectl logs` reads a container's: the last N lines, a byte limit,
// and follow mode that survives rotation of the file underneath.
namespace wax::local {

struct LogReadOptions {
  std::optional<int64_t> tailLines;
  std::optional<int64_t> limitBytes;
};

// Writes the selected part of `path` to `sink`. With `follow`, keeps writing what is appended
// (reopening the file when it is rotated) until `sink` or `stillWanted` returns false.
void readLogFile(const std::string& path, const LogReadOptions& options, bool follow,
                 const std::function<bool(std::string_view)>& sink,
                 const std::function<bool()>& stillWanted);

// The offset at which the last `lines` lines of `content` start.
size_t tailOffset(std::string_view content, int64_t lines);

}  // namespace wax::local
