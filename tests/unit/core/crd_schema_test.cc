// The CRD in deploy/crd and the model in src/core describe the same resource. These tests keep
// them from drifting apart: a field added to one and not the other fails here.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "core/schema.h"

namespace wax::core {
namespace {

using ::testing::UnorderedElementsAreArray;

YAML::Node crdSchema() {
  const YAML::Node crd = YAML::LoadFile(WAX_CRD_FILE);
  return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
}

// The schema node at a dotted path of the resource ("spec.recovery", "spec.env[]").
YAML::Node schemaAt(const std::string& path) {
  YAML::Node node = crdSchema();
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('.', start);
    std::string part = path.substr(start, end == std::string::npos ? end : end - start);
    const bool array = part.ends_with("[]");
    if (array) {
      part.resize(part.size() - 2);
    }
    node = node["properties"][part];
    if (array) {
      node = node["items"];
    }
    start = end == std::string::npos ? path.size() : end + 1;
  }
  return node;
}

std::vector<std::string> propertiesAt(const std::string& path) {
  std::vector<std::string> names;
  for (const auto& property : schemaAt(path)["properties"]) {
    names.push_back(property.first.as<std::string>());
  }
  return names;
}

std::vector<std::string> modelFields(schema::FieldList fields) {
  return {fields.begin(), fields.end()};
}

TEST(CrdSchemaTest, SpecFieldsMatchTheModel) {
  EXPECT_THAT(propertiesAt("spec"), UnorderedElementsAreArray(modelFields(schema::kSpecFields)));
  EXPECT_THAT(propertiesAt("spec.image"),
              UnorderedElementsAreArray(modelFields(schema::kImageFields)));
  EXPECT_THAT(propertiesAt("spec.env[]"),
              UnorderedElementsAreArray(modelFields(schema::kEnvVarFields)));
  EXPECT_THAT(propertiesAt("spec.artifactsDownload"),
              UnorderedElementsAreArray(modelFields(schema::kArtifactsDownloadFields)));
  EXPECT_THAT(propertiesAt("spec.recovery"),
              UnorderedElementsAreArray(modelFields(schema::kRecoveryFields)));
  EXPECT_THAT(propertiesAt("spec.recovery.persistence"),
              UnorderedElementsAreArray(modelFields(schema::kPersistenceFields)));
  EXPECT_THAT(propertiesAt("spec.recovery.cloudBackup"),
              UnorderedElementsAreArray(modelFields(schema::kCloudBackupFields)));
  EXPECT_THAT(propertiesAt("spec.recovery.cloudBackup.s3"),
              UnorderedElementsAreArray(modelFields(schema::kS3Fields)));
}

TEST(CrdSchemaTest, StatusFieldsMatchTheModel) {
  EXPECT_THAT(propertiesAt("status"),
              UnorderedElementsAreArray(modelFields(schema::kStatusFields)));
  EXPECT_THAT(propertiesAt("status.conditions[]"),
              UnorderedElementsAreArray(modelFields(schema::kConditionFields)));
}

// The defaults the API server fills in must be the ones applyDefaults() fills in locally.
TEST(CrdSchemaTest, DefaultsMatchTheModel) {
  EXPECT_EQ(schemaAt("spec.image.pullPolicy")["default"].as<std::string>(), "Always");
  EXPECT_EQ(schemaAt("spec.image.pullSecret")["default"].as<std::string>(), "default-credentials");
  EXPECT_EQ(schemaAt("spec.processesCount")["default"].as<int>(), 1);
  EXPECT_EQ(schemaAt("spec.workersPerProcess")["default"].as<int>(), 1);
  EXPECT_EQ(schemaAt("spec.concurrencyPolicy")["default"].as<std::string>(), "Forbid");
  EXPECT_EQ(schemaAt("spec.recovery.partsCount")["default"].as<int>(), 1);
  EXPECT_EQ(schemaAt("spec.recovery.snapshotInterval")["default"].as<int>(), 1);
  EXPECT_EQ(schemaAt("spec.recovery.backupInterval")["default"].as<int>(), 1);
  EXPECT_EQ(schemaAt("spec.recovery.persistence.size")["default"].as<std::string>(), "10Gi");
}

}  // namespace
}  // namespace wax::core
