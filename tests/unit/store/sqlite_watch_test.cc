#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "store/sqlite_store.h"
#include "store_test_util.h"

namespace wax::store {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::dataflow;
using testing::nameOf;
using testing::secret;
using testing::TempDir;
using testing::versionOf;

const Kind kDataflows = "dataflows";
const Kind kSecrets = "secrets";
constexpr milliseconds kShort{50};
constexpr milliseconds kLong{5000};

class SqliteWatchTest : public ::testing::Test {
 protected:
  StorePtr open(int64_t historyLimit = 10000) {
    return openSqliteStore(dir_.file("wax.db"), historyLimit);
  }

  TempDir dir_;
};

// The event as "TYPE name", which makes sequences easy to compare.
std::string describe(const WatchEvent& event) {
  const char* type = event.type == EventType::Added      ? "Added"
                     : event.type == EventType::Modified ? "Modified"
                                                         : "Deleted";
  return std::string(type) + " " + nameOf(event.object);
}

// Reads events until none arrives within kShort.
std::vector<std::string> drain(Watch& watch) {
  std::vector<std::string> events;
  while (auto event = watch.next(kShort)) {
    events.push_back(describe(*event));
  }
  return events;
}

TEST_F(SqliteWatchTest, FromAVersionReplaysExactlyTheLaterEventsInOrder) {
  StorePtr store = open();
  const json first = store->create(kDataflows, dataflow("default", "a"));
  store->create(kDataflows, dataflow("default", "b"));
  store->update(kDataflows, dataflow("default", "a", "new:1"));
  store->remove(kDataflows, "default", "b");

  WatchPtr watch = store->watch(kDataflows, "", first["metadata"]["resourceVersion"]);

  std::vector<int64_t> versions;
  std::vector<std::string> events;
  while (auto event = watch->next(kShort)) {
    events.push_back(describe(*event));
    versions.push_back(versionOf(event->object));
  }
  EXPECT_EQ(events, (std::vector<std::string>{"Added b", "Modified a", "Deleted b"}));
  EXPECT_EQ(versions, (std::vector<int64_t>{2, 3, 4}));
}

TEST_F(SqliteWatchTest, FromEmptyListsCurrentObjectsThenFollowsChanges) {
  StorePtr store = open();
  store->create(kDataflows, dataflow("default", "b"));
  store->create(kDataflows, dataflow("default", "a"));
  store->remove(kDataflows, "default", "b");
  store->create(kDataflows, dataflow("default", "c"));

  for (const std::string from : {"", "0"}) {
    WatchPtr watch = store->watch(kDataflows, "", from);
    EXPECT_EQ(drain(*watch), (std::vector<std::string>{"Added a", "Added c"})) << from;
  }

  WatchPtr watch = store->watch(kDataflows, "", "");
  EXPECT_EQ(drain(*watch), (std::vector<std::string>{"Added a", "Added c"}));
  store->create(kDataflows, dataflow("default", "d"));
  store->update(kDataflows, dataflow("default", "a", "new:1"));
  EXPECT_EQ(drain(*watch), (std::vector<std::string>{"Added d", "Modified a"}));
}

TEST_F(SqliteWatchTest, FiltersByKindAndNamespace) {
  StorePtr store = open();
  WatchPtr teamA = store->watch(kDataflows, "team-a", "");
  WatchPtr allFlows = store->watch(kDataflows, "", "");
  WatchPtr secrets = store->watch(kSecrets, "", "");

  store->create(kDataflows, dataflow("team-a", "a1"));
  store->create(kDataflows, dataflow("team-b", "b1"));
  store->create(kSecrets, secret("team-a", "s1", "eA=="));
  store->create(kDataflows, dataflow("team-a", "a2"));

  EXPECT_EQ(drain(*teamA), (std::vector<std::string>{"Added a1", "Added a2"}));
  EXPECT_EQ(drain(*allFlows), (std::vector<std::string>{"Added a1", "Added b1", "Added a2"}));
  EXPECT_EQ(drain(*secrets), (std::vector<std::string>{"Added s1"}));
}

TEST_F(SqliteWatchTest, FromCompactedHistoryIsGone) {
  StorePtr store = open(/*historyLimit=*/5);
  for (int i = 0; i < 20; ++i) {
    store->create(kDataflows, dataflow("default", "f" + std::to_string(i)));
  }

  try {
    store->watch(kDataflows, "", "1");
    ADD_FAILURE() << "expected Gone";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Gone);
    EXPECT_NE(std::string(e.what()).find("too old resource version: 1 (15)"), std::string::npos)
        << e.what();
  }

