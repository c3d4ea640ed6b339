#include "cli/context.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/arguments.h"
#include "cli/credentials.h"
#include "cli/login.h"
#include "common/error.h"
#include "common/paths.h"

namespace wax::cli {

namespace {

Connection localConnection(const std::string& dataDir) {
  std::ifstream stateFile(stateFilePath(dataDir));
  if (!stateFile) {
    throw Error(ErrorCode::Unavailable, "waxd is not running for data directory " + dataDir +
                                            "; start it with `waxctl local start`");
  }
  Connection connection;
  try {
    connection.url = nlohmann::json::parse(stateFile).at("url").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorCode::Unavailable, "the waxd state file in " + dataDir +
                                            " is unreadable; restart waxd with "
                                            "`waxctl local stop && waxctl local start`");
  }
  std::ifstream tokenFile(tokenFilePath(dataDir));
  tokenFile >> connection.token;
  connection.unauthorizedHint = "the local waxd's token is read from " + tokenFilePath(dataDir) +
                                "; restart waxd (`waxctl local stop && waxctl local start`) if "
                                "that file was changed";
  return connection;
}

// A WaxAPI's URL and token: --token when given, else the session of `waxctl login`, refreshed
// when its access token is about to end.
Connection waxApiConnection(const std::string& server, const std::string& token) {
  Connection connection{server, token};
  if (!token.empty()) {
    return connection;
  }
  CredentialStore store;
  connection.unauthorizedHint =
      fmt::format("pass --token or set WAX_TOKEN, or sign in with `waxctl login --server {}`",
                  redactUrl(server));
  if (auto session = store.find(server)) {
    connection.token = freshSession(store, *session).accessToken;
    connection.unauthorizedHint = fmt::format(
        "the WaxAPI refused the token of your session; sign in again with `waxctl "
        "login --server {}`",
        redactUrl(server));
  }
  return connection;
}

bool localWaxdRunning(const std::string& dataDir) {
  return std::filesystem::exists(stateFilePath(dataDir));
}

std::string homeKubeconfig() {
  const char* home = std::getenv("HOME");
  return home == nullptr ? "" : std::string(home) + "/.kube/config";
}

}  // namespace

std::string_view toString(Target::Kind kind) {
  switch (kind) {
    case Target::Kind::WaxApi:
      return "waxapi";
    case Target::Kind::Cluster:
      return "cluster";
    case Target::Kind::Local:
      return "local";
  }
  return "local";
}

Target chooseTarget(const GlobalFlags& flags) {
  using Kind = Target::Kind;
  if (!flags.server.empty()) {
    return {Kind::WaxApi, "--server or WAX_SERVER names a WaxAPI", normalizeServer(flags.server)};
  }
  if (!flags.kubeconfig.empty() || !flags.kubeContext.empty()) {
    return {Kind::Cluster, "--kubeconfig or --context names a cluster"};
  }
  if (const char* kubeconfig = std::getenv("KUBECONFIG"); kubeconfig && *kubeconfig) {
    return {Kind::Cluster, "KUBECONFIG names a cluster"};
  }
  if (auto loggedIn = CredentialStore().current()) {
    return {Kind::WaxApi, "`waxctl login` signed in to it last (`waxctl logout` ends that)",
            *loggedIn};
  }
  if (localWaxdRunning(flags.dataDir)) {
    return {Kind::Local, "a local waxd runs for data directory " + flags.dataDir};
  }
  if (const std::string home = homeKubeconfig(); !home.empty() && std::filesystem::exists(home)) {
    return {Kind::Cluster, home + " names a cluster and no local waxd runs"};
  }
  return {Kind::Local, "nothing else is configured; local mode is the default"};
}

const Target& Context::target() {
  if (!target_) {
    target_ = chooseTarget(flags);
  }
  return *target_;
}

namespace {

ClusterSupportFactory registeredFactory = nullptr;

// Replaces this process with waxctl-cluster from the same directory, with the same arguments.
[[noreturn]] void reexecAsClusterClient(const std::vector<std::string>& argv) {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::string binary = (self.parent_path() / "waxctl-cluster").string();
  std::vector<char*> args;
  args.push_back(const_cast<char*>(binary.c_str()));
  for (size_t i = 1; i < argv.size(); ++i) {
    args.push_back(const_cast<char*>(argv[i].c_str()));
  }
  args.push_back(nullptr);
  execv(binary.c_str(), args.data());
  throw Error(ErrorCode::Internal, "cannot run " + binary + " for a cluster target: " +
                                       std::strerror(errno) + "; reinstall waxctl with it");
}

}  // namespace

void registerClusterSupport(ClusterSupportFactory factory) {
  registeredFactory = factory;
}

ClusterSupportFactory clusterSupportFactory() {
  return registeredFactory;
}

ClusterSupport& Context::cluster() {
  if (!cluster_) {
    if (registeredFactory == nullptr) {
      reexecAsClusterClient(argv);
    }
    cluster_ = registeredFactory(flags);
  }
  return *cluster_;
}

std::optional<std::vector<Row>> Context::dataflowRows(const std::string& ns, bool allNamespaces) {
  if (target().kind != Target::Kind::Cluster) {
    return std::nullopt;
  }
  return cluster().dataflowRows(ns, allNamespaces);
}

std::string Context::defaultNamespace() {
  return target().kind == Target::Kind::Cluster ? cluster().defaultNamespace() : "default";
}

std::string Context::namespaceOr(const std::optional<std::string>& ns) {
  return ns ? *ns : defaultNamespace();
}

Client& Context::client() {
  if (client_) {
    return *client_;
  }
  Connection connection;
  switch (target().kind) {
    case Target::Kind::WaxApi:
      connection = waxApiConnection(target().server, flags.token);
      break;
    case Target::Kind::Local:
      connection = localConnection(flags.dataDir);
      break;
    case Target::Kind::Cluster:
      connection.url = cluster().server();
      connection.unauthorizedHint =
          "the cluster refused the kubeconfig's credentials; check its user or log in again";
      connection.inProcess = cluster().api();
      break;
  }
  if (!flags.token.empty() && !connection.inProcess) {
    connection.token = flags.token;
  }
  while (!connection.url.empty() && connection.url.back() == '/') {
    connection.url.pop_back();
  }
  client_ = std::make_unique<Client>(connection);
  return *client_;
}

}  // namespace wax::cli
