#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dataflow.h"

// Dataflow -> Kubernetes objects, as the operator applies them with server-side apply. Pure
// functions: the same input gives byte-identical JSON, so re-applying an unchanged Dataflow is a
// no-op. The Bytewax OSS Helm chart is the model (pod shape, BYTEWAX_* environment); where the
// output differs from it, the code says why.
namespace wax::render {

// Ports of the dataflow container: the Timely peer port and the Dataflow API / metrics port.
inline constexpr int kProcessPort = 9999;
inline constexpr int kApiPort = 3030;
// The container that runs `python -m bytewax.run`, named as in the chart.
inline constexpr const char* kContainerName = "process";

struct RenderOptions {
  // The cluster's DNS domain, used in the hostfile; never hard-coded elsewhere.
  std::string clusterDomain = "cluster.local";
  // The monitoring.coreos.com/v1 PodMonitor CRD exists, so a PodMonitor is rendered.
  bool podMonitor = false;
  // Used when spec.image.repository is absent.
  std::string defaultRepository = "bytewax/bytewax";
  // Empty: no BYTEWAX_OTLP_URL / OTEL_EXPORTER_OTLP_ENDPOINT in the container.
  std::string otlpUrl;
  // When set, written as the pod template annotation bytewax.io/run-id. The operator passes its
  // run id (spec hash + code version) so that new code, which changes no other field of the pod
  // template, still rolls every pod.
  std::string runId;
};

// Every object the dataflow needs, in apply order: the shared recovery PVC (if any), the
// headless Service, the API Service, the workload, then the PodMonitor. No ServiceAccount (pods
// use the namespace's default one) and no Namespace. Requires defaults applied
// (core::applyDefaults) and metadata.uid set, for the ownerReferences; throws
// wax::Error(Internal) when the uid is missing.
std::vector<nlohmann::json> renderChildren(const core::Dataflow& dataflow,
                                           const RenderOptions& options);

// The code ConfigMap waxctl creates for a deploy: a .py file as data[fileName], or a tarball as
// binaryData[fileName] (base64) when `binary`. Labelled with the dataflow name
// (bytewax.io/dataflow) so that it can be found and cleaned up with the dataflow. No owner
// reference: it is created before the Dataflow exists.
nlohmann::json renderCodeConfigMap(const std::string& ns, const std::string& name,
                                   const std::string& fileName, const std::string& content,
                                   bool binary);

// "StatefulSet", "Job" or "CronJob": a non-empty schedule makes a CronJob, else jobMode a Job.
std::string workloadKind(const core::Dataflow& dataflow);

// Labels on every object rendered for the dataflow: app.kubernetes.io/{name,instance,
// managed-by,component} and bytewax.io/dataflow.
std::map<std::string, std::string> commonLabels(const std::string& name);
// The labels that select the dataflow's pods (Services, StatefulSet selector, PodMonitor). As
// in the chart: app.kubernetes.io/name=bytewax and app.kubernetes.io/instance=<name>.
std::map<std::string, std::string> selectorLabels(const std::string& name);

// The hostname of process `index`: "<name>-<index>". For a StatefulSet it is also the pod's
// name; an Indexed Job's pod gets it as hostname (its pod name has a random suffix). Pods of a
// CronJob's runs are "<job name>-<index>", where the job name carries the run's time.
std::string podName(const std::string& name, int64_t index);

// The hostfile of a StatefulSet or Job, one line per process in process order:
// "<name>-<i>.<name>.<namespace>.svc.<clusterDomain>:9999". The pods write the same lines at
// start (a CronJob's with its run's job name in place of the first <name>).
std::vector<std::string> hostfileLines(const core::Dataflow& dataflow,
                                       const RenderOptions& options);

// The schedule as a CronJob accepts it: Kubernetes reads day-of-week 0-6 only, so a
// day-of-week field that uses 7 (Sunday, as cron allows) is rewritten as an explicit list with
// 0 in its place; any other schedule is returned unchanged.
std::string kubernetesSchedule(const std::string& schedule);

}  // namespace wax::render
