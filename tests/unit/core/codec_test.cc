#include "core/codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/schema.h"
#include "test_util.h"

namespace wax::core {
namespace {

using nlohmann::json;
using testing::findError;
using ::testing::HasSubstr;
using testing::listErrors;
using testing::readTestData;
using ::testing::StartsWith;

Dataflow decodeClean(const json& document) {
  std::vector<FieldError> errors;
  Dataflow dataflow = dataflowFromJson(document, errors);
  EXPECT_TRUE(errors.empty()) << listErrors(errors);
  return dataflow;
}

std::vector<FieldError> decodeErrors(const json& document) {
  std::vector<FieldError> errors;
  dataflowFromJson(document, errors);
  return errors;
}

json minimalManifest() {
  return json::parse(R"({
    "apiVersion": "bytewax.io/v1alpha1",
    "kind": "Dataflow",
    "metadata": {"name": "my-flow", "namespace": "default"},
    "spec": {"image": {"tag": "0.21.1"}, "pythonFileName": "dataflow.py"}
  })");
}

// Every field of the model set, including pairs that validation forbids together, so that an
// encoder or decoder that forgets a field fails the round trip.
Dataflow everyFieldSet() {
  Dataflow dataflow;
  ObjectMeta& meta = dataflow.metadata;
  meta.name = "flow";
  meta.namespace_ = "ns";
  meta.uid = "uid-1";
  meta.resourceVersion = "7";
  meta.generation = 2;
  meta.creationTimestamp = "2025-01-01T00:00:00Z";
  meta.deletionTimestamp = "2025-01-02T00:00:00Z";
  meta.labels = {{"a", "1"}};
  meta.annotations = {{"b", "2"}};
  meta.finalizers = {"bytewax.io/cleanup"};

  DataflowSpec& spec = dataflow.spec;
  spec.image = ImageSpec{"repo", "tag", "Never", "pull"};
  spec.pythonFileName = "x.py";
  spec.processesCount = 4;
  spec.workersPerProcess = 5;
  spec.env = std::vector<EnvVar>{{"A", "1"}, {"B", ""}};
  spec.dependencies = std::vector<std::string>{"numpy"};
  spec.configMapName = "cm";
  spec.tarName = "code.tar";
  spec.artifactsDownload = ArtifactsDownload{"https://example.com/a.tar", "tok", "sec"};
  spec.jobMode = true;
  spec.keepAlive = true;
  spec.schedule = "@daily";
  spec.concurrencyPolicy = "Allow";
  spec.suspend = true;
  spec.recovery = Recovery{true,
                           3,
                           10,
                           20,
                           true,
                           Persistence{"1Gi", "fast"},
                           CloudBackup{true, S3Backup{"s3://b/p", "AKIA", "SECRET", "s3"}}};
  spec.chartValues = "a: 1\n";

  DataflowStatus status;
  status.observedGeneration = 2;
  status.phase = "Running";
  status.conditions = {{"Ready", "True", "Ok", "fine", "2025-01-01T00:00:00Z", 2}};
  status.processesDesired = 4;
  status.processesReady = 3;
  status.restarts = 9;
  status.lastError = "boom";
  status.lastSnapshot = "2025-01-01T00:01:00Z";
  status.completedRun = "run-1";
  dataflow.status = status;
  return dataflow;
}

TEST(CodecTest, FullYamlManifestSurvivesDecodeAndEncodeByteForByte) {
  std::string yaml = readTestData("full-manifest.yaml");
  Dataflow dataflow = decodeClean(parseManifest(yaml));
  EXPECT_EQ(jsonToYaml(toJson(dataflow)), yaml);
}

TEST(CodecTest, FullJsonManifestSurvivesDecodeAndEncodeByteForByte) {
  std::string text = readTestData("full-manifest.json");
  Dataflow dataflow = decodeClean(parseManifest(text));
  EXPECT_EQ(toOrderedJson(toJson(dataflow)).dump(2) + "\n", text);
}

TEST(CodecTest, YamlAndJsonFormsOfAManifestDecodeAlike) {
  json fromYaml = parseManifest(readTestData("full-manifest.yaml"));
  json fromJson = parseManifest(readTestData("full-manifest.json"));
  EXPECT_EQ(fromYaml, fromJson);
  EXPECT_EQ(decodeClean(fromYaml), decodeClean(fromJson));
}

TEST(CodecTest, FullManifestDecodesIntoTheModel) {
  Dataflow dataflow = decodeClean(parseManifest(readTestData("full-manifest.yaml")));
  EXPECT_EQ(dataflow.apiVersion, "bytewax.io/v1alpha1");
  EXPECT_EQ(dataflow.metadata.namespace_, "analytics");
  EXPECT_EQ(dataflow.metadata.generation, 3);
  EXPECT_EQ(dataflow.metadata.labels.at("team"), "data");
  EXPECT_EQ(dataflow.spec.image->tag, "0.21.1-python3.11");
  EXPECT_EQ(dataflow.spec.processesCount, 3);
  ASSERT_EQ(dataflow.spec.env->size(), 5u);
  EXPECT_EQ((*dataflow.spec.env)[2].value, "5");  // quoted in YAML, so a string
  EXPECT_EQ((*dataflow.spec.env)[4].value, "");
  EXPECT_EQ(dataflow.spec.jobMode, false);
  EXPECT_EQ(dataflow.spec.recovery->cloudBackup->s3->url, "s3://bytewax-backups/orders");
  EXPECT_EQ(dataflow.spec.chartValues,
            "podAnnotations:\n  prometheus.io/scrape: \"true\"\nresources:\n  limits:\n"
            "    memory: 2Gi\n");
  ASSERT_EQ(dataflow.status->conditions.size(), 2u);
  EXPECT_EQ(dataflow.status->conditions[0].observedGeneration, 3);
  EXPECT_EQ(dataflow.status->conditions[1].observedGeneration, 0);
  EXPECT_EQ(dataflow.status->completedRun, "run-7");
}

TEST(CodecTest, EveryFieldSurvivesEncodeThenDecode) {
  Dataflow original = everyFieldSet();
  EXPECT_EQ(decodeClean(toJson(original)), original);
  EXPECT_EQ(decodeClean(parseManifest(jsonToYaml(toJson(original)))), original);
}

TEST(CodecTest, EncoderWritesEveryFieldTheSchemaKnows) {
  json encoded = toJson(everyFieldSet());
  auto expectAll = [](const json& object, schema::FieldList fields, const std::string& where) {
    for (std::string_view field : fields) {
      EXPECT_TRUE(object.contains(field)) << where << " lacks " << field;
    }
    EXPECT_EQ(object.size(), fields.size()) << where;
  };
  expectAll(encoded, schema::kTopFields, "document");
  expectAll(encoded["metadata"], schema::kMetadataFields, "metadata");
  expectAll(encoded["spec"], schema::kSpecFields, "spec");
  expectAll(encoded["spec"]["image"], schema::kImageFields, "image");
  expectAll(encoded["spec"]["env"][0], schema::kEnvVarFields, "env");
  expectAll(encoded["spec"]["artifactsDownload"], schema::kArtifactsDownloadFields, "download");
  expectAll(encoded["spec"]["recovery"], schema::kRecoveryFields, "recovery");
  expectAll(encoded["spec"]["recovery"]["persistence"], schema::kPersistenceFields, "persistence");
  expectAll(encoded["spec"]["recovery"]["cloudBackup"], schema::kCloudBackupFields, "backup");
  expectAll(encoded["spec"]["recovery"]["cloudBackup"]["s3"], schema::kS3Fields, "s3");
  expectAll(encoded["status"], schema::kStatusFields, "status");
  expectAll(encoded["status"]["conditions"][0], schema::kConditionFields, "condition");
}

TEST(CodecTest, EncoderOmitsUnsetFieldsAndEmptyMetadataCollections) {
  EXPECT_EQ(toJson(decodeClean(minimalManifest())), minimalManifest());

  Dataflow dataflow = testing::minimalDataflow();
  dataflow.spec.env = std::vector<EnvVar>{};  // set but empty: kept, unlike metadata lists
  json encoded = toJson(dataflow);
  EXPECT_FALSE(encoded["metadata"].contains("labels"));
  EXPECT_FALSE(encoded["metadata"].contains("finalizers"));
  EXPECT_FALSE(encoded["spec"].contains("recovery"));
  EXPECT_FALSE(encoded.contains("status"));
  EXPECT_EQ(encoded["spec"]["env"], json::array());
}

TEST(CodecTest, EmptyRecoveryObjectIsKeptApartFromAbsentRecovery) {
  json manifest = minimalManifest();
  manifest["spec"]["recovery"] = json::object();
  Dataflow dataflow = decodeClean(manifest);
  ASSERT_TRUE(dataflow.spec.recovery.has_value());
  EXPECT_EQ(toJson(dataflow), manifest);
}

TEST(CodecTest, NullFieldsCountAsAbsent) {
  json manifest = minimalManifest();
  manifest["spec"]["recovery"] = nullptr;
  manifest["spec"]["processesCount"] = nullptr;
  Dataflow dataflow = decodeClean(manifest);
  EXPECT_FALSE(dataflow.spec.recovery.has_value());
  EXPECT_FALSE(dataflow.spec.processesCount.has_value());
}

TEST(CodecTest, MissingApiVersionAndKindAreNotFilledFromTheModelDefaults) {
  json manifest = minimalManifest();
  manifest.erase("apiVersion");
  manifest.erase("kind");
  Dataflow dataflow = decodeClean(manifest);
  EXPECT_EQ(dataflow.apiVersion, "");
  EXPECT_EQ(dataflow.kind, "");
}

TEST(CodecTest, UnknownFieldsAreReportedWithTheirFullPathAtEveryDepth) {
  json manifest = parseManifest(R"(
apiVersion: bytewax.io/v1alpha1
kind: Dataflow
extra: 1
metadata:
  name: f
  managedFields: []
  ownerReferences: []
spec:
  image: {tag: "1", digest: x}
  pythonFileName: x.py
  replicas: 2
  env:
    - {name: A, value: b}
    - {name: B, value: c, valueFrom: {}}
  artifactsDownload: {url: "https://x/a.tar", branch: main}
  recovery:
    foo: 1
    persistence: {size: 1Gi, accessMode: RWO}
    cloudBackup:
      enabled: true
      provider: aws
      s3: {url: "s3://b", region: us-east-1}
status:
  ready: true
  conditions:
    - {type: Ready, status: "True", reason: r, message: m, lastTransitionTime: t, severity: x}
)");
  std::vector<FieldError> errors = decodeErrors(manifest);
  for (const char* path :
       {"extra", "metadata.managedFields", "metadata.ownerReferences", "spec.image.digest",
        "spec.replicas", "spec.env[1].valueFrom", "spec.artifactsDownload.branch",
        "spec.recovery.foo", "spec.recovery.persistence.accessMode",
        "spec.recovery.cloudBackup.provider", "spec.recovery.cloudBackup.s3.region", "status.ready",
        "status.conditions[0].severity"}) {
    const FieldError* error = findError(errors, path);
    ASSERT_NE(error, nullptr) << path << " not reported among" << listErrors(errors);
    EXPECT_THAT(error->message, StartsWith("unknown field; known fields are: "));
  }
  EXPECT_EQ(errors.size(), 13u) << listErrors(errors);
  EXPECT_EQ(findError(errors, "spec.recovery.foo")->message,
            "unknown field; known fields are: enabled, partsCount, snapshotInterval, "
            "backupInterval, singleVolume, persistence, cloudBackup");
}

TEST(CodecTest, DecoderKeepsWhatItCouldReadDespiteUnknownFields) {
  json manifest = minimalManifest();
  manifest["spec"]["bogus"] = true;
  manifest["spec"]["processesCount"] = 4;
  std::vector<FieldError> errors;
  Dataflow dataflow = dataflowFromJson(manifest, errors);
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_EQ(dataflow.spec.processesCount, 4);
  EXPECT_EQ(dataflow.metadata.name, "my-flow");
}

struct WrongTypeCase {
  const char* yaml;  // a spec fragment
  const char* field;
  const char* message;
};

class WrongTypeTest : public ::testing::TestWithParam<WrongTypeCase> {};

TEST_P(WrongTypeTest, NamesTheFieldAndTheExpectedType) {
  json manifest = minimalManifest();
  json fragment = yamlToJson(GetParam().yaml);
  manifest["spec"].update(fragment, /*merge_objects=*/true);
  std::vector<FieldError> errors = decodeErrors(manifest);
  ASSERT_EQ(errors.size(), 1u) << listErrors(errors);
  EXPECT_EQ(errors[0].field, GetParam().field);
  EXPECT_EQ(errors[0].message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Fields, WrongTypeTest,
    ::testing::Values(
        WrongTypeCase{"processesCount: \"3\"", "spec.processesCount",
                      "must be an integer, got string"},
        WrongTypeCase{"processesCount: 2.0", "spec.processesCount",
                      "must be an integer, got float; write a whole number without '.' or 'e'"},
        WrongTypeCase{"workersPerProcess: true", "spec.workersPerProcess",
                      "must be an integer, got boolean"},
        WrongTypeCase{"jobMode: yes", "spec.jobMode",
                      "must be a boolean (true or false), got string"},
        WrongTypeCase{"image: {tag: 0.21}", "spec.image.tag",
                      "must be a string, got float; quote the value in YAML"},
        WrongTypeCase{"image: latest", "spec.image", "must be an object, got string"},
        WrongTypeCase{"env: {A: b}", "spec.env", "must be an array, got object"},
        WrongTypeCase{"env: [A=b]", "spec.env[0]", "must be an object, got string"},
        WrongTypeCase{"env: [{name: A, value: 1}]", "spec.env[0].value",
                      "must be a string, got integer; quote the value in YAML"},
        WrongTypeCase{"env: [{name: A}]", "spec.env[0].value",
                      "required; use \"\" for an empty value"},
        WrongTypeCase{"dependencies: [numpy, [x]]", "spec.dependencies[1]",
                      "must be a string, got array"},
        WrongTypeCase{"recovery: {partsCount: many}", "spec.recovery.partsCount",
                      "must be an integer, got string"},
        WrongTypeCase{"recovery: {cloudBackup: {s3: []}}", "spec.recovery.cloudBackup.s3",
                      "must be an object, got array"},
        WrongTypeCase{"chartValues: {a: 1}", "spec.chartValues", "must be a string, got object"}));

TEST(CodecTest, JsonIntegersBeyondSigned64BitsAreRejected) {
  json manifest = minimalManifest();
  manifest["spec"]["processesCount"] = json::parse("18446744073709551615");
  std::vector<FieldError> errors = decodeErrors(manifest);
  ASSERT_EQ(errors.size(), 1u) << listErrors(errors);
  EXPECT_EQ(errors[0].field, "spec.processesCount");
  EXPECT_EQ(errors[0].message, "integer out of range: must fit in 64 bits");
}

TEST(CodecTest, MetadataTypesAreChecked) {
  json manifest = minimalManifest();
  manifest["metadata"]["labels"] = {{"app.kubernetes.io/version", 2}};
  manifest["metadata"]["generation"] = "1";
  manifest["metadata"]["finalizers"] = "x";
  std::vector<FieldError> errors = decodeErrors(manifest);
  ASSERT_EQ(errors.size(), 3u) << listErrors(errors);
  EXPECT_NE(findError(errors, "metadata.labels[app.kubernetes.io/version]"), nullptr);
  EXPECT_NE(findError(errors, "metadata.generation"), nullptr);
  EXPECT_NE(findError(errors, "metadata.finalizers"), nullptr);
}

TEST(CodecTest, ADocumentThatIsNotAnObjectIsReportedAtTheRoot) {
  std::vector<FieldError> errors = decodeErrors(json::array());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "(root)");
  EXPECT_EQ(errors[0].message, "must be an object, got array");

  errors = decodeErrors(json{{"spec", 5}});
  ASSERT_NE(findError(errors, "spec"), nullptr);
}

TEST(CodecTest, StatusDecodesOnItsOwnWithStatusPaths) {
  std::vector<FieldError> errors;
  DataflowStatus status = statusFromJson(
      json::parse(R"({"phase": "Failed", "restarts": "2", "conditions": [{"type": "Ready"}]})"),
      errors);
  EXPECT_EQ(status.phase, "Failed");
  ASSERT_EQ(status.conditions.size(), 1u);
  EXPECT_EQ(status.conditions[0].type, "Ready");
  ASSERT_EQ(errors.size(), 1u) << listErrors(errors);
  EXPECT_EQ(errors[0].field, "status.restarts");
}

TEST(CodecTest, ConditionsWriteEveryStringButOmitAZeroObservedGeneration) {
  DataflowStatus status;
  status.conditions = {{"Ready", "False", "Starting", "", "2025-01-01T00:00:00Z", 0}};
  json encoded = toJson(status);
  EXPECT_EQ(encoded["conditions"][0],
            json::parse(R"({"type": "Ready", "status": "False", "reason": "Starting",
                            "message": "", "lastTransitionTime": "2025-01-01T00:00:00Z"})"));
}

TEST(CodecTest, OrderedJsonFollowsTheSchemaThenSortsUnknownKeys) {
  json document = toJson(everyFieldSet());
  document["spec"]["zeta"] = 1;
  document["spec"]["alpha"] = 2;
  document["other"] = 3;
  nlohmann::ordered_json ordered = toOrderedJson(document);

  std::vector<std::string> top;
  for (auto& [key, value] : ordered.items()) {
    top.push_back(key);
  }
  EXPECT_EQ(
      top, (std::vector<std::string>{"apiVersion", "kind", "metadata", "spec", "status", "other"}));

  std::vector<std::string> spec;
  for (auto& [key, value] : ordered["spec"].items()) {
    spec.push_back(key);
  }
  std::vector<std::string> expected(std::begin(schema::kSpecFields), std::end(schema::kSpecFields));
  expected.push_back("alpha");
  expected.push_back("zeta");
  EXPECT_EQ(spec, expected);
  EXPECT_EQ(ordered["status"]["conditions"][0].begin().key(), "type");
}

}  // namespace
}  // namespace wax::core
