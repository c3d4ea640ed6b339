#include <gtest/gtest.h>

#include "common/error.h"
#include "kube/client.h"
#include "kube/errors.h"
#include "kube/events.h"
#include "kube/lease.h"
#include "kube/rate_limiter.h"
#include "kube/resource.h"
#include "kube/watch.h"

namespace wax::kube {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST(ResourcePaths, CoreGroupAndNamespaces) {
  EXPECT_EQ(resources::kConfigMaps.collectionPath("ns"), "/api/v1/namespaces/ns/configmaps");
  EXPECT_EQ(resources::kConfigMaps.collectionPath(""), "/api/v1/configmaps");
  EXPECT_EQ(resources::kDataflows.objectPath("ns", "flow", "status"),
            "/apis/bytewax.io/v1alpha1/namespaces/ns/dataflows/flow/status");
  EXPECT_EQ(resources::kNodes.objectPath("ignored", "n1"), "/api/v1/nodes/n1");
  EXPECT_EQ(resources::kCustomResourceDefinitions.collectionPath("x"),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
  EXPECT_EQ(resources::kLeases.apiVersion(), "coordination.k8s.io/v1");
  EXPECT_EQ(resources::kPods.apiVersion(), "v1");
  EXPECT_EQ(urlEncode("app=web,tier in (a b)"), "app%3Dweb%2Ctier%20in%20%28a%20b%29");
}

TEST(StatusMapping, HttpStatusesToCodes) {
  EXPECT_EQ(codeForStatus(404), ErrorCode::NotFound);
  EXPECT_EQ(codeForStatus(409, "AlreadyExists"), ErrorCode::AlreadyExists);
  EXPECT_EQ(codeForStatus(409, "Conflict"), ErrorCode::Conflict);
  EXPECT_EQ(codeForStatus(409), ErrorCode::Conflict);
  EXPECT_EQ(codeForStatus(410), ErrorCode::Gone);
  EXPECT_EQ(codeForStatus(422), ErrorCode::Invalid);
  EXPECT_EQ(codeForStatus(401), ErrorCode::Unauthorized);
  EXPECT_EQ(codeForStatus(403), ErrorCode::Forbidden);
  EXPECT_EQ(codeForStatus(400), ErrorCode::BadRequest);
  EXPECT_EQ(codeForStatus(429), ErrorCode::Unavailable);
  EXPECT_EQ(codeForStatus(503), ErrorCode::Unavailable);
  EXPECT_EQ(codeForStatus(500), ErrorCode::Internal);
}

TEST(StatusMapping, InvalidKeepsTheServersMessage) {
  json status = {{"kind", "Status"},
                 {"status", "Failure"},
                 {"reason", "Invalid"},
                 {"code", 422},
                 {"message", "ConfigMap \"x\" is invalid: metadata.name: Invalid value: \"X\""}};
  Error error = errorFromResponse("create configmaps default/X", 422, status.dump());
  EXPECT_EQ(error.code(), ErrorCode::Invalid);
  std::string message = error.what();
  EXPECT_NE(message.find("metadata.name"), std::string::npos) << message;
  EXPECT_NE(message.find("create configmaps default/X"), std::string::npos) << message;
}

TEST(StatusMapping, NonStatusBodyIsCut) {
  Error error = errorFromResponse("get x", 502, std::string(5000, 'x'));
  EXPECT_EQ(error.code(), ErrorCode::Unavailable);
  EXPECT_LT(std::string(error.what()).size(), 400u);
}

TEST(StatusMapping, WatchErrorEvent) {
  json status = {{"kind", "Status"},
                 {"code", 410},
                 {"reason", "Expired"},
                 {"message", "too old resource version: 1 (200)"}};
  EXPECT_EQ(statusCode(status), 410);
  EXPECT_EQ(errorFromStatus("watch pods", status).code(), ErrorCode::Gone);
}

TEST(RateLimiter, BurstThenSteadyRate) {
  RateLimiter limiter(RateLimit{.qps = 5, .burst = 10});
  auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(limiter.reserve(t0), nanoseconds(0)) << i;
  }
  // The 11th waits one token's time (200 ms at 5 QPS), the 12th two.
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limiter.reserve(t0)), milliseconds(200));
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limiter.reserve(t0)), milliseconds(400));
  // After the debt is paid and a second passes, 5 more tokens are there.
  auto later = t0 + milliseconds(400) + std::chrono::seconds(1);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(limiter.reserve(later), nanoseconds(0)) << i;
  }
  EXPECT_GT(limiter.reserve(later), nanoseconds(0));
}

TEST(RateLimiter, RefillIsCappedAtBurst) {
  RateLimiter limiter(RateLimit{.qps = 100, .burst = 3});
  auto t0 = RateLimiter::Clock::now();
  limiter.reserve(t0);
  auto later = t0 + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.reserve(later), nanoseconds(0));
  }
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limiter.reserve(later)), milliseconds(10));
}

TEST(RateLimiter, ZeroQpsDisables) {
  RateLimiter limiter(RateLimit{.qps = 0, .burst = 1});
  auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(limiter.reserve(t0), nanoseconds(0));
  }
}

