#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/cluster_api.h"

// What every waxctl command shares: the global flags and the connection they lead to.
namespace wax::cli {

struct GlobalFlags {
  std::string server;  // --server / WAX_SERVER: a WaxAPI URL
  std::string token;   // --token / WAX_TOKEN
  std::string dataDir;
  std::string kubeconfig;   // --kubeconfig: a cluster, through this file
  std::string kubeContext;  // --context: a cluster, through this kubeconfig context
};

// What waxctl talks to, chosen in this order: --server/WAX_SERVER (a WaxAPI), then
// --kubeconfig/--context/KUBECONFIG (a cluster), then the WaxAPI of the last `waxctl login`,
// then a running local waxd, then the cluster of ~/.kube/config, and else the local waxd
// (which then says how to start it).
struct Target {
  enum class Kind { WaxApi, Cluster, Local };
  Kind kind = Kind::Local;
  std::string why;     // which rule chose it, for `waxctl target`
  std::string server;  // the WaxAPI's URL
};

Target chooseTarget(const GlobalFlags& flags);
std::string_view toString(Target::Kind kind);

class Context {
 public:
  GlobalFlags flags;
  int exitCode = 0;  // set by the command that ran

  // The command line, for re-executing as waxctl-cluster (see cluster_api.h).
  std::vector<std::string> argv;

  // The client for the chosen target; for the local waxd, reads its URL and token from the
  // data directory and says how to start it when it is not running.
  Client& client();
  const Target& target();
  // The namespace of commands given no -n: the kubeconfig context's for a cluster, else
  // "default".
  std::string defaultNamespace();
  // `ns`, or the default namespace when it was not given.
  std::string namespaceOr(const std::optional<std::string>& ns);
  // The rows of `dataflow list` as a cluster prints them; nullopt for other targets, or a
  // cluster whose CRD cannot (the caller then lists the objects).
  std::optional<std::vector<Row>> dataflowRows(const std::string& ns, bool allNamespaces);

 private:
  ClusterSupport& cluster();

  std::optional<Target> target_;
  std::unique_ptr<ClusterSupport> cluster_;
  std::unique_ptr<Client> client_;
};

// The exit codes of every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// A usage mistake the parser cannot see (e.g. a missing --yes); main() exits with kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace wax::cli
