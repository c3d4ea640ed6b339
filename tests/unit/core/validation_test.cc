#include "core/validation.h"

#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/codec.h"
#include "test_util.h"

namespace wax::core {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;
using ::testing::HasSubstr;
using testing::listErrors;
using testing::minimalDataflow;
using ::testing::Not;

using Change = std::function<void(Dataflow&)>;

std::vector<FieldError> validateWith(const Change& change) {
  Dataflow dataflow = minimalDataflow();
  change(dataflow);
  return validate(dataflow);
}

AssertionResult isValid(const std::vector<FieldError>& errors) {
  if (errors.empty()) {
    return AssertionSuccess();
  }
  return AssertionFailure() << "errors:" << listErrors(errors);
}

// Exactly one error, on `field`, with `text` in its message.
AssertionResult hasOnlyError(const std::vector<FieldError>& errors, const std::string& field,
                             const std::string& text) {
  if (errors.size() == 1 && errors[0].field == field &&
      errors[0].message.find(text) != std::string::npos) {
    return AssertionSuccess();
  }
  return AssertionFailure() << "expected only " << field << ": ..." << text << "...; got"
                            << listErrors(errors);
}

TEST(ValidateTest, FullManifestAndMinimalDataflowAreValid) {
  std::vector<FieldError> errors;
  Dataflow full =
      dataflowFromJson(parseManifest(testing::readTestData("full-manifest.yaml")), errors);
  ASSERT_TRUE(errors.empty()) << listErrors(errors);
  EXPECT_TRUE(isValid(validate(full)));
  EXPECT_TRUE(isValid(validate(minimalDataflow())));
}

TEST(ValidateTest, ValidatesTheSameWithDefaultsApplied) {
  Dataflow dataflow = minimalDataflow();
  dataflow.spec.recovery = Recovery{};
  applyDefaults(dataflow);
  EXPECT_TRUE(isValid(validate(dataflow)));
}

TEST(ValidateTest, ApiVersionAndKindMustBeTheBytewaxOnes) {
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.apiVersion = "bytewax.io/v1"; }),
                           "apiVersion",
                           "\"bytewax.io/v1\" is not supported: set it to "
                           "\"bytewax.io/v1alpha1\""));
  EXPECT_TRUE(
      hasOnlyError(validateWith([](Dataflow& d) { d.apiVersion = ""; }), "apiVersion", "required"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.kind = "Deployment"; }), "kind",
                           "set it to \"Dataflow\""));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.kind = ""; }), "kind", "required"));
}

TEST(ValidateTest, NameMustBeADns1123LabelAndTheMessageSuggestsOne) {
  std::vector<FieldError> errors = validateWith([](Dataflow& d) { d.metadata.name = "My_Flow"; });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "metadata.name");
  EXPECT_EQ(errors[0].message,
            "\"My_Flow\" is not a valid name: use lowercase letters, digits and '-', starting and "
            "ending with a letter or digit, at most 63 characters (e.g. \"my-flow\")");

  for (const char* bad : {"-flow", "flow-", "flow.v2", "FLOW", "a b"}) {
    EXPECT_TRUE(hasOnlyError(validateWith([&](Dataflow& d) { d.metadata.name = bad; }),
                             "metadata.name", "is not a valid name"))
        << bad;
  }
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.metadata.name = ""; }), "metadata.name",
                           "required"));
  EXPECT_TRUE(
      hasOnlyError(validateWith([](Dataflow& d) { d.metadata.name = std::string(64, 'a'); }),
                   "metadata.name", "at most 63"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.metadata.name = "0-a"; }),
                           "metadata.name", "must start with a letter"))
      << "a Service, which takes the name, must";
}

TEST(ValidateTest, NameLeavesRoomForPodNamesAndRevisionLabels) {
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) { d.metadata.name = std::string(52, 'a'); })));
  EXPECT_TRUE(
      hasOnlyError(validateWith([](Dataflow& d) { d.metadata.name = std::string(53, 'a'); }),
                   "metadata.name", "at most 52 characters"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.metadata.name = std::string(51, 'a');
                             d.spec.schedule = "@daily";
                           }),
                           "metadata.name", "at most 50 characters for a scheduled dataflow"));
}

