// The Kubernetes client and the store over it, against a real kube-apiserver. Run by
// tests/cluster/test_kube_client.py, which starts the control plane and passes its kubeconfig
// and a fresh namespace in WAX_TEST_KUBECONFIG and WAX_TEST_NAMESPACE; skipped without them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <thread>

#include "cluster/kube_store.h"
#include "common/error.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/leader_election.h"

namespace wax {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace resources = kube::resources;

class RealApiServer : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* kubeconfig = std::getenv("WAX_TEST_KUBECONFIG");
    const char* ns = std::getenv("WAX_TEST_NAMESPACE");
    if (kubeconfig == nullptr || ns == nullptr) {
      GTEST_SKIP() << "needs WAX_TEST_KUBECONFIG and WAX_TEST_NAMESPACE (make cluster-tests)";
    }
    ns_ = ns;
    kube::ClientOptions options;
    options.rateLimit = {200, 400};
    client_ = std::make_unique<kube::Client>(kube::loadConfig({kubeconfig, "", ""}), options);
  }

  json configMap(const std::string& name, const json& data = {{"k", "v"}}) const {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", ns_}}},
            {"data", data}};
  }

  json dataflow(const std::string& name) const {
    return {{"apiVersion", "bytewax.io/v1alpha1"},
            {"kind", "Dataflow"},
            {"metadata", {{"name", name}, {"namespace", ns_}}},
            {"spec", {{"image", {{"tag", "0.21.1"}}}, {"pythonFileName", "flow.py"}}}};
  }

  std::string ns_;
  std::unique_ptr<kube::Client> client_;
};

TEST_F(RealApiServer, ServerSideApplyCreatesMergesAndIsANoOpWhenUnchanged) {
  const kube::ApplyOptions apply{"wax-test", true};
  const json first = client_->apply(resources::kConfigMaps, configMap("applied"), apply);
  const json again = client_->apply(resources::kConfigMaps, configMap("applied"), apply);
  EXPECT_EQ(first["metadata"]["resourceVersion"], again["metadata"]["resourceVersion"]);
  const json changed =
      client_->apply(resources::kConfigMaps, configMap("applied", {{"k", "w"}}), apply);
  EXPECT_NE(changed["metadata"]["resourceVersion"], first["metadata"]["resourceVersion"]);
  EXPECT_EQ(changed["data"]["k"], "w");
  // Another manager may not take a field without force.
  try {
    client_->apply(resources::kConfigMaps, configMap("applied", {{"k", "x"}}),
                   {"someone-else", false});
    FAIL() << "a conflicting apply was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::Conflict) << error.what();
  }
}

TEST_F(RealApiServer, ListFollowsContinueTokens) {
  for (int i = 0; i < 7; ++i) {
    client_->create(resources::kConfigMaps, configMap("page-" + std::to_string(i)));
  }
  kube::ListOptions options;
  options.limit = 2;
  const auto first = client_->listPage(resources::kConfigMaps, ns_, options);
  EXPECT_EQ(first.items.size(), 2u);
  EXPECT_FALSE(first.continueToken.empty());
  const auto all = client_->list(resources::kConfigMaps, ns_, options);
  std::set<std::string> names;
  for (const auto& item : all.items) {
    names.insert(item["metadata"]["name"]);
  }
  for (int i = 0; i < 7; ++i) {
    EXPECT_TRUE(names.count("page-" + std::to_string(i))) << i;
  }
}

TEST_F(RealApiServer, WatchResumesFromAResourceVersion) {
  const json created = client_->create(resources::kConfigMaps, configMap("watched"));
  json changed = created;
  changed["data"]["k"] = "2";
  client_->update(resources::kConfigMaps, changed);
  kube::WatchOptions options;
  options.resourceVersion = created["metadata"]["resourceVersion"];
  options.fieldSelector = "metadata.name=watched";
  auto watch = client_->watch(resources::kConfigMaps, ns_, options);
  std::optional<kube::WatchEvent> event;
  do {
    event = watch->next(10s);
    ASSERT_TRUE(event) << "no event after the resourceVersion";
  } while (event->type == kube::WatchEventType::Bookmark);
  EXPECT_EQ(event->type, kube::WatchEventType::Modified);
  EXPECT_EQ(event->object["data"]["k"], "2");
}

