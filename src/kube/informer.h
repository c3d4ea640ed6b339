#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "kube/client.h"

// An informer: for each watched namespace (or all of them) a reflector lists the resource, then
// watches from the list's resourceVersion, keeps an in-memory cache of the objects, and tells
// handlers what changed. A watch that ends is resumed from the last resourceVersion seen
// (bookmarks keep it fresh); a 410 Gone, as an HTTP status or an ERROR event, relists, and
// objects that vanished meanwhile are reported as deleted. Level-triggered consumers can rely on
// reaching the server's state whatever events the connection lost.
namespace wax::kube {

struct InformerOptions {
  Resource resource;
  // Namespaces to watch, one reflector each; empty watches every namespace with one reflector.
  std::vector<std::string> namespaces;
  std::string labelSelector;
  std::string fieldSelector;
  int64_t pageSize = 500;
  // metadata.managedFields is often the bulk of an object; the cache rarely needs it.
  bool stripManagedFields = true;
  // Applied to every object before it is cached and handed to handlers, e.g. to keep only the
  // fields a controller reads: a cache of thousands of full objects is most of its memory.
  std::function<nlohmann::json(nlohmann::json)> transform;
  // The server ends each watch after this, jittered up to twice as long (as client-go does), so
  // connections are re-established and load spreads over API servers.
  std::chrono::seconds watchTimeout{300};
  // Back-off after a failed list or watch: base doubling to max.
  std::chrono::milliseconds retryBase{500};
  std::chrono::milliseconds retryMax{30000};
  // Skips the first list and watches from this version (a resume; tests use it to force 410).
  std::string initialResourceVersion;
};

// Handlers run on reflector threads, one at a time (they never overlap), after the cache has
// been updated; they may read the cache.
struct InformerHandlers {
  std::function<void(const nlohmann::json& object)> onAdd;
  std::function<void(const nlohmann::json& before, const nlohmann::json& after)> onUpdate;
  std::function<void(const nlohmann::json& last)> onDelete;
};

class Informer {
 public:
  using ObjectPtr = std::shared_ptr<const nlohmann::json>;

  struct Stats {
    int64_t lists = 0;    // full lists, the first one included
    int64_t watches = 0;  // watch connections opened
    int64_t gone = 0;     // 410s seen
  };

  Informer(Client& client, InformerOptions options, InformerHandlers handlers = {});
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void start();
  // Stops every reflector and waits for their threads; prompt even mid-watch.
  void stop();
  // Whether every reflector has completed its first list (or started from a given version).
  bool synced() const;
  bool waitForSync(std::chrono::milliseconds timeout) const;

  // Read-only snapshots, parsed from the cache for each call.
  ObjectPtr get(std::string_view ns, std::string_view name) const;
  // Every cached object, or those of one namespace.
  std::vector<ObjectPtr> list(std::string_view ns = {}) const;
  size_t size() const;
  Stats stats() const;
  // The error of the last list or watch when it failed for want of permission (401 or 403),
  // and since when it has; cleared by a success. Other errors are retried quietly: this is the
  // one that retrying will not mend.
  struct Refusal {
    Error error;
    std::chrono::steady_clock::time_point since;
  };
  std::optional<Refusal> refusal() const;
  // The namespaces it watches; empty for every namespace.
  const std::vector<std::string>& namespaces() const { return options_.namespaces; }

 private:
  struct Change {
    ObjectPtr before;  // null for an add
    ObjectPtr after;   // null for a delete
  };
  void run(const std::string& ns);
  std::string relist(const std::string& ns);
  void noteRefusal(const Error* error);  // null: a success
  std::string watchOnce(const std::string& ns, const std::string& resourceVersion);
  std::vector<Change> applyEvent(const WatchEvent& event);
  std::vector<Change> replace(const std::string& ns, std::vector<nlohmann::json> items);
  void dispatch(const std::vector<Change>& changes);
  bool sleepUnlessStopped(std::chrono::milliseconds delay);
  ObjectPtr prepare(nlohmann::json object) const;

  Client& client_;
  InformerOptions options_;
  InformerHandlers handlers_;

  mutable std::mutex cacheMutex_;
  mutable std::condition_variable syncedCv_;
  // An object as cached: MessagePack, a fraction of the memory of a parsed object, which adds
  // up with thousands of them; it is parsed again when read.
  struct Packed {
    std::vector<uint8_t> bytes;
    std::string version;  // metadata.resourceVersion
  };
  static Packed pack(const nlohmann::json& object);
  static ObjectPtr unpack(const Packed& packed);
  std::map<std::string, Packed> cache_;  // "ns/name" (or "name"); guarded by cacheMutex_
  size_t syncedReflectors_ = 0;          // guarded by cacheMutex_
  Stats stats_;                          // guarded by cacheMutex_
  std::optional<Refusal> refusal_;       // guarded by cacheMutex_

  std::mutex handlerMutex_;  // serializes handler calls

  std::mutex runMutex_;
  std::condition_variable stopCv_;
  bool stopping_ = false;                  // guarded by runMutex_
  std::map<std::string, Watch*> watches_;  // open watches by namespace; guarded by runMutex_
  std::vector<std::thread> threads_;
  std::minstd_rand random_{std::random_device{}()};  // guarded by runMutex_
};

// The first refusal among `informers` that has lasted `patience` or longer.
std::optional<Error> lastingRefusal(const std::vector<const Informer*>& informers,
                                    std::chrono::seconds patience);

}  // namespace wax::kube
