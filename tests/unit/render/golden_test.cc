#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/codec.h"
#include "core/validation.h"
#include "render/render.h"

// Renders the Bytewax Platform manifest of tests/unit/core/testdata and compares the result with
// checked-in JSON, so that any change to the rendered objects is seen in review.
// To regenerate after a deliberate change:
//   WAX_UPDATE_GOLDEN=1 build/bin/render_test --gtest_filter='GoldenTest.*'
namespace wax::render {
namespace {

using json = nlohmann::json;

std::string readFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "missing " << path;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

core::Dataflow fullManifest() {
  std::vector<core::FieldError> errors;
  core::Dataflow flow = core::dataflowFromJson(
      core::parseManifest(readFile(std::string(WAX_CORE_TESTDATA) + "/full-manifest.yaml")),
      errors);
  EXPECT_TRUE(errors.empty());
  core::applyDefaults(flow);
  EXPECT_TRUE(core::validate(flow).empty());
  return flow;
}

void expectGolden(const core::Dataflow& flow, const std::string& name) {
  const RenderOptions options{.clusterDomain = "cluster.example",
                              .podMonitor = true,
                              .otlpUrl = "http://otel-collector.monitoring:4317",
                              .runId = "run-7"};
  const std::string rendered = json(renderChildren(flow, options)).dump(2) + "\n";
  const std::string path = std::string(WAX_RENDER_TESTDATA) + "/" + name;
  if (std::getenv("WAX_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << rendered;
  }
  EXPECT_EQ(rendered, readFile(path)) << "regenerate " << name << " as the comment above says";
}

// The manifest has a schedule: a CronJob, with recovery on one shared volume.
TEST(GoldenTest, FullManifestRendersAsCheckedIn) {
  expectGolden(fullManifest(), "full-manifest.json");
}

// The same manifest without a schedule: a StatefulSet with a recovery volume per pod.
TEST(GoldenTest, FullManifestAsStatefulSetRendersAsCheckedIn) {
  core::Dataflow flow = fullManifest();
  flow.spec.schedule.reset();
  expectGolden(flow, "full-manifest-statefulset.json");
}

}  // namespace
}  // namespace wax::render