TEST(ValidateTest, NamespaceMayBeLeftEmptyButOtherwiseIsALabel) {
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) { d.metadata.namespace_ = ""; })));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.metadata.namespace_ = "Prod"; }),
                           "metadata.namespace", "(e.g. \"prod\")"));
}

TEST(ValidateTest, LabelsAnnotationsAndFinalizersUseKubernetesSyntax) {
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) {
    d.metadata.labels = {{"app.kubernetes.io/name", "flow_1.0"}, {"empty", ""}};
    d.metadata.annotations = {{"example.com/note", "anything: goes\n"}};
    d.metadata.finalizers = {"bytewax.io/cleanup"};
  })));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.metadata.labels = {{"Bad Key", "x"}};
                           }),
                           "metadata.labels[Bad Key]", "is not a valid key"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.metadata.labels = {{"k", "-x"}};
                           }),
                           "metadata.labels[k]", "not a valid label value"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.metadata.annotations = {{"UPPER.com/x", "v"}};
                           }),
                           "metadata.annotations[UPPER.com/x]", "is not a valid key"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.metadata.finalizers = {"ok/x", "/nope"};
                           }),
                           "metadata.finalizers[1]", "is not a valid key"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.metadata.annotations = {{"big", std::string(300 * 1024, 'x')}};
                           }),
                           "metadata.annotations", "256 KiB"));
}

TEST(ValidateTest, ImageAndTagAreRequired) {
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.image.reset(); }), "spec.image",
                           "required"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.image->tag.reset(); }),
                           "spec.image.tag", "required"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.image->tag = ""; }),
                           "spec.image.tag", "required"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.image->tag = "1.0 beta"; }),
                           "spec.image.tag", "spaces"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.image->repository = ""; }),
                           "spec.image.repository", "bytewax/bytewax"));
}

TEST(ValidateTest, PullPolicyIsAnEnumAndPullSecretASecretName) {
  for (const char* policy : {"Always", "IfNotPresent", "Never"}) {
    EXPECT_TRUE(isValid(validateWith([&](Dataflow& d) { d.spec.image->pullPolicy = policy; })));
  }
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.image->pullPolicy = "always"; }),
                           "spec.image.pullPolicy",
                           "\"always\" is not supported: use one of Always, IfNotPresent, Never"));
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) { d.spec.image->pullSecret = ""; })));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.image->pullSecret = "My_Pull"; }),
                           "spec.image.pullSecret", "is not a valid Secret name"));
}

TEST(ValidateTest, PythonFileNameIsARelativePathInsideTheWorkingDirectory) {
  for (const char* good : {"flow.py", "flows/enrich.py", "..hidden.py", "a/..b/c.py"}) {
    EXPECT_TRUE(isValid(validateWith([&](Dataflow& d) { d.spec.pythonFileName = good; }))) << good;
  }
  struct Bad {
    std::string name;
    const char* text;
  };
  for (const Bad& bad :
       {Bad{"", "required"}, Bad{"/app/flow.py", "is absolute"},
        Bad{"../flow.py", "must not contain \"..\""},
        Bad{"a/../../b.py", "must not contain \"..\""}, Bad{"a/..", "must not contain \"..\""},
        Bad{"flows/", "directory"}, Bad{std::string("flow\0.py", 8), "control characters"},
        Bad{"flow.py\nrm -rf /", "control characters"}, Bad{"my flow.py", "spaces"},
        Bad{"flows/*.py", "* ? ["}, Bad{"flow[1].py", "* ? ["}}) {
    EXPECT_TRUE(hasOnlyError(validateWith([&](Dataflow& d) { d.spec.pythonFileName = bad.name; }),
                             "spec.pythonFileName", bad.text));
  }
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.pythonFileName.reset(); }),
                           "spec.pythonFileName", "required"));
}

TEST(ValidateTest, ProcessAndWorkerCountsHaveBounds) {
  for (int64_t count : {1, 1000}) {
    EXPECT_TRUE(isValid(validateWith([&](Dataflow& d) { d.spec.processesCount = count; })));
  }
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.processesCount = 0; }),
                           "spec.processesCount", "must be between 1 and 1000, got 0"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.processesCount = 1001; }),
                           "spec.processesCount", "got 1001"));
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) { d.spec.workersPerProcess = 1024; })));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.workersPerProcess = 1025; }),
                           "spec.workersPerProcess", "must be between 1 and 1024"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.workersPerProcess = -1; }),
                           "spec.workersPerProcess", "got -1"));
}

