#pragma once

#include <string>

#include <spdlog/spdlog.h>

// Logging for every binary: structured lines (a constant message, then key=value fields) through
// spdlog. Components take a named logger so one request or one dataflow can be followed.
namespace wax {

// Sets up the default logger: level from `level` ("debug", "info", ...), lines to stderr.
void initLogging(const std::string& level);
// A named logger sharing the default sinks, e.g. logger("reconciler").
std::shared_ptr<spdlog::logger> logger(const std::string& component);

}  // namespace wax
