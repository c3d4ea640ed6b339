#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// The store of API objects: the seam between the platform and where objects live (the embedded
// SQLite store in local mode, the kube-apiserver in cluster mode). Objects are JSON documents
// with Kubernetes metadata, so the semantics are the API server's:
//  - every write gets a new, store-wide increasing metadata.resourceVersion (a decimal string);
//  - an update whose metadata.resourceVersion is set and stale fails with ErrorCode::Conflict;
//  - metadata.generation starts at 1 and grows only when `spec` changes;
//  - update() never changes `status`, updateStatus() changes nothing but `status`;
//  - remove() of an object with finalizers only sets metadata.deletionTimestamp; the object goes
//    away when an update leaves it with a deletionTimestamp and no finalizers;
//  - watch() replays every change after a resourceVersion, then follows new ones.
// All functions throw wax::Error (NotFound, AlreadyExists, Conflict, Gone, Invalid, Internal).
namespace wax::store {

// A resource type: "dataflows", "secrets" or "configmaps". Every kind is namespaced.
using Kind = std::string;

struct ListResult {
  std::vector<nlohmann::json> items;  // sorted by namespace, then name
  std::string resourceVersion;        // the store's version at the time of the list
};

enum class EventType { Added, Modified, Deleted };

struct WatchEvent {
  EventType type;
  nlohmann::json object;  // for Deleted, the last state of the object
};

// A stream of changes. next() waits up to `timeout`; it returns nullopt on timeout or after
// stop(). Thread-safe: stop() may be called from another thread to wake a waiting next().
class Watch {
 public:
  virtual ~Watch() = default;
  virtual std::optional<WatchEvent> next(std::chrono::milliseconds timeout) = 0;
  virtual void stop() = 0;
};
using WatchPtr = std::unique_ptr<Watch>;

class Store {
 public:
  virtual ~Store() = default;

  // Stores a new object. Sets uid, resourceVersion, generation 1 and creationTimestamp; drops any
  // status given. AlreadyExists if the name is taken.
  virtual nlohmann::json create(const Kind& kind, const nlohmann::json& object) = 0;
  virtual nlohmann::json get(const Kind& kind, const std::string& ns, const std::string& name) = 0;
  // Empty `ns` lists every namespace.
  virtual ListResult list(const Kind& kind, const std::string& ns) = 0;
  // Replaces metadata (labels, annotations, finalizers) and spec/data. Keeps uid,
  // creationTimestamp, deletionTimestamp and status.
  virtual nlohmann::json update(const Kind& kind, const nlohmann::json& object) = 0;
  virtual nlohmann::json updateStatus(const Kind& kind, const nlohmann::json& object) = 0;
  // Returns the object as it is after the call: deleted (with its last state), or marked.
  virtual nlohmann::json remove(const Kind& kind, const std::string& ns,
                                const std::string& name) = 0;
  // Changes with a resourceVersion greater than `fromResourceVersion` ("" or "0": from now on,
  // after synthetic Added events for every current object). Gone if that history was compacted.
  virtual WatchPtr watch(const Kind& kind, const std::string& ns,
                         const std::string& fromResourceVersion) = 0;
  // Namespaces that hold at least one object of any kind, plus "default".
  virtual std::vector<std::string> namespaces() = 0;
};
using StorePtr = std::unique_ptr<Store>;

}  // namespace wax::store
