#include "cluster/kube_runtime.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "cluster/workload_state.h"
#include "common/digest.h"
#include "common/error.h"
#include "common/logging.h"
#include "operator/run_id.h"

namespace wax::cluster {

using nlohmann::json;
using operator_::RunPhase;
using operator_::RunState;

namespace {

namespace resources = kube::resources;

constexpr const char* kDataflowLabel = "bytewax.io/dataflow";
constexpr const char* kManagedSelector = "app.kubernetes.io/managed-by=wax";
constexpr const char* kRunIdAnnotation = "bytewax.io/run-id";
constexpr const char* kAppliedAnnotation = "bytewax.io/applied";

std::shared_ptr<spdlog::logger> log() {
  return logger("kube-runtime");
}

const kube::Resource& resourceForKind(const std::string& kind) {
  static const std::map<std::string, const kube::Resource*> byKind = {
      {"Service", &resources::kServices},
      {"PersistentVolumeClaim", &resources::kPersistentVolumeClaims},
      {"StatefulSet", &resources::kStatefulSets},
      {"Job", &resources::kJobs},
      {"CronJob", &resources::kCronJobs},
      {"PodMonitor", &resources::kPodMonitors},
  };
  auto found = byKind.find(kind);
  if (found == byKind.end()) {
    throw Error(ErrorCode::Internal, "render made an object of unknown kind " + kind);
  }
  return *found->second;
}

std::string dataflowKeyOf(const json& object) {
  const auto& metadata = object.at("metadata");
  const auto labels = metadata.value("labels", json::object());
  const std::string name = labels.value(kDataflowLabel, "");
  return name.empty() ? "" : metadata.value("namespace", "") + "/" + name;
}

std::string annotation(const json& object, const char* key) {
  const json* annotations = &object;
  for (const char* step : {"metadata", "annotations"}) {
    auto found = annotations->find(step);
    if (found == annotations->end()) {
      return "";
    }
    annotations = &*found;
  }
  return annotations->value(key, "");
}

// The run id the pods of a Job were made for, from its pod template.
std::string jobRunId(const json& job) {
  return annotation(job.at("spec").at("template"), kRunIdAnnotation);
}

bool beingDeleted(const json& object) {
  return object.at("metadata").contains("deletionTimestamp");
}

bool managedByWax(const json& object) {
  const auto labels = object.at("metadata").value("labels", json::object());
  return labels.value("app.kubernetes.io/managed-by", "") == "wax";
}

// What the runtime reads of a cached child: its metadata and status, and of a workload the
// replica count and the template's metadata (the run id). Pod templates, with their init
// scripts and environment, are most of an object and are never read back.
json trimmed(json object) {
  json& metadata = object["metadata"];
  for (const char* unread :
       {"ownerReferences", "creationTimestamp", "generateName", "finalizers"}) {
    metadata.erase(unread);
  }
  json kept = {{"metadata", std::move(metadata)}};
  if (object.contains("status")) {
    kept["status"] = std::move(object["status"]);
  }
  auto spec = object.find("spec");
  if (spec != object.end() && spec->is_object()) {
    for (const char* field : {"replicas", "suspend", "schedule", "nodeName"}) {
      if (spec->contains(field)) {
        kept["spec"][field] = std::move((*spec)[field]);
      }
    }
    if (auto podTemplate = spec->find("template"); podTemplate != spec->end()) {
      kept["spec"]["template"]["metadata"] = podTemplate->value("metadata", json::object());
    }
  }
  return kept;
}

// Of an object that Wax did not make, only what tells whose it is: the cache knows every
// object of the kinds the operator makes, so that a name missing from it is free (no request
// needed before an apply), and one present but not the dataflow's is refused.
json foreignStub(const json& object) {
  const auto& metadata = object.at("metadata");
  json owners = json::array();
  for (const auto& owner : metadata.value("ownerReferences", json::array())) {
    owners.push_back({{"uid", owner.value("uid", "")}});
  }
  return {{"metadata",
           {{"name", metadata.value("name", "")},
            {"namespace", metadata.value("namespace", "")},
            {"resourceVersion", metadata.value("resourceVersion", "")},
            {"ownerReferences", std::move(owners)}}}};
}

json trimmedOrStub(json object) {
  return managedByWax(object) ? trimmed(std::move(object)) : foreignStub(object);
}

}  // namespace

struct KubeRuntime::Informers {
  kube::Informer statefulSets;
  kube::Informer jobs;
  kube::Informer cronJobs;
  kube::Informer services;
  kube::Informer pods;

