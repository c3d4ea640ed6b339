#include <iostream>

#include <fmt/format.h>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/printers.h"

namespace wax::cli {

namespace {

nlohmann::json describeTarget(Context& context) {
  const Target& target = context.target();
  nlohmann::json description = {{"target", toString(target.kind)}, {"why", target.why}};
  switch (target.kind) {
    case Target::Kind::WaxApi:
      description["server"] = redactUrl(target.server);
      break;
    case Target::Kind::Local:
      description["dataDir"] = context.flags.dataDir;
      break;
    case Target::Kind::Cluster: {
      const Client& client = context.client();
      description["server"] = redactUrl(client.connection().url);
      description["namespace"] = context.defaultNamespace();
      break;
    }
  }
  return description;
}

}  // namespace

void addTargetCommand(CLI::App& app, Context& context) {
  auto* command = app.add_subcommand(
      "target", "Say what waxctl would talk to (a WaxAPI, a cluster or the local waxd) and why");
  auto output = std::make_shared<std::string>("text");
  command->add_option("-o,--output", *output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->callback([&context, output] {
    const auto description = describeTarget(context);
    if (*output == "json") {
      printObject(std::cout, description, "json");
    } else {
      for (const char* key : {"target", "server", "namespace", "dataDir", "why"}) {
        if (description.contains(key)) {
          std::cout << fmt::format("{:<10} {}\n", std::string(key) + ":",
                                   description[key].get<std::string>());
        }
      }
    }
    context.exitCode = kExitOk;
  });
}

}  // namespace wax::cli
