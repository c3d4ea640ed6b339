#include "cluster/kube_store.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>

#include <fmt/format.h>

#include "common/error.h"
#include "core/schema.h"
#include "kube/informer.h"

namespace wax::cluster {

namespace {

using nlohmann::json;

const std::string kDataflowKind = "dataflows";

json stripMetadata(const store::Kind& kind, json object) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return object;
  }
  if (kind != kDataflowKind) {
    metadata->erase("managedFields");
    return object;
  }
  json kept = json::object();
  for (const auto field : core::schema::kMetadataFields) {
    const std::string key(field);
    if (auto found = metadata->find(key); found != metadata->end()) {
      kept[key] = *found;
    }
  }
  *metadata = std::move(kept);
  return object;
}

// The body the API server needs: apiVersion and kind filled in, no resourceVersion on create.
json forServer(const kube::Resource& resource, json object) {
  object["apiVersion"] = resource.apiVersion();
  object["kind"] = resource.kind;
  return object;
}

// A watch fed by an informer, which resumes broken watches and relists after 410 Gone, so the
// controller sees every change of state even when the connection to the server is lost.
class InformerWatch : public store::Watch {
 public:
  InformerWatch(kube::Client& client, kube::InformerOptions options, KubeStore& store,
                const store::Kind& kind)
      : store_(store), informer_(client, std::move(options), handlers()) {
    store_.registerCache(kind, &informer_);
    informer_.start();
  }
  ~InformerWatch() override {
    stop();
    store_.unregisterCache(&informer_);
  }

  std::optional<store::WatchEvent> next(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    if (!ready_.wait_for(lock, timeout, [this] { return stopped_ || !events_.empty(); }) ||
        stopped_) {
      return std::nullopt;
    }
    store::WatchEvent event = std::move(events_.front());
    events_.pop_front();
    return event;
  }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) {
        return;
      }
      stopped_ = true;
    }
    ready_.notify_all();
    informer_.stop();
  }

 private:
  kube::InformerHandlers handlers() {
    return {
        [this](const json& object) { push(store::EventType::Added, object); },
        [this](const json&, const json& after) { push(store::EventType::Modified, after); },
        [this](const json& last) { push(store::EventType::Deleted, last); },
    };
  }

  void push(store::EventType type, const json& object) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back({type, object});
    }
    ready_.notify_one();
  }

  KubeStore& store_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<store::WatchEvent> events_;  // guarded by mutex_
  bool stopped_ = false;                  // guarded by mutex_
  kube::Informer informer_;               // last: its threads use the members above
};

class TranslatingWatch : public store::Watch {
 public:
  TranslatingWatch(store::Kind kind, std::unique_ptr<InformerWatch> inner)
      : kind_(std::move(kind)), inner_(std::move(inner)) {}
  std::optional<store::WatchEvent> next(std::chrono::milliseconds timeout) override {
    auto event = inner_->next(timeout);
    if (event) {
      event->object = stripMetadata(kind_, std::move(event->object));
    }
    return event;
  }
  void stop() override { inner_->stop(); }

 private:
  store::Kind kind_;
  std::unique_ptr<InformerWatch> inner_;
};

}  // namespace

const kube::Resource& resourceOf(const store::Kind& kind) {
  if (kind == kDataflowKind) {
    return kube::resources::kDataflows;
  }
  if (kind == "configmaps") {
    return kube::resources::kConfigMaps;
  }
  if (kind == "secrets") {
    return kube::resources::kSecrets;
  }
  throw Error(ErrorCode::BadRequest, "unknown kind of object: " + kind);
}

json toStoreObject(const store::Kind& kind, json object) {
  return stripMetadata(kind, std::move(object));
}

KubeStore::KubeStore(kube::Client& client, KubeStoreOptions options)
    : client_(client), options_(std::move(options)) {}

json KubeStore::create(const store::Kind& kind, const json& object) {
  const auto& resource = resourceOf(kind);
  json body = forServer(resource, object);
  body.erase("status");
  body["metadata"].erase("resourceVersion");
  return toStoreObject(kind, client_.create(resource, body, {options_.fieldManager}));
}

std::optional<Error> KubeStore::refusal(std::chrono::seconds patience) const {
  std::lock_guard lock(cachesMutex_);  // held: a cache may go with its watch meanwhile
  std::vector<const kube::Informer*> informers;
  for (const auto& [kind, informer] : caches_) {
    informers.push_back(informer);
  }
  return kube::lastingRefusal(informers, patience);
}

void KubeStore::registerCache(const store::Kind& kind, const kube::Informer* informer) {
  std::lock_guard lock(cachesMutex_);
  caches_.emplace(kind, informer);
}

void KubeStore::unregisterCache(const kube::Informer* informer) {
  std::lock_guard lock(cachesMutex_);
  std::erase_if(caches_, [informer](const auto& entry) { return entry.second == informer; });
}

