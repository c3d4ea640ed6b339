#include "render/init_scripts.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "common/paths.h"
#include "render_test_util.h"

// Runs the init containers' programs with the bytewax environment `make setup` builds, with the
// pod's paths pointed into a temporary directory. Skipped where that environment is missing.
namespace wax::render {
namespace {

namespace fs = std::filesystem;

struct Result {
  int exitCode = -1;
  std::string output;
};

class InitScriptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = defaultPython();
    if (std::system((python_ + " -c 'import bytewax.recovery' >/dev/null 2>&1").c_str()) != 0) {
      GTEST_SKIP() << python_ << " cannot import bytewax; run `make setup`";
    }
    dir_ = fs::temp_directory_path() /
           ("wax-render-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) {
      fs::remove_all(dir_);
    }
  }

  // Runs `script` with exactly `env` (values must not hold single quotes).
  Result run(const std::string& script, const std::map<std::string, std::string>& env) {
    const fs::path file = dir_ / "script.py";
    std::ofstream(file) << script;
    std::string command = "env -i";
    for (const auto& [key, value] : env) {
      command += " " + key + "='" + value + "'";
    }
    command += " " + python_ + " " + file.string() + " 2>&1";
    Result result;
    FILE* pipe = popen(command.c_str(), "r");
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) {
      result.output.append(buffer, n);
    }
    int status = pclose(pipe);
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  std::map<std::string, std::string> recoveryEnv(const fs::path& volume, int parts, int processes,
                                                 const std::string& podName, bool shared) {
    fs::create_directories(volume);
    return {{"BYTEWAX_RECOVERY_DIRECTORY", volume.string()},
            {"BYTEWAX_RECOVERY_PARTS", std::to_string(parts)},
            {"BYTEWAX_REPLICAS", std::to_string(processes)},
            {"BYTEWAX_POD_NAME", podName},
            {"BYTEWAX_STATEFULSET_NAME", "flow"},
            {"WAX_RECOVERY_SHARED", shared ? "true" : "false"}};
  }

  static std::set<std::string> partitions(const fs::path& volume) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(volume)) {
      names.insert(entry.path().filename().string());
    }
    return names;
  }

  std::string python_;
  fs::path dir_;
};

