#pragma once

#include <memory>

#include "cli/client.h"
#include "kube/kubeconfig.h"

// waxctl against a Kubernetes cluster: the WaxAPI's resource handlers run in this process over
// the cluster's API (Dataflows and their code ConfigMaps, pods and their logs), so that every
// command reads and behaves as it does against waxd, and kubectl sees the same objects.
namespace wax::cli {

std::shared_ptr<InProcessApi> clusterApi(const kube::Config& config);

}  // namespace wax::cli
