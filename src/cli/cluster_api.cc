#include "cli/cluster_api.h"

#include "api/api.h"
#include "cli/context.h"
#include "cluster/kube_runtime.h"
#include "cluster/kube_store.h"
#include "common/version.h"
#include "http/router.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"

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

class KubeconfigSupport : public ClusterSupport {
 public:
  explicit KubeconfigSupport(const GlobalFlags& flags)
      : config_(kube::loadConfig({flags.kubeconfig, flags.kubeContext, ""})) {}
  std::string defaultNamespace() override { return config_.ns; }
  std::string server() override { return config_.server; }
  std::shared_ptr<InProcessApi> api() override { return std::make_shared<ClusterApi>(config_); }

  std::optional<std::vector<Row>> dataflowRows(const std::string& ns, bool allNamespaces) override {
    kube::Client client(config_, clientOptions());
    const auto table = client.listTable(kube::resources::kDataflows, allNamespaces ? "" : ns);
    return dataflowRowsOfTable(table.columns, table.rows, allNamespaces);
  }

 private:
  kube::Config config_;
};

}  // namespace

std::unique_ptr<ClusterSupport> makeClusterSupport(const GlobalFlags& flags) {
  return std::make_unique<KubeconfigSupport>(flags);
}

}  // namespace wax::cli
