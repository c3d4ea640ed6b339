#include "cluster/dataflow_cache.h"

#include <algorithm>

namespace wax::cluster {

namespace {

using nlohmann::json;

constexpr size_t kMaxRememberedAnswers = 4096;

std::pair<std::string, std::string> keyOf(const json& object) {
  const auto& metadata = object.at("metadata");
  return {metadata.value("namespace", ""), metadata.value("name", "")};
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

DataflowCache::DataflowCache(kube::Client& client) {
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

void DataflowCache::put(const json& object) {
  auto text = std::make_shared<const std::string>(object.dump());
  const std::string version = object.at("metadata").value("resourceVersion", "");
  std::lock_guard lock(mutex_);
  texts_[keyOf(object)] = std::move(text);
  if (newer(version, resourceVersion_)) {
    resourceVersion_ = version;
  }
}

void DataflowCache::erase(const json& object) {
  std::lock_guard lock(mutex_);
  texts_.erase(keyOf(object));
}

std::optional<std::string> DataflowCache::listBody(const std::string& ns) const {
  if (!synced()) {
    return std::nullopt;
  }
  std::vector<std::shared_ptr<const std::string>> items;
  std::string version;
  {
    std::lock_guard lock(mutex_);
    auto it = ns.empty() ? texts_.begin() : texts_.lower_bound({ns, ""});
    for (; it != texts_.end() && (ns.empty() || it->first.first == ns); ++it) {
      items.push_back(it->second);
    }
    version = resourceVersion_;
  }
  std::string body = R"({"apiVersion":"bytewax.io/v1alpha1","kind":"DataflowList","metadata":)";
  body += json{{"resourceVersion", version}}.dump();
  body += R"(,"items":[)";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      body += ',';
    }
    body += *items[i];
  }
  body += "]}\n";
  return body;
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