TEST(ValidateTest, EnvNamesMustBeValidAndUnique) {
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) {
    d.spec.env = std::vector<EnvVar>{{"_A1", ""}, {"b", "x"}, {"my-setting.v2", "as in k8s"}};
  })));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.spec.env = std::vector<EnvVar>{{"A", "1"}, {"B", "2"}, {"A", "3"}};
                           }),
                           "spec.env[2].name",
                           "\"A\" is already set by spec.env[0]; remove one of them"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.spec.env = std::vector<EnvVar>{{"1ABC", "x"}};
                           }),
                           "spec.env[0].name", "not a valid environment variable name"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.spec.env = std::vector<EnvVar>{{"A=B", "x"}};
                           }),
                           "spec.env[0].name", "not a valid environment variable name"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.spec.env = std::vector<EnvVar>{{"", "x"}};
                           }),
                           "spec.env[0].name", "required"));
}

TEST(ValidateTest, EnvAndDependenciesHoldWhatTheCrdAllows) {
  EXPECT_TRUE(isValid(validateWith(
      [](Dataflow& d) { d.spec.dependencies = std::vector<std::string>(256, "numpy"); })));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.spec.dependencies = std::vector<std::string>(257, "numpy");
                           }),
                           "spec.dependencies", "at most 256"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             std::vector<EnvVar> env;
                             for (int i = 0; i < 257; ++i) {
                               env.push_back({"V" + std::to_string(i), "x"});
                             }
                             d.spec.env = env;
                           }),
                           "spec.env", "at most 256"));
}

TEST(ValidateTest, DependenciesAreRequirementSpecifiersNotPipOptions) {
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) {
    d.spec.dependencies =
        std::vector<std::string>{"requests==2.32.3", "numpy>=1.26,<2", "pkg[extra] @ https://x"};
  })));
  struct Bad {
    std::string dependency;
    const char* text;
  };
  for (const Bad& bad : {Bad{"", "must not be empty"}, Bad{"   ", "must not be empty"},
                         Bad{"--index-url https://evil.example", "pip option"},
                         Bad{"-r requirements.txt", "pip option"}, Bad{" -e .", "pip option"},
                         Bad{"numpy\n--extra-index-url x", "one requirement on one line"}}) {
    EXPECT_TRUE(hasOnlyError(validateWith([&](Dataflow& d) {
                               d.spec.dependencies = std::vector<std::string>{"ok", bad.dependency};
                             }),
                             "spec.dependencies[1]", bad.text))
        << bad.dependency;
  }
}

TEST(ValidateTest, ConfigMapAndTarNamesAreKubernetesNames) {
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) {
    d.spec.configMapName = "my-code.v2";
    d.spec.tarName = "My_Code-1.tar";
  })));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.configMapName = "My Code"; }),
                           "spec.configMapName", "is not a valid ConfigMap name"));
  for (const char* good : {"code.tar", "code.tar.gz", "code.tgz"}) {
    EXPECT_TRUE(isValid(validateWith([&](Dataflow& d) { d.spec.tarName = good; }))) << good;
  }
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.tarName = "code.zip"; }),
                           "spec.tarName", "must end in .tar, .tar.gz or .tgz"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.tarName = "dir/code.tar"; }),
                           "spec.tarName", "not a plain file name"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.tarName = ""; }), "spec.tarName",
                           "not a plain file name"));
}

