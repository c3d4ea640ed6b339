#include "http/server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/logging.h"
#include "http/router.h"

namespace wax::http {

std::optional<std::string> Request::queryValue(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<std::string> Request::header(const std::string& lowerCaseName) const {
  auto it = headers.find(lowerCaseName);
  if (it == headers.end()) {
    return std::nullopt;
  }
  return it->second;
}

Response errorResponse(int status, std::string_view reason, std::string_view message) {
  nlohmann::json body = {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
                         {"code", status},   {"reason", reason},   {"message", message}};
  Response response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return response;
}

namespace {

// The methods cpp-httplib hands to the Dispatcher; it answers any other itself.
bool reachesTheDispatcher(const std::string& method) {
  for (const char* routed : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}) {
    if (method == routed) {
      return true;
    }
  }
  return false;
}

// The requests the library refuses itself (a request line it cannot parse, a method it does not
// route: 404 for OPTIONS, 400 for TRACE or a made-up one) come with an empty body; they get one
// in the API's shape, as every other error, and a method on a known path gets the router's 405.
// Our own answers pass unchanged.
httplib::Server::HandlerResponse libraryError(const Dispatcher& dispatcher,
                                              const httplib::Request& raw, httplib::Response& out) {
  if (!out.body.empty() || out.has_header("Content-Type")) {
    return httplib::Server::HandlerResponse::Unhandled;
  }
  std::optional<Response> refusal;
  if (out.status < 500 && !reachesTheDispatcher(raw.method)) {
    refusal = dispatcher.methodNotAllowed(raw.method, raw.path);
  }
  Response response;
  if (refusal) {
    response = std::move(*refusal);
  } else if (out.status == 404) {
    response = errorResponse(404, "NotFound", "no such path: " + raw.path);
  } else if (out.status < 500) {
    response = errorResponse(out.status, "BadRequest",
                             fmt::format("the server cannot read this request (status {}); it "
                                         "serves GET, POST, PUT, PATCH and DELETE over HTTP/1.1",
                                         out.status));
  } else {
    response = errorResponse(out.status, "InternalError", "internal error");
  }
  out.status = response.status;
  for (const auto& [name, value] : response.headers) {
    out.set_header(name, value);
  }
  out.set_content(response.body, response.contentType);
  return httplib::Server::HandlerResponse::Handled;
}

}  // namespace

class Server::Impl {
 public:
  explicit Impl(ServerOptions options) : options_(std::move(options)) {}

  // Streams hold a pool thread each; requestThreads more stay free for ordinary requests.
  int maxStreams() const { return std::max(1, options_.maxStreams); }
  int threads() const { return maxStreams() + std::max(1, options_.requestThreads); }

  bool admitStream() const {
    if (++openStreams_ > maxStreams()) {
      --openStreams_;
      return false;
    }
    return true;
  }

  mutable std::atomic<int> openStreams_{0};
  std::atomic<bool> stopping_{false};

  ServerOptions options_;
  Dispatcher dispatcher_;
  std::vector<Rewriter> rewriters_;
  httplib::Server server_;
  std::thread thread_;
  std::shared_ptr<spdlog::logger> log_ = logger("http");

  Request convert(const httplib::Request& raw) const {
    Request request;
    request.method = raw.method;
    request.path = raw.path;
    request.body = raw.body;
    request.remoteAddress = raw.remote_addr;
    for (const auto& [name, value] : raw.params) {
      request.query.emplace(name, value);
    }
    for (const auto& [name, value] : raw.headers) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      request.headers.emplace(lower, value);
    }
    return request;
  }

  void runStream(const std::function<void(const ChunkWriter&)>& stream,
                 httplib::DataSink& sink) const {
    stream([&sink, this](std::string_view chunk) {
      if (stopping_) {
        return false;  // the server is shutting down: streams end so that threads are freed
      }
      // An empty chunk would end a chunked body, so it only asks about the client.
      if (chunk.empty()) {
        return sink.is_writable();
      }
      return sink.is_writable() && sink.write(chunk.data(), chunk.size());
    });
  }

  void streamBody(httplib::Response& out, const std::string& contentType,
                  std::function<void(const ChunkWriter&)> stream) const {
    auto provider = [stream = std::move(stream), this](size_t, httplib::DataSink& sink) {
      try {
        runStream(stream, sink);
      } catch (const std::exception& error) {
        // The headers are sent already: the best left to do is to end the body cleanly.
        log_->warn("stream failed error={}", error.what());
      }
      sink.done();
      return true;
    };
    out.set_chunked_content_provider(contentType, std::move(provider),
                                     [this](bool) { --openStreams_; });
  }

