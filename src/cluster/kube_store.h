#pragma once

#include <string>
#include <vector>

#include "kube/client.h"
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

 private:
  kube::Client& client_;
  KubeStoreOptions options_;
};

}  // namespace wax::cluster
