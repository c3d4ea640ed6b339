#include "kube/client.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "common/logging.h"
#include "kube/errors.h"
#include "kube/stream.h"
#include "kube/transport.h"

namespace wax::kube {
namespace {

using nlohmann::json;
using Query = std::vector<std::pair<std::string, std::string>>;

// A continue token that keeps expiring means the collection changes faster than we can page it.
constexpr int kMaxListRestarts = 3;
constexpr auto kStreamPoll = std::chrono::milliseconds(1000);
// A refused stream's body (a Status) is small; waiting for it must not hang a caller.
constexpr auto kErrorBodyWait = std::chrono::milliseconds(5000);

std::string withQuery(std::string path, const Query& query) {
  char separator = '?';
  for (const auto& [key, value] : query) {
    if (value.empty()) {
      continue;
    }
    path += fmt::format("{}{}={}", separator, key, urlEncode(value));
    separator = '&';
  }
  return path;
}

void addWriteQuery(Query& query, const std::string& fieldManager, bool dryRun) {
  query.emplace_back("fieldManager", fieldManager);
  query.emplace_back("dryRun", dryRun ? "All" : "");
}

std::string nameOf(const json& object) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->contains("name") || !(*metadata)["name"].is_string()) {
    throw Error(ErrorCode::BadRequest, "kube: the object has no metadata.name");
  }
  return (*metadata)["name"].get<std::string>();
}

std::string_view contentTypeOf(PatchType type) {
  switch (type) {
    case PatchType::Merge:
      return "application/merge-patch+json";
    case PatchType::Json:
      return "application/json-patch+json";
    case PatchType::StrategicMerge:
      return "application/strategic-merge-patch+json";
  }
  return "application/merge-patch+json";
}

std::string_view propagationName(Propagation propagation) {
  switch (propagation) {
    case Propagation::Background:
      return "Background";
    case Propagation::Foreground:
      return "Foreground";
    case Propagation::Orphan:
      return "Orphan";
    case Propagation::Default:
      break;
  }
  return "";
}

std::string target(const Resource& resource, std::string_view ns, std::string_view name) {
  if (!resource.namespaced || ns.empty()) {
    return fmt::format("{} {}", resource.plural, name);
  }
  return fmt::format("{} {}/{}", resource.plural, ns, name);
}

std::string logPath(std::string_view ns, std::string_view pod, const LogOptions& options,
                    bool follow) {
  auto number = [](const std::optional<int64_t>& value) {
    return value ? std::to_string(*value) : std::string();
  };
  Query query{{"container", options.container},
              {"tailLines", number(options.tailLines)},
              {"limitBytes", number(options.limitBytes)},
              {"sinceSeconds", number(options.sinceSeconds)},
              {"sinceTime", options.sinceTime},
              {"previous", options.previous ? "true" : ""},
              {"timestamps", options.timestamps ? "true" : ""},
              {"follow", follow ? "true" : ""}};
  return withQuery(resources::kPods.objectPath(ns, pod, "log"), query);
}

// Drains what is left of a refused stream and turns it into the server's error.
[[noreturn]] void throwStreamError(Stream& stream, std::string_view what, long status) {
  auto deadline = std::chrono::steady_clock::now() + kErrorBodyWait;
  while (!stream.ended() && std::chrono::steady_clock::now() < deadline) {
    stream.pump(kStreamPoll);
  }
  throw errorFromResponse(what, status, stream.buffer());
}

}  // namespace

struct Client::Call {
  std::string method = "GET";
  std::string path;
  std::string contentType;
  std::string body;
  std::string accept = "application/json";
  bool idempotent = true;
  std::string what;  // e.g. "create configmaps default/x", for messages
};

std::chrono::milliseconds backoffDelay(int attempt, const RetryOptions& options, double random01) {
  double base = static_cast<double>(options.baseDelay.count()) * std::pow(2.0, attempt);
  double capped = std::min(base, static_cast<double>(options.maxDelay.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(capped / 2 + capped / 2 * random01));
}

std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value) {
  if (value.empty() ||
      !std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(c); })) {
    return std::nullopt;  // the HTTP-date form is not sent by the API server
  }
  return std::chrono::seconds(std::stoll(std::string(value)));
}

Client::Client(Config config, ClientOptions options)
    : options_(std::move(options)), limiter_(options_.rateLimit), random_(std::random_device{}()) {
  CredentialSourcePtr credentials = makeCredentialSource(config.user, options_.credentials);
  transport_ = std::make_unique<Transport>(std::move(config), std::move(credentials),
                                           options_.timeout, options_.userAgent);
  logger("kube")->debug("client created {}", describe(transport_->config()));
}