TEST(Backoff, DoublesWithJitterUpToMax) {
  RetryOptions options{
      .maxAttempts = 5, .baseDelay = milliseconds(100), .maxDelay = milliseconds(1000)};
  EXPECT_EQ(backoffDelay(0, options, 0.0), milliseconds(50));
  EXPECT_EQ(backoffDelay(0, options, 0.999), milliseconds(99));
  EXPECT_EQ(backoffDelay(2, options, 0.0), milliseconds(200));
  EXPECT_EQ(backoffDelay(10, options, 0.0), milliseconds(500));
  EXPECT_LE(backoffDelay(10, options, 0.999), milliseconds(1000));
  EXPECT_EQ(parseRetryAfter("3"), std::optional<milliseconds>(milliseconds(3000)));
  EXPECT_FALSE(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
  EXPECT_FALSE(parseRetryAfter(""));
}

TEST(WatchEvents, ParsesEveryType) {
  auto added = parseWatchEvent(R"({"type":"ADDED","object":{"kind":"ConfigMap",)"
                               R"("metadata":{"name":"a","resourceVersion":"5"}}})");
  EXPECT_EQ(added.type, WatchEventType::Added);
  EXPECT_EQ(added.object["metadata"]["name"], "a");
  EXPECT_EQ(parseWatchEvent(R"({"type":"MODIFIED","object":{}})").type, WatchEventType::Modified);
  EXPECT_EQ(parseWatchEvent(R"({"type":"DELETED","object":{}})").type, WatchEventType::Deleted);
  auto bookmark = parseWatchEvent(
      R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"12"}}})");
  EXPECT_EQ(bookmark.type, WatchEventType::Bookmark);
  auto error = parseWatchEvent(
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})");
  EXPECT_EQ(error.type, WatchEventType::Error);
  EXPECT_EQ(statusCode(error.object), 410);
}

TEST(WatchEvents, RejectsMalformedLines) {
  EXPECT_THROW(parseWatchEvent("{not json"), Error);
  EXPECT_THROW(parseWatchEvent(R"({"object":{}})"), Error);
  EXPECT_THROW(parseWatchEvent(R"({"type":"RENAMED","object":{}})"), Error);
  EXPECT_THROW(parseWatchEvent(R"({"type":"ADDED"})"), Error);
}

TEST(Events, NoteIsCappedOnACharacterBoundary) {
  std::string euro = "\xE2\x82\xAC";  // three bytes
  std::string text;
  for (int i = 0; i < 400; ++i) {
    text += euro;
  }
  std::string capped = capUtf8(text, kMaxEventNote);
  EXPECT_LE(capped.size(), kMaxEventNote);
  EXPECT_EQ(capped.size() % 3, 0u);
  EXPECT_EQ(capUtf8("short", 10), "short");
}

TEST(Events, BuildsAnEventsV1Object) {
  Config config;
  config.server = "https://127.0.0.1:1";
  Client client(config);
  EventRecorder recorder(client, "bytewax.io/wax-operator", "pod-1");
  json flow = {{"apiVersion", "bytewax.io/v1alpha1"},
               {"kind", "Dataflow"},
               {"metadata", {{"name", "flow"}, {"namespace", "ns"}, {"uid", "u-1"}}}};
  auto now = std::chrono::system_clock::from_time_t(1704164645) + std::chrono::microseconds(42);
  json event =
      recorder.build(flow, {"Warning", "Degraded", "Reconcile", std::string(3000, 'x')}, now);
  EXPECT_EQ(event["metadata"]["namespace"], "ns");
  EXPECT_EQ(event["metadata"]["name"].get<std::string>().rfind("flow.", 0), 0u);
  EXPECT_EQ(event["eventTime"], "2024-01-02T03:04:05.000042Z");
  EXPECT_EQ(event["regarding"]["uid"], "u-1");
  EXPECT_EQ(event["regarding"]["kind"], "Dataflow");
  EXPECT_EQ(event["note"].get<std::string>().size(), kMaxEventNote);
  EXPECT_EQ(event["reportingController"], "bytewax.io/wax-operator");
}

TEST(Leases, RecordRoundTrips) {
  LeaseRecord record;
  record.holderIdentity = "a";
  record.leaseDurationSeconds = 15;
  record.renewTime = std::chrono::system_clock::from_time_t(1704164645);
  record.acquireTime = record.renewTime;
  record.leaseTransitions = 2;
  json lease = {{"spec", leaseSpecOf(record)}};
  EXPECT_EQ(lease["spec"]["renewTime"], "2024-01-02T03:04:05.000000Z");
  LeaseRecord back = leaseRecordOf(lease);
  EXPECT_EQ(back.holderIdentity, "a");
  EXPECT_EQ(back.leaseDurationSeconds, 15);
  EXPECT_EQ(back.renewTime, record.renewTime);
  EXPECT_EQ(back.leaseTransitions, 2);
}

}  // namespace
}  // namespace wax::kube
