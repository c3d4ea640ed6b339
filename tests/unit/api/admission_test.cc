#include "api/admission.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace wax::api {
namespace {

using nlohmann::json;

json codeObject(const json& metadata) {
  json object = {{"metadata", metadata}, {"data", {{"flow.py", "print(1)"}}}};
  object["metadata"]["name"] = "code";
  return object;
}

ErrorCode refusal(const json& object) {
  try {
    admitConfigMap(object, "default", "");
  } catch (const Error& error) {
    return error.code();
  }
  ADD_FAILURE() << "admitted: " << object.dump();
  return ErrorCode::Internal;
}

// Stored as given, such metadata came back from every read in a shape no client expects (an
// annotation that is a number), found by schemathesis against the OpenAPI document.
TEST(AdmitConfigMapTest, RefusesMetadataOfTheWrongType) {
  EXPECT_EQ(refusal(codeObject({{"annotations", {{"a", 5}}}})), ErrorCode::Invalid);
  EXPECT_EQ(refusal(codeObject({{"labels", "app=x"}})), ErrorCode::Invalid);
  EXPECT_EQ(refusal(codeObject({{"labels", {{"app", true}}}})), ErrorCode::Invalid);
  EXPECT_EQ(refusal(codeObject({{"finalizers", {1}}})), ErrorCode::Invalid);
  EXPECT_EQ(refusal(codeObject({{"finalizers", "x"}})), ErrorCode::Invalid);
}

TEST(AdmitConfigMapTest, KeepsMetadataItDoesNotCheck) {
  const json owners = json::array({{{"kind", "Dataflow"}, {"name", "flow"}, {"uid", "1"}}});
  const json admitted = admitConfigMap(
      codeObject({{"labels", {{"bytewax.io/dataflow", "flow"}}}, {"ownerReferences", owners}}),
      "default", "");
  EXPECT_EQ(admitted["metadata"]["ownerReferences"], owners);
  EXPECT_EQ(admitted["metadata"]["labels"]["bytewax.io/dataflow"], "flow");
  EXPECT_EQ(admitted["kind"], "ConfigMap");
}

}  // namespace
}  // namespace wax::api
