#include "cli/deploy.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "cli/context.h"
#include "common/error.h"

namespace wax::cli {
namespace {

namespace fs = std::filesystem;

class DeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wax-deploy-test-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::ofstream(path) << content;
    return path.string();
  }

  fs::path dir_;
};

TEST_F(DeployTest, PythonFileBecomesCodeObjectAndNameComesFromTheFile) {
  DeployFlags flags;
  flags.path = write("My_Flow.py", "flow = None\n");
  const auto objects = buildDeployObjects(flags);
  EXPECT_EQ(objects.dataflow["metadata"]["name"], "my-flow");
  EXPECT_EQ(objects.dataflow["metadata"]["namespace"], "default");
  EXPECT_EQ(objects.dataflow["spec"]["pythonFileName"], "My_Flow.py");
  ASSERT_TRUE(objects.code.has_value());
  EXPECT_EQ((*objects.code)["metadata"]["name"], "my-flow");
  EXPECT_EQ((*objects.code)["data"]["My_Flow.py"], "flow = None\n");
}

TEST_F(DeployTest, CodeThatIsNotUtf8IsNamedWithTheFix) {
  DeployFlags flags;
  flags.path = write("latin1.py", "name = \"caf\xe9\"\n");
  try {
    buildDeployObjects(flags);
    FAIL() << "accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("latin1.py is not UTF-8 text"), std::string::npos)
        << error.what();
  }
  flags.path = write("flow.py", "flow = None\n");
  flags.requirementsFile = write("requirements.txt", "pand\xe4s\n");
  EXPECT_THROW(buildDeployObjects(flags), Error);
}

TEST_F(DeployTest, FlagsMapOntoTheSpecLikeBytewaxWaxctl) {
  DeployFlags flags;
  flags.path = write("flow.py", "x");
  flags.name = "counter";
  flags.ns = "team-a";
  flags.processes = 3;
  flags.workers = 2;
  flags.env = {"A=1", "B=x=y"};
  flags.recovery = true;
  flags.recoveryParts = 6;
  flags.snapshotInterval = 10;
  flags.requirementsFile = write("requirements.txt", "# comment\nrequests==2.0  # pinned\n\n");
  const auto spec = buildDeployObjects(flags).dataflow["spec"];
  EXPECT_EQ(spec["processesCount"], 3);
  EXPECT_EQ(spec["workersPerProcess"], 2);
  EXPECT_EQ(spec["env"][1]["name"], "B");
  EXPECT_EQ(spec["env"][1]["value"], "x=y");
  EXPECT_EQ(spec["recovery"]["enabled"], true);
  EXPECT_EQ(spec["recovery"]["partsCount"], 6);
  EXPECT_EQ(spec["recovery"]["snapshotInterval"], 10);
  EXPECT_FALSE(spec["recovery"].contains("backupInterval"));
  EXPECT_EQ(spec["dependencies"], nlohmann::json::array({"requests==2.0"}));
}

TEST_F(DeployTest, TarballNeedsThePythonFileNameAndIsBase64Encoded) {
  DeployFlags flags;
  flags.path = write("code.tar", std::string("\0\1binary", 8));
  EXPECT_THROW(buildDeployObjects(flags), UsageError);
  flags.pythonFileName = "src/flow.py";
  const auto objects = buildDeployObjects(flags);
  EXPECT_EQ(objects.dataflow["spec"]["tarName"], "code.tar");
  EXPECT_EQ((*objects.code)["binaryData"]["code.tar"], "AAFiaW5hcnk=");
}

TEST_F(DeployTest, ManifestIsTheBaseAndFlagsOverrideIt) {
  DeployFlags flags;
  flags.manifest = write("df.yaml", R"(apiVersion: bytewax.io/v1alpha1
kind: Dataflow
metadata:
  name: from-manifest
spec:
  image: {repository: bytewax/bytewax, tag: "0.21.1"}
  pythonFileName: flow.py
  processesCount: 2
)");
  flags.processes = 4;
  const auto objects = buildDeployObjects(flags);
  EXPECT_EQ(objects.dataflow["metadata"]["name"], "from-manifest");
  EXPECT_EQ(objects.dataflow["spec"]["processesCount"], 4);
  EXPECT_FALSE(objects.code.has_value());
}

TEST_F(DeployTest, InvalidResultNamesTheField) {
  DeployFlags flags;
  flags.path = write("flow.py", "x");
  flags.processes = 0;
  try {
    buildDeployObjects(flags);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("spec.processesCount"), std::string::npos)
        << error.what();
  }
}

TEST_F(DeployTest, BadEnvPairIsRejected) {
  DeployFlags flags;
  flags.path = write("flow.py", "x");
  flags.env = {"NOEQUALS"};
  EXPECT_THROW(buildDeployObjects(flags), UsageError);
}

TEST_F(DeployTest, NothingToDeployIsAUsageError) {
  EXPECT_THROW(buildDeployObjects({}), UsageError);
}

std::string usageMessage(const DeployFlags& flags) {
  try {
    buildDeployObjects(flags);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "(no usage error)";
}

std::string errorMessage(const DeployFlags& flags) {
  try {
    buildDeployObjects(flags);
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

TEST_F(DeployTest, PathThatIsADirectoryOrMissingIsAUsageError) {
  DeployFlags flags;
  flags.path = dir_.string();
  EXPECT_EQ(usageMessage(flags), "PATH: " + dir_.string() +
                                     " is a directory; give a .py file or a tarball (.tar, "
                                     ".tar.gz, .tgz)");
  flags.path = (dir_ / "missing.py").string();
  EXPECT_NE(usageMessage(flags).find("missing.py does not exist"), std::string::npos);
  flags.path.clear();
  flags.manifest = (dir_ / "missing.yaml").string();
  EXPECT_NE(usageMessage(flags).find("-F/--manifest"), std::string::npos);
}

TEST_F(DeployTest, FileNameWithoutUsableCharactersAsksForAName) {
  DeployFlags flags;
  for (const std::string file : {"_.py", "\xc3\x84\xc3\x96.py"}) {
    flags.path = write(file, "x");
    EXPECT_EQ(usageMessage(flags), "cannot make a dataflow name from " + file + "; pass -N NAME");
  }
  flags.name = "named";
  EXPECT_EQ(buildDeployObjects(flags).dataflow["metadata"]["name"], "named");
}

TEST_F(DeployTest, ManifestThatIsNotAMappingNamesTheField) {
  DeployFlags flags;
  flags.manifest = write("list.yaml", "- a\n- b\n");
  EXPECT_NE(errorMessage(flags).find("the manifest is a list; give a mapping"), std::string::npos)
      << errorMessage(flags);
  flags.manifest = write("scalar.yaml", "hello\n");
  EXPECT_NE(errorMessage(flags).find("the manifest is a scalar"), std::string::npos);
  flags.manifest = write("metadata.yaml", "metadata: [1]\nspec: {}\n");
  EXPECT_NE(errorMessage(flags).find("metadata is a list; it must be a mapping"),
            std::string::npos);
  flags.manifest = write("spec.yaml", "metadata: {name: x}\nspec: 3\n");
  EXPECT_NE(errorMessage(flags).find("spec is a scalar"), std::string::npos);
}

TEST(NameFromPathTest, MakesValidNames) {
  EXPECT_EQ(nameFromPath("/a/b/flights_by_origin.py"), "flights-by-origin");
  EXPECT_EQ(nameFromPath("__init__.py"), "init");
  EXPECT_EQ(nameFromPath("code.tar.gz"), "code");
}

}  // namespace
}  // namespace wax::cli
