#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "auth/identity.h"
#include "kube/client.h"
#include "kube/informer.h"

// What lets wax-api answer lists of Dataflows from memory instead of asking the API server
// for each: a watch of every Dataflow with each object's JSON text kept ready, and the API
// server's answer to "may this user list them here?" (a SubjectAccessReview), remembered for a
// few seconds. A list is then a lookup and a concatenation, checked by the same RBAC rules.
namespace wax::cluster {

class DataflowCache {
 public:
  // Another text of an object, kept beside its JSON, for lists in another shape.
  using Render = std::function<std::string(const nlohmann::json& object)>;

  // `client` is wax-api's own, which may list and watch Dataflows in every namespace.
  // `render`, when given, makes the texts of renderedList().
  explicit DataflowCache(kube::Client& client, Render render = {});
  ~DataflowCache();
  DataflowCache(const DataflowCache&) = delete;
  DataflowCache& operator=(const DataflowCache&) = delete;

  void start();
  void stop();
  bool synced() const;

  // The DataflowList of one namespace ("" for all) as JSON text, its items sorted by namespace
  // and name, as the API server sorts them; nullopt until the first list is in.
  std::optional<std::string> listBody(const std::string& ns) const;
  // The rendered texts of one namespace's objects ("" for all), joined by commas in the
  // same order; nullopt until the first list is in, without a `render`, or while an object
  // could not be rendered.
  std::optional<std::string> renderedList(const std::string& ns) const;

 private:
  using Texts = std::map<std::pair<std::string, std::string>, std::shared_ptr<const std::string>>;

  void put(const nlohmann::json& object);
  void erase(const nlohmann::json& object);
  // The rendered text of `object`, or null without a `render` or when it throws.
  std::shared_ptr<const std::string> rendered(const nlohmann::json& object) const;
  // The texts of `ns` ("" for all) in `from`, in order; the caller holds mutex_.
  static std::vector<std::shared_ptr<const std::string>> itemsOf(const Texts& from,
                                                                 const std::string& ns);

  std::unique_ptr<kube::Informer> informer_;
  Render render_;
  mutable std::mutex mutex_;
  // (namespace, name) -> the object's JSON text, and its rendered text; guarded by mutex_.
  Texts texts_;
  Texts rendered_;
  std::set<std::pair<std::string, std::string>> unrendered_;  // guarded by mutex_
  std::string resourceVersion_;  // of the newest object seen; guarded by mutex_
};

// Whether an identity may do a verb on a resource in a namespace, as the API server's RBAC
// says (a SubjectAccessReview), remembered for `remember` so that a client listing every
// second costs one review every few seconds. Refusals are remembered too; a grant or a
// revocation shows within that time, as with the API server's own authorization cache.
class AccessReviews {
 public:
  explicit AccessReviews(kube::Client& client,
                         std::chrono::seconds remember = std::chrono::seconds(5));

  struct Question {
    std::string verb;
    std::string group;
    std::string resource;
    std::string ns;  // "" for all namespaces
  };
  // Throws wax::Error when the review cannot be made (e.g. wax-api lacks the right).
  bool allowed(const auth::Identity& who, const Question& question);

 private:
  kube::Client& client_;
  std::chrono::seconds remember_;
  struct Answer {
    bool allowed;
    std::chrono::steady_clock::time_point until;
  };
  std::mutex mutex_;
  std::map<std::string, Answer> answers_;  // guarded by mutex_
};

// The namespaces in which an identity may list Dataflows: the cluster's namespaces, as
// wax-api's own client lists them, that RBAC lets it list Dataflows in. A user bound in one
// namespace only may not list namespaces at all, yet must learn where to work; one who may
// list Dataflows everywhere gets every namespace for a single review. The cluster's list is
// remembered for `remember`, and each answer for as long as `reviews` keeps it.
class VisibleNamespaces {
 public:
  VisibleNamespaces(kube::Client& own, AccessReviews& reviews,
                    std::chrono::seconds remember = std::chrono::seconds(5));

  // Throws wax::Error when wax-api may not list namespaces or make the reviews.
  std::vector<std::string> of(const auth::Identity& who);

 private:
  std::vector<std::string> all();

  kube::Client& own_;
  AccessReviews& reviews_;
  std::chrono::seconds remember_;
  std::mutex mutex_;
  std::vector<std::string> names_;               // guarded by mutex_
  std::chrono::steady_clock::time_point until_;  // guarded by mutex_
};

}  // namespace wax::cluster