Client::~Client() = default;

const Config& Client::config() const {
  return transport_->config();
}

std::string Client::namespaceOf(const Resource& resource, const json& object) const {
  if (!resource.namespaced) {
    return {};
  }
  std::string ns = object.value("/metadata/namespace"_json_pointer, std::string());
  return ns.empty() ? config().ns : ns;
}

void Client::sleepBeforeRetry(int attempt, const std::string& retryAfter) {
  std::chrono::milliseconds delay;
  if (auto asked = parseRetryAfter(retryAfter)) {
    delay = std::min(*asked, options_.retry.maxDelay);
  } else {
    std::lock_guard lock(randomMutex_);
    delay = backoffDelay(attempt, options_.retry,
                         std::uniform_real_distribution<double>(0, 1)(random_));
  }
  std::this_thread::sleep_for(delay);
}

std::string Client::execute(const Call& call) {
  HttpRequest request{call.method, call.path, call.contentType, call.body, call.accept};
  bool reauthenticated = false;
  for (int attempt = 0;; ++attempt) {
    bool last = attempt + 1 >= options_.retry.maxAttempts;
    limiter_.acquire();
    HttpResponse response;
    try {
      response = transport_->perform(request);
    } catch (const TransportError& e) {
      if (last || (e.sent() && !call.idempotent)) {
        throw;
      }
      logger("kube")->debug("request failed, retrying what={} attempt={} error={}", call.what,
                            attempt + 1, e.what());
      sleepBeforeRetry(attempt, "");
      continue;
    }
    if (response.status == 401 && !reauthenticated) {
      // Exec and token-file credentials may have rotated under us: fetch them once more.
      reauthenticated = true;
      transport_->credentials().invalidate();
      continue;
    }
    // A 429 was refused before any work, so any verb may retry it; a 5xx may have done work.
    bool retryable = response.status == 429 ||
                     (call.idempotent && response.status >= 500 && response.status != 501);
    if (retryable && !last) {
      logger("kube")->debug("server asked to retry what={} status={} attempt={}", call.what,
                            response.status, attempt + 1);
      sleepBeforeRetry(attempt, response.retryAfter);
      continue;
    }
    if (response.status >= 300) {
      throw errorFromResponse(call.what, response.status, response.body);
    }
    return std::move(response.body);
  }
}

json Client::send(Call call) {
  std::string body = execute(call);
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    throw Error(ErrorCode::Internal,
                fmt::format("kube: {}: the server's answer is not JSON", call.what));
  }
  return doc;
}

json Client::get(const Resource& resource, std::string_view ns, std::string_view name) {
  return send(
      Call{.path = resource.objectPath(ns, name), .what = "get " + target(resource, ns, name)});
}

ListResult Client::listPage(const Resource& resource, std::string_view ns,
                            const ListOptions& options) {
  Query query{{"labelSelector", options.labelSelector},
              {"fieldSelector", options.fieldSelector},
              {"limit", options.limit > 0 ? std::to_string(options.limit) : ""},
              {"continue", options.continueToken},
              {"resourceVersion", options.continueToken.empty() ? options.resourceVersion : ""}};
  json doc = send(Call{.path = withQuery(resource.collectionPath(ns), query),
                       .what = fmt::format("list {}{}", resource.plural,
                                           ns.empty() ? "" : " in " + std::string(ns))});
  ListResult result;
  result.resourceVersion = doc.value("/metadata/resourceVersion"_json_pointer, std::string());
  result.continueToken = doc.value("/metadata/continue"_json_pointer, std::string());
  for (auto& item : doc["items"]) {
    // List items come without apiVersion and kind; fill them in so each item stands alone.
    item["apiVersion"] = resource.apiVersion();
    item["kind"] = resource.kind;
    result.items.push_back(std::move(item));
  }
  return result;
}

Table Client::listTable(const Resource& resource, std::string_view ns, const ListOptions& options) {
  for (int restart = 0;; ++restart) {
    Table table;
    std::string continueToken;
    try {
      do {
        json page = tablePage(resource, ns, options, continueToken);
        if (table.columns.empty()) {
          for (const auto& column : page.value("columnDefinitions", json::array())) {
            table.columns.push_back(column.value("name", ""));
          }
        }
        for (auto& row : page["rows"]) {
          table.rows.push_back(std::move(row["cells"]));
        }
        continueToken = page.value("/metadata/continue"_json_pointer, std::string());
      } while (!continueToken.empty());
      return table;
    } catch (const Error& e) {
      // As in list(): an expired continue token means starting over.
      if (e.code() != ErrorCode::Gone || continueToken.empty() || restart + 1 >= kMaxListRestarts) {
        throw;
      }
    }
  }
}