  // `changed(kind, object, deleted)` hears of every change.
  using Changed = std::function<void(const std::string&, const json&, bool)>;

  Informers(kube::Client& client, const std::vector<std::string>& namespaces,
            const Changed& changed)
      : statefulSets(client, everyObject(resources::kStatefulSets, namespaces),
                     handlers("StatefulSet", changed)),
        jobs(client, everyObject(resources::kJobs, namespaces), handlers("Job", changed)),
        cronJobs(client, everyObject(resources::kCronJobs, namespaces),
                 handlers("CronJob", changed)),
        services(client, everyObject(resources::kServices, namespaces),
                 handlers("Service", changed)),
        pods(client, managedOnly(resources::kPods, namespaces), handlers("Pod", changed)) {}

  std::vector<kube::Informer*> all() { return {&statefulSets, &jobs, &cronJobs, &services, &pods}; }

  // The cache of a kind of child, or null for kinds that are not cached. It holds every
  // object of the kind, most of them stubs of objects that are not Wax's; ownOf() only Wax's.
  kube::Informer* of(const std::string& kind) {
    if (kind == "StatefulSet") {
      return &statefulSets;
    }
    if (kind == "Job") {
      return &jobs;
    }
    if (kind == "CronJob") {
      return &cronJobs;
    }
    return kind == "Service" ? &services : nullptr;
  }

  // The cached child `name` if the dataflow `ns`/`dataflow` made it.
  kube::Informer::ObjectPtr ownOf(const std::string& kind, const std::string& ns,
                                  const std::string& name, const std::string& dataflow) {
    auto* informer = of(kind);
    auto cached = informer == nullptr ? nullptr : informer->get(ns, name);
    if (cached && dataflowKeyOf(*cached) == ns + "/" + dataflow) {
      return cached;
    }
    return nullptr;
  }

  // Pods are many and only Wax's matter; of the kinds the operator makes, every object is
  // cached (others' as stubs), so that refuseForeign() needs no request.
  static kube::InformerOptions managedOnly(const kube::Resource& resource,
                                           const std::vector<std::string>& namespaces) {
    kube::InformerOptions options = everyObject(resource, namespaces);
    options.labelSelector = kManagedSelector;
    options.transform = trimmed;
    return options;
  }

  static kube::InformerOptions everyObject(const kube::Resource& resource,
                                           const std::vector<std::string>& namespaces) {
    kube::InformerOptions options;
    options.resource = resource;
    options.namespaces = namespaces;
    options.transform = trimmedOrStub;
    return options;
  }

