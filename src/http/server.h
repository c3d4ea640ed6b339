#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// A small HTTP/1.1 server with path routing. The library underneath (cpp-httplib) stays inside
// server.cc so that nothing else depends on it and it can be swapped.
namespace wax::http {

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> pathParams;  // from "{name}" segments of the route
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string remoteAddress;
  std::string route;  // the pattern that matched, e.g. "/dataflows/{name}"; set by dispatch

  std::optional<std::string> queryValue(const std::string& name) const;
  std::optional<std::string> header(const std::string& lowerCaseName) const;
};

// Writes one chunk of a streamed body; returns false once the client has gone away.
using ChunkWriter = std::function<bool(std::string_view)>;

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
  // When set, the body is streamed (chunked): the function writes chunks until it returns.
  std::function<void(const ChunkWriter&)> stream;
};

using Handler = std::function<Response(const Request&)>;
// Runs before routing; a returned Response ends the request (for example 401).
using Filter = std::function<std::optional<Response>(const Request&)>;
// Runs first, and may change the request: the dashboard turns its session cookie into the
// credentials the session holds, so that the filters and routes see an ordinary request.
using Rewriter = std::function<std::optional<Response>(Request&)>;

// Where handlers are registered: a Server, or a Dispatcher used in-process.
class Routes {
 public:
  virtual ~Routes() = default;
  // `pattern` is a path whose segments may be "{param}", e.g. "/dataflows/{name}/logs"; a last
  // segment "{param...}" takes one or more segments, e.g. "/ui/{page...}" matches "/ui/a/b".
  virtual void route(const std::string& method, const std::string& pattern, Handler handler) = 0;
};

// Called once a request is answered (for a stream: once its headers are sent).
using ResponseObserver = std::function<void(const Request& request, int status, double seconds)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;          // 0 picks a free port
  int maxStreams = 24;        // log follows and watches, each holding a thread while open
  int requestThreads = 8;     // the threads kept for ordinary requests besides the streams
  int ioTimeoutSeconds = 30;  // a client that sends or takes nothing for this long is dropped
  size_t maxBodyBytes = 16 * 1024 * 1024;
  // Origins (scheme://host[:port], or "*") whose pages may call this server from a browser.
  std::vector<std::string> corsAllowedOrigins;
  ResponseObserver observer;
};

class Server : public Routes {
 public:
  explicit Server(ServerOptions options);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void route(const std::string& method, const std::string& pattern, Handler handler) override;
  void filter(Filter filter);
  void rewrite(Rewriter rewriter);
  // Binds and serves on a background thread. Returns the bound port. Throws wax::Error.
  uint16_t start();
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// A JSON error body in the Kubernetes Status shape, e.g.
// {"kind":"Status","status":"Failure","code":404,"reason":"NotFound","message":"..."}.
Response errorResponse(int status, std::string_view reason, std::string_view message);

}  // namespace wax::http
