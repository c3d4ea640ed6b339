// The dashboard's sessions and one-time sign-in links, with an injected clock.
#include "dashboard/sessions.h"

#include <gtest/gtest.h>

#include "dashboard/sign_in.h"

namespace wax::dashboard {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  Clock::time_point now = Clock::now();
  auto function() {
    return [this] { return now; };
  }
};

Session sessionOf(const std::string& user) {
  Session session;
  session.identity.user = user;
  return session;
}

TEST(SessionStoreTest, ASessionIsFoundByItsIdAndCarriesACsrfToken) {
  SessionStore store;
  const std::string id = store.create(sessionOf("alice"));
  const auto live = store.find(id);
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(live->session.identity.user, "alice");
  EXPECT_EQ(live->session.csrfToken.size(), 43u);
  EXPECT_NE(live->session.csrfToken, id);
  EXPECT_EQ(store.find(id + "x"), nullptr);
  EXPECT_EQ(store.find(""), nullptr);
}

TEST(SessionStoreTest, EachSessionGetsItsOwnIdAndToken) {
  SessionStore store;
  const std::string first = store.create(sessionOf("a"));
  const std::string second = store.create(sessionOf("a"));
  EXPECT_NE(first, second);
  EXPECT_NE(store.find(first)->session.csrfToken, store.find(second)->session.csrfToken);
}

TEST(SessionStoreTest, AnIdleSessionEnds) {
  FakeClock clock;
  SessionStore store({.idle = 10min, .lifetime = 24h, .maxSessions = 10}, clock.function());
  const std::string id = store.create(sessionOf("a"));
  clock.now += 9min;
  ASSERT_NE(store.find(id), nullptr);  // use keeps it alive
  clock.now += 9min;
  ASSERT_NE(store.find(id), nullptr);
  clock.now += 11min;
  EXPECT_EQ(store.find(id), nullptr);
  EXPECT_EQ(store.size(), 0u);
}

TEST(SessionStoreTest, ASessionInUseStillEndsAtItsLifetime) {
  FakeClock clock;
  SessionStore store({.idle = 1h, .lifetime = 2h, .maxSessions = 10}, clock.function());
  const std::string id = store.create(sessionOf("a"));
  for (int i = 0; i < 4; ++i) {
    clock.now += 30min;
    EXPECT_EQ(store.find(id) != nullptr, i < 3) << i;
  }
}

TEST(SessionStoreTest, AFullStoreDropsTheLeastRecentlyUsed) {
  FakeClock clock;
  SessionStore store({.idle = 1h, .lifetime = 2h, .maxSessions = 2}, clock.function());
  const std::string first = store.create(sessionOf("first"));
  clock.now += 1s;
  const std::string second = store.create(sessionOf("second"));
  clock.now += 1s;
  store.find(first);  // first is now the more recently used
  clock.now += 1s;
  const std::string third = store.create(sessionOf("third"));
  EXPECT_NE(store.find(first), nullptr);
  EXPECT_EQ(store.find(second), nullptr);
  EXPECT_NE(store.find(third), nullptr);
}

TEST(SessionStoreTest, EndForgetsTheSession) {
  SessionStore store;
  const std::string id = store.create(sessionOf("a"));
  store.end(id);
  EXPECT_EQ(store.find(id), nullptr);
}

TEST(SignInLinksTest, ACodeSignsInOnceAndOnlyBeforeItEnds) {
  FakeClock clock;
  SignInLinks links(15min, clock.function());
  const std::string code = links.mint();
  const std::string late = links.mint();
  EXPECT_FALSE(links.redeem("made-up"));
  EXPECT_FALSE(links.redeem(""));
  EXPECT_TRUE(links.redeem(code));
  EXPECT_FALSE(links.redeem(code));
  clock.now += 16min;
  EXPECT_FALSE(links.redeem(late));
}

TEST(SafeReturnPathTest, OnlyPathsOfThisSiteAreFollowed) {
  EXPECT_EQ(safeReturnPath("/ui/namespaces/a/dataflows/b?x=1"), "/ui/namespaces/a/dataflows/b?x=1");
  for (const char* elsewhere : {"https://evil.example/", "//evil.example/x", "/\\evil.example", "",
                                "/", "ui/dataflows", "/ui\r\nSet-Cookie: x=1"}) {
    EXPECT_EQ(safeReturnPath(elsewhere), "/ui/dataflows") << elsewhere;
  }
}

}  // namespace
}  // namespace wax::dashboard