  static kube::InformerHandlers handlers(const std::string& kind, const Changed& changed) {
    return {[kind, changed](const json& object) { changed(kind, object, false); },
            [kind, changed](const json&, const json& after) { changed(kind, after, false); },
            [kind, changed](const json& object) { changed(kind, object, true); }};
  }
};

KubeRuntime::KubeRuntime(kube::Client& client, store::Store& store, KubeRuntimeOptions options,
                         Notify notify)
    : client_(client),
      store_(store),
      options_(std::move(options)),
      notify_(std::move(notify)),
      informers_(std::make_unique<Informers>(
          client_, options_.namespaces,
          [this](const std::string& kind, const json& object, bool deleted) {
            childChanged(kind, object, deleted);
          })) {}

// Every change of a child is a reason to look at its dataflow again, except the echo of this
// process's own apply: the reconcile that applied it judged the answer, which is that object.
void KubeRuntime::childChanged(const std::string& kind, const json& object, bool deleted) {
  const std::string key = dataflowKeyOf(object);
  if (key.empty() || !notify_) {
    return;
  }
  if (!deleted) {
    const auto& metadata = object.at("metadata");
    const std::string child =
        kind + "/" + metadata.value("namespace", "") + "/" + metadata.value("name", "");
    std::lock_guard lock(appliedMutex_);
    auto found = applied_.find(child);
    if (found != applied_.end() &&
        found->second.resourceVersion == metadata.value("resourceVersion", "")) {
      return;
    }
  }
  notify_(key);
}

KubeRuntime::~KubeRuntime() {
  stop();
}

bool KubeRuntime::start(std::chrono::milliseconds syncTimeout) {
  for (auto* informer : informers_->all()) {
    informer->start();
  }
  // Waits in short steps, so that stop() from another thread (a SIGTERM) ends the wait.
  const auto deadline = std::chrono::steady_clock::now() + syncTimeout;
  for (auto* informer : informers_->all()) {
    while (!informer->waitForSync(std::chrono::milliseconds(200))) {
      if (stopping_ || std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
    }
  }
  started_ = true;
  return true;
}

std::optional<Error> KubeRuntime::refusal(std::chrono::seconds patience) const {
  const auto all = informers_->all();
  return kube::lastingRefusal({all.begin(), all.end()}, patience);
}

void KubeRuntime::stop() {
  stopping_ = true;
  for (auto* informer : informers_->all()) {
    informer->stop();
  }
}

std::string KubeRuntime::runId(const core::Dataflow& dataflow) {
  return operator_::computeRunId(dataflow, store_);
}

RunState KubeRuntime::sync(const core::Dataflow& dataflow, bool run) {
  if (!started_) {
    throw Error(ErrorCode::Internal, "the Kubernetes runtime syncs only once started");
  }
  const auto& ns = dataflow.metadata.namespace_;
  const auto& name = dataflow.metadata.name;
  const std::string id = runId(dataflow);
  core::Dataflow target = dataflow;
  if (!run) {
    target.spec.suspend = true;  // scales the workload to zero, or suspends the Job
  }
  requireCode(dataflow);
  const std::string kind = render::workloadKind(target);
  removeOtherWorkloads(ns, name, kind);
  if (kind == "Job" && replaceStaleJob(target, id)) {
    RunState replacing;
    replacing.phase = run ? RunPhase::Starting : RunPhase::Stopped;
    replacing.runId = id;
    replacing.processesDesired = run ? dataflow.spec.processesCount.value_or(1) : 0;
    return replacing;
  }
  const json workload = applyChildren(target, id);

  std::vector<json> current;
  std::vector<std::string> stale;
  const std::vector<json> pods = podsOf(ns, name);
  if (kind == "StatefulSet") {
    stale = outdatedPods(workload, pods);
  }
  for (const auto& pod : pods) {
    if (beingDeleted(pod)) {
      continue;
    }
    if (kind == "StatefulSet" && annotation(pod, kRunIdAnnotation) != id) {
      stale.push_back(pod.at("metadata").value("name", ""));
    } else {
      current.push_back(pod);
    }
  }
  // Every process of an older configuration goes at once: a bytewax cluster whose members
  // disagree about the address list or the code would hang.
  std::sort(stale.begin(), stale.end());
  stale.erase(std::unique(stale.begin(), stale.end()), stale.end());
  for (const auto& pod : stale) {
    log()->info("restarting process of an older configuration dataflow={}/{} pod={}", ns, name,
                pod);
    deleteQuietly(resources::kPods, ns, pod);
  }

  WorkloadView view;
  view.workload = &workload;
  view.pods = std::move(current);
  view.processesCount = dataflow.spec.processesCount.value_or(1);
  view.run = run;
  view.jobMode = kind == "Job";
  view.runId = id;
  return kind == "CronJob" ? judgeCronJob(view) : judgeWorkload(view);
}

// Applies what changed. Each child carries the hash of what was rendered for it; a child this
// process applied with that hash, and that nobody changed since, is not sent again, which
// makes the reconciles that change nothing (most of them) cost no request. Returns the
// workload.
// Pods whose code ConfigMap is missing would wait for it without a word in status; the
// dataflow's own status says what is missing instead, and nothing that runs is changed.
void KubeRuntime::requireCode(const core::Dataflow& dataflow) {
  if (dataflow.spec.artifactsDownload) {
    return;  // the code is downloaded; the ConfigMap is optional
  }
  const std::string code = operator_::codeObjectName(dataflow);
  try {
    store_.get("configmaps", dataflow.metadata.namespace_, code);
    return;
  } catch (const Error& error) {
    if (error.code() != ErrorCode::NotFound) {
      throw;
    }
  }
  // waxctl makes the code a moment before the dataflow, and the cache may not have seen it
  // yet: the API server is asked before the dataflow is said to lack it. When it has it, the
  // reconcile waits for the cache (Conflict is retried, not reported): the run id counts the
  // code's version as the cache knows it, and would change under running pods.
  try {
    client_.get(resources::kConfigMaps, dataflow.metadata.namespace_, code);
    throw Error(ErrorCode::Conflict,
                fmt::format("the code ConfigMap \"{}/{}\" is not in the cache yet",
                            dataflow.metadata.namespace_, code));
  } catch (const Error& error) {
    if (error.code() != ErrorCode::NotFound) {
      throw;  // the Conflict above among them
    }
    throw Error(ErrorCode::Invalid,
                fmt::format("spec.configMapName: the code ConfigMap \"{}/{}\" does not exist; "
                            "deploy the code with `waxctl dataflow deploy FILE`, or name an "
                            "existing ConfigMap",
                            dataflow.metadata.namespace_, code));
  }
}

// An apply would merge into an object of the same name that someone else made, and make it
// the dataflow's (to be deleted with it); so one that another dataflow, another owner or
// nobody controls is refused, with the way out. The cache holds every object of the kind: a
// name it does not know is free, as far as the watch has seen.
void KubeRuntime::refuseForeign(const std::string& kind, const core::Dataflow& dataflow,
                                const std::string& name) {
  auto* informer = informers_->of(kind);
  const auto& ns = dataflow.metadata.namespace_;
  auto existing = informer == nullptr ? nullptr : informer->get(ns, name);
  if (!existing || dataflowKeyOf(*existing) == ns + "/" + dataflow.metadata.name) {
    return;
  }
  const auto owners = existing->at("metadata").value("ownerReferences", json::array());
  for (const auto& owner : owners) {
    if (owner.value("uid", "") == dataflow.metadata.uid.value_or("")) {
      return;
    }
  }
  // AlreadyExists rather than Conflict, which would be retried as a stale write, unreported.
  throw Error(ErrorCode::AlreadyExists,
              fmt::format("a {} named \"{}/{}\" already exists and does not belong to this "
                          "dataflow; rename the dataflow or remove that {}",
                          kind, ns, name, kind));
}

json KubeRuntime::applyChildren(const core::Dataflow& dataflow, const std::string& runId) {
  render::RenderOptions renderOptions = options_.render;
  renderOptions.runId = runId;
  const auto& ns = dataflow.metadata.namespace_;
  json workload;
  for (json child : render::renderChildren(dataflow, renderOptions)) {
    const std::string kind = child.at("kind");
    const std::string name = child["metadata"].value("name", "");
    const std::string hash = sha256Hex(child.dump()).substr(0, 16);
    child["metadata"]["annotations"][kAppliedAnnotation] = hash;
    json current = unchangedChild(kind, ns, name, hash);
    if (current.is_null()) {
      refuseForeign(kind, dataflow, name);
      current =
          client_.apply(resourceForKind(kind), child, {options_.fieldManager, /*force=*/true});
      rememberApplied(kind, ns, name, hash, current);
    }
    if (kind == "StatefulSet" || kind == "Job" || kind == "CronJob") {
      workload = std::move(current);
    }
  }
  return workload;
}

namespace {

// What changes when a child's spec is changed: workloads count spec changes in their
// generation (their status changes often); other objects have only their resourceVersion.
std::string specVersion(const std::string& kind, const json& object) {
  const auto& metadata = object.at("metadata");
  const bool workload = kind == "StatefulSet" || kind == "Job" || kind == "CronJob";
  return workload ? std::to_string(metadata.value("generation", int64_t{0}))
                  : metadata.value("resourceVersion", "");
}

}  // namespace

// The child as cached when it is still what this process applied: the same rendered hash, and
// no change by anyone since (a hand edit of the StatefulSet is undone). Null otherwise. Kinds
// without a cache (claims and PodMonitors) are compared by hash alone.
json KubeRuntime::unchangedChild(const std::string& kind, const std::string& ns,
                                 const std::string& name, const std::string& hash) {
  const std::string key = kind + "/" + ns + "/" + name;
  std::optional<Applied> applied;
  {
    std::lock_guard lock(appliedMutex_);
    if (auto found = applied_.find(key); found != applied_.end()) {
      applied = found->second;
    }
  }
  if (!applied || applied->hash != hash) {
    return nullptr;
  }
  auto* informer = informers_->of(kind);
  if (informer == nullptr) {
    return json::object();
  }
  auto cached = informer->get(ns, name);
  if (cached && !beingDeleted(*cached) && annotation(*cached, kAppliedAnnotation) == hash &&
      specVersion(kind, *cached) == applied->version) {
    return *cached;
  }
  return nullptr;
}

void KubeRuntime::rememberApplied(const std::string& kind, const std::string& ns,
                                  const std::string& name, const std::string& hash,
                                  const json& answer) {
  std::lock_guard lock(appliedMutex_);
  applied_[kind + "/" + ns + "/" + name] = {hash, specVersion(kind, answer),
                                            answer.at("metadata").value("resourceVersion", "")};
}

void KubeRuntime::forgetApplied(const std::string& ns, const std::string& name) {
  std::lock_guard lock(appliedMutex_);
  for (const std::string kind : {"StatefulSet", "Job", "CronJob", "Service", "PodMonitor"}) {
    applied_.erase(kind + "/" + ns + "/" + name);
  }
  applied_.erase("Service/" + ns + "/" + name + "-api");
  applied_.erase("PersistentVolumeClaim/" + ns + "/" + name + "-recovery");
}

// A Job's pod template cannot change, so a Job of an older configuration is deleted, with its
// pods first (foreground), and made anew once it is gone. True while that is under way.
bool KubeRuntime::replaceStaleJob(const core::Dataflow& dataflow, const std::string& runId) {
  const auto& ns = dataflow.metadata.namespace_;
  const auto& name = dataflow.metadata.name;
  auto job = informers_->ownOf("Job", ns, name, name);
  if (!job) {
    return false;
  }
  if (beingDeleted(*job)) {
    return true;
  }
  if (jobRunId(*job) == runId) {
    return false;
  }
  log()->info("replacing the Job of an older configuration dataflow={}/{}", ns, name);
  try {
    client_.remove(resources::kJobs, ns, name,
                   {kube::Propagation::Foreground, job->at("metadata").value("uid", "")});
  } catch (const Error& error) {
    if (error.code() != ErrorCode::NotFound && error.code() != ErrorCode::Conflict) {
      throw;
    }
  }
  return true;
}

void KubeRuntime::removeOtherWorkloads(const std::string& ns, const std::string& name,
                                       const std::string& keep) {
  for (const std::string kind : {"StatefulSet", "Job", "CronJob"}) {
    if (kind != keep && informers_->ownOf(kind, ns, name, name)) {
      log()->info("removing the {} of dataflow={}/{}, which now runs as a {}", kind, ns, name,
                  keep);
      deleteQuietly(resourceForKind(kind), ns, name);
    }
  }
}

// Deletes only what carries this dataflow's labels: an object of the same name that someone
// else made is not the dataflow's to remove.
void KubeRuntime::cleanup(const std::string& ns, const std::string& name) {
  forgetApplied(ns, name);
  for (const std::string kind : {"StatefulSet", "Job", "CronJob"}) {
    deleteIfOurs(kind, ns, name, name);
  }
  deleteIfOurs("Service", ns, name, name);
  deleteIfOurs("Service", ns, name + "-api", name);
  if (options_.render.podMonitor) {
    deleteQuietly(resources::kPodMonitors, ns, name);
  }
  kube::ListOptions claims;
  claims.labelSelector = std::string(kDataflowLabel) + "=" + name;
  for (const auto& claim : client_.list(resources::kPersistentVolumeClaims, ns, claims).items) {
    deleteQuietly(resources::kPersistentVolumeClaims, ns, claim.at("metadata").value("name", ""));
  }
}

std::vector<operator_::JobRun> KubeRuntime::jobs(const std::string& ns, const std::string& name) {
  kube::ListOptions selected;
  // A CronJob's Jobs carry the labels of its job template, so one selector finds both kinds.
  selected.labelSelector = std::string(kDataflowLabel) + "=" + name;
  std::vector<operator_::JobRun> runs;
  for (const auto& job : client_.list(resources::kJobs, ns, selected).items) {
    const json status = job.value("status", json::object());
    runs.push_back({job.at("metadata").value("name", ""), status.value("startTime", ""),
                    status.value("completionTime", ""), status.value("ready", int64_t{0}),
                    status.value("succeeded", int64_t{0}), status.value("failed", int64_t{0}),
                    status.value("terminating", int64_t{0})});
  }
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
    return a.startTime != b.startTime ? a.startTime > b.startTime : a.name > b.name;
  });
  return runs;
}

