#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/informer.h"
#include "store/store.h"

// The store seam over the kube-apiserver: Dataflows are the bytewax.io/v1alpha1 custom
// resource, code objects are ConfigMaps and secrets are Secrets. The API server already has the
// semantics store.h promises (resourceVersion, 409 on stale writes, generation, the status
// subresource, finalizers, watch), so this is a translation, not a second implementation.
namespace wax::cluster {

struct KubeStoreOptions {
  // Namespaces that list("") and watch("") cover; empty means every namespace.
  std::vector<std::string> namespaces;
  std::string fieldManager = "wax-operator";
};

// The resource a store kind names ("dataflows", "configmaps", "secrets"); BadRequest otherwise.
const kube::Resource& resourceOf(const store::Kind& kind);

// An API object reduced to what the platform's codecs read: metadata keeps only the fields of
// core/schema.h (managedFields, ownerReferences and the like are the server's business).
nlohmann::json toStoreObject(const store::Kind& kind, nlohmann::json object);

// Once a watch of a kind has synced, its informer's cache answers get() and list() of that kind
// in the namespaces it covers (the controller reads far more than it writes); other reads ask
// the API server. Reads from the cache may trail writes by a moment, as in every controller
// built on informers: writes carry their resourceVersion, so acting on a stale read fails with
// 409, and a change not yet seen arrives as a watch event that reconciles again.
class KubeStore : public store::Store {
 public:
  KubeStore(kube::Client& client, KubeStoreOptions options = {});

  nlohmann::json create(const store::Kind& kind, const nlohmann::json& object) override;
  nlohmann::json get(const store::Kind& kind, const std::string& ns,
                     const std::string& name) override;
  store::ListResult list(const store::Kind& kind, const std::string& ns) override;
  nlohmann::json update(const store::Kind& kind, const nlohmann::json& object) override;
  nlohmann::json updateStatus(const store::Kind& kind, const nlohmann::json& object) override;
  nlohmann::json remove(const store::Kind& kind, const std::string& ns,
                        const std::string& name) override;
  store::WatchPtr watch(const store::Kind& kind, const std::string& ns,
                        const std::string& fromResourceVersion) override;
  std::vector<std::string> namespaces() override;

  // Used by the watches this store hands out.
  // A list or watch of a cache refused for want of permission for `patience` or longer.
  std::optional<Error> refusal(std::chrono::seconds patience) const;
  void registerCache(const store::Kind& kind, const kube::Informer* informer);
  void unregisterCache(const kube::Informer* informer);

 private:
  const kube::Informer* cacheFor(const store::Kind& kind, const std::string& ns) const;

  kube::Client& client_;
  KubeStoreOptions options_;
  mutable std::mutex cachesMutex_;
  std::multimap<store::Kind, const kube::Informer*> caches_;  // guarded by cachesMutex_
};

}  // namespace wax::cluster