json Client::tablePage(const Resource& resource, std::string_view ns, const ListOptions& options,
                       const std::string& continueToken) {
  Query query{{"labelSelector", options.labelSelector},
              {"fieldSelector", options.fieldSelector},
              {"limit", options.limit > 0 ? std::to_string(options.limit) : ""},
              {"continue", continueToken},
              {"includeObject", "None"}};
  json page = send(Call{.path = withQuery(resource.collectionPath(ns), query),
                        .accept = "application/json;as=Table;v=v1;g=meta.k8s.io",
                        .what = fmt::format("list {}{}", resource.plural,
                                            ns.empty() ? "" : " in " + std::string(ns))});
  if (page.value("kind", "") != "Table") {
    throw Error(ErrorCode::Internal,
                fmt::format("list {}: the API server answered with no Table", resource.plural));
  }
  return page;
}

ListResult Client::list(const Resource& resource, std::string_view ns, const ListOptions& options) {
  for (int restart = 0;; ++restart) {
    ListOptions page = options;
    page.continueToken.clear();
    ListResult all;
    try {
      do {
        ListResult result = listPage(resource, ns, page);
        std::move(result.items.begin(), result.items.end(), std::back_inserter(all.items));
        if (all.resourceVersion.empty()) {
          all.resourceVersion = result.resourceVersion;  // the snapshot all pages belong to
        }
        page.continueToken = result.continueToken;
      } while (!page.continueToken.empty());
      return all;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::Gone || page.continueToken.empty() ||
          restart + 1 >= kMaxListRestarts) {
        throw;
      }
      logger("kube")->info("list continue token expired, relisting resource={} namespace={}",
                           resource.plural, ns);
    }
  }
}

json Client::write(const Resource& resource, const json& object, std::string_view subresource,
                   const std::string& method, const WriteOptions& options) {
  std::string ns = namespaceOf(resource, object);
  Query query;
  addWriteQuery(query, options.fieldManager, options.dryRun);
  bool create = method == "POST";
  std::string path =
      create ? resource.collectionPath(ns) : resource.objectPath(ns, nameOf(object), subresource);
  std::string name =
      create ? object.value("/metadata/name"_json_pointer, std::string()) : nameOf(object);
  std::string verb = create ? "create" : (subresource.empty() ? "update" : "update status of");
  return send(Call{.method = method,
                   .path = withQuery(path, query),
                   .contentType = "application/json",
                   .body = object.dump(),
                   // A PUT carries its resourceVersion, so replaying it cannot apply twice.
                   .idempotent = !create,
                   .what = verb + " " + target(resource, ns, name)});
}

json Client::create(const Resource& resource, const json& object, const WriteOptions& options) {
  return write(resource, object, "", "POST", options);
}

json Client::update(const Resource& resource, const json& object, const WriteOptions& options) {
  return write(resource, object, "", "PUT", options);
}

json Client::updateStatus(const Resource& resource, const json& object,
                          const WriteOptions& options) {
  return write(resource, object, "status", "PUT", options);
}

json Client::applyTo(const Resource& resource, const json& object, std::string_view subresource,
                     const ApplyOptions& options) {
  if (options.fieldManager.empty()) {
    throw Error(ErrorCode::BadRequest, "kube: server-side apply needs a fieldManager");
  }
  std::string ns = namespaceOf(resource, object);
  std::string name = nameOf(object);
  Query query{{"fieldManager", options.fieldManager},
              {"force", options.force ? "true" : ""},
              {"dryRun", options.dryRun ? "All" : ""}};
  // JSON is YAML, so the apply content type takes the JSON body as it is.
  return send(Call{.method = "PATCH",
                   .path = withQuery(resource.objectPath(ns, name, subresource), query),
                   .contentType = "application/apply-patch+yaml",
                   .body = object.dump(),
                   .idempotent = true,
                   .what = fmt::format("apply {}{}", subresource.empty() ? "" : "status of ",
                                       target(resource, ns, name))});
}

json Client::apply(const Resource& resource, const json& object, const ApplyOptions& options) {
  return applyTo(resource, object, "", options);
}

json Client::applyStatus(const Resource& resource, const json& object,
                         const ApplyOptions& options) {
  return applyTo(resource, object, "status", options);
}