TEST_F(RealApiServer, InformerSeesChangesAndDeletes) {
  kube::InformerOptions options;
  options.resource = resources::kConfigMaps;
  options.namespaces = {ns_};
  options.labelSelector = "informed=yes";
  std::mutex mutex;
  std::vector<std::string> seen;
  auto note = [&](const std::string& what) {
    std::lock_guard lock(mutex);
    seen.push_back(what);
  };
  kube::Informer informer(
      *client_, options,
      {[&](const json& o) { note("add " + o["metadata"]["name"].get<std::string>()); },
       [&](const json&, const json& o) {
         note("update " + o["metadata"]["name"].get<std::string>());
       },
       [&](const json& o) { note("delete " + o["metadata"]["name"].get<std::string>()); }});
  informer.start();
  ASSERT_TRUE(informer.waitForSync(20s));
  json object = configMap("informed");
  object["metadata"]["labels"] = {{"informed", "yes"}};
  client_->create(resources::kConfigMaps, object);
  client_->remove(resources::kConfigMaps, ns_, "informed");
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(mutex);
      if (seen.size() >= 2) {
        break;
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  informer.stop();
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen, (std::vector<std::string>{"add informed", "delete informed"}));
}

// The store contract of store.h, as cluster mode's controller relies on it.
TEST_F(RealApiServer, KubeStoreKeepsTheStoreContract) {
  cluster::KubeStore store(*client_, {{ns_}});
  const json created = store.create("dataflows", dataflow("contract"));
  EXPECT_EQ(created["metadata"]["generation"], 1);
  EXPECT_FALSE(created["metadata"].contains("managedFields"));

  json withFinalizer = created;
  withFinalizer["metadata"]["finalizers"] = {"bytewax.io/wax-cleanup"};
  const json updated = store.update("dataflows", withFinalizer);
  EXPECT_EQ(updated["metadata"]["generation"], 1) << "metadata changes keep the generation";
  EXPECT_EQ(updated["metadata"]["finalizers"], json({"bytewax.io/wax-cleanup"}));

  try {
    store.update("dataflows", withFinalizer);  // the resourceVersion of `created` is stale
    FAIL() << "a stale update was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::Conflict) << error.what();
  }

  json respec = updated;
  respec["spec"]["processesCount"] = 3;
  const json rescaled = store.update("dataflows", respec);
  EXPECT_EQ(rescaled["metadata"]["generation"], 2);

  json withStatus = rescaled;
  withStatus["status"] = {{"phase", "Running"}, {"observedGeneration", 2}};
  withStatus["spec"]["processesCount"] = 9;
  const json statused = store.updateStatus("dataflows", withStatus);
  EXPECT_EQ(statused["status"]["phase"], "Running");
  EXPECT_EQ(statused["spec"]["processesCount"], 3) << "a status write leaves the spec";

  const json marked = store.remove("dataflows", ns_, "contract");
  EXPECT_TRUE(marked["metadata"].contains("deletionTimestamp")) << "the finalizer holds it";
  json released = store.get("dataflows", ns_, "contract");
  released["metadata"]["finalizers"] = json::array();
  store.update("dataflows", released);
  EXPECT_THROW(store.get("dataflows", ns_, "contract"), Error);
}

TEST_F(RealApiServer, KubeStoreWatchReplaysThenFollows) {
  cluster::KubeStore store(*client_, {{ns_}});
  store.create("dataflows", dataflow("existing"));
  auto watch = store.watch("dataflows", ns_, "");
  auto first = watch->next(20s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->type, store::EventType::Added);
  EXPECT_EQ(first->object["metadata"]["name"], "existing");
  EXPECT_FALSE(first->object["metadata"].contains("managedFields"));
  store.create("dataflows", dataflow("later"));
  auto second = watch->next(20s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->object["metadata"]["name"], "later");
  watch->stop();
  EXPECT_FALSE(watch->next(1s));
}

TEST_F(RealApiServer, OneOfTwoCandidatesLeads) {
  auto options = [&](const std::string& identity) {
    kube::LeaderElectionOptions result;
    result.ns = ns_;
    result.name = "election";
    result.identity = identity;
    result.leaseDuration = 3s;
    result.renewDeadline = 2000ms;
    result.retryPeriod = 300ms;
    return result;
  };
  kube::LeaderElector first(*client_, options("first"));
  kube::LeaderElector second(*client_, options("second"));
  EXPECT_TRUE(first.tryAcquireOrRenew());
  EXPECT_FALSE(second.tryAcquireOrRenew());
  EXPECT_EQ(second.observedLeader(), "first");
  EXPECT_TRUE(first.release());
  EXPECT_TRUE(second.tryAcquireOrRenew()) << "a released lease is free at once";
}

}  // namespace
}  // namespace wax
