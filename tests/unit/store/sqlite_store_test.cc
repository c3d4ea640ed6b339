#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "store/sqlite_store.h"
#include "store_test_util.h"

namespace wax::store {
namespace {

using nlohmann::json;
using testing::dataflow;
using testing::FakeClock;
using testing::secret;
using testing::TempDir;
using testing::versionOf;

const Kind kDataflows = "dataflows";
const Kind kSecrets = "secrets";

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = open(); }

  StorePtr open() {
    SqliteStoreOptions options;
    options.clock = [this] { return clock_.now(); };
    return openSqliteStore(dir_.file("wax.db"), options);
  }

  TempDir dir_;
  FakeClock clock_;
  StorePtr store_;
};

// Runs `call`, expecting a wax::Error with `code` whose message contains `text`.
template <typename Call>
void expectError(ErrorCode code, const std::string& text, Call call) {
  try {
    call();
    ADD_FAILURE() << "expected an error containing: " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST_F(SqliteStoreTest, CreateSetsServerFieldsAndDropsStatus) {
  json object = dataflow("default", "my-flow");
  object["metadata"]["uid"] = "forged";
  object["metadata"]["deletionTimestamp"] = "2000-01-01T00:00:00Z";
  object["status"] = {{"phase", "Running"}};

  const json created = store_->create(kDataflows, object);

  const json& metadata = created["metadata"];
  EXPECT_EQ(metadata["resourceVersion"], "1");
  EXPECT_EQ(metadata["generation"], 1);
  EXPECT_EQ(metadata["creationTimestamp"], "2026-12-03T18:00:00Z");
  EXPECT_NE(metadata["uid"], "forged");
  EXPECT_EQ(metadata["uid"].get<std::string>().size(), 36u);
  EXPECT_FALSE(metadata.contains("deletionTimestamp"));
  EXPECT_FALSE(created.contains("status"));
  EXPECT_EQ(created["spec"], object["spec"]);
  EXPECT_EQ(store_->get(kDataflows, "default", "my-flow"), created);
}

TEST_F(SqliteStoreTest, CreateOfATakenNameIsAlreadyExistsAndKeepsTheFirst) {
  const json first = store_->create(kDataflows, dataflow("default", "my-flow", "first:1"));

  expectError(ErrorCode::AlreadyExists, "dataflows \"default/my-flow\" already exists",
              [&] { store_->create(kDataflows, dataflow("default", "my-flow", "second:1")); });
  EXPECT_EQ(store_->get(kDataflows, "default", "my-flow"), first);
}

TEST_F(SqliteStoreTest, SameNameInAnotherNamespaceOrKindIsAnotherObject) {
  store_->create(kDataflows, dataflow("default", "shared"));
  store_->create(kDataflows, dataflow("team-a", "shared"));
  store_->create(kSecrets, secret("default", "shared", "dG9rZW4="));

  EXPECT_EQ(store_->list(kDataflows, "").items.size(), 2u);
  EXPECT_EQ(store_->list(kSecrets, "").items.size(), 1u);
}

TEST_F(SqliteStoreTest, CreateWithoutNameOrNamespaceIsInvalid) {
  json unnamed = dataflow("default", "x");
  unnamed["metadata"].erase("name");
  expectError(ErrorCode::Invalid, "metadata.name", [&] { store_->create(kDataflows, unnamed); });

  json emptyName = dataflow("default", "");
  expectError(ErrorCode::Invalid, "metadata.name", [&] { store_->create(kDataflows, emptyName); });

  json noNamespace = dataflow("default", "x");
  noNamespace["metadata"].erase("namespace");
  expectError(ErrorCode::Invalid, "metadata.namespace",
              [&] { store_->create(kDataflows, noNamespace); });

  expectError(ErrorCode::Invalid, "metadata", [&] { store_->create(kDataflows, json::array()); });
  EXPECT_TRUE(store_->list(kDataflows, "").items.empty());
}

TEST_F(SqliteStoreTest, GetOfAMissingObjectIsNotFound) {
  expectError(ErrorCode::NotFound, "dataflows \"default/my-flow\" not found",
              [&] { store_->get(kDataflows, "default", "my-flow"); });
}

TEST_F(SqliteStoreTest, ListFiltersByNamespaceAndSortsByNamespaceThenName) {
  store_->create(kDataflows, dataflow("b", "x"));
  store_->create(kDataflows, dataflow("a", "y"));
  store_->create(kDataflows, dataflow("a", "x"));
  store_->create(kDataflows, dataflow("default", "z"));
  store_->create(kSecrets, secret("a", "w", "dG9rZW4="));

  const ListResult all = store_->list(kDataflows, "");
  std::vector<std::string> keys;
  for (const json& item : all.items) {
    keys.push_back(item["metadata"]["namespace"].get<std::string>() + "/" +
                   item["metadata"]["name"].get<std::string>());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"a/x", "a/y", "b/x", "default/z"}));
  EXPECT_EQ(all.resourceVersion, "5");

  const ListResult inA = store_->list(kDataflows, "a");
  ASSERT_EQ(inA.items.size(), 2u);
  EXPECT_EQ(inA.items[0]["metadata"]["name"], "x");
  EXPECT_EQ(inA.items[1]["metadata"]["name"], "y");
  EXPECT_TRUE(store_->list(kDataflows, "nowhere").items.empty());
}

