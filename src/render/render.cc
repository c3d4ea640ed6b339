#include "render/render.h"

#include <string_view>

#include "common/error.h"
#include "render/plan.h"

// The objects around the pod template: Services, the workload, the shared recovery claim and the
// PodMonitor, each with the dataflow's labels and owner reference.
namespace wax::render {
namespace {

using json = nlohmann::json;

json ownerReference(const core::Dataflow& dataflow) {
  return {
      {"apiVersion", core::kApiVersion}, {"kind", core::kKind}, {"name", dataflow.metadata.name},
      {"uid", *dataflow.metadata.uid},   {"controller", true},  {"blockOwnerDeletion", true}};
}

json object(const Plan& plan, const std::string& apiVersion, const std::string& kind,
            const std::string& name) {
  return {{"apiVersion", apiVersion},
          {"kind", kind},
          {"metadata",
           {{"name", name},
            {"namespace", plan.ns},
            {"labels", toJson(commonLabels(plan.name))},
            {"ownerReferences", {ownerReference(plan.dataflow)}}}}};
}

// The address of every process, resolvable before the pods are ready so that peers can connect
// while they start.
json headlessService(const Plan& plan) {
  json service = object(plan, "v1", "Service", plan.name);
  service["spec"] = {{"clusterIP", "None"},
                     {"publishNotReadyAddresses", true},
                     {"selector", toJson(selectorLabels(plan.name))},
                     {"ports", {{{"name", "process"}, {"port", kProcessPort}}}}};
  return service;
}

json apiService(const Plan& plan) {
  json service = object(plan, "v1", "Service", plan.name + "-api");
  service["spec"] = {{"selector", toJson(selectorLabels(plan.name))},
                     {"ports", {{{"name", "api"}, {"port", kApiPort}, {"targetPort", kApiPort}}}}};
  return service;
}

// ReadWriteOnce as in the chart: every pod mounts it, so they all run on one node. ReadWriteMany
// would lift that, but not every cluster has a class that offers it.
json sharedRecoveryClaim(const Plan& plan) {
  json claim = object(plan, "v1", "PersistentVolumeClaim", plan.name + "-recovery");
  claim["spec"] = recoveryClaimSpec(plan);
  return claim;
}

// The StatefulSet's template changes with processesCount (BYTEWAX_REPLICAS), so a rescale
// rolls every pod onto the new hostfile; a suspended dataflow keeps its template at 0 replicas.
json statefulSet(const Plan& plan) {
  json workload = object(plan, "apps/v1", "StatefulSet", plan.name);
  const bool suspended = plan.dataflow.spec.suspend.value_or(false);
  workload["spec"] = {{"podManagementPolicy", "Parallel"},
                      {"replicas", suspended ? 0 : plan.processes},
                      {"serviceName", plan.name},
                      {"selector", {{"matchLabels", toJson(selectorLabels(plan.name))}}},
                      {"template", podTemplate(plan)}};
  json claim = recoveryClaimTemplate(plan);
  if (!claim.is_null()) {
    workload["spec"]["volumeClaimTemplates"] = {claim};
  }
  return workload;
}

// One process per index. The Job's selector is left to the server, which generates it.
json jobSpec(const Plan& plan) {
  return {{"completionMode", "Indexed"},
          {"completions", plan.processes},
          {"parallelism", plan.processes},
          {"template", podTemplate(plan)}};
}

json job(const Plan& plan) {
  json workload = object(plan, "batch/v1", "Job", plan.name);
  workload["spec"] = jobSpec(plan);
  workload["spec"]["suspend"] = plan.dataflow.spec.suspend.value_or(false);
  return workload;
}

// Suspending a CronJob stops future runs only, as the Platform documents for scheduled
// dataflows; the runs themselves are never created suspended.
json cronJob(const Plan& plan) {
  json workload = object(plan, "batch/v1", "CronJob", plan.name);
  workload["spec"] = {
      {"schedule", kubernetesSchedule(plan.dataflow.spec.schedule.value_or(""))},
      {"concurrencyPolicy", plan.dataflow.spec.concurrencyPolicy.value_or("Forbid")},
      {"suspend", plan.dataflow.spec.suspend.value_or(false)},
      {"jobTemplate",
       {{"metadata", {{"labels", toJson(commonLabels(plan.name))}}}, {"spec", jobSpec(plan)}}}};
  return workload;
}

json workload(const Plan& plan) {
  if (plan.kind == "CronJob") {
    return cronJob(plan);
  }
  return plan.kind == "Job" ? job(plan) : statefulSet(plan);
}

// Selects the pods as the chart's PodMonitor does. TODO(render): the chart also labels the
// PodMonitor for a Prometheus release (podMonitor.selector); add an option when one is needed.
json podMonitor(const Plan& plan) {
  json monitor = object(plan, "monitoring.coreos.com/v1", "PodMonitor", plan.name);
  json selector = toJson(selectorLabels(plan.name));
  selector["bytewax.io/dataflow-info"] = plan.name;
  monitor["spec"] = {{"selector", {{"matchLabels", selector}}},
                     {"podMetricsEndpoints", {{{"port", "api"}, {"path", "/metrics"}}}}};
  return monitor;
}

std::string base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (size_t i = 0; i < data.size(); i += 3) {
    uint32_t chunk = static_cast<uint8_t>(data[i]) << 16;
    if (i + 1 < data.size()) {
      chunk |= static_cast<uint8_t>(data[i + 1]) << 8;
    }
    if (i + 2 < data.size()) {
      chunk |= static_cast<uint8_t>(data[i + 2]);
    }
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < data.size() ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

}  // namespace

json toJson(const std::map<std::string, std::string>& labels) {
  json result = json::object();
  for (const auto& [key, value] : labels) {
    result[key] = value;
  }
  return result;
}

Plan makePlan(const core::Dataflow& dataflow, const RenderOptions& options) {
  Plan plan{.dataflow = dataflow, .options = options};
  plan.name = dataflow.metadata.name;
  plan.ns = dataflow.metadata.namespace_;
  plan.kind = workloadKind(dataflow);
  plan.processes = dataflow.spec.processesCount.value_or(1);
  const std::optional<core::Recovery>& recovery = dataflow.spec.recovery;
  plan.recovery = recovery && recovery->enabled.value_or(false);
  plan.sharedVolume =
      plan.recovery && (recovery->singleVolume.value_or(false) || plan.kind != "StatefulSet");
  return plan;
}

std::vector<json> renderChildren(const core::Dataflow& dataflow, const RenderOptions& options) {
  if (!dataflow.metadata.uid || dataflow.metadata.uid->empty() || !dataflow.spec.image) {
    throw Error(ErrorCode::Internal,
                "cannot render the objects of Dataflow \"" + dataflow.metadata.namespace_ + "/" +
                    dataflow.metadata.name + "\": it has no metadata.uid or no spec.image");
  }
  const Plan plan = makePlan(dataflow, options);
  // TODO(render): spec.recovery.cloudBackup is not rendered here; backups to S3 are the
  // recovery snapshotter's job.
  std::vector<json> objects;
  if (plan.recovery && plan.sharedVolume) {
    objects.push_back(sharedRecoveryClaim(plan));
  }
  objects.push_back(headlessService(plan));
  objects.push_back(apiService(plan));
  objects.push_back(workload(plan));
  if (options.podMonitor) {
    objects.push_back(podMonitor(plan));
  }
  return objects;
}

json renderCodeConfigMap(const std::string& ns, const std::string& name,
                         const std::string& fileName, const std::string& content, bool binary) {
  json configMap = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", {{"name", name}, {"namespace", ns}, {"labels", toJson(commonLabels(name))}}}};
  if (binary) {
    configMap["binaryData"] = {{fileName, base64(content)}};
  } else {
    configMap["data"] = {{fileName, content}};
  }
  return configMap;
}

std::string workloadKind(const core::Dataflow& dataflow) {
  if (dataflow.spec.schedule && !dataflow.spec.schedule->empty()) {
    return "CronJob";
  }
  return dataflow.spec.jobMode.value_or(false) ? "Job" : "StatefulSet";
}

std::map<std::string, std::string> commonLabels(const std::string& name) {
  return {{"app.kubernetes.io/name", "bytewax"},
          {"app.kubernetes.io/instance", name},
          {"app.kubernetes.io/managed-by", "wax"},
          {"app.kubernetes.io/component", "dataflow"},
          {"bytewax.io/dataflow", name}};
}

std::map<std::string, std::string> selectorLabels(const std::string& name) {
  return {{"app.kubernetes.io/name", "bytewax"}, {"app.kubernetes.io/instance", name}};
}

std::string podName(const std::string& name, int64_t index) {
  return name + "-" + std::to_string(index);
}

std::vector<std::string> hostfileLines(const core::Dataflow& dataflow,
                                       const RenderOptions& options) {
  const std::string& name = dataflow.metadata.name;
  const std::string suffix = "." + name + "." + dataflow.metadata.namespace_ + ".svc." +
                             options.clusterDomain + ":" + std::to_string(kProcessPort);
  std::vector<std::string> lines;
  for (int64_t i = 0; i < dataflow.spec.processesCount.value_or(1); ++i) {
    lines.push_back(podName(name, i) + suffix);
  }
  return lines;
}

}  // namespace wax::render
