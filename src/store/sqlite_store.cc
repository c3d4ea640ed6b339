#include "store/sqlite_store.h"

#include <charconv>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "common/error.h"
#include "common/logging.h"
#include "store/change_log.h"
#include "store/object_meta.h"
#include "store/schema.h"
#include "store/sqlite_watch.h"
#include "store/store_state.h"

namespace wax::store {
namespace {

using nlohmann::json;

std::string encode(const Kind& kind, const ObjectName& name, const json& body) {
  try {
    return body.dump();
  } catch (const json::exception&) {
    throw invalid(kind, name, "a string in the object is not valid UTF-8");
  }
}

json decode(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Error(
        ErrorCode::Internal,
        std::string("the store holds an unreadable object; the database is damaged: ") + e.what());
  }
}

int64_t parseResourceVersion(const std::string& text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    throw Error(ErrorCode::Invalid,
                "resourceVersion \"" + text + "\" is invalid: use a version returned by the store");
  }
  return value;
}

const std::string& storedResourceVersion(const json& stored) {
  return stored["metadata"]["resourceVersion"].get_ref<const std::string&>();
}

// The optimistic-concurrency checks of an update: a stale resourceVersion means the client did
// not see the latest write, a different uid means it saw an earlier object of the same name.
void checkPreconditions(const Kind& kind, const ObjectName& name, const json& stored,
                        const json& object) {
  const std::string requested = requestedResourceVersion(kind, object);
  if (!requested.empty() && requested != storedResourceVersion(stored)) {
    throw conflict(kind, name);
  }
  const json& metadata = object["metadata"];
  const auto uid = metadata.find("uid");
  if (uid != metadata.end() && uid->is_string() && !uid->get_ref<const std::string&>().empty() &&
      *uid != stored["metadata"]["uid"]) {
    throw uidMismatch(kind, name, uid->get<std::string>(), stored["metadata"]["uid"]);
  }
}

// Copies `field` of `from`'s metadata into `to`'s, or removes it from `to` when `from` lacks it.
void keepMetadataField(const json& from, json& to, const char* field) {
  const json& source = from["metadata"];
  json& target = to["metadata"];
  if (source.contains(field)) {
    target[field] = source[field];
  } else {
    target.erase(field);
  }
}

void keepStatus(const json& from, json& to) {
  if (from.contains("status")) {
    to["status"] = from["status"];
  } else {
    to.erase("status");
  }
}

json newObject(const json& object, const std::string& now) {
  json body = object;
  json& metadata = body["metadata"];
  metadata.erase("deletionTimestamp");
  metadata["uid"] = newUid();
  metadata["creationTimestamp"] = now;
  metadata["generation"] = 1;
  body.erase("status");
  return body;
}