TEST_F(SqliteStoreTest, UpdateWithAStaleVersionConflictsAndChangesNothing) {
  const json created = store_->create(kDataflows, dataflow("default", "my-flow"));
  json first = created;
  first["spec"]["image"] = "first:1";
  store_->update(kDataflows, first);

  json stale = created;
  stale["spec"]["image"] = "stale:1";
  expectError(ErrorCode::Conflict,
              "Operation cannot be fulfilled on dataflows \"default/my-flow\": the object has been "
              "modified; please apply your changes to the latest version and try again",
              [&] { store_->update(kDataflows, stale); });
  expectError(ErrorCode::Conflict, "has been modified",
              [&] { store_->updateStatus(kDataflows, stale); });

  const json stored = store_->get(kDataflows, "default", "my-flow");
  EXPECT_EQ(stored["spec"]["image"], "first:1");
  EXPECT_EQ(stored["metadata"]["resourceVersion"], "2");
}

TEST_F(SqliteStoreTest, UpdateWithoutAVersionIsLastWriteWins) {
  store_->create(kDataflows, dataflow("default", "my-flow"));
  store_->update(kDataflows, dataflow("default", "my-flow", "one:1"));

  const json updated = store_->update(kDataflows, dataflow("default", "my-flow", "two:1"));

  EXPECT_EQ(updated["spec"]["image"], "two:1");
  EXPECT_EQ(updated["metadata"]["resourceVersion"], "3");
}

TEST_F(SqliteStoreTest, UpdateOfAMissingObjectIsNotFound) {
  expectError(ErrorCode::NotFound, "dataflows \"default/ghost\" not found",
              [&] { store_->update(kDataflows, dataflow("default", "ghost")); });
  expectError(ErrorCode::NotFound, "not found",
              [&] { store_->updateStatus(kDataflows, dataflow("default", "ghost")); });
}

TEST_F(SqliteStoreTest, UpdateWithAnotherObjectsUidConflicts) {
  json object = store_->create(kDataflows, dataflow("default", "my-flow"));
  object["metadata"]["uid"] = "00000000-0000-4000-8000-000000000000";
  expectError(ErrorCode::Conflict, "uid", [&] { store_->update(kDataflows, object); });
}

