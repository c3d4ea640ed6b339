#include "http/server.h"

#include <algorithm>
#include <thread>

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
  response.body = body.dump() + "\n";
  return response;
}

class Server::Impl {
 public:
  explicit Impl(ServerOptions options) : options_(std::move(options)) {}

  ServerOptions options_;
  Router router_;
  std::vector<Filter> filters_;
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

  Response dispatch(Request& request) const {
    for (const auto& filter : filters_) {
      if (auto stop = filter(request)) {
        return *stop;
      }
    }
    auto match = router_.find(request.method, request.path);
    if (match.handler == nullptr) {
      if (match.pathKnown) {
        return errorResponse(405, "MethodNotAllowed",
                             "method " + request.method + " is not allowed on " + request.path);
      }
      return errorResponse(404, "NotFound", "no such path: " + request.path);
    }
    request.pathParams = std::move(match.params);
    return invoke(*match.handler, request);
  }

  Response invoke(const Handler& handler, const Request& request) const {
    try {
      return handler(request);
    } catch (const Error& error) {
      return errorResponse(httpStatus(error.code()), reasonOf(error.code()), error.what());
    } catch (const nlohmann::json::exception& error) {
      return errorResponse(400, "BadRequest", std::string("malformed JSON: ") + error.what());
    } catch (const std::exception& error) {
      log_->error("request failed method={} path={} error={}", request.method, request.path,
                  error.what());
      return errorResponse(500, "InternalError", "internal error; see the waxd log");
    }
  }

  static void runStream(const std::function<void(const ChunkWriter&)>& stream,
                        httplib::DataSink& sink) {
    stream([&sink](std::string_view chunk) {
      // An empty chunk would end a chunked body, so it only asks about the client.
      if (chunk.empty()) {
        return sink.is_writable();
      }
      return sink.is_writable() && sink.write(chunk.data(), chunk.size());
    });
  }

  void handle(const httplib::Request& raw, httplib::Response& out) const {
    Request request = convert(raw);
    Response response = dispatch(request);
    out.status = response.status;
    for (const auto& [name, value] : response.headers) {
      out.set_header(name, value);
    }
    if (response.stream) {
      auto stream = std::move(response.stream);
      out.set_chunked_content_provider(response.contentType,
                                       [stream, this](size_t, httplib::DataSink& sink) {
                                         try {
                                           runStream(stream, sink);
                                         } catch (const std::exception& error) {
                                           // Headers are gone already: the best we can do is end
                                           // the body cleanly.
                                           log_->warn("stream failed error={}", error.what());
                                         }
                                         sink.done();
                                         return true;
                                       });
    } else {
      out.set_content(response.body, response.contentType);
    }
    log_->debug("request method={} path={} status={}", request.method, request.path,
                response.status);
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
  stop();
}

void Server::route(const std::string& method, const std::string& pattern, Handler handler) {
  impl_->router_.add(method, pattern, std::move(handler));
}

void Server::filter(Filter filter) {
  impl_->filters_.push_back(std::move(filter));
}

uint16_t Server::start() {
  auto& server = impl_->server_;
  const int threads = impl_->options_.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(impl_->options_.maxBodyBytes);
  auto handler = [impl = impl_.get()](const httplib::Request& raw, httplib::Response& out) {
    impl->handle(raw, out);
  };
  const std::string any = ".*";
  server.Get(any, handler);
  server.Post(any, handler);
  server.Put(any, handler);
  server.Patch(any, handler);
  server.Delete(any, handler);

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
  if (impl_->thread_.joinable()) {
    impl_->server_.stop();
    impl_->thread_.join();
  }
}

}  // namespace wax::http