TEST(ValidateTest, ArtifactsDownloadNeedsAnHttpUrlAndOneWayToAuthenticate) {
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) {
    d.spec.artifactsDownload = ArtifactsDownload{.url = "https://github.com/o/r/a.tar.gz"};
  })));
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) {
    d.spec.artifactsDownload = ArtifactsDownload{"http://files.local/a.tar", {}, "gh-token"};
  })));
  EXPECT_TRUE(hasOnlyError(
      validateWith([](Dataflow& d) { d.spec.artifactsDownload = ArtifactsDownload{}; }),
      "spec.artifactsDownload.url", "required"));
  for (const char* bad : {"ftp://host/a.tar", "https://", "https:///path", "github.com/o/r",
                          "https://host/a b.tar"}) {
    EXPECT_TRUE(hasOnlyError(validateWith([&](Dataflow& d) {
                               d.spec.artifactsDownload = ArtifactsDownload{.url = bad};
                             }),
                             "spec.artifactsDownload.url", "http:// or https://"))
        << bad;
  }
  EXPECT_TRUE(hasOnlyError(
      validateWith([](Dataflow& d) {
        d.spec.artifactsDownload = ArtifactsDownload{"https://h/a.tar", "tok", "gh-token"};
      }),
      "spec.artifactsDownload", "either token or secretName, not both"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.spec.artifactsDownload = ArtifactsDownload{"https://h/a.tar", ""};
                           }),
                           "spec.artifactsDownload.token", "must not be empty"));
  EXPECT_TRUE(
      hasOnlyError(validateWith([](Dataflow& d) {
                     d.spec.artifactsDownload = ArtifactsDownload{"https://h/a.tar", {}, "GH"};
                   }),
                   "spec.artifactsDownload.secretName", "not a valid Secret name"));
}

TEST(ValidateTest, ScheduleMustBeCronAndSaysWhy) {
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) {
    d.spec.schedule = "0 9 * * MON-FRI";
    d.spec.jobMode = false;
  })));
  std::vector<FieldError> errors =
      validateWith([](Dataflow& d) { d.spec.schedule = "60 * * * *"; });
  EXPECT_TRUE(hasOnlyError(errors, "spec.schedule",
                           "\"60 * * * *\" is not a valid cron expression: minute field: 60 is "
                           "out of range 0-59; e.g. \"*/15 * * * *\""));
}

TEST(ValidateTest, ConcurrencyPolicyIsAnEnumAllowedWithoutSchedule) {
  for (const char* policy : {"Allow", "Forbid", "Replace"}) {
    EXPECT_TRUE(isValid(validateWith([&](Dataflow& d) { d.spec.concurrencyPolicy = policy; })));
  }
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.concurrencyPolicy = "Queue"; }),
                           "spec.concurrencyPolicy", "use one of Allow, Forbid, Replace"));
}

TEST(ValidateTest, RecoveryNumbersHaveBounds) {
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) {
    d.spec.recovery =
        Recovery{.enabled = true, .partsCount = 10000, .snapshotInterval = 1, .backupInterval = 0};
  })));
  // Fewer partitions than workers is allowed, as in Bytewax.
  EXPECT_TRUE(isValid(validateWith([](Dataflow& d) {
    d.spec.processesCount = 4;
    d.spec.workersPerProcess = 8;
    d.spec.recovery = Recovery{.enabled = true, .partsCount = 2};
  })));
  EXPECT_TRUE(
      hasOnlyError(validateWith([](Dataflow& d) { d.spec.recovery = Recovery{.partsCount = 0}; }),
                   "spec.recovery.partsCount", "between 1 and 10000"));
  EXPECT_TRUE(hasOnlyError(
      validateWith([](Dataflow& d) { d.spec.recovery = Recovery{.partsCount = 10001}; }),
      "spec.recovery.partsCount", "got 10001"));
  EXPECT_TRUE(hasOnlyError(
      validateWith([](Dataflow& d) { d.spec.recovery = Recovery{.snapshotInterval = 0}; }),
      "spec.recovery.snapshotInterval", "must be at least 1, got 0"));
  EXPECT_TRUE(hasOnlyError(
      validateWith([](Dataflow& d) { d.spec.recovery = Recovery{.backupInterval = -1}; }),
      "spec.recovery.backupInterval", "must be at least 0, got -1"));
}

