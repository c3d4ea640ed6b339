#include <iostream>

#include <fmt/format.h>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "common/version.h"

namespace wax::cli {

void addVersionCommand(CLI::App& app, Context& context) {
  auto* version = app.add_subcommand("version", "Print the version of waxctl (and of the server)");
  version->callback([&context] {
    std::cout << fmt::format("waxctl {} (commit {})\n", kVersion, kGitCommit);
    try {
      const auto server = context.client().get("/version");
      std::cout << fmt::format("server {} (commit {}) at {}\n", server.value("version", "unknown"),
                               server.value("gitCommit", "unknown"),
                               redactUrl(context.client().connection().url));
    } catch (const std::exception&) {
      std::cout << "server: not reachable\n";
    }
    context.exitCode = kExitOk;
  });
}

}  // namespace wax::cli