void KubeRuntime::deleteIfOurs(const std::string& kind, const std::string& ns,
                               const std::string& object, const std::string& dataflow) {
  if (informers_->ownOf(kind, ns, object, dataflow)) {
    deleteQuietly(resourceForKind(kind), ns, object);
  }
}

void KubeRuntime::deleteQuietly(const kube::Resource& resource, const std::string& ns,
                                const std::string& name) {
  try {
    client_.remove(resource, ns, name, {kube::Propagation::Background});
  } catch (const Error& error) {
    if (error.code() != ErrorCode::NotFound) {
      throw;
    }
  }
}

std::vector<json> KubeRuntime::podsOf(const std::string& ns, const std::string& name) const {
  if (!started_) {
    kube::ListOptions selected;
    selected.labelSelector = std::string(kDataflowLabel) + "=" + name;
    return client_.list(resources::kPods, ns, selected).items;
  }
  std::vector<json> pods;
  for (const auto& pod : informers_->pods.list(ns)) {
    const auto labels = pod->at("metadata").value("labels", json::object());
    if (labels.value(kDataflowLabel, "") == name) {
      pods.push_back(*pod);
    }
  }
  return pods;
}

std::vector<operator_::ProcessInfo> KubeRuntime::processes(const std::string& ns,
                                                           const std::string& name) {
  std::vector<operator_::ProcessInfo> result;
  for (const auto& pod : podsOf(ns, name)) {
    operator_::ProcessInfo info;
    info.name = pod.at("metadata").value("name", "");
    info.index = processIndex(pod);
    const auto status = pod.value("status", json::object());
    info.running = status.value("phase", "") == "Running";
    for (const auto& condition : status.value("conditions", json::array())) {
      if (condition.value("type", "") == "Ready") {
        info.ready = condition.value("status", "") == "True";
      }
    }
    for (const auto& container : status.value("containerStatuses", json::array())) {
      if (container.value("name", "") != render::kContainerName) {
        continue;
      }
      for (const char* state : {"lastState", "state"}) {
        const auto terminated = container.value(state, json::object()).value("terminated", json());
        if (terminated.is_object() && terminated.contains("exitCode")) {
          info.lastExitCode = terminated["exitCode"].get<int>();
        }
      }
    }
    result.push_back(info);
  }
  std::sort(result.begin(), result.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  return result;
}

// The pod of a process whose log can be read: a pod that no node runs yet has none, and the
// API server would answer with an empty log, which would look like a silent process.
std::string KubeRuntime::podFor(const std::string& ns, const std::string& name,
                                int64_t process) const {
  const json* found = nullptr;
  const auto pods = podsOf(ns, name);
  for (const auto& pod : pods) {
    if (processIndex(pod) == process && (found == nullptr || !beingDeleted(pod))) {
      found = &pod;
    }
  }
  if (found == nullptr) {
    throw Error(ErrorCode::NotFound,
                fmt::format("process {} of dataflow {}/{} has no pod now; `waxctl dataflow get "
                            "{}` shows its processes",
                            process, ns, name, name));
  }
  const auto spec = found->value("spec", json::object());
  if (spec.value("nodeName", "").empty()) {
    throw Error(ErrorCode::Unavailable,
                fmt::format("process {} of dataflow {}/{} has not started: its pod is not "
                            "scheduled to a node yet, so it has no log; `kubectl describe pod "
                            "{} -n {}` says why",
                            process, ns, name, found->at("metadata").value("name", ""), ns));
  }
  return found->at("metadata").value("name", "");
}

void KubeRuntime::readLogs(const std::string& ns, const std::string& name,
                           const operator_::LogOptions& options, bool follow,
                           const operator_::LogSink& sink,
                           const std::function<bool()>& stillWanted) {
  const std::string pod = podFor(ns, name, options.process);
  kube::LogOptions logOptions;
  logOptions.container = render::kContainerName;
  logOptions.tailLines = options.tailLines;
  logOptions.limitBytes = options.limitBytes;
  logOptions.previous = options.previous;
  logOptions.sinceSeconds = options.sinceSeconds;
  logOptions.sinceTime = options.sinceTime;
  if (!follow) {
    sink(client_.logs(ns, pod, logOptions));
    return;
  }
  // The client checks its stop token; the reader's interest is polled into it.
  std::stop_source stop;
  std::jthread watcher([&stop, &stillWanted](std::stop_token own) {
    while (!own.stop_requested() && !stop.stop_requested()) {
      if (!stillWanted()) {
        stop.request_stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  client_.followLogs(ns, pod, logOptions, sink, stop.get_token());
  stop.request_stop();
}

// Recovery state lives on the dataflow's claims. A claim in use is removed by Kubernetes only
// once its pods are gone, so a forced reset deletes the pods too; the workload makes new ones,
// with new, empty claims.
void KubeRuntime::resetState(const std::string& ns, const std::string& name, bool force) {
  const auto pods = podsOf(ns, name);
  const bool running =
      std::any_of(pods.begin(), pods.end(), [](const json& pod) { return !beingDeleted(pod); });
  if (running && !force) {
    throw Error(
        ErrorCode::Conflict,
        fmt::format("dataflow {}/{} is running; suspend it first, or force the reset", ns, name));
  }
  kube::ListOptions claims;
  claims.labelSelector = std::string(kDataflowLabel) + "=" + name;
  for (const auto& claim : client_.list(resources::kPersistentVolumeClaims, ns, claims).items) {
    deleteQuietly(resources::kPersistentVolumeClaims, ns, claim.at("metadata").value("name", ""));
  }
  for (const auto& pod : pods) {
    deleteQuietly(resources::kPods, ns, pod.at("metadata").value("name", ""));
  }
}

}  // namespace wax::cluster