// `object` as update() stores it over `stored`; the resourceVersion is still the stored one.
json replacedObject(const json& stored, const json& object) {
  json body = object;
  for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp", "resourceVersion"}) {
    keepMetadataField(stored, body, field);
  }
  const int64_t generation = stored["metadata"]["generation"].get<int64_t>();
  const bool specChanged = desiredState(stored) != desiredState(object);
  body["metadata"]["generation"] = specChanged ? generation + 1 : generation;
  keepStatus(stored, body);
  return body;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::shared_ptr<StoreState> state, SqliteStoreOptions options)
      : state_(std::move(state)), options_(std::move(options)) {}

  json create(const Kind& kind, const json& object) override {
    const ObjectName name = requireName(kind, object);
    return mutate(kind, name, [&](const std::optional<json>& stored) -> std::optional<Write> {
      if (stored) {
        throw alreadyExists(kind, name);
      }
      return Write{EventType::Added, newObject(object, now())};
    });
  }

  json get(const Kind& kind, const std::string& ns, const std::string& name) override {
    const ObjectName key{ns, name};
    std::lock_guard lock(state_->mutex);
    std::optional<json> stored = load(kind, key);
    if (!stored) {
      throw notFound(kind, key);
    }
    return std::move(*stored);
  }

  ListResult list(const Kind& kind, const std::string& ns) override {
    std::lock_guard lock(state_->mutex);
    sqlite::Transaction transaction(state_->db, sqlite::Transaction::Mode::Read);
    ListResult result;
    result.items = loadAll(kind, ns);
    result.resourceVersion = std::to_string(currentResourceVersion(state_->db));
    transaction.commit();
    return result;
  }

  json update(const Kind& kind, const json& object) override {
    const ObjectName name = requireName(kind, object);
    return mutate(kind, name, [&](const std::optional<json>& stored) -> std::optional<Write> {
      if (!stored) {
        throw notFound(kind, name);
      }
      checkPreconditions(kind, name, *stored, object);
      if (isMarkedForDeletion(*stored) && addsFinalizer(*stored, object)) {
        throw invalid(kind, name,
                      "metadata.finalizers: Forbidden: no new finalizers can be added while the "
                      "object is being deleted");
      }
      json body = replacedObject(*stored, object);
      if (isMarkedForDeletion(body) && !hasFinalizers(body)) {
        return Write{EventType::Deleted, std::move(body)};
      }
      return changedOrNothing(*stored, std::move(body));
    });
  }

  json updateStatus(const Kind& kind, const json& object) override {
    const ObjectName name = requireName(kind, object);
    return mutate(kind, name, [&](const std::optional<json>& stored) -> std::optional<Write> {
      if (!stored) {
        throw notFound(kind, name);
      }
      checkPreconditions(kind, name, *stored, object);
      json body = *stored;
      keepStatus(object, body);
      return changedOrNothing(*stored, std::move(body));
    });
  }

  json remove(const Kind& kind, const std::string& ns, const std::string& name) override {
    const ObjectName key{ns, name};
    return mutate(kind, key, [&](const std::optional<json>& stored) -> std::optional<Write> {
      if (!stored) {
        throw notFound(kind, key);
      }
      if (!hasFinalizers(*stored)) {
        return Write{EventType::Deleted, *stored};
      }
      // Already marked: the first deletionTimestamp stands, as on the API server.
      if (isMarkedForDeletion(*stored)) {
        return std::nullopt;
      }
      json body = *stored;
      body["metadata"]["deletionTimestamp"] = now();
      return Write{EventType::Modified, std::move(body)};
    });
  }

  WatchPtr watch(const Kind& kind, const std::string& ns,
                 const std::string& fromResourceVersion) override {
    const int64_t from =
        fromResourceVersion.empty() ? 0 : parseResourceVersion(fromResourceVersion);
    std::deque<WatchEvent> initial;
    int64_t afterVersion = from;
    {
      std::lock_guard lock(state_->mutex);
      sqlite::Transaction transaction(state_->db, sqlite::Transaction::Mode::Read);
      if (from == 0) {
        for (json& object : loadAll(kind, ns)) {
          initial.push_back({EventType::Added, std::move(object)});
        }
        afterVersion = currentResourceVersion(state_->db);
      } else {
        requireHistorySince(state_->db, from);
      }
      transaction.commit();
    }
    return std::make_unique<SqliteWatch>(state_, ChangeFilter{kind, ns}, afterVersion,
                                         std::move(initial));
  }

  std::vector<std::string> namespaces() override {
    std::set<std::string> names{"default"};
    {
      std::lock_guard lock(state_->mutex);
      sqlite::Statement query(state_->db, "SELECT DISTINCT namespace FROM objects");
      while (query.step()) {
        names.insert(query.text(0));
      }
    }
    return {names.begin(), names.end()};
  }

 private:
  struct Write {
    EventType type;
    json body;
  };

  // An update that changes nothing is not a write: like the API server, the store keeps the
  // resourceVersion and emits no event, so a controller that rewrites an unchanged status does
  // not wake itself up.
  static std::optional<Write> changedOrNothing(const json& stored, json body) {
    if (body == stored) {
      return std::nullopt;
    }
    return Write{EventType::Modified, std::move(body)};
  }

  // Runs one write transaction: `decide` sees the stored object (if any) and returns the write
  // to make, or nullopt to leave the store as it is. Returns the object as written (or as
  // stored, for nullopt).
  template <typename Decide>
  json mutate(const Kind& kind, const ObjectName& name, Decide decide) {
    int64_t version = 0;
    json result;
    {
      std::lock_guard lock(state_->mutex);
      sqlite::Transaction transaction(state_->db, sqlite::Transaction::Mode::Write);
      std::optional<json> stored = load(kind, name);
      std::optional<Write> write = decide(stored);
      if (!write) {
        return std::move(*stored);
      }

      version = currentResourceVersion(state_->db) + 1;
      write->body["metadata"]["resourceVersion"] = std::to_string(version);
      const std::string text = encode(kind, name, write->body);
      if (write->type == EventType::Deleted) {
        erase(kind, name);
      } else {
        save(kind, name, write->body, text, version);
      }
      appendChange(state_->db, version, kind, name, write->type, text, options_.historyLimit);
      transaction.commit();
      result = std::move(write->body);
    }
    state_->notifier.publish(version);
    return result;
  }

  std::optional<json> load(const Kind& kind, const ObjectName& name) {
    sqlite::Statement query(
        state_->db, "SELECT body FROM objects WHERE kind = ? AND namespace = ? AND name = ?");
    query.bind(1, kind).bind(2, name.ns).bind(3, name.name);
    if (!query.step()) {
      return std::nullopt;
    }
    return decode(query.text(0));
  }

  std::vector<json> loadAll(const Kind& kind, const std::string& ns) {
    const bool allNamespaces = ns.empty();
    sqlite::Statement query(state_->db, allNamespaces ? "SELECT body FROM objects WHERE kind = ? "
                                                        "ORDER BY namespace, name"
                                                      : "SELECT body FROM objects WHERE kind = ? "
                                                        "AND namespace = ? ORDER BY name");
    query.bind(1, kind);
    if (!allNamespaces) {
      query.bind(2, ns);
    }
    std::vector<json> items;
    while (query.step()) {
      items.push_back(decode(query.text(0)));
    }
    return items;
  }

  void save(const Kind& kind, const ObjectName& name, const json& body, const std::string& text,
            int64_t version) {
    sqlite::Statement upsert(state_->db,
                             "INSERT OR REPLACE INTO objects (kind, namespace, name, uid, "
                             "resource_version, generation, body) VALUES (?, ?, ?, ?, ?, ?, ?)");
    const json& metadata = body["metadata"];
    upsert.bind(1, kind).bind(2, name.ns).bind(3, name.name);
    upsert.bind(4, metadata["uid"].get_ref<const std::string&>()).bind(5, version);
    upsert.bind(6, metadata["generation"].get<int64_t>()).bind(7, text).run();
  }

  void erase(const Kind& kind, const ObjectName& name) {
    sqlite::Statement remove(state_->db,
                             "DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?");
    remove.bind(1, kind).bind(2, name.ns).bind(3, name.name).run();
  }

  std::string now() const { return formatTimestamp(options_.clock()); }

  std::shared_ptr<StoreState> state_;
  const SqliteStoreOptions options_;
};

