// waxctl dataflow (df): deploy, list, get, logs, suspend, resume, delete, wait.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/deploy.h"
#include "cli/printers.h"
#include "common/error.h"

namespace wax::cli {

namespace {

std::string collectionPath(const std::string& ns, const std::string& kind = "dataflows") {
  return fmt::format("/api/v1/namespaces/{}/{}", urlEncode(ns), kind);
}

std::string itemPath(const std::string& ns, const std::string& name,
                     const std::string& kind = "dataflows") {
  return collectionPath(ns, kind) + "/" + urlEncode(name);
}

std::optional<nlohmann::json> tryGet(Client& client, const std::string& path) {
  try {
    return client.get(path);
  } catch (const Error& error) {
    if (error.code() == ErrorCode::NotFound) {
      return std::nullopt;
    }
    throw;
  }
}

bool exists(Client& client, const std::string& ns, const std::string& name) {
  return tryGet(client, itemPath(ns, name)).has_value();
}

// Writers that lose a race for an object (the controller writing status, another deploy) get
// a Conflict; they read the object again and retry, a few times, after a short random pause.
constexpr int kStoreAttempts = 10;

void pauseBeforeRetry(int attempt) {
  static thread_local std::minstd_rand random{std::random_device{}()};
  const int base = 20 * (attempt + 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(base + random() % (2 * base)));
}

// Stores `object`: a replacement of `current` when given (keeping its resourceVersion), else a
// new object. A new object whose name is taken after all is replaced; a replacement that meets
// a concurrent change is retried on the latest version. Returns whether an object was replaced.
bool store(Client& client, const std::string& kind, nlohmann::json object,
           std::optional<nlohmann::json> current) {
  const std::string ns = object["metadata"]["namespace"];
  const std::string name = object["metadata"]["name"];
  for (int attempt = 0;; ++attempt) {
    const bool lastAttempt = attempt + 1 == kStoreAttempts;
    if (!current) {
      try {
        client.post(collectionPath(ns, kind), object);
        return false;
      } catch (const Error& error) {
        if (error.code() != ErrorCode::AlreadyExists || lastAttempt) {
          throw;
        }
      }
      current = tryGet(client, itemPath(ns, name, kind));
      if (!current) {
        continue;  // deleted in between: create it again
      }
    }
    object["metadata"]["resourceVersion"] = (*current)["metadata"]["resourceVersion"];
    try {
      client.put(itemPath(ns, name, kind), object);
      return true;
    } catch (const Error& error) {
      const bool raced = error.code() == ErrorCode::Conflict || error.code() == ErrorCode::NotFound;
      if (!raced || lastAttempt) {
        throw;
      }
    }
    pauseBeforeRetry(attempt);
    current = tryGet(client, itemPath(ns, name, kind));
  }
}

// Checked before any request, so that a typo is a usage error rather than a "not found".
void checkTarget(const std::string& ns, const std::string& name) {
  checkObjectName("NAME", name);
  checkObjectName("-n/--namespace", ns);
}

bool confirm(const std::string& question) {
  if (!isatty(STDIN_FILENO)) {
    return false;
  }
  std::cout << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

struct DeployOptions {
  DeployFlags flags;
  bool dryRun = false;
  bool yes = false;
  std::string output = "yaml";
};

int deploy(Context& context, DeployOptions options) {
  options.flags.defaultNamespace = context.defaultNamespace();
  const DeployObjects objects = buildDeployObjects(options.flags);
  if (options.dryRun) {
    if (objects.code) {
      printObject(std::cout, *objects.code, options.output);
      std::cout << (options.output == "yaml" ? "---\n" : "");
    }
    printObject(std::cout, objects.dataflow, options.output);
    return kExitOk;
  }
  Client& client = context.client();
  const std::string ns = objects.dataflow["metadata"]["namespace"];
  const std::string name = objects.dataflow["metadata"]["name"];
  // With --yes there is nothing to ask, so the first request can be the write itself.
  const auto current = options.yes ? std::nullopt : tryGet(client, itemPath(ns, name));
  if (current && !confirm(fmt::format("dataflow {}/{} exists; replace it?", ns, name))) {
    throw UsageError(
        fmt::format("dataflow {}/{} already exists; pass --yes to replace it", ns, name));
  }
  const bool codeReplaced =
      objects.code ? store(client, "configmaps", *objects.code, std::nullopt) : true;
  bool replaced = false;
  try {
    replaced = store(client, "dataflows", objects.dataflow, current);
  } catch (const Error&) {
    // A refused dataflow leaves nothing behind: the code made for it goes. (Code that
    // replaced an older version stays replaced; validation before sending makes that rare.)
    if (!codeReplaced) {
      try {
        client.remove(itemPath(ns, (*objects.code)["metadata"]["name"], "configmaps"));
      } catch (const Error&) {
      }
    }
    throw;
  }
  std::cout << fmt::format("dataflow {}/{} {}\n", ns, name, replaced ? "updated" : "created");
  return kExitOk;
}

struct ListOptions {
  std::optional<std::string> ns;  // none: the target's default
  bool allNamespaces = false;
  std::string output = "table";
};

int list(Context& context, const ListOptions& options) {
  const std::string ns = options.allNamespaces ? "" : context.namespaceOr(options.ns);
  if (!options.allNamespaces) {
    checkObjectName("-n/--namespace", ns);
  }
  std::optional<std::vector<Row>> rows;
  if (options.output == "table") {
    rows = context.dataflowRows(ns, options.allNamespaces);
  }
  if (!rows) {
    const auto body =
        context.client().get(options.allNamespaces ? "/api/v1/dataflows" : collectionPath(ns));
    if (options.output != "table") {
      printObject(std::cout, body, options.output);
      return kExitOk;
    }
    rows.emplace();
    for (const auto& item : body["items"]) {
      rows->push_back(dataflowRow(item, options.allNamespaces));
    }
  }
  if (rows->empty()) {
    std::cout << (options.allNamespaces ? std::string("No dataflows found.\n")
                                        : fmt::format("No dataflows found in namespace {}.\n", ns));
    return kExitOk;
  }
  printTable(std::cout, dataflowHeaders(options.allNamespaces), *rows);
  return kExitOk;
}

int get(Context& context, const std::string& ns, const std::string& name,
        const std::string& output) {
  checkTarget(ns, name);
  const auto object = context.client().get(itemPath(ns, name));
  if (output == "table") {
    printTable(std::cout, dataflowHeaders(false), {dataflowRow(object, false)});
  } else {
    printObject(std::cout, object, output);
  }
  return kExitOk;
}

struct LogsOptions {
  std::optional<std::string> ns;  // none: the target's default
  int64_t process = 0;
  bool follow = false;
  std::optional<int64_t> tail;
  std::string since;  // e.g. "5m"
  bool previous = false;
};

// "90s", "5m", "2h" -> seconds, as kubectl's --since takes them.
int64_t sinceSeconds(const std::string& since) {
  size_t used = 0;
  int64_t value = -1;
  try {
    value = std::stoll(since, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = since.substr(std::min(used, since.size()));
  const int64_t scale = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
  if (value <= 0 || scale == 0) {
    throw UsageError(fmt::format("--since {}: give a duration such as 30s, 5m or 2h", since));
  }
  return value * scale;
}

int logs(Context& context, const std::string& name, const LogsOptions& options) {
  const std::string ns = context.namespaceOr(options.ns);
  checkTarget(ns, name);
  if (options.process < 0) {
    throw UsageError(fmt::format(
        "--process {}: give the index of a process, 0 up to the dataflow's processes - 1",
        options.process));
  }
  if (options.tail && *options.tail < 0) {
    throw UsageError(fmt::format("--tail {}: give a number of lines, 0 or more", *options.tail));
  }
  std::string path =
      itemPath(ns, name) + fmt::format("/log?process={}&follow={}&previous={}", options.process,
                                       options.follow, options.previous);
  if (options.tail) {
    path += fmt::format("&tailLines={}", *options.tail);
  }
  if (!options.since.empty()) {
    path += fmt::format("&sinceSeconds={}", sinceSeconds(options.since));
  }
  context.client().stream(path, [](std::string_view chunk) {
    std::cout << chunk << std::flush;
    return static_cast<bool>(std::cout);
  });
  return kExitOk;
}

// Sets spec.suspend, retrying when another writer got there first.
int setSuspend(Context& context, const std::string& ns, const std::string& name, bool suspend) {
  checkTarget(ns, name);
  Client& client = context.client();
  for (int attempt = 0;; ++attempt) {
    auto object = client.get(itemPath(ns, name));
    object["spec"]["suspend"] = suspend;
    try {
      client.put(itemPath(ns, name), object);
      break;
    } catch (const Error& error) {
      if (error.code() != ErrorCode::Conflict || attempt == 4) {
        throw;
      }
    }
  }
  std::cout << fmt::format("dataflow {}/{} {}\n", ns, name, suspend ? "suspended" : "resumed");
  return kExitOk;
}

int remove(Context& context, const std::string& ns, const std::string& name, bool yes, bool wait) {
  checkTarget(ns, name);
  if (!yes &&
      !confirm(fmt::format("delete dataflow {}/{} with its logs and recovery state?", ns, name))) {
    throw UsageError(
        fmt::format("deleting dataflow {}/{} removes its processes, logs and "
                    "recovery state; pass --yes to confirm",
                    ns, name));
  }
  Client& client = context.client();
  client.remove(itemPath(ns, name));
  if (!wait) {
    std::cout << fmt::format("dataflow {}/{} deletion requested\n", ns, name);
    return kExitOk;
  }
  const auto start = std::chrono::steady_clock::now();
  bool told = false;
  while (exists(client, ns, name)) {
    const auto waited = std::chrono::steady_clock::now() - start;
    // The cleanup is the controller's (waxd's or wax-operator's); when it is not running,
    // nothing happens, and the person waiting should know what they wait for.
    if (!told && waited > std::chrono::seconds(5)) {
      std::cerr << fmt::format(
          "waxctl: waiting for the cleanup of dataflow {}/{} by the "
          "controller (waxd, or wax-operator in a cluster); is it "
          "running?\n",
          ns, name);
      told = true;
    }
    if (waited > std::chrono::seconds(120)) {
      throw Error(ErrorCode::Unavailable,
                  "dataflow " + ns + "/" + name + " is still being cleaned up; check its status");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::cout << fmt::format("dataflow {}/{} deleted\n", ns, name);
  return kExitOk;
}

}  // namespace

int waitFor(Context& context, const std::string& ns, const std::string& name,
            const std::string& condition, const std::string& timeout);

void addDataflowCommands(CLI::App& app, Context& context) {
  auto* dataflow = app.add_subcommand("dataflow", "Deploy and manage dataflows");
  dataflow->alias("df");
  dataflow->require_subcommand(1);

  auto deployOptions = std::make_shared<DeployOptions>();
  auto& flags = deployOptions->flags;
  auto* deployCommand =
      dataflow->add_subcommand("deploy", "Deploy a dataflow from a .py file, a tarball or -F");
  deployCommand->add_option("path", flags.path, "The dataflow's .py file or a .tar of its code");
  deployCommand->add_option("-F,--manifest", flags.manifest, "A Dataflow manifest (YAML/JSON)");
  deployCommand->add_option("-N,--name", flags.name, "Dataflow name (default: from the file)");
  deployCommand->add_option("-n,--namespace", flags.ns,
                            "Namespace (default: the manifest's, the cluster context's, or "
                            "default)");
  deployCommand->add_option("-p,--processes", flags.processes, "Number of processes");
  deployCommand->add_option("-w,--workers", flags.workers, "Workers per process");
  deployCommand->add_option("-f,--python-file-name", flags.pythonFileName,
                            "The dataflow file (inside the tarball for a .tar)");
  deployCommand->add_option("-r,--requirements-file-name", flags.requirementsFile,
                            "A pip requirements file; its lines become spec.dependencies");
  deployCommand->add_option("-e,--env", flags.env, "Environment variable KEY=VALUE (repeatable)");
  deployCommand->add_flag("--recovery", flags.recovery, "Turn recovery on");
  deployCommand->add_option("--recovery-parts", flags.recoveryParts, "Recovery partitions");
  deployCommand->add_option("--recovery-snapshot-interval", flags.snapshotInterval,
                            "Seconds between recovery snapshots");
  deployCommand->add_option("--recovery-backup-interval", flags.backupInterval,
                            "Seconds to keep superseded snapshots");
  deployCommand->add_flag("--dry-run", deployOptions->dryRun, "Print the objects; store nothing");
  deployCommand->add_option("-o,--output", deployOptions->output, "yaml or json (with --dry-run)")
      ->check(CLI::IsMember({"yaml", "json"}));
  deployCommand->add_flag("--yes", deployOptions->yes, "Replace an existing dataflow silently");
  deployCommand->callback(
      [&context, deployOptions] { context.exitCode = deploy(context, *deployOptions); });

  auto listOptions = std::make_shared<ListOptions>();
  auto* listCommand = dataflow->add_subcommand("list", "List dataflows");
  listCommand->alias("ls");
  listCommand->add_option("-n,--namespace", listOptions->ns,
                          "Namespace (default: the cluster context's, else default)");
  listCommand->add_flag("-A,--all-namespaces", listOptions->allNamespaces, "Every namespace");
  listCommand->add_option("-o,--output", listOptions->output, "table, json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
  listCommand->callback(
      [&context, listOptions] { context.exitCode = list(context, *listOptions); });

  // The dataflow's name, and the namespace if -n was given.
  auto target = std::make_shared<std::pair<std::string, std::optional<std::string>>>();
  auto addTarget = [target](CLI::App* command) {
    command->add_option("name", target->first, "Dataflow name")->required();
    command->add_option("-n,--namespace", target->second,
                        "Namespace (default: the cluster context's, else default)");
  };

  auto getOutput = std::make_shared<std::string>("table");
  auto* getCommand = dataflow->add_subcommand("get", "Show a dataflow with its status");
  addTarget(getCommand);
  getCommand->add_option("-o,--output", *getOutput, "table, yaml or json")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
  getCommand->callback([&context, target, getOutput] {
    context.exitCode = get(context, context.namespaceOr(target->second), target->first, *getOutput);
  });

  auto logsOptions = std::make_shared<LogsOptions>();
  auto* logsCommand = dataflow->add_subcommand("logs", "Print (or follow) a process's log");
  logsCommand->add_option("name", target->first, "Dataflow name")->required();
  logsCommand->add_option("-n,--namespace", logsOptions->ns,
                          "Namespace (default: the cluster context's, else default)");
  logsCommand->add_option("--process", logsOptions->process, "Process index")
      ->capture_default_str();
  logsCommand->add_flag("-f,--follow", logsOptions->follow, "Keep printing new output");
  logsCommand->add_option("--tail", logsOptions->tail, "Only the last N lines");
  logsCommand->add_option("--since", logsOptions->since,
                          "Only lines newer than this (30s, 5m, 2h); clusters only");
  logsCommand->add_flag("--previous", logsOptions->previous, "The rotated file before this one");
  logsCommand->callback([&context, target, logsOptions] {
    context.exitCode = logs(context, target->first, *logsOptions);
  });

  auto* suspendCommand = dataflow->add_subcommand("suspend", "Stop the processes, keep state");
  addTarget(suspendCommand);
  suspendCommand->callback([&context, target] {
    context.exitCode =
        setSuspend(context, context.namespaceOr(target->second), target->first, true);
  });
  auto* resumeCommand = dataflow->add_subcommand("resume", "Start a suspended dataflow again");
  addTarget(resumeCommand);
  resumeCommand->callback([&context, target] {
    context.exitCode =
        setSuspend(context, context.namespaceOr(target->second), target->first, false);
  });

  auto deleteFlags = std::make_shared<std::pair<bool, bool>>(false, true);
  auto* deleteCommand = dataflow->add_subcommand("delete", "Delete a dataflow and its files");
  deleteCommand->alias("rm");
  addTarget(deleteCommand);
  deleteCommand->add_flag("--yes", deleteFlags->first, "Confirm the deletion");
  deleteCommand->add_flag("--wait,!--no-wait", deleteFlags->second,
                          "Wait until everything is cleaned up (default)");
  deleteCommand->callback([&context, target, deleteFlags] {
    context.exitCode = remove(context, context.namespaceOr(target->second), target->first,
                              deleteFlags->first, deleteFlags->second);
  });

  auto waitOptions = std::make_shared<std::pair<std::string, std::string>>("", "300s");
  auto* waitCommand = dataflow->add_subcommand("wait", "Wait for a condition of a dataflow");
  addTarget(waitCommand);
  waitCommand
      ->add_option("--for", waitOptions->first,
                   "condition=Ready, condition=Completed, ... or delete")
      ->required();
  waitCommand->add_option("--timeout", waitOptions->second, "e.g. 90s, 5m, 1h")
      ->capture_default_str();
  waitCommand->callback([&context, target, waitOptions] {
    checkTarget(context.namespaceOr(target->second), target->first);
    context.exitCode = waitFor(context, context.namespaceOr(target->second), target->first,
                               waitOptions->first, waitOptions->second);
  });
}

}  // namespace wax::cli
