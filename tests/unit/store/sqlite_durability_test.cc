#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <sstream>
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
using testing::dataflow;
using testing::nameOf;
using testing::secret;
using testing::TempDir;
using testing::versionOf;

const Kind kDataflows = "dataflows";

// Runs one SQL statement on the file directly, bypassing the store; returns the first column of
// the first row.
std::string rawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  std::string result;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

TEST(SqliteDurabilityTest, ReopeningKeepsObjectsAndVersions) {
  TempDir dir;
  json updated;
  {
    StorePtr store = openSqliteStore(dir.file("wax.db"));
    store->create(kDataflows, dataflow("default", "a"));
    store->create("secrets", secret("team", "s", "eA=="));
    updated = store->update(kDataflows, dataflow("default", "a", "new:1"));
  }

  StorePtr store = openSqliteStore(dir.file("wax.db"));
  EXPECT_EQ(store->get(kDataflows, "default", "a"), updated);
  EXPECT_EQ(store->list("secrets", "").items.size(), 1u);
  EXPECT_EQ(store->list(kDataflows, "").resourceVersion, "3");
  EXPECT_EQ(store->namespaces(), (std::vector<std::string>{"default", "team"}));
  EXPECT_EQ(versionOf(store->create(kDataflows, dataflow("default", "b"))), 4);

  WatchPtr watch = store->watch(kDataflows, "", "1");
  const auto event = watch->next(std::chrono::milliseconds(50));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->object, updated) << "the change log survives a reopen";
}

TEST(SqliteDurabilityTest, VersionsAreNeverReusedAfterDeletesAndCompaction) {
  TempDir dir;
  {
    StorePtr store = openSqliteStore(dir.file("wax.db"), /*historyLimit=*/1);
    store->create(kDataflows, dataflow("default", "a"));
    store->create(kDataflows, dataflow("default", "b"));
    store->remove(kDataflows, "default", "a");
    store->remove(kDataflows, "default", "b");
  }

  StorePtr store = openSqliteStore(dir.file("wax.db"), /*historyLimit=*/1);
  EXPECT_EQ(store->list(kDataflows, "").resourceVersion, "4");
  EXPECT_EQ(versionOf(store->create(kDataflows, dataflow("default", "a"))), 5);
}

TEST(SqliteDurabilityTest, ANewerSchemaIsRefused) {
  TempDir dir;
  openSqliteStore(dir.file("wax.db"));
  rawQuery(dir.file("wax.db"), "PRAGMA user_version = 99");
  try {
    openSqliteStore(dir.file("wax.db"));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
}

TEST(SqliteDurabilityTest, ConcurrentWritersGetUniqueIncreasingVersionsAndAWatcherSeesAll) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 200;
  TempDir dir;
  StorePtr store = openSqliteStore(dir.file("wax.db"));
  WatchPtr watch = store->watch(kDataflows, "", "");

  std::vector<int64_t> watched;
  std::thread watcher([&] {
    while (watched.size() < kWriters * kPerWriter) {
      auto event = watch->next(std::chrono::seconds(30));
      if (!event) {
        return;
      }
      watched.push_back(versionOf(event->object));
    }
  });

  std::vector<std::vector<int64_t>> written(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        const std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
        written[w].push_back(versionOf(store->create(kDataflows, dataflow("default", name))));
      }
    });
  }
  for (std::thread& writer : writers) {
    writer.join();
  }
  watcher.join();

  std::set<int64_t> all;
  for (const auto& versions : written) {
    EXPECT_TRUE(std::is_sorted(versions.begin(), versions.end()));
    all.insert(versions.begin(), versions.end());
  }
  EXPECT_EQ(all.size(), size_t{kWriters * kPerWriter});
  ASSERT_EQ(watched.size(), size_t{kWriters * kPerWriter});
  EXPECT_TRUE(std::adjacent_find(watched.begin(), watched.end(), std::greater_equal<>()) ==
              watched.end())
      << "the watch delivers strictly increasing versions";
  EXPECT_EQ(std::set<int64_t>(watched.begin(), watched.end()), all);
}

// Acknowledged writes of a child process killed at a random moment, as "name version" lines.
class KilledWriter {
 public:
  // Forks a child that creates "<prefix>-<n>" objects in a loop and reports each acknowledged
  // write; kills it with SIGKILL after `acks` acknowledgements plus `extra` of delay.
  static std::map<std::string, int64_t> run(const std::string& path, const std::string& prefix,
                                            int acks, std::chrono::microseconds extra) {
    int fds[2];
    if (pipe(fds) != 0) {
      throw std::runtime_error("pipe failed");
    }
    const pid_t child = fork();
    if (child == 0) {
      close(fds[0]);
      writeForever(path, prefix, fds[1]);
    }
    close(fds[1]);

    std::string received;
    while (countLines(received) < acks && readSome(fds[0], received)) {
    }
    std::this_thread::sleep_for(extra);
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    while (readSome(fds[0], received)) {
    }
    close(fds[0]);
    EXPECT_TRUE(WIFSIGNALED(status)) << "the writer stopped on its own";
    return parse(received);
  }

 private:
  [[noreturn]] static void writeForever(const std::string& path, const std::string& prefix,
                                        int out) {
    try {
      StorePtr store = openSqliteStore(path);
      for (int n = 0;; ++n) {
        const json created =
            store->create(kDataflows, dataflow("default", prefix + "-" + std::to_string(n)));
        const std::string line = nameOf(created) + " " +
                                 created["metadata"]["resourceVersion"].get<std::string>() + "\n";
        // Lines are far below PIPE_BUF, so each write is atomic.
        if (write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
          _exit(2);
        }
      }
    } catch (...) {
      _exit(3);
    }
  }

  static bool readSome(int fd, std::string& into) {
    char buffer[4096];
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) {
      return false;
    }
    into.append(buffer, static_cast<size_t>(n));
    return true;
  }

  static int countLines(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  // Complete lines only: a line cut short was never fully acknowledged.
  static std::map<std::string, int64_t> parse(const std::string& text) {
    std::map<std::string, int64_t> acknowledged;
    std::istringstream lines(text.substr(0, text.rfind('\n') + 1));
    std::string name;
    int64_t version = 0;
    while (lines >> name >> version) {
      acknowledged[name] = version;
    }
    return acknowledged;
  }
};

TEST(SqliteDurabilityTest, AKilledWriterLosesNoAcknowledgedWrite) {
  TempDir dir;
  const std::string path = dir.file("wax.db");
  const unsigned seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);

  std::map<std::string, int64_t> acknowledged;
  for (int round = 0; round < 5; ++round) {
    const int acks = std::uniform_int_distribution<int>(1, 150)(random);
    const auto extra =
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20000)(random));
    auto acked = KilledWriter::run(path, "r" + std::to_string(round), acks, extra);
    EXPECT_GE(acked.size(), static_cast<size_t>(acks));
    acknowledged.insert(acked.begin(), acked.end());

    EXPECT_EQ(rawQuery(path, "PRAGMA integrity_check"), "ok");
    StorePtr store = openSqliteStore(path);
    for (const auto& [name, version] : acknowledged) {
      const json stored = store->get(kDataflows, "default", name);
      EXPECT_EQ(versionOf(stored), version) << name;
    }
  }
}

}  // namespace
}  // namespace wax::store
