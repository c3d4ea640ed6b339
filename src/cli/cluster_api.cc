#include "cli/cluster_api.h"

#include "api/api.h"
#include "cluster/kube_runtime.h"
#include "cluster/kube_store.h"
#include "common/version.h"
#include "http/router.h"
#include "kube/client.h"

namespace wax::cli {

namespace {

kube::ClientOptions clientOptions() {
  kube::ClientOptions options;
  options.userAgent = std::string("waxctl/") + kVersion;
  return options;
}

class ClusterApi : public InProcessApi {
 public:
  explicit ClusterApi(const kube::Config& config)
      : client_(config, clientOptions()),
        store_(client_),
        // Without start(), the runtime lists pods when asked instead of caching them: a
        // command reads once and exits. It never syncs anything: the operator does that.
        runtime_(client_, store_, {}, nullptr),
        context_{store_, runtime_} {
    api::registerResourceRoutes(dispatcher_, context_);
    api::registerHealthRoutes(dispatcher_);
  }

  http::Response handle(http::Request& request) override { return dispatcher_.dispatch(request); }

 private:
  kube::Client client_;
  cluster::KubeStore store_;
  cluster::KubeRuntime runtime_;
  api::ApiContext context_;
  http::Dispatcher dispatcher_;
};

}  // namespace

std::shared_ptr<InProcessApi> clusterApi(const kube::Config& config) {
  return std::make_shared<ClusterApi>(config);
}

}  // namespace wax::cli