TEST(ValidateTest, PersistenceSizeIsAPositiveKubernetesQuantity) {
  for (const char* good : {"10Gi", "500Mi", "1G", "100", "1.5Ti", "1e9", "2E3", "1Ei", "0.5Gi"}) {
    EXPECT_TRUE(isValid(validateWith([&](Dataflow& d) {
      d.spec.recovery = Recovery{.persistence = Persistence{.size = good}};
    }))) << good;
  }
  for (const char* bad : {"10GB", "-1Gi", "0", "0Gi", "Gi", "", "1..5Gi", "10 Gi", "1e", "1gi"}) {
    EXPECT_TRUE(hasOnlyError(validateWith([&](Dataflow& d) {
                               d.spec.recovery = Recovery{.persistence = Persistence{.size = bad}};
                             }),
                             "spec.recovery.persistence.size", "is not a Kubernetes quantity"))
        << bad;
  }
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) {
                             d.spec.recovery =
                                 Recovery{.persistence = Persistence{.storageClassName = "GP3"}};
                           }),
                           "spec.recovery.persistence.storageClassName", "StorageClass"));
}

TEST(ValidateTest, CloudBackupNeedsRecoveryAndAnS3Bucket) {
  auto withBackup = [](CloudBackup backup, bool recoveryEnabled) {
    return validateWith([&](Dataflow& d) {
      d.spec.recovery = Recovery{.enabled = recoveryEnabled, .cloudBackup = backup};
    });
  };
  S3Backup bucket{.url = "s3://my-bucket/flows"};
  EXPECT_TRUE(isValid(withBackup(CloudBackup{true, bucket}, true)));
  EXPECT_TRUE(isValid(withBackup(CloudBackup{true, S3Backup{.url = "s3://my-bucket"}}, true)));
  // A disabled backup may stay configured while recovery is off.
  EXPECT_TRUE(isValid(withBackup(CloudBackup{false, bucket}, false)));

  EXPECT_TRUE(hasOnlyError(withBackup(CloudBackup{true, bucket}, false),
                           "spec.recovery.cloudBackup.enabled",
                           "set spec.recovery.enabled to true or remove cloudBackup"));
  EXPECT_TRUE(hasOnlyError(withBackup(CloudBackup{true, {}}, true), "spec.recovery.cloudBackup.s3",
                           "required when cloudBackup is enabled"));
  EXPECT_TRUE(hasOnlyError(withBackup(CloudBackup{false, S3Backup{}}, true),
                           "spec.recovery.cloudBackup.s3.url", "required"));
  for (const char* bad :
       {"https://bucket", "s3://", "s3:///prefix", "bucket/prefix", "s3://my bucket"}) {
    EXPECT_TRUE(hasOnlyError(withBackup(CloudBackup{true, S3Backup{.url = bad}}, true),
                             "spec.recovery.cloudBackup.s3.url", "must be an s3:// URL"))
        << bad;
  }
}

TEST(ValidateTest, S3CredentialsComeInPairsOrFromOneSecret) {
  auto withS3 = [](S3Backup s3) {
    return validateWith([&](Dataflow& d) {
      s3.url = "s3://bucket";
      d.spec.recovery = Recovery{.enabled = true, .cloudBackup = CloudBackup{true, s3}};
    });
  };
  EXPECT_TRUE(isValid(withS3(S3Backup{.accessKeyId = "AKIA", .secretAccessKey = "s"})));
  EXPECT_TRUE(isValid(withS3(S3Backup{.secretName = "s3-credentials"})));
  EXPECT_TRUE(isValid(withS3(S3Backup{})));  // e.g. IAM roles for service accounts

  EXPECT_TRUE(hasOnlyError(withS3(S3Backup{.accessKeyId = "AKIA"}),
                           "spec.recovery.cloudBackup.s3.secretAccessKey",
                           "required when accessKeyId is set"));
  EXPECT_TRUE(hasOnlyError(withS3(S3Backup{.secretAccessKey = "s"}),
                           "spec.recovery.cloudBackup.s3.accessKeyId",
                           "required when secretAccessKey is set"));
  EXPECT_TRUE(hasOnlyError(
      withS3(S3Backup{.accessKeyId = "AKIA", .secretAccessKey = "s", .secretName = "creds"}),
      "spec.recovery.cloudBackup.s3", "either secretName or accessKeyId/secretAccessKey"));
  EXPECT_TRUE(hasOnlyError(withS3(S3Backup{.secretName = "Creds!"}),
                           "spec.recovery.cloudBackup.s3.secretName", "not a valid Secret name"));
  std::vector<FieldError> errors = withS3(S3Backup{.accessKeyId = "", .secretAccessKey = ""});
  EXPECT_EQ(errors.size(), 2u) << listErrors(errors);
}