  // cpp-httplib gzips a body whose client accepts it, and its compressor holds the output
  // until the end: a log follow or a watch would send nothing for as long as it lasts to such
  // a client (every browser, Python's requests). A stream is sent as written instead, and so
  // is a body its handler encoded already. The
  // library reads Accept-Encoding after the handler returns, from its own non-const Request
  // (process_request's local), so removing the header here is safe.
  // The handler encoded the body already, or chose not to for this client (it says so with
  // Vary: Accept-Encoding): the dashboard's files, gzipped once at build time.
  static bool chosenEncoding(const Response& response) {
    const auto vary = response.headers.find("Vary");
    return response.headers.count("Content-Encoding") != 0 ||
           (vary != response.headers.end() &&
            vary->second.find("Accept-Encoding") != std::string::npos);
  }

  static void keepUncompressed(const httplib::Request& raw) {
    const_cast<httplib::Request&>(raw).headers.erase("Accept-Encoding");
  }

  // Reads the body of a request that passed the filters, up to the limit. The library's own
  // limit applies only to bodies that announce their length; a chunked body would otherwise be
  // read whole, by anyone, before the token is checked.
  std::optional<Response> readBody(Request& request, const httplib::ContentReader& reader) const {
    if (auto stop = dispatcher_.screen(request)) {
      return stop;
    }
    bool tooLarge = false;
    reader([&](const char* data, size_t length) {
      if (request.body.size() + length > options_.maxBodyBytes) {
        tooLarge = true;
        return false;
      }
      request.body.append(data, length);
      return true;
    });
    if (tooLarge) {
      return errorResponse(413, "RequestEntityTooLarge",
                           fmt::format("the request body is over {} MiB, the most this server "
                                       "takes; keep code small and install libraries with "
                                       "spec.dependencies",
                                       options_.maxBodyBytes / (1024 * 1024)));
    }
    return std::nullopt;
  }

  bool originAllowed(const std::string& origin) const {
    const auto& allowed = options_.corsAllowedOrigins;
    return std::find(allowed.begin(), allowed.end(), origin) != allowed.end() ||
           std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  }

  // CORS (https://fetch.spec.whatwg.org/#http-cors-protocol): a page of an allowed origin may
  // read the answers. Tokens travel in the Authorization header, never in cookies, so
  // credentials are not allowed; that also makes "*" safe to offer.
  void addCorsHeaders(const Request& request, httplib::Response& out) const {
    const auto origin = request.header("origin");
    if (!origin || !originAllowed(*origin)) {
      return;
    }
    out.set_header("Access-Control-Allow-Origin", *origin);
    out.set_header("Vary", "Origin");
  }

  // OPTIONS: a browser's preflight before a cross-origin call with a token or a JSON body, or
  // a client asking which methods a path takes (RFC 9110 section 9.3.7).
  Response options(const Request& request) const {
    auto refusal = dispatcher_.methodNotAllowed(request.method, request.path);
    if (!refusal) {
      return errorResponse(404, "NotFound", "no such path: " + request.path);
    }
    const std::string methods = refusal->headers["Allow"];
    const std::string origin = request.header("origin").value_or("");
    if (!origin.empty() && !originAllowed(origin)) {
      return errorResponse(403, "Forbidden",
                           fmt::format("origin {} may not call this server from a browser; the "
                                       "server's administrator can allow it with "
                                       "--cors-allow-origin",
                                       origin));
    }
    Response response;
    response.status = 204;
    response.headers["Allow"] = methods;
    if (!origin.empty()) {
      response.headers["Access-Control-Allow-Methods"] = methods;
      response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type";
      response.headers["Access-Control-Max-Age"] = "600";
    }
    return response;
  }

  Response answer(Request& request, const httplib::ContentReader* reader) const {
    for (const auto& rewrite : rewriters_) {
      if (auto stop = rewrite(request)) {
        return *stop;
      }
    }
    if (request.method == "OPTIONS") {
      return options(request);
    }
    std::optional<Response> early = reader ? readBody(request, *reader) : std::nullopt;
    return early ? std::move(*early) : dispatcher_.dispatch(request);
  }

