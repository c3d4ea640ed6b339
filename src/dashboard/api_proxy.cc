#include "dashboard/api_proxy.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "common/logging.h"
#include "common/url.h"

namespace wax::dashboard {

namespace {

// What goes on to WaxAPI: the credentials, the body's type, what the page takes, the trace.
constexpr const char* kForwardedHeaders[] = {"authorization", "content-type", "accept",
                                             "traceparent", "tracestate"};

std::string targetOf(const http::Request& request) {
  std::string target = request.path;
  char separator = '?';
  for (const auto& [key, value] : request.query) {
    target += separator + urlEncode(key) + "=" + urlEncode(value);
    separator = '&';
  }
  return target;
}

httplib::Headers headersOf(const http::Request& request) {
  httplib::Headers headers;
  for (const char* name : kForwardedHeaders) {
    if (auto value = request.header(name)) {
      headers.emplace(name, *value);
    }
  }
  return headers;
}

bool isStream(const http::Request& request) {
  return request.method == "GET" && (request.queryValue("watch").value_or("") == "true" ||
                                     request.queryValue("follow").value_or("") == "true");
}

http::Response unreachable(const std::string& apiUrl, httplib::Error error) {
  logger("dashboard")
      ->warn("cannot reach WaxAPI url={} error={}", redactUrl(apiUrl), httplib::to_string(error));
  return http::errorResponse(502, "BadGateway",
                             "the dashboard cannot reach WaxAPI; try again, and if it persists "
                             "ask an administrator to check the wax-api service");
}

http::Response answerOf(const httplib::Response& upstream) {
  http::Response response;
  response.status = upstream.status;
  response.contentType = upstream.get_header_value("Content-Type");
  response.body = upstream.body;
  for (const char* name : {"WWW-Authenticate", "Allow", "Retry-After"}) {
    if (upstream.has_header(name)) {
      response.headers[name] = upstream.get_header_value(name);
    }
  }
  return response;
}

// A stream read on its own thread: the answer's head is handed over first (so that an error
// keeps its status), then each chunk, until WaxAPI ends it or the page goes away.
struct Relay {
  std::mutex mutex;
  std::condition_variable changed;
  bool headed = false;
  bool finished = false;
  bool abandoned = false;  // the page went away: stop reading
  httplib::Response head;
  std::deque<std::string> chunks;
  httplib::Error error = httplib::Error::Success;
  httplib::Client* client = nullptr;  // while the reader reads; stop() cuts a silent stream
  std::thread reader;

  ~Relay() {
    {
      std::lock_guard lock(mutex);
      abandoned = true;
      if (client != nullptr) {
        client->stop();
      }
    }
    if (reader.joinable()) {
      reader.join();
    }
  }

  bool push(const char* data, size_t size) {
    std::lock_guard lock(mutex);
    chunks.emplace_back(data, size);
    changed.notify_all();
    return !abandoned;
  }

  // Writes chunks as they come until the upstream ends or `write` fails.
  void drain(const http::ChunkWriter& write) {
    std::unique_lock lock(mutex);
    while (true) {
      changed.wait(lock, [this] { return !chunks.empty() || finished; });
      if (chunks.empty()) {
        return;
      }
      std::string chunk = std::move(chunks.front());
      chunks.pop_front();
      lock.unlock();
      const bool wanted = write(chunk);
      lock.lock();
      if (!wanted) {
        abandoned = true;
        return;
      }
    }
  }
};

}  // namespace

ApiProxy::ApiProxy(ApiProxyOptions options) : options_(std::move(options)) {}

void ApiProxy::registerRoutes(http::Routes& routes) const {
  auto forward = [this](const http::Request& request) { return this->forward(request); };
  const char* patterns[] = {"/api/{path...}", "/dataflows",   "/dataflows/{path...}",
                            "/namespaces",    "/secrets",     "/secrets/{path...}",
                            "/auth/config",   "/auth/whoami", "/openapi.json"};
  for (const char* pattern : patterns) {
    for (const char* method : {"GET", "POST", "PUT", "DELETE"}) {
      routes.route(method, pattern, forward);
    }
  }
}

http::Response ApiProxy::forward(const http::Request& request) const {
  const std::string target = targetOf(request);
  if (isStream(request)) {
    return forwardStream(request, target);
  }
  httplib::Client client(options_.apiUrl);
  client.set_connection_timeout(options_.timeout);
  client.set_read_timeout(options_.timeout);
  if (!options_.caFile.empty()) {
    client.set_ca_cert_path(options_.caFile.c_str());
  }
  httplib::Request upstream;
  upstream.method = request.method;
  upstream.path = target;
  upstream.headers = headersOf(request);
  upstream.body = request.body;
  const auto result = client.send(upstream);
  return result ? answerOf(*result) : unreachable(options_.apiUrl, result.error());
}

http::Response ApiProxy::forwardStream(const http::Request& request,
                                       const std::string& target) const {
  auto relay = std::make_shared<Relay>();
  auto headers = headersOf(request);
  relay->reader = std::thread([relay = relay.get(), options = options_, target, headers] {
    httplib::Client client(options.apiUrl);
    client.set_connection_timeout(options.timeout);
    client.set_read_timeout(options.streamIdle);
    if (!options.caFile.empty()) {
      client.set_ca_cert_path(options.caFile.c_str());
    }
    {
      std::lock_guard lock(relay->mutex);
      if (relay->abandoned) {
        relay->finished = true;
        relay->changed.notify_all();
        return;
      }
      relay->client = &client;
    }
    const auto result = client.Get(
        target, headers,
        [relay](const httplib::Response& head) {
          std::lock_guard lock(relay->mutex);
          relay->head = head;
          relay->headed = true;
          relay->changed.notify_all();
          return !relay->abandoned;
        },
        [relay](const char* data, size_t size) { return relay->push(data, size); });
    std::lock_guard lock(relay->mutex);
    relay->client = nullptr;
    relay->error = result ? httplib::Error::Success : result.error();
    relay->finished = true;
    relay->changed.notify_all();
  });

  std::unique_lock lock(relay->mutex);
  relay->changed.wait(lock, [&] { return relay->headed || relay->finished; });
  if (!relay->headed) {
    return unreachable(options_.apiUrl, relay->error);
  }
  http::Response response = answerOf(relay->head);
  if (relay->head.status != 200) {  // an error: its whole body, with its status
    relay->changed.wait(lock, [&] { return relay->finished; });
    for (const auto& chunk : relay->chunks) {
      response.body += chunk;
    }
    return response;
  }
  response.stream = [relay](const http::ChunkWriter& write) { relay->drain(write); };
  return response;
}

}  // namespace wax::dashboard