TEST_F(SqliteStoreTest, GenerationGrowsOnlyWhenSpecChanges) {
  json object = store_->create(kDataflows, dataflow("default", "my-flow"));

  object["metadata"]["labels"] = {{"team", "data"}};
  object = store_->update(kDataflows, object);
  EXPECT_EQ(object["metadata"]["generation"], 1);
  EXPECT_EQ(object["metadata"]["labels"]["team"], "data");

  object["metadata"]["annotations"] = {{"note", "hello"}};
  object = store_->update(kDataflows, object);
  EXPECT_EQ(object["metadata"]["generation"], 1);

  object["spec"]["processes"] = 3;
  object = store_->update(kDataflows, object);
  EXPECT_EQ(object["metadata"]["generation"], 2);
  EXPECT_EQ(object["metadata"]["resourceVersion"], "4");
}

TEST_F(SqliteStoreTest, SecretDataCountsAsSpecForGeneration) {
  json object = store_->create(kSecrets, secret("default", "token", "b25l"));

  object["metadata"]["labels"] = {{"a", "b"}};
  object = store_->update(kSecrets, object);
  EXPECT_EQ(object["metadata"]["generation"], 1);

  object["data"]["token"] = "dHdv";
  object = store_->update(kSecrets, object);
  EXPECT_EQ(object["metadata"]["generation"], 2);

  object["binaryData"] = {{"blob", "AAE="}};
  object = store_->update(kSecrets, object);
  EXPECT_EQ(object["metadata"]["generation"], 3);
}

TEST_F(SqliteStoreTest, UpdateKeepsStatusAndServerOwnedMetadata) {
  json object = store_->create(kDataflows, dataflow("default", "my-flow"));
  object["status"] = {{"phase", "Running"}};
  object = store_->updateStatus(kDataflows, object);

  json edit = object;
  edit["status"] = {{"phase", "Forged"}};
  edit["metadata"]["creationTimestamp"] = "1999-01-01T00:00:00Z";
  edit["metadata"]["generation"] = 42;
  edit["spec"]["image"] = "new:1";
  const json updated = store_->update(kDataflows, edit);

  EXPECT_EQ(updated["status"]["phase"], "Running");
  EXPECT_EQ(updated["metadata"]["creationTimestamp"], object["metadata"]["creationTimestamp"]);
  EXPECT_EQ(updated["metadata"]["uid"], object["metadata"]["uid"]);
  EXPECT_EQ(updated["metadata"]["generation"], 2);
  EXPECT_EQ(updated["spec"]["image"], "new:1");
}

TEST_F(SqliteStoreTest, UpdateStatusChangesOnlyStatus) {
  const json created = store_->create(kDataflows, dataflow("default", "my-flow"));

  json edit = created;
  edit["spec"]["image"] = "ignored:1";
  edit["metadata"]["labels"] = {{"ignored", "yes"}};
  edit["status"] = {{"phase", "Running"}, {"observedGeneration", 1}};
  const json updated = store_->updateStatus(kDataflows, edit);

  EXPECT_EQ(updated["status"]["phase"], "Running");
  EXPECT_EQ(updated["spec"], created["spec"]);
  EXPECT_FALSE(updated["metadata"].contains("labels"));
  EXPECT_EQ(updated["metadata"]["generation"], 1);
  EXPECT_GT(versionOf(updated), versionOf(created));
  EXPECT_EQ(store_->get(kDataflows, "default", "my-flow"), updated);
}

TEST_F(SqliteStoreTest, AnUpdateThatChangesNothingKeepsTheVersion) {
  json object = store_->create(kDataflows, dataflow("default", "my-flow"));
  object["status"] = {{"phase", "Running"}};
  object = store_->updateStatus(kDataflows, object);

  EXPECT_EQ(store_->update(kDataflows, object), object);
  EXPECT_EQ(store_->updateStatus(kDataflows, object), object);
  EXPECT_EQ(store_->list(kDataflows, "").resourceVersion, object["metadata"]["resourceVersion"]);
}

