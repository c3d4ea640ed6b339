#include "store/object_meta.h"

#include <regex>
#include <set>

#include <gtest/gtest.h>

namespace wax::store {
namespace {

using nlohmann::json;

TEST(ObjectMetaTest, UidsAreCanonicalVersion4AndDistinct) {
  const std::regex canonical("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string uid = newUid();
    EXPECT_TRUE(std::regex_match(uid, canonical)) << uid;
    seen.insert(uid);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(ObjectMetaTest, TimestampsAreRfc3339InUtc) {
  const auto time = std::chrono::system_clock::time_point(std::chrono::seconds(1796320800)) +
                    std::chrono::milliseconds(999);
  EXPECT_EQ(formatTimestamp(time), "2026-12-03T18:00:00Z");
}

TEST(ObjectMetaTest, DesiredStateIsEverythingButMetadataAndStatus) {
  const json object = {{"apiVersion", "v1"},
                       {"kind", "Secret"},
                       {"metadata", {{"name", "x"}}},
                       {"status", {{"phase", "Ready"}}},
                       {"type", "Opaque"},
                       {"data", {{"k", "dg=="}}}};
  EXPECT_EQ(desiredState(object), (json{{"type", "Opaque"}, {"data", {{"k", "dg=="}}}}));
}

TEST(ObjectMetaTest, AddsFinalizerComparesLists) {
  const json stored = {{"metadata", {{"finalizers", {"a", "b"}}}}};
  EXPECT_FALSE(addsFinalizer(stored, {{"metadata", {{"finalizers", {"b"}}}}}));
  EXPECT_FALSE(addsFinalizer(stored, {{"metadata", json::object()}}));
  EXPECT_TRUE(addsFinalizer(stored, {{"metadata", {{"finalizers", {"a", "c"}}}}}));
}

TEST(ObjectMetaTest, ANonStringNameIsInvalid) {
  const json object = {{"metadata", {{"name", 7}, {"namespace", "default"}}}};
  try {
    requireName("dataflows", object);
    ADD_FAILURE() << "expected Invalid";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_NE(std::string(e.what()).find("metadata.name"), std::string::npos) << e.what();
  }
}

TEST(ObjectMetaTest, MalformedFinalizersAreInvalid) {
  for (const json& finalizers : {json("one"), json::array({"ok", 3})}) {
    const json object = {
        {"metadata", {{"name", "x"}, {"namespace", "default"}, {"finalizers", finalizers}}}};
    try {
      requireName("dataflows", object);
      ADD_FAILURE() << "expected Invalid for " << finalizers;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Invalid);
      EXPECT_NE(std::string(e.what()).find("metadata.finalizers"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace wax::store
