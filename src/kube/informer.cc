#include "kube/informer.h"

#include <set>

#include <fmt/format.h>

#include "common/logging.h"
#include "kube/errors.h"

namespace wax::kube {
namespace {

using nlohmann::json;

// next() waits this long at most; stop() wakes it sooner.
constexpr auto kWatchPoll = std::chrono::milliseconds(30000);

std::string keyOf(const json& object) {
  std::string ns = object.value("/metadata/namespace"_json_pointer, std::string());
  std::string name = object.value("/metadata/name"_json_pointer, std::string());
  return ns.empty() ? name : ns + "/" + name;
}

std::string versionOf(const json& object) {
  return object.value("/metadata/resourceVersion"_json_pointer, std::string());
}

// Whether a cache key belongs to a reflector's namespace ("" owns every key).
bool inScope(const std::string& key, const std::string& ns) {
  return ns.empty() ||
         (key.size() > ns.size() && key.compare(0, ns.size(), ns) == 0 && key[ns.size()] == '/');
}

}  // namespace

Informer::Informer(Client& client, InformerOptions options, InformerHandlers handlers)
    : client_(client), options_(std::move(options)), handlers_(std::move(handlers)) {}

Informer::~Informer() {
  stop();
}

void Informer::start() {
  std::vector<std::string> scopes = options_.namespaces;
  if (scopes.empty() || !options_.resource.namespaced) {
    scopes = {""};
  }
  for (const auto& ns : scopes) {
    threads_.emplace_back([this, ns] { run(ns); });
  }
}

void Informer::stop() {
  {
    std::lock_guard lock(runMutex_);
    stopping_ = true;
    for (auto& [ns, watch] : watches_) {
      watch->stop();
    }
  }
  stopCv_.notify_all();
  for (auto& thread : threads_) {
    thread.join();
  }
  threads_.clear();
}

bool Informer::synced() const {
  std::lock_guard lock(cacheMutex_);
  size_t scopes =
      options_.namespaces.empty() || !options_.resource.namespaced ? 1 : options_.namespaces.size();
  return syncedReflectors_ >= scopes;
}

bool Informer::waitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(cacheMutex_);
  size_t scopes =
      options_.namespaces.empty() || !options_.resource.namespaced ? 1 : options_.namespaces.size();
  return syncedCv_.wait_for(lock, timeout, [&] { return syncedReflectors_ >= scopes; });
}

Informer::Packed Informer::pack(const json& object) {
  return {json::to_msgpack(object), versionOf(object)};
}

Informer::ObjectPtr Informer::unpack(const Packed& packed) {
  return std::make_shared<const json>(json::from_msgpack(packed.bytes));
}

Informer::ObjectPtr Informer::get(std::string_view ns, std::string_view name) const {
  std::string key = ns.empty() ? std::string(name) : fmt::format("{}/{}", ns, name);
  std::lock_guard lock(cacheMutex_);
  auto it = cache_.find(key);
  return it == cache_.end() ? nullptr : unpack(it->second);
}

std::vector<Informer::ObjectPtr> Informer::list(std::string_view ns) const {
  std::vector<ObjectPtr> objects;
  std::lock_guard lock(cacheMutex_);
  for (const auto& [key, packed] : cache_) {
    if (inScope(key, std::string(ns))) {
      objects.push_back(unpack(packed));
    }
  }
  return objects;
}

size_t Informer::size() const {
  std::lock_guard lock(cacheMutex_);
  return cache_.size();
}

Informer::Stats Informer::stats() const {
  std::lock_guard lock(cacheMutex_);
  return stats_;
}

Informer::ObjectPtr Informer::prepare(json object) const {
  if (options_.stripManagedFields && object.contains("metadata")) {
    object["metadata"].erase("managedFields");
  }
  if (options_.transform) {
    object = options_.transform(std::move(object));
  }
  return std::make_shared<const json>(std::move(object));
}

std::vector<Informer::Change> Informer::replace(const std::string& ns, std::vector<json> items) {
  std::vector<Change> changes;
  std::set<std::string> listed;
  std::lock_guard lock(cacheMutex_);
  for (auto& item : items) {
    std::string key = keyOf(item);
    listed.insert(key);
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      auto object = prepare(std::move(item));
      cache_.emplace(key, pack(*object));
      changes.push_back({nullptr, object});
    } else if (it->second.version != versionOf(item)) {
      auto object = prepare(std::move(item));
      changes.push_back({unpack(it->second), object});
      it->second = pack(*object);
    }
  }
  // What the list no longer has was deleted while we were not watching.
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (inScope(it->first, ns) && !listed.contains(it->first)) {
      changes.push_back({unpack(it->second), nullptr});
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
  return changes;
}

std::vector<Informer::Change> Informer::applyEvent(const WatchEvent& event) {
  std::string key = keyOf(event.object);
  std::lock_guard lock(cacheMutex_);
  auto it = cache_.find(key);
  if (event.type == WatchEventType::Deleted) {
    if (it == cache_.end()) {
      return {};
    }
    Change change{unpack(it->second), nullptr};
    cache_.erase(it);
    return {change};
  }
  auto object = prepare(event.object);
  if (it == cache_.end()) {
    cache_.emplace(key, pack(*object));
    return {{nullptr, object}};
  }
  Change change{unpack(it->second), object};
  it->second = pack(*object);
  return {change};
}