TEST(ValidateTest, ChartValuesMustBeAYamlMapping) {
  for (const char* good : {"resources:\n  limits:\n    memory: 2Gi\n", "", "  \n", "# none\n"}) {
    EXPECT_TRUE(isValid(validateWith([&](Dataflow& d) { d.spec.chartValues = good; }))) << good;
  }
  EXPECT_TRUE(
      hasOnlyError(validateWith([](Dataflow& d) { d.spec.chartValues = "a: 1\nb: [1, 2\nc: 3\n"; }),
                   "spec.chartValues", "invalid YAML at line 3"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.chartValues = "- a\n- b\n"; }),
                           "spec.chartValues", "must be a YAML mapping"));
  EXPECT_TRUE(hasOnlyError(validateWith([](Dataflow& d) { d.spec.chartValues = "just text"; }),
                           "spec.chartValues", "must be a YAML mapping"));
}

TEST(ValidateTest, ReportsEveryProblemAtOnce) {
  std::vector<FieldError> errors = validateWith([](Dataflow& d) {
    d.metadata.name = "Bad";
    d.spec.image.reset();
    d.spec.processesCount = 0;
    d.spec.schedule = "never";
  });
  EXPECT_EQ(errors.size(), 4u) << listErrors(errors);
}

TEST(ValidateTest, MessagesNeverContainSecretValues) {
  const std::string token = "ghp_SuperSecretToken123";
  const std::string accessKey = "AKIAIOSFODNN7SECRET";
  const std::string secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET";
  const std::string password = "hunter2password";

  Dataflow dataflow = minimalDataflow();
  dataflow.spec.artifactsDownload =
      ArtifactsDownload{"ftp://user:" + password + "@host/a.tar", token, "Bad_Secret"};
  dataflow.spec.dependencies =
      std::vector<std::string>{"--index-url https://user:" + password + "@pypi.example"};
  dataflow.spec.env = std::vector<EnvVar>{{"1BAD", password}};
  dataflow.spec.recovery = Recovery{
      .enabled = false,
      .cloudBackup = CloudBackup{true, S3Backup{"https://" + password, accessKey, {}, "x"}}};
  dataflow.spec.chartValues = "password: " + password + "\n- oops";
  std::vector<FieldError> errors = validate(dataflow);
  ASSERT_GE(errors.size(), 7u) << listErrors(errors);

  // Wrong types on secret fields are reported without the value too.
  nlohmann::json manifest = toJson(dataflow);
  manifest["spec"]["artifactsDownload"]["token"] = 123456789;
  manifest["spec"]["recovery"]["cloudBackup"]["s3"]["secretAccessKey"] = {{"v", secretKey}};
  std::vector<FieldError> decodeErrors;
  dataflowFromJson(manifest, decodeErrors);
  ASSERT_EQ(decodeErrors.size(), 2u) << listErrors(decodeErrors);

  std::string everything = describeErrors(dataflow, errors) + listErrors(decodeErrors);
  for (const std::string& secret :
       {token, accessKey, secretKey, password, std::string("123456789")}) {
    EXPECT_THAT(everything, Not(HasSubstr(secret)));
  }
}

TEST(ValidateTest, DescribeErrorsJoinsFieldsAfterTheObjectName) {
  Dataflow dataflow = minimalDataflow();
  dataflow.metadata.namespace_ = "team-a";
  std::vector<FieldError> errors = {{"spec.x", "bad"}, {"spec.y", "worse"}};
  EXPECT_EQ(describeErrors(dataflow, errors),
            "Dataflow \"team-a/my-flow\" is invalid: spec.x: bad; spec.y: worse");
  dataflow.metadata.namespace_ = "";
  EXPECT_EQ(describeErrors(dataflow, {{"spec.x", "bad"}}),
            "Dataflow \"my-flow\" is invalid: spec.x: bad");
}