// A synced cache of `kind` that holds namespace `ns` ("" for all), or null.
const kube::Informer* KubeStore::cacheFor(const store::Kind& kind, const std::string& ns) const {
  std::lock_guard lock(cachesMutex_);
  const auto [begin, end] = caches_.equal_range(kind);
  for (auto it = begin; it != end; ++it) {
    const auto& scopes = it->second->namespaces();
    const bool covers = scopes.empty() || (!ns.empty() && std::find(scopes.begin(), scopes.end(),
                                                                    ns) != scopes.end());
    if (covers && it->second->synced()) {
      return it->second;
    }
  }
  return nullptr;
}

json KubeStore::get(const store::Kind& kind, const std::string& ns, const std::string& name) {
  if (const auto* cache = cacheFor(kind, ns)) {
    // A synced cache knows what exists: a miss is an answer, not a reason to ask the server.
    if (auto cached = cache->get(ns, name)) {
      return toStoreObject(kind, *cached);
    }
    throw Error(ErrorCode::NotFound, fmt::format("{} \"{}/{}\" not found", kind, ns, name));
  }
  return toStoreObject(kind, client_.get(resourceOf(kind), ns, name));
}

store::ListResult KubeStore::list(const store::Kind& kind, const std::string& ns) {
  const auto& resource = resourceOf(kind);
  std::vector<std::string> scopes{ns};
  if (ns.empty() && !options_.namespaces.empty()) {
    scopes = options_.namespaces;
  }
  store::ListResult result;
  for (const auto& scope : scopes) {
    if (const auto* cache = cacheFor(kind, scope)) {
      for (const auto& item : cache->list(scope)) {
        result.items.push_back(toStoreObject(kind, *item));
      }
      continue;
    }
    auto page = client_.list(resource, scope);
    for (auto& item : page.items) {
      result.items.push_back(toStoreObject(kind, std::move(item)));
    }
    result.resourceVersion = page.resourceVersion;
  }
  std::sort(result.items.begin(), result.items.end(), [](const json& a, const json& b) {
    const auto& left = a.at("metadata");
    const auto& right = b.at("metadata");
    return std::pair(left.value("namespace", ""), left.value("name", "")) <
           std::pair(right.value("namespace", ""), right.value("name", ""));
  });
  return result;
}

// A Dataflow is written with a JSON patch rather than a PUT, so that the metadata the platform
// does not model (ownerReferences, managedFields...) survives; the resourceVersion in the patch
// keeps the write optimistic: a stale one fails with 409 Conflict.
json KubeStore::update(const store::Kind& kind, const json& object) {
  const auto& resource = resourceOf(kind);
  const auto& metadata = object.at("metadata");
  const std::string ns = metadata.value("namespace", "");
  const std::string name = metadata.value("name", "");
  if (kind != kDataflowKind) {
    json body = forServer(resource, object);
    return toStoreObject(kind, client_.update(resource, body, {options_.fieldManager}));
  }
  json patch = json::array();
  // The API server takes a resourceVersion in the patched object as a precondition.
  if (metadata.contains("resourceVersion")) {
    patch.push_back({{"op", "add"},
                     {"path", "/metadata/resourceVersion"},
                     {"value", metadata["resourceVersion"]}});
  }
  patch.push_back({{"op", "add"},
                   {"path", "/metadata/labels"},
                   {"value", metadata.value("labels", json::object())}});
  patch.push_back({{"op", "add"},
                   {"path", "/metadata/annotations"},
                   {"value", metadata.value("annotations", json::object())}});
  patch.push_back({{"op", "add"},
                   {"path", "/metadata/finalizers"},
                   {"value", metadata.value("finalizers", json::array())}});
  patch.push_back({{"op", "add"}, {"path", "/spec"}, {"value", object.value("spec", json())}});
  return toStoreObject(kind, client_.patch(resource, ns, name, kube::PatchType::Json, patch,
                                           {options_.fieldManager}));
}

json KubeStore::updateStatus(const store::Kind& kind, const json& object) {
  const auto& resource = resourceOf(kind);
  return toStoreObject(
      kind, client_.updateStatus(resource, forServer(resource, object), {options_.fieldManager}));
}

json KubeStore::remove(const store::Kind& kind, const std::string& ns, const std::string& name) {
  const auto& resource = resourceOf(kind);
  json answer = client_.remove(resource, ns, name, {kube::Propagation::Background});
  if (answer.value("kind", "") == "Status") {
    return {{"metadata", {{"namespace", ns}, {"name", name}}}};
  }
  return toStoreObject(kind, std::move(answer));
}

store::WatchPtr KubeStore::watch(const store::Kind& kind, const std::string& ns,
                                 const std::string& fromResourceVersion) {
  kube::InformerOptions options;
  options.resource = resourceOf(kind);
  options.namespaces = ns.empty() ? options_.namespaces : std::vector<std::string>{ns};
  if (fromResourceVersion != "0") {
    options.initialResourceVersion = fromResourceVersion;
  }
  return std::make_unique<TranslatingWatch>(
      kind, std::make_unique<InformerWatch>(client_, std::move(options), *this, kind));
}

std::vector<std::string> KubeStore::namespaces() {
  if (!options_.namespaces.empty()) {
    return options_.namespaces;
  }
  std::vector<std::string> names;
  for (const auto& item : client_.list(kube::resources::kNamespaces, "").items) {
    names.push_back(item.at("metadata").value("name", ""));
  }
  return names;
}

}  // namespace wax::cluster
