#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/printers.h"

// waxctl against a Kubernetes cluster: the WaxAPI's resource handlers run in this process over
// the cluster's API (Dataflows and their code ConfigMaps, pods and their logs), so that every
// command reads and behaves as it does against waxd, and kubectl sees the same objects.
//
// The Kubernetes client brings libcurl and its tree of libraries, which would add a third to
// the start-up of every waxctl command. So `waxctl` is built without it, and a command whose
// target is a cluster re-executes itself as `waxctl-cluster` (the same commands, linked with
// this), which registers its support at start.
namespace wax::cli {

class ClusterSupport {
 public:
  virtual ~ClusterSupport() = default;
  // The kubeconfig context's namespace.
  virtual std::string defaultNamespace() = 0;
  virtual std::string server() = 0;
  virtual std::shared_ptr<InProcessApi> api() = 0;
  // The rows of `waxctl dataflow list` (see printers.h), as the API server prints them from the
  // CRD's columns: a tenth of what the objects would be to send and parse. nullopt when the
  // installed CRD lacks a column (an older one); then the caller lists the objects.
  virtual std::optional<std::vector<Row>> dataflowRows(const std::string& ns,
                                                       bool allNamespaces) = 0;
};

struct GlobalFlags;
using ClusterSupportFactory = std::unique_ptr<ClusterSupport> (*)(const GlobalFlags& flags);

// Called by waxctl-cluster's main(); unset in waxctl.
void registerClusterSupport(ClusterSupportFactory factory);
ClusterSupportFactory clusterSupportFactory();

// The factory waxctl-cluster registers.
std::unique_ptr<ClusterSupport> makeClusterSupport(const GlobalFlags& flags);

}  // namespace wax::cli
