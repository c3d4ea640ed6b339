#include "cluster/dataflow_cache.h"

#include <algorithm>

#include "common/logging.h"

namespace wax::cluster {

namespace {

using nlohmann::json;

constexpr size_t kMaxRememberedAnswers = 4096;

std::pair<std::string, std::string> keyOf(const json& object) {
  const auto& metadata = object.at("metadata");
  return {metadata.value("namespace", ""), metadata.value("name", "")};
}

// The texts joined by commas, as the items of a JSON array; built outside the lock, so that
// the watch is not held up while a long list is copied.
std::string joined(const std::vector<std::shared_ptr<const std::string>>& items) {
  size_t size = 0;
  for (const auto& item : items) {
    size += item->size() + 1;
  }
  std::string body;
  body.reserve(size);
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      body += ',';
    }
    body += *items[i];
  }
  return body;
}

// resourceVersions are etcd revisions: decimal, growing. The API server says not to compare
// them; here the larger only names the list's version, which clients use to watch from.
bool newer(const std::string& candidate, const std::string& current) {
  return candidate.size() != current.size() ? candidate.size() > current.size()
                                            : candidate > current;
}

// The groups the API server gives an impersonated user: those asked for, and, as for every
// authenticated user, system:authenticated.
std::vector<std::string> reviewedGroups(const auth::Identity& who) {
  auto groups = who.groups;
  if (std::find(groups.begin(), groups.end(), "system:authenticated") == groups.end()) {
    groups.push_back("system:authenticated");
  }
  return groups;
}

}  // namespace

DataflowCache::DataflowCache(kube::Client& client, Render render) : render_(std::move(render)) {
  kube::InformerOptions options;
  options.resource = kube::resources::kDataflows;
  kube::InformerHandlers handlers;
  handlers.onAdd = [this](const json& object) { put(object); };
  handlers.onUpdate = [this](const json&, const json& object) { put(object); };
  handlers.onDelete = [this](const json& object) { erase(object); };
  informer_ = std::make_unique<kube::Informer>(client, options, handlers);
}

DataflowCache::~DataflowCache() {
  stop();
}

void DataflowCache::start() {
  informer_->start();
}

void DataflowCache::stop() {
  informer_->stop();
}

bool DataflowCache::synced() const {
  return informer_->synced();
}

std::shared_ptr<const std::string> DataflowCache::rendered(const json& object) const {
  if (!render_) {
    return nullptr;
  }
  try {
    return std::make_shared<const std::string>(render_(object));
  } catch (const std::exception& error) {
    // Thrown out of the informer's handler, it would stop the watch and relist forever.
    logger("dataflow-cache")
        ->warn("cannot render dataflow namespace={} name={} error={}", keyOf(object).first,
               keyOf(object).second, error.what());
    return nullptr;
  }
}

void DataflowCache::put(const json& object) {
  auto text = std::make_shared<const std::string>(object.dump());
  auto renderedText = rendered(object);
  const std::string version = object.at("metadata").value("resourceVersion", "");
  std::lock_guard lock(mutex_);
  texts_[keyOf(object)] = std::move(text);
  if (renderedText) {
    rendered_[keyOf(object)] = std::move(renderedText);
    unrendered_.erase(keyOf(object));
  } else if (render_) {
    rendered_.erase(keyOf(object));
    unrendered_.insert(keyOf(object));
  }
  if (newer(version, resourceVersion_)) {
    resourceVersion_ = version;
  }
}

void DataflowCache::erase(const json& object) {
  std::lock_guard lock(mutex_);
  texts_.erase(keyOf(object));
  rendered_.erase(keyOf(object));
  unrendered_.erase(keyOf(object));
}

std::vector<std::shared_ptr<const std::string>> DataflowCache::itemsOf(const Texts& from,
                                                                       const std::string& ns) {
  std::vector<std::shared_ptr<const std::string>> items;
  auto it = ns.empty() ? from.begin() : from.lower_bound({ns, ""});
  for (; it != from.end() && (ns.empty() || it->first.first == ns); ++it) {
    items.push_back(it->second);
  }
  return items;
}

std::optional<std::string> DataflowCache::listBody(const std::string& ns) const {
  if (!synced()) {
    return std::nullopt;
  }
  std::vector<std::shared_ptr<const std::string>> items;
  std::string version;
  {
    std::lock_guard lock(mutex_);
    items = itemsOf(texts_, ns);
    version = resourceVersion_;
  }
  std::string body = R"({"apiVersion":"bytewax.io/v1alpha1","kind":"DataflowList","metadata":)";
  body += json{{"resourceVersion", version}}.dump();
  body += R"(,"items":[)";
  body += joined(items);
  body += "]}\n";
  return body;
}

std::optional<std::string> DataflowCache::renderedList(const std::string& ns) const {
  if (!render_ || !synced()) {
    return std::nullopt;
  }
  std::vector<std::shared_ptr<const std::string>> items;
  {
    std::lock_guard lock(mutex_);
    if (!unrendered_.empty()) {
      return std::nullopt;  // the list would lack them; the API server's answer says why
    }
    items = itemsOf(rendered_, ns);
  }
  return joined(items);
}

AccessReviews::AccessReviews(kube::Client& client, std::chrono::seconds remember)
    : client_(client), remember_(remember) {}

bool AccessReviews::allowed(const auth::Identity& who, const Question& question) {
  const std::string key = who.key() + '\0' + question.verb + '\0' + question.group + '\0' +
                          question.resource + '\0' + question.ns;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (auto it = answers_.find(key); it != answers_.end() && it->second.until > now) {
      return it->second.allowed;
    }
  }
  json attributes = {
      {"verb", question.verb}, {"group", question.group}, {"resource", question.resource}};
  if (!question.ns.empty()) {
    attributes["namespace"] = question.ns;
  }
  const json review = {
      {"apiVersion", "authorization.k8s.io/v1"},
      {"kind", "SubjectAccessReview"},
      {"spec",
       {{"user", who.user}, {"groups", reviewedGroups(who)}, {"resourceAttributes", attributes}}}};
  const json answer = client_.create(kube::resources::kSubjectAccessReviews, review);
  const bool allowed = answer.value("status", json::object()).value("allowed", false);
  std::lock_guard lock(mutex_);
  if (answers_.size() >= kMaxRememberedAnswers) {
    answers_.clear();
  }
  answers_[key] = {allowed, now + remember_};
  return allowed;
}

VisibleNamespaces::VisibleNamespaces(kube::Client& own, AccessReviews& reviews,
                                     std::chrono::seconds remember)
    : own_(own), reviews_(reviews), remember_(remember) {}

std::vector<std::string> VisibleNamespaces::all() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (until_ > now) {
      return names_;
    }
  }
  std::vector<std::string> names;
  for (const auto& item : own_.list(kube::resources::kNamespaces, "").items) {
    names.push_back(item.at("metadata").value("name", ""));
  }
  std::lock_guard lock(mutex_);
  names_ = names;
  until_ = now + remember_;
  return names;
}

std::vector<std::string> VisibleNamespaces::of(const auth::Identity& who) {
  const std::string group = kube::resources::kDataflows.group;
  const std::string resource = kube::resources::kDataflows.plural;
  auto names = all();
  if (reviews_.allowed(who, {"list", group, resource, ""})) {
    return names;
  }
  std::erase_if(names, [&](const std::string& ns) {
    return !reviews_.allowed(who, {"list", group, resource, ns});
  });
  return names;
}

}  // namespace wax::cluster