TEST(DefaultsTest, FillsTheDocumentedDefaults) {
  Dataflow dataflow = minimalDataflow();
  dataflow.spec.recovery = Recovery{};
  applyDefaults(dataflow);
  const DataflowSpec& spec = dataflow.spec;
  EXPECT_EQ(spec.image->pullPolicy, "Always");
  EXPECT_EQ(spec.image->pullSecret, "default-credentials");
  EXPECT_EQ(spec.processesCount, 1);
  EXPECT_EQ(spec.workersPerProcess, 1);
  EXPECT_EQ(spec.jobMode, false);
  EXPECT_EQ(spec.keepAlive, false);
  EXPECT_EQ(spec.suspend, false);
  EXPECT_EQ(spec.concurrencyPolicy, "Forbid");
  EXPECT_FALSE(spec.schedule.has_value());
  const Recovery& recovery = *spec.recovery;
  EXPECT_EQ(recovery.enabled, false);
  EXPECT_EQ(recovery.partsCount, 1);
  EXPECT_EQ(recovery.snapshotInterval, 1);
  EXPECT_EQ(recovery.backupInterval, 1);
  EXPECT_EQ(recovery.singleVolume, false);
  EXPECT_EQ(recovery.persistence->size, "10Gi");
  EXPECT_FALSE(recovery.persistence->storageClassName.has_value());
  EXPECT_EQ(recovery.cloudBackup->enabled, false);
  EXPECT_FALSE(recovery.cloudBackup->s3.has_value());
}

TEST(DefaultsTest, KeepsValuesThatAreSetAndIsIdempotent) {
  Dataflow dataflow = minimalDataflow();
  dataflow.spec.image->pullPolicy = "Never";
  dataflow.spec.processesCount = 5;
  dataflow.spec.jobMode = true;
  dataflow.spec.recovery = Recovery{.partsCount = 7, .persistence = Persistence{.size = "1Gi"}};
  applyDefaults(dataflow);
  EXPECT_EQ(dataflow.spec.image->pullPolicy, "Never");
  EXPECT_EQ(dataflow.spec.processesCount, 5);
  EXPECT_EQ(dataflow.spec.jobMode, true);
  EXPECT_EQ(dataflow.spec.recovery->partsCount, 7);
  EXPECT_EQ(dataflow.spec.recovery->persistence->size, "1Gi");

  Dataflow again = dataflow;
  applyDefaults(again);
  EXPECT_EQ(again, dataflow);
}

TEST(DefaultsTest, LeavesAbsentRecoveryAndImageAbsent) {
  Dataflow dataflow = minimalDataflow();
  dataflow.spec.image.reset();
  applyDefaults(dataflow);
  EXPECT_FALSE(dataflow.spec.recovery.has_value());
  EXPECT_FALSE(dataflow.spec.image.has_value());
  EXPECT_EQ(dataflow.spec.processesCount, 1);
}

TEST(NameHelpersTest, Dns1123LabelsAndSubdomains) {
  EXPECT_TRUE(isDns1123Label("a"));
  EXPECT_TRUE(isDns1123Label("a-1"));
  EXPECT_FALSE(isDns1123Label(""));
  EXPECT_FALSE(isDns1123Label("a.b"));
  EXPECT_FALSE(isDns1123Label(std::string(64, 'a')));

  EXPECT_TRUE(isDns1123Subdomain("a.b-c.d"));
  EXPECT_TRUE(isDns1123Subdomain(std::string(253, 'a')));
  EXPECT_FALSE(isDns1123Subdomain(std::string(254, 'a')));
  EXPECT_FALSE(isDns1123Subdomain("a..b"));
  EXPECT_FALSE(isDns1123Subdomain(".a"));
  EXPECT_FALSE(isDns1123Subdomain("a-.b"));
  EXPECT_FALSE(isDns1123Subdomain("A.b"));
}

TEST(NameHelpersTest, EnvVarNames) {
  EXPECT_TRUE(isEnvVarName("PATH"));
  EXPECT_TRUE(isEnvVarName("_x9"));
  EXPECT_FALSE(isEnvVarName(""));
  EXPECT_FALSE(isEnvVarName("9X"));
  EXPECT_TRUE(isEnvVarName("A.B")) << "Kubernetes allows it, and so does the CRD";
  EXPECT_TRUE(isEnvVarName("-a"));
  EXPECT_FALSE(isEnvVarName("A B"));
  EXPECT_FALSE(isEnvVarName("A=B"));
}

}  // namespace
}  // namespace wax::core