std::string readFile(const fs::path& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST_F(InitScriptsTest, CodeStepWritesTheHostfileAndUnpacksTheCode) {
  const fs::path code = dir_ / "code";
  const fs::path work = dir_ / "work";
  fs::create_directories(code / "..data");
  fs::create_directories(work);
  std::ofstream(code / "..data" / "hidden.py") << "";
  std::ofstream(dir_ / "inner.py") << "flow = None\n";
  ASSERT_EQ(
      std::system(("tar -cf " + (code / "code.tar").string() + " -C " + dir_.string() + " inner.py")
                      .c_str()),
      0);
  std::ofstream(code / "flow.py") << "print(1)\n";

  const Result result = run(codeScript(), {{"BYTEWAX_HOSTFILE_PATH", (dir_ / "hosts").string()},
                                           {"BYTEWAX_REPLICAS", "3"},
                                           {"BYTEWAX_WORKDIR", work.string()},
                                           {"WAX_HOST_PREFIX", "flow"},
                                           {"WAX_HOST_SUFFIX", "flow.team.svc.corp.internal:9999"},
                                           {"WAX_CODE_DIR", code.string()},
                                           {"WAX_TAR_NAME", "code.tar"}});
  ASSERT_EQ(result.exitCode, 0) << result.output;

  std::string expected;
  for (const std::string& line :
       hostfileLines(testing::dataflow("flow", 3), {.clusterDomain = "corp.internal"})) {
    expected += line + "\n";
  }
  EXPECT_EQ(readFile(dir_ / "hosts"), expected);
  EXPECT_EQ(readFile(work / "flow.py"), "print(1)\n");
  EXPECT_EQ(readFile(work / "inner.py"), "flow = None\n");
  EXPECT_FALSE(fs::exists(work / "..data"));
}

TEST_F(InitScriptsTest, CodeStepNamesAMissingTarball) {
  fs::create_directories(dir_ / "work");
  const Result result = run(codeScript(), {{"BYTEWAX_HOSTFILE_PATH", (dir_ / "hosts").string()},
                                           {"BYTEWAX_REPLICAS", "1"},
                                           {"BYTEWAX_WORKDIR", (dir_ / "work").string()},
                                           {"WAX_HOST_PREFIX", "flow"},
                                           {"WAX_HOST_SUFFIX", "x:9999"},
                                           {"WAX_CODE_DIR", (dir_ / "none").string()},
                                           {"WAX_TAR_NAME", "code.tar"}});
  EXPECT_NE(result.exitCode, 0);
  EXPECT_NE(result.output.find("spec.tarName"), std::string::npos) << result.output;
}

// Five partitions over two pods with a volume each: the cluster sees each exactly once.
TEST_F(InitScriptsTest, PodVolumesHoldTheirShareOfThePartitions) {
  const Result first = run(recoveryScript(), recoveryEnv(dir_ / "v0", 5, 2, "flow-0", false));
  ASSERT_EQ(first.exitCode, 0) << first.output;
  const Result second = run(recoveryScript(), recoveryEnv(dir_ / "v1", 5, 2, "flow-1", false));
  ASSERT_EQ(second.exitCode, 0) << second.output;

  EXPECT_EQ(partitions(dir_ / "v0"),
            (std::set<std::string>{"part-0.sqlite3", "part-2.sqlite3", "part-4.sqlite3"}));
  EXPECT_EQ(partitions(dir_ / "v1"), (std::set<std::string>{"part-1.sqlite3", "part-3.sqlite3"}));
}

TEST_F(InitScriptsTest, APodBeyondThePartCountHoldsNone) {
  const Result result = run(recoveryScript(), recoveryEnv(dir_ / "v2", 2, 3, "flow-2", false));
  ASSERT_EQ(result.exitCode, 0) << result.output;
  EXPECT_TRUE(partitions(dir_ / "v2").empty());
}

TEST_F(InitScriptsTest, JobPodsUseTheirCompletionIndex) {
  const Result result = run(recoveryScript(), recoveryEnv(dir_ / "v", 4, 2, "1", false));
  ASSERT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(partitions(dir_ / "v"), (std::set<std::string>{"part-1.sqlite3", "part-3.sqlite3"}));
}

// Every partition is checked, not only part-0: a missing one is made, the others are kept.
TEST_F(InitScriptsTest, SharedVolumeGetsEveryMissingPartitionAndKeepsTheRest) {
  const auto env = recoveryEnv(dir_ / "shared", 4, 2, "flow-1", true);
  ASSERT_EQ(run(recoveryScript(), env).exitCode, 0);
  EXPECT_EQ(partitions(dir_ / "shared"),
            (std::set<std::string>{"part-0.sqlite3", "part-1.sqlite3", "part-2.sqlite3",
                                   "part-3.sqlite3"}));

  const fs::path kept = dir_ / "shared" / "part-0.sqlite3";
  std::ofstream(kept, std::ios::app) << "";
  const auto before = fs::last_write_time(kept);
  const auto size = fs::file_size(kept);
  fs::remove(dir_ / "shared" / "part-2.sqlite3");
  const Result again = run(recoveryScript(), env);
  ASSERT_EQ(again.exitCode, 0) << again.output;
  EXPECT_TRUE(fs::exists(dir_ / "shared" / "part-2.sqlite3"));
  EXPECT_EQ(fs::last_write_time(kept), before);
  EXPECT_EQ(fs::file_size(kept), size);
  EXPECT_EQ(partitions(dir_ / "shared").size(), 4u) << "no scratch directory is left behind";
}

TEST_F(InitScriptsTest, AChangedProcessCountIsRefusedOnPodVolumes) {
  ASSERT_EQ(run(recoveryScript(), recoveryEnv(dir_ / "v0", 5, 2, "flow-0", false)).exitCode, 0);
  const Result result = run(recoveryScript(), recoveryEnv(dir_ / "v0", 5, 3, "flow-0", false));
  EXPECT_NE(result.exitCode, 0);
  EXPECT_NE(result.output.find("spec.processesCount"), std::string::npos) << result.output;
}

TEST_F(InitScriptsTest, AChangedPartCountIsRefused) {
  ASSERT_EQ(run(recoveryScript(), recoveryEnv(dir_ / "s", 2, 1, "flow-0", true)).exitCode, 0);
  const Result result = run(recoveryScript(), recoveryEnv(dir_ / "s", 3, 1, "flow-0", true));
  EXPECT_NE(result.exitCode, 0);
  EXPECT_NE(result.output.find("spec.recovery.partsCount"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace wax::render