TEST_F(SqliteStoreTest, RemoveWithoutFinalizersDeletesAndReturnsTheLastState) {
  const json created = store_->create(kDataflows, dataflow("default", "my-flow"));

  const json removed = store_->remove(kDataflows, "default", "my-flow");

  EXPECT_EQ(removed["spec"], created["spec"]);
  EXPECT_EQ(removed["metadata"]["resourceVersion"], "2");
  expectError(ErrorCode::NotFound, "not found",
              [&] { store_->get(kDataflows, "default", "my-flow"); });
  expectError(ErrorCode::NotFound, "dataflows \"default/my-flow\" not found",
              [&] { store_->remove(kDataflows, "default", "my-flow"); });
}

TEST_F(SqliteStoreTest, FinalizersHoldDeletionUntilTheyAreRemoved) {
  json object = dataflow("default", "my-flow");
  object["metadata"]["finalizers"] = {"platform.bytewax.io/cleanup"};
  store_->create(kDataflows, object);

  const json marked = store_->remove(kDataflows, "default", "my-flow");
  EXPECT_EQ(marked["metadata"]["deletionTimestamp"], "2026-12-03T18:00:00Z");
  EXPECT_EQ(marked["metadata"]["resourceVersion"], "2");
  EXPECT_EQ(store_->get(kDataflows, "default", "my-flow"), marked);

  clock_.advance(std::chrono::seconds(30));
  const json again = store_->remove(kDataflows, "default", "my-flow");
  EXPECT_EQ(again, marked) << "a repeated delete keeps the first deletionTimestamp";

  json withExtra = marked;
  withExtra["metadata"]["finalizers"].push_back("another/finalizer");
  expectError(ErrorCode::Invalid, "metadata.finalizers",
              [&] { store_->update(kDataflows, withExtra); });

  json released = marked;
  released["metadata"]["finalizers"] = json::array();
  const json last = store_->update(kDataflows, released);
  EXPECT_EQ(last["metadata"]["resourceVersion"], "3");
  EXPECT_EQ(last["metadata"]["deletionTimestamp"], "2026-12-03T18:00:00Z");
  expectError(ErrorCode::NotFound, "not found",
              [&] { store_->get(kDataflows, "default", "my-flow"); });
}

TEST_F(SqliteStoreTest, ResourceVersionsIncreaseAcrossKinds) {
  int64_t previous = 0;
  for (int i = 0; i < 5; ++i) {
    const json flow = store_->create(kDataflows, dataflow("default", "f" + std::to_string(i)));
    const json token = store_->create(kSecrets, secret("default", "s" + std::to_string(i), "eA=="));
    EXPECT_GT(versionOf(flow), previous);
    EXPECT_GT(versionOf(token), versionOf(flow));
    previous = versionOf(token);
  }
  EXPECT_EQ(store_->list(kSecrets, "").resourceVersion, std::to_string(previous));
}

TEST_F(SqliteStoreTest, NamespacesAreDistinctSortedAndIncludeDefault) {
  EXPECT_EQ(store_->namespaces(), std::vector<std::string>{"default"});

  store_->create(kDataflows, dataflow("zeta", "a"));
  store_->create(kDataflows, dataflow("alpha", "a"));
  store_->create(kDataflows, dataflow("alpha", "b"));
  store_->create(kSecrets, secret("mid", "a", "eA=="));

  EXPECT_EQ(store_->namespaces(), (std::vector<std::string>{"alpha", "default", "mid", "zeta"}));
}

TEST(SqliteStoreOpenTest, AHistoryLimitBelowOneIsInvalid) {
  TempDir dir;
  EXPECT_THROW(openSqliteStore(dir.file("wax.db"), 0), Error);
}

TEST(SqliteStoreOpenTest, AMissingDirectoryIsReported) {
  TempDir dir;
  try {
    openSqliteStore(dir.file("missing/wax.db"));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
    EXPECT_NE(std::string(e.what()).find("missing/wax.db"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wax::store