  void handle(const httplib::Request& raw, httplib::Response& out,
              const httplib::ContentReader* reader = nullptr) const {
    const auto started = std::chrono::steady_clock::now();
    Request request = convert(raw);
    Response response = answer(request, reader);
    out.status = response.status;
    for (const auto& [name, value] : response.headers) {
      out.set_header(name, value);
    }
    addCorsHeaders(request, out);
    if (response.stream && !admitStream()) {
      response = errorResponse(503, "ServiceUnavailable",
                               fmt::format("too many open streams (at most {}); close a log "
                                           "follow or a watch and try again",
                                           maxStreams()));
      out.status = response.status;
    }
    if (response.stream) {
      keepUncompressed(raw);
      streamBody(out, response.contentType, std::move(response.stream));
    } else {
      if (chosenEncoding(response)) {
        keepUncompressed(raw);
      }
      out.set_content(response.body, response.contentType);
    }
    log_->debug("request method={} path={} status={}", request.method, request.path,
                response.status);
    if (options_.observer) {
      if (request.route.empty()) {  // refused before routing, e.g. a 401 before its body
        request.route = dispatcher_.routeOf(request.method, request.path);
      }
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
      options_.observer(request, response.status, elapsed.count());
    }
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
  stop();
}

void Server::route(const std::string& method, const std::string& pattern, Handler handler) {
  impl_->dispatcher_.route(method, pattern, std::move(handler));
}

void Server::filter(Filter filter) {
  impl_->dispatcher_.filter(std::move(filter));
}

void Server::rewrite(Rewriter rewriter) {
  impl_->rewriters_.push_back(std::move(rewriter));
}

uint16_t Server::start() {
  auto& server = impl_->server_;
  const int threads = impl_->threads();
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  const int timeout = std::max(1, impl_->options_.ioTimeoutSeconds);
  // Without it a response written in two pieces (headers, body) waits for the client's
  // delayed ACK: 40 ms per request on Linux.
  server.set_tcp_nodelay(true);
  server.set_read_timeout(timeout, 0);
  server.set_write_timeout(timeout, 0);
  // Bodies are read and limited by readBody(), so that every refusal is in our words.
  server.set_payload_max_length(std::numeric_limits<size_t>::max());
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second server bind the same
  // port and take half of its connections; SO_REUSEADDR alone still allows quick restarts.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  auto handler = [impl = impl_.get()](const httplib::Request& raw, httplib::Response& out) {
    impl->handle(raw, out);
  };
  // One request per connection. The filters answer before a body is read (so that no one
  // without a token can make the server read 16 MiB) and the library never reads a GET's body:
  // on a connection kept open, those unread bytes would be read as the next request, and behind
  // a proxy that shares its connections that request would pass the token check unseen.
  server.set_keep_alive_max_count(1);
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [impl = impl_.get()](const httplib::Request& raw, httplib::Response& out) {
        return libraryError(impl->dispatcher_, raw, out);
      }));
  // Nothing should escape handle(); if something does, answer in our shape, not the library's.
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& out, std::exception_ptr) {
        const auto response = errorResponse(500, "InternalError", "internal error");
        out.status = response.status;
        out.set_content(response.body, response.contentType);
      });
  // Every path goes to the Dispatcher, whose errors say what is wrong; ".*" would leave out the
  // paths whose decoded form holds a line break ('.' matches none), which get a bare 404.
  const std::string any = "[\\s\\S]*";
  auto withBody = [impl = impl_.get()](const httplib::Request& raw, httplib::Response& out,
                                       const httplib::ContentReader& reader) {
    impl->handle(raw, out, &reader);
  };
  server.Get(any, handler);
  server.Post(any, withBody);
  server.Put(any, withBody);
  server.Patch(any, withBody);
  server.Delete(any, handler);
  server.Options(any, handler);

  int port = impl_->options_.port;
  if (port == 0) {
    port = server.bind_to_any_port(impl_->options_.host);
  } else if (!server.bind_to_port(impl_->options_.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    throw Error(ErrorCode::Unavailable, "cannot listen on " + impl_->options_.host + ":" +
                                            std::to_string(impl_->options_.port) +
                                            ": the address is in use or not available");
  }
  impl_->thread_ = std::thread([&server] { server.listen_after_bind(); });
  // The socket is bound, so early connections wait in the backlog; still, stop() must not run
  // before the loop has started or it would miss it.
  while (!server.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return static_cast<uint16_t>(port);
}

void Server::stop() {
  impl_->stopping_ = true;
  if (impl_->thread_.joinable()) {
    impl_->server_.stop();
    impl_->thread_.join();
  }
}

}  // namespace wax::http