  // The oldest version still kept is 16, so a watch after 15 misses nothing.
  WatchPtr watch = store->watch(kDataflows, "", "15");
  EXPECT_EQ(drain(*watch), (std::vector<std::string>{"Added f15", "Added f16", "Added f17",
                                                     "Added f18", "Added f19"}));
}

TEST_F(SqliteWatchTest, AWatchOvertakenByCompactionIsGone) {
  StorePtr store = open(/*historyLimit=*/3);
  WatchPtr watch = store->watch(kDataflows, "", "");
  for (int i = 0; i < 10; ++i) {
    store->create(kDataflows, dataflow("default", "f" + std::to_string(i)));
  }
  try {
    watch->next(kShort);
    ADD_FAILURE() << "expected Gone";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Gone) << e.what();
  }
}

TEST_F(SqliteWatchTest, AVersionAheadOfTheStoreIsGoneAndGarbageIsInvalid) {
  StorePtr store = open();
  store->create(kDataflows, dataflow("default", "a"));
  try {
    store->watch(kDataflows, "", "99");
    ADD_FAILURE() << "expected Gone";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Gone) << e.what();
  }
  try {
    store->watch(kDataflows, "", "12abc");
    ADD_FAILURE() << "expected Invalid";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid) << e.what();
  }
}

TEST_F(SqliteWatchTest, StopWakesANextBlockedInAnotherThread) {
  StorePtr store = open();
  WatchPtr watch = store->watch(kDataflows, "", "");
  const auto start = std::chrono::steady_clock::now();
  auto waiting = std::async(std::launch::async, [&] { return watch->next(milliseconds(30000)); });

  std::this_thread::sleep_for(milliseconds(100));
  watch->stop();

  ASSERT_EQ(waiting.wait_for(milliseconds(5000)), std::future_status::ready);
  EXPECT_FALSE(waiting.get().has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(5000));
  EXPECT_FALSE(watch->next(kShort).has_value()) << "a stopped watch stays stopped";
}

TEST_F(SqliteWatchTest, AWriteWakesAWaitingWatchWithoutPolling) {
  StorePtr store = open();
  WatchPtr watch = store->watch(kDataflows, "", "");
  std::chrono::steady_clock::time_point written;
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(100));
    store->create(kDataflows, dataflow("default", "a"));
    written = std::chrono::steady_clock::now();
  });

  const auto event = watch->next(kLong);
  const auto received = std::chrono::steady_clock::now();
  writer.join();

  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(describe(*event), "Added a");
  // Well under the one-second poll that catches writes from other processes.
  EXPECT_LT(received - written, milliseconds(500));
}

TEST_F(SqliteWatchTest, SeesWritesFromAnotherConnectionToTheSameFile) {
  StorePtr watched = open();
  StorePtr other = open();
  WatchPtr watch = watched->watch(kDataflows, "", "");
  // The write lands while the watch sleeps; only the periodic re-read can notice it, since the
  // other store has its own notifier (as another process would).
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(100));
    other->create(kDataflows, dataflow("default", "from-elsewhere"));
  });

  const auto event = watch->next(kLong);
  writer.join();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(describe(*event), "Added from-elsewhere");
}

TEST_F(SqliteWatchTest, AWatchOutlivesItsStore) {
  StorePtr store = open();
  store->create(kDataflows, dataflow("default", "a"));
  WatchPtr watch = store->watch(kDataflows, "", "");
  store.reset();

  EXPECT_EQ(drain(*watch), (std::vector<std::string>{"Added a"}));
}

TEST_F(SqliteWatchTest, ALongBacklogArrivesCompleteAndInOrder) {
  StorePtr store = open();
  WatchPtr watch = store->watch(kDataflows, "", "");
  for (int i = 0; i < 300; ++i) {
    store->create(kDataflows, dataflow("default", "f" + std::to_string(i)));
  }

  int64_t previous = 0;
  int count = 0;
  while (auto event = watch->next(kShort)) {
    EXPECT_EQ(nameOf(event->object), "f" + std::to_string(count));
    EXPECT_GT(versionOf(event->object), previous);
    previous = versionOf(event->object);
    ++count;
  }
  EXPECT_EQ(count, 300);
}

}  // namespace
}  // namespace wax::store
