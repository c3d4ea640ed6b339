#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

// The waxctl command tree. Each function adds one group of subcommands to `app`.
namespace wax::cli {

void addLocalCommands(CLI::App& app, Context& context);
void addDataflowCommands(CLI::App& app, Context& context);
void addVersionCommand(CLI::App& app, Context& context);
void addTargetCommand(CLI::App& app, Context& context);
void addLoginCommands(CLI::App& app, Context& context);

}  // namespace wax::cli
