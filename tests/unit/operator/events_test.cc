#include "operator/events.h"

#include <gtest/gtest.h>

#include "operator/status.h"

namespace wax::operator_ {
namespace {

core::Dataflow dataflowWithSecrets() {
  core::Dataflow dataflow;
  dataflow.metadata.name = "flow";
  dataflow.metadata.namespace_ = "default";
  dataflow.metadata.generation = 1;
  dataflow.spec.artifactsDownload = core::ArtifactsDownload{"https://x/y.tar", "ghp_token123", {}};
  core::S3Backup s3{"s3://bucket/x", "AKIAKEY", "very-secret-key", {}};
  dataflow.spec.recovery = core::Recovery{};
  dataflow.spec.recovery->cloudBackup = core::CloudBackup{true, s3};
  return dataflow;
}

RunState state(RunPhase phase, const std::string& message = "") {
  RunState result;
  result.phase = phase;
  result.runId = "run-1";
  result.processesDesired = 1;
  result.processesReady = phase == RunPhase::Running ? 1 : 0;
  result.message = message;
  return result;
}

TEST(EventsTest, SecretsOfTheSpecAreRedacted) {
  const auto text = sanitizeEventMessage(
      dataflowWithSecrets(), "download with ghp_token123 failed; key AKIAKEY/very-secret-key");
  EXPECT_EQ(text, "download with <redacted> failed; key <redacted>/<redacted>");
}

TEST(EventsTest, LongMessagesAreCutOnACharacterBoundary) {
  std::string message(kMaxEventMessageBytes - 4, 'a');
  message += "\xC3\xA9\xC3\xA9\xC3\xA9";  // three two-byte characters across the limit
  const auto text = sanitizeEventMessage(core::Dataflow{}, message);
  EXPECT_LE(text.size(), kMaxEventMessageBytes);
  EXPECT_EQ(text.substr(text.size() - 3), "...");
  const auto kept = text.substr(0, text.size() - 3);
  EXPECT_NE(static_cast<unsigned char>(kept.back()), 0xC3);  // no half character before "..."
}

TEST(EventsTest, ShortMessagesAreUnchanged) {
  EXPECT_EQ(sanitizeEventMessage(core::Dataflow{}, "all good"), "all good");
}

TEST(EventsTest, AChangeOfSituationMakesOneEvent) {
  auto dataflow = dataflowWithSecrets();
  const auto starting = computeStatus(dataflow, state(RunPhase::Starting), false, "t1");
  const auto first = eventForTransition(dataflow, std::nullopt, starting);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->reason, "ProcessesStarting");
  EXPECT_FALSE(first->warning);

  dataflow.status = starting;
  const auto running = computeStatus(dataflow, state(RunPhase::Running), false, "t2");
  const auto second = eventForTransition(dataflow, starting, running);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->reason, "ProcessesReady");

  dataflow.status = running;
  EXPECT_FALSE(eventForTransition(dataflow, running, running)) << "same situation, no event";
}

TEST(EventsTest, ANewDataflowWaitingToStartMakesNoEvent) {
  auto dataflow = dataflowWithSecrets();
  const auto pending = computeStatus(dataflow, state(RunPhase::Stopped), false, "t1");
  EXPECT_FALSE(eventForTransition(dataflow, std::nullopt, pending))
      << "every new dataflow waits to start; that is no news";

  dataflow.status = pending;
  const auto running = computeStatus(dataflow, state(RunPhase::Running), false, "t2");
  dataflow.status = running;
  const auto again = computeStatus(dataflow, state(RunPhase::Stopped), false, "t3");
  const auto event = eventForTransition(dataflow, running, again);
  ASSERT_TRUE(event) << "waiting to start again after running is news";
  EXPECT_EQ(event->reason, "Pending");
}

TEST(EventsTest, CrashesAreWarningsWithoutSecrets) {
  auto dataflow = dataflowWithSecrets();
  const auto crashing = computeStatus(
      dataflow, state(RunPhase::BackOff, "exited 1: bad token ghp_token123"), false, "t");
  const auto event = eventForTransition(dataflow, std::nullopt, crashing);
  ASSERT_TRUE(event);
  EXPECT_TRUE(event->warning);
  EXPECT_EQ(event->reason, "CrashLoopBackOff");
  EXPECT_EQ(event->message.find("ghp_token123"), std::string::npos);
  EXPECT_EQ(crashing.lastError->find("ghp_token123"), std::string::npos) << "status too";
}

}  // namespace
}  // namespace wax::operator_
