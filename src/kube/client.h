#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "kube/auth.h"
#include "kube/kubeconfig.h"
#include "kube/rate_limiter.h"
#include "kube/resource.h"
#include "kube/watch.h"

// A thread-safe Kubernetes REST client on libcurl: CRUD, server-side apply, patches, the status
// subresource, paginated lists, watches and pod logs. Every call goes through a client-side
// rate limiter; 429s (honouring Retry-After) and, for idempotent verbs, 5xx answers and broken
// connections are retried with jittered exponential back-off. Failures are wax::Error with the
// code of the HTTP status (404 NotFound, 409 AlreadyExists or Conflict, 410 Gone, 422 Invalid
// with the server's message naming the field, ...).
namespace wax::kube {

struct RetryOptions {
  int maxAttempts = 5;  // including the first
  std::chrono::milliseconds baseDelay{200};
  std::chrono::milliseconds maxDelay{10000};
};

// The delay before retry number `attempt` (0-based): base * 2^attempt capped at max, then
// "equal jitter" (a uniform pick in the upper half) so that clients do not retry in lockstep.
// `random01` is in [0, 1).
std::chrono::milliseconds backoffDelay(int attempt, const RetryOptions& options, double random01);
// The delay a Retry-After header asks for (seconds only, as the API server sends it).
std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value);

struct ClientOptions {
  RateLimit rateLimit;  // client-go's defaults; the operator raises them
  RetryOptions retry;
  std::chrono::milliseconds timeout{30000};  // per request, not for streams
  std::string userAgent = "wax";
  CredentialOptions credentials;
};

struct ListOptions {
  std::string labelSelector;
  std::string fieldSelector;
  int64_t limit = 500;          // page size; 0 asks for everything at once
  std::string continueToken;    // listPage() only
  std::string resourceVersion;  // e.g. "0" to allow the watch cache
};

struct ListResult {
  std::vector<nlohmann::json> items;
  std::string resourceVersion;  // of the list, to watch from
  std::string continueToken;    // listPage(): "" on the last page
};

struct WriteOptions {
  std::string fieldManager;  // recorded in managedFields
  bool dryRun = false;
};

struct ApplyOptions {
  std::string fieldManager;  // required by server-side apply
  bool force = false;        // take over fields owned by other managers
  bool dryRun = false;
};

enum class PatchType { Merge, Json, StrategicMerge };

enum class Propagation { Default, Background, Foreground, Orphan };

struct DeleteOptions {
  Propagation propagation = Propagation::Default;
  std::string preconditionUid;
  std::string preconditionResourceVersion;
  std::optional<int64_t> gracePeriodSeconds;
};

// A list as the API server prints it (meta.k8s.io/v1 Table, the resource's printer columns),
// without the objects: much less to send and parse than the objects when a table is all the
// caller shows.
struct Table {
  std::vector<std::string> columns;  // names, e.g. "Name", "Age"
  std::vector<nlohmann::json> rows;  // each an array of cells, in the columns' order
  // The index of the column named `name`, or -1.
  int column(std::string_view name) const;
};

struct WatchOptions {
  std::string resourceVersion;  // "" starts with synthetic ADDED events for current objects
  std::string labelSelector;
  std::string fieldSelector;
  bool allowBookmarks = true;
  std::optional<int64_t> timeoutSeconds;  // the server ends the stream after this
};

struct LogOptions {
  std::string container;
  std::optional<int64_t> tailLines;
  std::optional<int64_t> limitBytes;
  std::optional<int64_t> sinceSeconds;
  std::string sinceTime;  // RFC 3339
  bool previous = false;
  bool timestamps = false;
};

class Transport;

class Client {
 public:
  explicit Client(Config config, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Config& config() const;
  // The namespace an object is written to: its metadata.namespace, else the config's.
  std::string namespaceOf(const Resource& resource, const nlohmann::json& object) const;

  nlohmann::json get(const Resource& resource, std::string_view ns, std::string_view name);
  // Every page, following continue tokens. A continue token that expired (410) restarts the
  // list from the beginning, as client-go's pager does.
  ListResult list(const Resource& resource, std::string_view ns, const ListOptions& options = {});
  ListResult listPage(const Resource& resource, std::string_view ns, const ListOptions& options);
  // Every page, as a Table. Its rows name no namespace: a column must, for a list of several.
  Table listTable(const Resource& resource, std::string_view ns, const ListOptions& options = {});

  nlohmann::json create(const Resource& resource, const nlohmann::json& object,
                        const WriteOptions& options = {});
  // PUT; a stale metadata.resourceVersion fails with ErrorCode::Conflict.
  nlohmann::json update(const Resource& resource, const nlohmann::json& object,
                        const WriteOptions& options = {});
  // Server-side apply of a (partial) object: creates it or merges the fields this manager owns.
  nlohmann::json apply(const Resource& resource, const nlohmann::json& object,
                       const ApplyOptions& options);
  nlohmann::json patch(const Resource& resource, std::string_view ns, std::string_view name,
                       PatchType type, const nlohmann::json& patch,
                       const WriteOptions& options = {});
  // Returns the object as the server answered (with deletionTimestamp if finalizers hold it, or
  // a Status for some resources).
  nlohmann::json remove(const Resource& resource, std::string_view ns, std::string_view name,
                        const DeleteOptions& options = {});

  // The status subresource.
  nlohmann::json getStatus(const Resource& resource, std::string_view ns, std::string_view name);
  nlohmann::json updateStatus(const Resource& resource, const nlohmann::json& object,
                              const WriteOptions& options = {});
  nlohmann::json applyStatus(const Resource& resource, const nlohmann::json& object,
                             const ApplyOptions& options);
  nlohmann::json patchStatus(const Resource& resource, std::string_view ns, std::string_view name,
                             PatchType type, const nlohmann::json& patch,
                             const WriteOptions& options = {});

  // Opens a watch; throws wax::Error if the server refuses it (Gone for a too-old version).
  WatchPtr watch(const Resource& resource, std::string_view ns, const WatchOptions& options);

  std::string logs(std::string_view ns, std::string_view pod, const LogOptions& options = {});
  // Follows a pod's log, passing chunks to `onChunk` until the pod's log ends, `onChunk` returns
  // false, or `stop` is requested (checked at least once a second).
  void followLogs(std::string_view ns, std::string_view pod, const LogOptions& options,
                  const std::function<bool(std::string_view)>& onChunk, std::stop_token stop = {});

 private:
  struct Call;
  nlohmann::json send(Call call);
  nlohmann::json tablePage(const Resource& resource, std::string_view ns,
                           const ListOptions& options, const std::string& continueToken);
  std::string execute(const Call& call);
  nlohmann::json write(const Resource& resource, const nlohmann::json& object,
                       std::string_view subresource, const std::string& method,
                       const WriteOptions& options);
  nlohmann::json applyTo(const Resource& resource, const nlohmann::json& object,
                         std::string_view subresource, const ApplyOptions& options);
  nlohmann::json patchAt(const Resource& resource, std::string_view ns, std::string_view name,
                         std::string_view subresource, PatchType type, const nlohmann::json& patch,
                         const WriteOptions& options);
  void sleepBeforeRetry(int attempt, const std::string& retryAfter);

  ClientOptions options_;
  std::unique_ptr<Transport> transport_;
  RateLimiter limiter_;
  std::mutex randomMutex_;
  std::minstd_rand random_;  // guarded by randomMutex_
};

}  // namespace wax::kube
