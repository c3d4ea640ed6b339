#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/informer.h"
#include "operator/runtime.h"
#include "render/render.h"
#include "store/store.h"

// The runtime seam in a cluster: a dataflow runs as the Kubernetes objects src/render makes of
// it, applied with server-side apply, and what runs is judged from the workload and its pods as
// informers cache them. Pod changes enqueue their dataflow, so status follows the cluster.
namespace wax::cluster {

struct KubeRuntimeOptions {
  std::vector<std::string> namespaces;  // empty: every namespace
  render::RenderOptions render;         // runId is filled in per dataflow
  std::string fieldManager = "wax-operator";
};

class KubeRuntime : public operator_::Runtime {
 public:
  using Notify = std::function<void(const std::string& key)>;

  // `store` holds the code objects whose versions are part of the run id.
  KubeRuntime(kube::Client& client, store::Store& store, KubeRuntimeOptions options, Notify notify);
  ~KubeRuntime() override;

  // Starts the informers of workloads and pods and waits until their caches are filled. A
  // runtime that is not started reads pods straight from the API server (for waxctl, which
  // reads once and exits); sync() needs the caches.
  bool start(std::chrono::milliseconds syncTimeout);
  void stop();
  // A list or watch of a cache refused for want of permission for `patience` or longer.
  std::optional<Error> refusal(std::chrono::seconds patience) const;

  std::string runId(const core::Dataflow& dataflow) override;
  operator_::RunState sync(const core::Dataflow& dataflow, bool run) override;
  void cleanup(const std::string& ns, const std::string& name) override;
  std::vector<operator_::ProcessInfo> processes(const std::string& ns,
                                                const std::string& name) override;
  void readLogs(const std::string& ns, const std::string& name,
                const operator_::LogOptions& options, bool follow, const operator_::LogSink& sink,
                const std::function<bool()>& stillWanted) override;
  void resetState(const std::string& ns, const std::string& name, bool force) override;
  std::vector<operator_::JobRun> jobs(const std::string& ns, const std::string& name) override;

 private:
  struct Informers;
  void childChanged(const std::string& kind, const nlohmann::json& object, bool deleted);
  void requireCode(const core::Dataflow& dataflow);
  void refuseForeign(const std::string& kind, const core::Dataflow& dataflow,
                     const std::string& name);
  nlohmann::json applyChildren(const core::Dataflow& dataflow, const std::string& runId);
  nlohmann::json unchangedChild(const std::string& kind, const std::string& ns,
                                const std::string& name, const std::string& hash);
  void rememberApplied(const std::string& kind, const std::string& ns, const std::string& name,
                       const std::string& hash, const nlohmann::json& answer);
  void forgetApplied(const std::string& ns, const std::string& name);
  bool replaceStaleJob(const core::Dataflow& dataflow, const std::string& runId);
  void removeOtherWorkloads(const std::string& ns, const std::string& name,
                            const std::string& keep);
  std::vector<nlohmann::json> podsOf(const std::string& ns, const std::string& name) const;
  std::string podFor(const std::string& ns, const std::string& name, int64_t process) const;
  void deleteIfOurs(const std::string& kind, const std::string& ns, const std::string& object,
                    const std::string& dataflow);
  void deleteQuietly(const kube::Resource& resource, const std::string& ns,
                     const std::string& name);

  kube::Client& client_;
  store::Store& store_;
  KubeRuntimeOptions options_;
  Notify notify_;
  std::unique_ptr<Informers> informers_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
  // What this process applied: the rendered hash, and the generation (workloads) or
  // resourceVersion the API server answered with.
  struct Applied {
    std::string hash;
    std::string version;
    std::string resourceVersion;  // of the answer, whose watch event is no news
  };
  std::mutex appliedMutex_;
  std::map<std::string, Applied> applied_;  // "kind/ns/name"; guarded by appliedMutex_
};

}  // namespace wax::cluster