json Client::patchAt(const Resource& resource, std::string_view ns, std::string_view name,
                     std::string_view subresource, PatchType type, const json& patch,
                     const WriteOptions& options) {
  Query query;
  addWriteQuery(query, options.fieldManager, options.dryRun);
  return send(Call{.method = "PATCH",
                   .path = withQuery(resource.objectPath(ns, name, subresource), query),
                   .contentType = std::string(contentTypeOf(type)),
                   .body = patch.dump(),
                   // A JSON patch may append to a list; replaying it could do so twice.
                   .idempotent = false,
                   .what = fmt::format("patch {}{}", subresource.empty() ? "" : "status of ",
                                       target(resource, ns, name))});
}

json Client::patch(const Resource& resource, std::string_view ns, std::string_view name,
                   PatchType type, const json& patch, const WriteOptions& options) {
  return patchAt(resource, ns, name, "", type, patch, options);
}

json Client::patchStatus(const Resource& resource, std::string_view ns, std::string_view name,
                         PatchType type, const json& patch, const WriteOptions& options) {
  return patchAt(resource, ns, name, "status", type, patch, options);
}

json Client::getStatus(const Resource& resource, std::string_view ns, std::string_view name) {
  return send(Call{.path = resource.objectPath(ns, name, "status"),
                   .what = "get status of " + target(resource, ns, name)});
}

json Client::remove(const Resource& resource, std::string_view ns, std::string_view name,
                    const DeleteOptions& options) {
  json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (options.propagation != Propagation::Default) {
    body["propagationPolicy"] = propagationName(options.propagation);
  }
  if (!options.preconditionUid.empty()) {
    body["preconditions"]["uid"] = options.preconditionUid;
  }
  if (!options.preconditionResourceVersion.empty()) {
    body["preconditions"]["resourceVersion"] = options.preconditionResourceVersion;
  }
  if (options.gracePeriodSeconds) {
    body["gracePeriodSeconds"] = *options.gracePeriodSeconds;
  }
  return send(Call{.method = "DELETE",
                   .path = resource.objectPath(ns, name),
                   .contentType = "application/json",
                   .body = body.dump(),
                   .what = "delete " + target(resource, ns, name)});
}

WatchPtr Client::watch(const Resource& resource, std::string_view ns, const WatchOptions& options) {
  Query query{
      {"watch", "1"},
      {"allowWatchBookmarks", options.allowBookmarks ? "true" : ""},
      {"resourceVersion", options.resourceVersion},
      {"labelSelector", options.labelSelector},
      {"fieldSelector", options.fieldSelector},
      {"timeoutSeconds", options.timeoutSeconds ? std::to_string(*options.timeoutSeconds) : ""}};
  std::string what =
      fmt::format("watch {}{}", resource.plural, ns.empty() ? "" : " in " + std::string(ns));
  limiter_.acquire();
  HttpRequest request{.path = withQuery(resource.collectionPath(ns), query)};
  auto stream = std::make_unique<Stream>(*transport_, request);
  long status = stream->awaitStatus(options_.timeout);
  if (status == 0) {
    throw Error(ErrorCode::Unavailable, fmt::format("kube: {}: no answer in time", what));
  }
  if (status != 200) {
    if (status == 401) {
      transport_->credentials().invalidate();
    }
    throwStreamError(*stream, what, status);
  }
  return std::make_unique<Watch>(std::move(stream));
}

std::string Client::logs(std::string_view ns, std::string_view pod, const LogOptions& options) {
  return execute(Call{.path = logPath(ns, pod, options, false),
                      .accept = "*/*",
                      .what = fmt::format("read the log of pod {}/{}", ns, pod)});
}

void Client::followLogs(std::string_view ns, std::string_view pod, const LogOptions& options,
                        const std::function<bool(std::string_view)>& onChunk,
                        std::stop_token stop) {
  std::string what = fmt::format("follow the log of pod {}/{}", ns, pod);
  limiter_.acquire();
  HttpRequest request{.path = logPath(ns, pod, options, true), .accept = "*/*"};
  Stream stream(*transport_, request);
  std::stop_callback wake(stop, [&stream] { stream.wakeup(); });
  long status = stream.awaitStatus(options_.timeout);
  if (status == 0) {
    throw Error(ErrorCode::Unavailable, fmt::format("kube: {}: no answer in time", what));
  }
  if (status != 200) {
    throwStreamError(stream, what, status);
  }
  while (!stop.stop_requested()) {
    if (!stream.buffer().empty()) {
      std::string chunk = std::move(stream.buffer());
      stream.buffer().clear();
      if (!onChunk(chunk)) {
        return;
      }
    }
    if (stream.ended()) {
      if (stream.result() != CURLE_OK) {
        throw Error(ErrorCode::Unavailable,
                    fmt::format("kube: {}: the stream broke: {}", what, stream.errorText()));
      }
      return;
    }
    stream.pump(kStreamPoll);
  }
}

}  // namespace wax::kube
