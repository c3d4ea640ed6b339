// waxctl: the Wax command line. Exit codes: 0 ok, 1 error, 2 usage.
#include <signal.h>

#include <functional>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/cluster_api.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/paths.h"
#include "common/version.h"

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{"waxctl: deploy and manage Bytewax dataflows on Wax", "waxctl"};
  app.set_version_flag("--version",
                       fmt::format("waxctl {} (commit {})", wax::kVersion, wax::kGitCommit));
  app.require_subcommand(1);
  wax::cli::Context context;
  context.argv.assign(argv, argv + argc);
#ifdef WAXCTL_CLUSTER
  wax::cli::registerClusterSupport(wax::cli::makeClusterSupport);
#endif
  context.flags.dataDir = wax::defaultDataDir();
  app.add_option("--server", context.flags.server,
                 "WaxAPI URL; without it, see `waxctl target` for what is used")
      ->envname("WAX_SERVER");
  app.add_option("--kubeconfig", context.flags.kubeconfig,
                 "Talk to the cluster of this kubeconfig file");
  app.add_option("--context", context.flags.kubeContext,
                 "Talk to the cluster of this kubeconfig context");
  app.add_option("--token", context.flags.token, "Bearer token for --server")->envname("WAX_TOKEN");
  app.add_option("--data-dir", context.flags.dataDir, "Local mode data directory")
      ->envname("WAX_DATA_DIR")
      ->capture_default_str();
  wax::cli::addLocalCommands(app, context);
  wax::cli::addDataflowCommands(app, context);
  wax::cli::addVersionCommand(app, context);
  wax::cli::addTargetCommand(app, context);
  wax::cli::addLoginCommands(app, context);
  // The global flags are accepted after any subcommand too: an option a subcommand does not
  // know falls through to its parent, up to the top.
  std::function<void(CLI::App*)> fallThrough = [&fallThrough](CLI::App* command) {
    for (CLI::App* subcommand : command->get_subcommands([](CLI::App*) { return true; })) {
      subcommand->fallthrough();
      fallThrough(subcommand);
    }
  };
  fallThrough(&app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? wax::cli::kExitOk : wax::cli::kExitUsage;
  } catch (const wax::cli::UsageError& error) {
    std::cerr << "waxctl: " << error.what() << "\n";
    return wax::cli::kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "waxctl: " << error.what() << "\n";
    return wax::cli::kExitError;
  }
  return context.exitCode;
}