void Informer::dispatch(const std::vector<Change>& changes) {
  std::lock_guard lock(handlerMutex_);
  for (const auto& change : changes) {
    if (!change.before && change.after && handlers_.onAdd) {
      handlers_.onAdd(*change.after);
    } else if (change.before && change.after && handlers_.onUpdate) {
      handlers_.onUpdate(*change.before, *change.after);
    } else if (change.before && !change.after && handlers_.onDelete) {
      handlers_.onDelete(*change.before);
    }
  }
}

void Informer::noteRefusal(const Error* error) {
  const bool refused = error != nullptr && (error->code() == ErrorCode::Unauthorized ||
                                            error->code() == ErrorCode::Forbidden);
  std::lock_guard lock(cacheMutex_);
  if (!refused) {
    refusal_.reset();
  } else if (!refusal_) {
    refusal_ = Refusal{*error, std::chrono::steady_clock::now()};
  }
}

std::optional<Informer::Refusal> Informer::refusal() const {
  std::lock_guard lock(cacheMutex_);
  return refusal_;
}

std::optional<Error> lastingRefusal(const std::vector<const Informer*>& informers,
                                    std::chrono::seconds patience) {
  const auto now = std::chrono::steady_clock::now();
  for (const auto* informer : informers) {
    if (auto refusal = informer->refusal(); refusal && now - refusal->since >= patience) {
      return refusal->error;
    }
  }
  return std::nullopt;
}

std::string Informer::relist(const std::string& ns) {
  ListOptions options{.labelSelector = options_.labelSelector,
                      .fieldSelector = options_.fieldSelector,
                      .limit = options_.pageSize};
  ListResult result = client_.list(options_.resource, ns, options);
  dispatch(replace(ns, std::move(result.items)));
  std::lock_guard lock(cacheMutex_);
  ++stats_.lists;
  return result.resourceVersion;
}

// Follows one watch connection; returns the last resourceVersion seen. Throws Gone when the
// version is too old, so the caller relists.
std::string Informer::watchOnce(const std::string& ns, const std::string& resourceVersion) {
  int64_t timeout = options_.watchTimeout.count();
  {
    std::lock_guard lock(runMutex_);
    timeout += std::uniform_int_distribution<int64_t>(0, timeout)(random_);
  }
  WatchOptions options{.resourceVersion = resourceVersion,
                       .labelSelector = options_.labelSelector,
                       .fieldSelector = options_.fieldSelector,
                       .timeoutSeconds = timeout};
  WatchPtr watch = client_.watch(options_.resource, ns, options);
  {
    std::lock_guard lock(runMutex_);
    if (stopping_) {
      return resourceVersion;
    }
    watches_[ns] = watch.get();
  }
  {
    std::lock_guard lock(cacheMutex_);
    ++stats_.watches;
  }
  struct Unregister {
    Informer* self;
    const std::string& ns;
    ~Unregister() {
      std::lock_guard lock(self->runMutex_);
      self->watches_.erase(ns);
    }
  } unregister{this, ns};

  std::string version = resourceVersion;
  while (!watch->ended()) {
    auto event = watch->next(kWatchPoll);
    if (!event) {
      continue;
    }
    if (event->type == WatchEventType::Error) {
      throw errorFromStatus(fmt::format("watch {}", options_.resource.plural), event->object);
    }
    if (std::string seen = versionOf(event->object); !seen.empty()) {
      version = seen;
    }
    if (event->type != WatchEventType::Bookmark) {
      dispatch(applyEvent(*event));
    }
  }
  return version;
}

bool Informer::sleepUnlessStopped(std::chrono::milliseconds delay) {
  std::unique_lock lock(runMutex_);
  return !stopCv_.wait_for(lock, delay, [this] { return stopping_; });
}

void Informer::run(const std::string& ns) {
  auto log = logger("kube");
  std::string version = options_.initialResourceVersion;
  bool needList = version.empty();
  bool counted = false;
  auto markSynced = [&] {
    if (!counted) {
      counted = true;
      std::lock_guard lock(cacheMutex_);
      ++syncedReflectors_;
      syncedCv_.notify_all();
    }
  };
  if (!needList) {
    markSynced();
  }
  int failures = 0;
  while (true) {
    {
      std::lock_guard lock(runMutex_);
      if (stopping_) {
        return;
      }
    }
    try {
      if (needList) {
        version = relist(ns);
        needList = false;
        markSynced();
        noteRefusal(nullptr);
      }
      version = watchOnce(ns, version);
      failures = 0;
      noteRefusal(nullptr);
    } catch (const Error& e) {
      noteRefusal(&e);
      if (e.code() == ErrorCode::Gone) {
        log->info("watch version expired, relisting resource={} namespace={}",
                  options_.resource.plural, ns);
        std::lock_guard lock(cacheMutex_);
        ++stats_.gone;
        needList = true;
        continue;
      }
      auto delay =
          std::min(options_.retryMax, options_.retryBase * (int64_t{1} << std::min(failures, 16)));
      ++failures;
      log->warn("list or watch failed, retrying resource={} namespace={} delay_ms={} error={}",
                options_.resource.plural, ns, delay.count(), e.what());
      if (!sleepUnlessStopped(delay)) {
        return;
      }
    } catch (const std::exception& e) {
      log->error("informer reflector failed resource={} namespace={} error={}",
                 options_.resource.plural, ns, e.what());
      if (!sleepUnlessStopped(options_.retryMax)) {
        return;
      }
    }
  }
}

}  // namespace wax::kube
