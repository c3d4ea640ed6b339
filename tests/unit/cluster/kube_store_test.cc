#include "cluster/kube_store.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace wax::cluster {
namespace {

using nlohmann::json;

TEST(KubeStoreTest, DataflowMetadataKeepsOnlyWhatTheCodecReads) {
  const json object = {{"apiVersion", "bytewax.io/v1alpha1"},
                       {"kind", "Dataflow"},
                       {"metadata",
                        {{"name", "flow"},
                         {"namespace", "team"},
                         {"uid", "u-1"},
                         {"resourceVersion", "42"},
                         {"generation", 3},
                         {"finalizers", {"bytewax.io/wax-cleanup"}},
                         {"managedFields", json::array({{{"manager", "kubectl"}}})},
                         {"ownerReferences", json::array()},
                         {"generateName", "flow-"}}},
                       {"spec", {{"processesCount", 2}}}};
  const json stored = toStoreObject("dataflows", object);
  EXPECT_EQ(stored["metadata"], json({{"name", "flow"},
                                      {"namespace", "team"},
                                      {"uid", "u-1"},
                                      {"resourceVersion", "42"},
                                      {"generation", 3},
                                      {"finalizers", {"bytewax.io/wax-cleanup"}}}));
  EXPECT_EQ(stored["spec"], object["spec"]);
}

TEST(KubeStoreTest, CodeObjectsLoseOnlyManagedFields) {
  const json object = {{"metadata",
                        {{"name", "code"},
                         {"ownerReferences", json::array({{{"kind", "Dataflow"}}})},
                         {"managedFields", json::array()}}},
                       {"data", {{"flow.py", "print(1)"}}}};
  const json stored = toStoreObject("configmaps", object);
  EXPECT_FALSE(stored["metadata"].contains("managedFields"));
  EXPECT_TRUE(stored["metadata"].contains("ownerReferences"));
  EXPECT_EQ(stored["data"], object["data"]);
}

TEST(KubeStoreTest, KindsMapOntoTheirResources) {
  EXPECT_EQ(resourceOf("dataflows").apiVersion(), "bytewax.io/v1alpha1");
  EXPECT_EQ(resourceOf("configmaps").kind, "ConfigMap");
  EXPECT_EQ(resourceOf("secrets").kind, "Secret");
  EXPECT_THROW(resourceOf("pods"), Error);
}

}  // namespace
}  // namespace wax::cluster