// Durability is per commit: WAL with synchronous=FULL syncs the log on every commit, so a
// process killed right after a write returns has the write on disk.
void configure(sqlite::Connection& db, std::chrono::milliseconds busyTimeout) {
  sqlite3_busy_timeout(db.handle(), static_cast<int>(busyTimeout.count()));
  sqlite::Statement journal(db, "PRAGMA journal_mode = WAL");
  if (!journal.step() || journal.text(0) != "wal") {
    // Some file systems (network mounts) cannot share WAL memory; the rollback journal is
    // slower but just as durable, so carry on.
    logger("store")->warn("store cannot use WAL, using a rollback journal path={}", db.path());
  }
  db.exec("PRAGMA synchronous = FULL");
}

}  // namespace

StorePtr openSqliteStore(const std::string& path, int64_t historyLimit) {
  SqliteStoreOptions options;
  options.historyLimit = historyLimit;
  return openSqliteStore(path, options);
}

StorePtr openSqliteStore(const std::string& path, const SqliteStoreOptions& options) {
  if (options.historyLimit < 1) {
    throw Error(ErrorCode::Invalid, "the store's history limit must be at least 1, not " +
                                        std::to_string(options.historyLimit));
  }
  auto state = std::make_shared<StoreState>(path);
  configure(state->db, options.busyTimeout);
  migrateSchema(state->db);
  const int64_t version = currentResourceVersion(state->db);
  state->notifier.publish(version);
  logger("store")->info("store opened path={} schema={} resourceVersion={}", path, kSchemaVersion,
                        version);

  SqliteStoreOptions effective = options;
  if (!effective.clock) {
    effective.clock = std::chrono::system_clock::now;
  }
  return std::make_unique<SqliteStore>(std::move(state), std::move(effective));
}

}  // namespace wax::store
