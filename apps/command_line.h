#pragma once

#include <optional>

#include <CLI/CLI.hpp>

namespace wax {

// Parses the command line as every Wax server does: --help and --version exit 0, a usage error
// prints CLI11's message and exits 2, as shells expect of a bad invocation (CLI11's own exit
// codes, 105 and the like, say nothing to a script). nullopt: go on.
inline std::optional<int> parseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
}

}  // namespace wax
