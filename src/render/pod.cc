#include <set>
#include <string>
#include <vector>

#include "render/init_scripts.h"
#include "render/plan.h"

// The dataflow pod: the chart's shape (hostfile, working directory, code ConfigMap, recovery
// volume, the `process` container and its BYTEWAX_* environment), with init steps that run in the
// dataflow's own image.
namespace wax::render {
namespace {

using json = nlohmann::json;

constexpr const char* kHostfileDir = "/etc/bytewax";
constexpr const char* kHostfilePath = "/etc/bytewax/hostfile.txt";
constexpr const char* kWorkDir = "/var/bytewax";
constexpr const char* kDepsDir = "/var/bytewax/.deps";
constexpr const char* kCodeDir = "/tmp/bytewax";
constexpr const char* kTmpDir = "/tmp";
constexpr const char* kApiCacheDir = "/var/bytewax-api-cache";
constexpr const char* kRecoveryDir = "/var/recovery";
// The image's WORKDIR, where its entrypoint.sh lives.
constexpr const char* kImageWorkDir = "/bytewax";
// The index Kubernetes gives each pod of an Indexed Job.
constexpr const char* kCompletionIndex =
    "metadata.annotations['batch.kubernetes.io/job-completion-index']";

json envValue(const std::string& name, const std::string& value) {
  return {{"name", name}, {"value", value}};
}

json envField(const std::string& name, const std::string& fieldPath) {
  return {{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", fieldPath}}}}}};
}

json mount(const std::string& volume, const std::string& path, bool readOnly = false) {
  json result = {{"name", volume}, {"mountPath", path}};
  if (readOnly) {
    result["readOnly"] = true;
  }
  return result;
}

bool isStatefulSet(const Plan& plan) {
  return plan.kind == "StatefulSet";
}

// bytewax.run turns "<BYTEWAX_STATEFULSET_NAME>-<i>" into process id i. A StatefulSet pod's name
// has that form; a Job's pod name has a random suffix, so Job pods pass their completion index,
// which bytewax reads as the id directly (as the chart does).
json podNameEnv(const Plan& plan) {
  return isStatefulSet(plan) ? envField("BYTEWAX_POD_NAME", "metadata.name")
                             : envField("BYTEWAX_POD_NAME", kCompletionIndex);
}

std::vector<json> recoveryEnv(const Plan& plan) {
  const core::Recovery& recovery = *plan.dataflow.spec.recovery;
  return {
      envValue("BYTEWAX_RECOVERY_DIRECTORY", kRecoveryDir),
      envValue("BYTEWAX_SNAPSHOT_INTERVAL", std::to_string(recovery.snapshotInterval.value_or(1))),
      envValue("BYTEWAX_RECOVERY_BACKUP_INTERVAL",
               std::to_string(recovery.backupInterval.value_or(1))),
  };
}

// The chart's environment first, then ours, then spec.env. A user variable replaces one of ours
// of the same name (the user asked for it explicitly); it is not listed twice, because a
// duplicate name breaks server-side apply of the env list, which is keyed by name.
std::vector<json> mainEnv(const Plan& plan) {
  const core::DataflowSpec& spec = plan.dataflow.spec;
  std::vector<json> env = {
      envValue("RUST_LOG", "librdkafka=debug,rdkafka::client=debug"),
      envValue("RUST_BACKTRACE", "full"),
      envValue("PYTHONUNBUFFERED", "1"),
      envValue("BYTEWAX_PYTHON_FILE_PATH",
               std::string(kWorkDir) + "/" + spec.pythonFileName.value_or("")),
      envValue("BYTEWAX_WORKDIR", kWorkDir),
      envValue("BYTEWAX_WORKERS_PER_PROCESS", std::to_string(spec.workersPerProcess.value_or(1))),
      podNameEnv(plan),
      envValue("BYTEWAX_REPLICAS", std::to_string(plan.processes)),
      // A Job's pod must end for the Job to complete, so keep-alive applies to StatefulSets only.
      envValue("BYTEWAX_KEEP_CONTAINER_ALIVE",
               isStatefulSet(plan) && spec.keepAlive.value_or(false) ? "true" : "false"),
      envValue("BYTEWAX_HOSTFILE_PATH", kHostfilePath),
      envValue("BYTEWAX_STATEFULSET_NAME", plan.name),
      // The chart serves the API of Jobs through an nginx cache Deployment; here every process
      // serves its own on 3030 in every mode, and the api Service targets it directly.
      envValue("BYTEWAX_DATAFLOW_API_ENABLED", "true"),
      envValue("BYTEWAX_DATAFLOW_API_PORT", std::to_string(kApiPort)),
      envValue("BYTEWAX_DATAFLOW_API_CACHE_PATH", kApiCacheDir),
  };
  if (plan.recovery) {
    for (json& variable : recoveryEnv(plan)) {
      env.push_back(std::move(variable));
    }
  }
  if (!plan.options.otlpUrl.empty()) {
    env.push_back(envValue("BYTEWAX_OTLP_URL", plan.options.otlpUrl));
    env.push_back(envValue("OTEL_EXPORTER_OTLP_ENDPOINT", plan.options.otlpUrl));
  }
  if (spec.dependencies && !spec.dependencies->empty()) {
    // A user PYTHONPATH replaces this one; it must then name kDepsDir itself.
    env.push_back(envValue("PYTHONPATH", kDepsDir));
  }

  const std::vector<core::EnvVar> user = spec.env.value_or(std::vector<core::EnvVar>{});
  std::set<std::string> userNames;
  for (const core::EnvVar& variable : user) {
    userNames.insert(variable.name);
  }
  std::vector<json> merged;
  for (json& variable : env) {
    if (!userNames.contains(variable["name"].get<std::string>())) {
      merged.push_back(std::move(variable));
    }
  }
  for (const core::EnvVar& variable : user) {
    merged.push_back(envValue(variable.name, variable.value));
  }
  return merged;
}

// The root file system is read-only: everything the pod writes goes to a volume.
json containerSecurityContext() {
  return {{"allowPrivilegeEscalation", false},
          {"capabilities", {{"drop", {"ALL"}}}},
          {"readOnlyRootFilesystem", true},
          {"seccompProfile", {{"type", "RuntimeDefault"}}}};
}

std::string image(const Plan& plan) {
  const core::ImageSpec& spec = plan.dataflow.spec.image.value_or(core::ImageSpec{});
  return spec.repository.value_or(plan.options.defaultRepository) + ":" + spec.tag.value_or("");
}

json container(const Plan& plan, const std::string& name, std::vector<std::string> command,
               std::vector<json> env, std::vector<json> mounts) {
  json result = {{"name", name},
                 {"image", image(plan)},
                 {"imagePullPolicy", plan.dataflow.spec.image->pullPolicy.value_or("Always")},
                 {"command", std::move(command)},
                 {"securityContext", containerSecurityContext()},
                 {"volumeMounts", std::move(mounts)}};
  if (!env.empty()) {
    result["env"] = std::move(env);
  }
  return result;
}

json pythonContainer(const Plan& plan, const std::string& name, const std::string& script,
                     std::vector<json> env, std::vector<json> mounts) {
  return container(plan, name, {kImagePython, "-c", script}, std::move(env), std::move(mounts));
}

// Step 1: the hostfile and the code. A CronJob's runs are Jobs named "<name>-<time>", so their
// pods' hostnames start with the run's job name, which only the pod knows (its job-name label).
json codeInit(const Plan& plan) {
  const core::DataflowSpec& spec = plan.dataflow.spec;
  std::vector<json> env = {
      envValue("BYTEWAX_HOSTFILE_PATH", kHostfilePath),
      envValue("BYTEWAX_REPLICAS", std::to_string(plan.processes)),
      envValue("BYTEWAX_WORKDIR", kWorkDir),
      plan.kind == "CronJob" ? envField("WAX_HOST_PREFIX", "metadata.labels['job-name']")
                             : envValue("WAX_HOST_PREFIX", plan.name),
      envValue("WAX_HOST_SUFFIX", plan.name + "." + plan.ns + ".svc." + plan.options.clusterDomain +
                                      ":" + std::to_string(kProcessPort)),
      envValue("WAX_CODE_DIR", kCodeDir),
  };
  if (spec.tarName) {
    env.push_back(envValue("WAX_TAR_NAME", *spec.tarName));
  }
  return pythonContainer(plan, "init-hostfile", codeScript(), std::move(env),
                         {mount("hostfile", kHostfileDir), mount("working-directory", kWorkDir),
                          mount("tmp", kTmpDir), mount("python-files", kCodeDir, true)});
}

// Step 2. A token kept in a Secret is referenced, never copied into the pod spec.
json artifactsInit(const Plan& plan) {
  const core::ArtifactsDownload& download = *plan.dataflow.spec.artifactsDownload;
  std::vector<json> env = {envValue("BYTEWAX_WORKDIR", kWorkDir),
                           envValue("WAX_ARTIFACTS_URL", download.url.value_or(""))};
  if (download.secretName) {
    env.push_back(
        {{"name", "WAX_ARTIFACTS_TOKEN"},
         {"valueFrom", {{"secretKeyRef", {{"name", *download.secretName}, {"key", "TOKEN"}}}}}});
  } else if (download.token) {
    env.push_back(envValue("WAX_ARTIFACTS_TOKEN", *download.token));
  }
  return pythonContainer(plan, "init-artifacts", artifactsScript(), std::move(env),
                         {mount("working-directory", kWorkDir), mount("tmp", kTmpDir)});
}

// Step 3. Each requirement is its own argv element after "--": no shell sees it and pip cannot
// read it as an option.
json dependenciesInit(const Plan& plan) {
  std::vector<std::string> command = {kImagePython,
                                      "-m",
                                      "pip",
                                      "install",
                                      "--no-cache-dir",
                                      "--disable-pip-version-check",
                                      "--no-input",
                                      "--target",
                                      kDepsDir,
                                      "--"};
  for (const std::string& requirement : *plan.dataflow.spec.dependencies) {
    command.push_back(requirement);
  }
  // pip and the builds it runs write under HOME; the image user has none that is writable.
  return container(plan, "init-dependencies", std::move(command), {envValue("HOME", kTmpDir)},
                   {mount("working-directory", kWorkDir), mount("tmp", kTmpDir)});
}

// Step 4. Unlike the chart's entrypoint-recovery.sh, which only looks for part-0, every
// partition the pod holds is checked and made when missing.
json recoveryInit(const Plan& plan) {
  std::vector<json> env = {
      envValue("BYTEWAX_RECOVERY_PARTS",
               std::to_string(plan.dataflow.spec.recovery->partsCount.value_or(1)))};
  for (json& variable : recoveryEnv(plan)) {
    env.push_back(std::move(variable));
  }
  env.push_back(podNameEnv(plan));
  env.push_back(envValue("BYTEWAX_STATEFULSET_NAME", plan.name));
  env.push_back(envValue("BYTEWAX_REPLICAS", std::to_string(plan.processes)));
  env.push_back(envValue("WAX_RECOVERY_SHARED", plan.sharedVolume ? "true" : "false"));
  return pythonContainer(plan, "init-recovery", recoveryScript(), std::move(env),
                         {mount("recovery", kRecoveryDir), mount("tmp", kTmpDir)});
}

std::vector<json> initContainers(const Plan& plan) {
  const core::DataflowSpec& spec = plan.dataflow.spec;
  std::vector<json> result = {codeInit(plan)};
  if (spec.artifactsDownload) {
    result.push_back(artifactsInit(plan));
  }
  if (spec.dependencies && !spec.dependencies->empty()) {
    result.push_back(dependenciesInit(plan));
  }
  if (plan.recovery) {
    result.push_back(recoveryInit(plan));
  }
  return result;
}

// The image's own entrypoint and working directory, spelled out so that the image contract
// (entrypoint.sh reads BYTEWAX_*) holds whatever a custom image declares.
json mainContainer(const Plan& plan) {
  std::vector<json> mounts = {mount("hostfile", kHostfileDir), mount("working-directory", kWorkDir),
                              mount("tmp", kTmpDir), mount("api-cache", kApiCacheDir)};
  if (plan.recovery) {
    mounts.push_back(mount("recovery", kRecoveryDir));
  }
  json result = container(plan, kContainerName, {"/bin/sh", "-c", "./entrypoint.sh"}, mainEnv(plan),
                          std::move(mounts));
  result["workingDir"] = kImageWorkDir;
  result["ports"] = {{{"name", "process"}, {"containerPort", kProcessPort}},
                     {{"name", "api"}, {"containerPort", kApiPort}}};
  // The API server starts with the dataflow, so an open port means bytewax is up.
  result["readinessProbe"] = {{"tcpSocket", {{"port", kApiPort}}}};
  // TODO(render): spec.chartValues (resources, podAnnotations, nodeSelector, ...) is not
  // supported: it is neither parsed nor applied, so no resources are requested.
  return result;
}

json emptyDir(const std::string& name) {
  return {{"name", name}, {"emptyDir", json::object()}};
}

std::vector<json> volumes(const Plan& plan) {
  const core::DataflowSpec& spec = plan.dataflow.spec;
  json code = {{"name", spec.configMapName.value_or(plan.name)}};
  // Code that comes only from artifactsDownload needs no ConfigMap; without this the pod would
  // wait for one forever.
  if (spec.artifactsDownload) {
    code["optional"] = true;
  }
  std::vector<json> result = {emptyDir("hostfile"),
                              emptyDir("working-directory"),
                              {{"name", "python-files"}, {"configMap", code}},
                              emptyDir("api-cache"),
                              emptyDir("tmp")};
  if (plan.recovery && plan.sharedVolume) {
    result.push_back({{"name", "recovery"},
                      {"persistentVolumeClaim", {{"claimName", plan.name + "-recovery"}}}});
  }
  return result;
}

json podSecurityContext() {
  return {{"runAsNonRoot", true}, {"runAsUser", 65532}, {"runAsGroup", 3000}, {"fsGroup", 2000}};
}

json podSpec(const Plan& plan) {
  json spec = {
      {"initContainers", initContainers(plan)},
      {"containers", {mainContainer(plan)}},
      {"securityContext", podSecurityContext()},
      {"terminationGracePeriodSeconds", 10},
      {"volumes", volumes(plan)},
      // Deliberate deviations from the chart. The dataflow does not call the Kubernetes API, so
      // it gets no token. Service links would add a variable per Service of the namespace, and
      // one named like bytewax-dataflow-api would collide with BYTEWAX_* settings.
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
  };
  const std::string pullSecret = plan.dataflow.spec.image->pullSecret.value_or("");
  if (!pullSecret.empty()) {
    spec["imagePullSecrets"] = {{{"name", pullSecret}}};
  }
  if (!isStatefulSet(plan)) {
    // An Indexed Job's pod is named "<job>-<index>" as host; with the headless Service as
    // subdomain, the hostfile's names resolve as they do for a StatefulSet.
    spec["restartPolicy"] = "Never";
    spec["subdomain"] = plan.name;
  }
  return spec;
}

}  // namespace

json podTemplate(const Plan& plan) {
  std::map<std::string, std::string> labels = commonLabels(plan.name);
  labels["bytewax.io/dataflow-info"] = plan.name;
  json metadata = {{"labels", toJson(labels)}};
  if (!plan.options.runId.empty()) {
    metadata["annotations"] = {{"bytewax.io/run-id", plan.options.runId}};
  }
  return {{"metadata", metadata}, {"spec", podSpec(plan)}};
}

json recoveryClaimSpec(const Plan& plan) {
  const core::Recovery& recovery = *plan.dataflow.spec.recovery;
  const core::Persistence persistence = recovery.persistence.value_or(core::Persistence{});
  json spec = {{"accessModes", {"ReadWriteOnce"}},
               {"resources", {{"requests", {{"storage", persistence.size.value_or("10Gi")}}}}}};
  if (persistence.storageClassName) {
    spec["storageClassName"] = *persistence.storageClassName;
  }
  return spec;
}

json recoveryClaimTemplate(const Plan& plan) {
  if (!plan.recovery || plan.sharedVolume) {
    return nullptr;
  }
  return {{"metadata", {{"name", "recovery"}, {"labels", toJson(commonLabels(plan.name))}}},
          {"spec", recoveryClaimSpec(plan)}};
}

}  // namespace wax::render
