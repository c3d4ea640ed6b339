#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/url.h"
#include "http/server.h"

// The HTTP client waxctl uses to talk to a WaxAPI (cpp-httplib underneath). Error answers become
// wax::Error with the server's message, so the user reads what the server said.
namespace wax::cli {

// An API served in this process: against a cluster, waxctl runs the WaxAPI handlers itself.
class InProcessApi {
 public:
  virtual ~InProcessApi() = default;
  virtual http::Response handle(http::Request& request) = 0;
};

struct Connection {
  std::string url;    // e.g. http://127.0.0.1:41237
  std::string token;  // bearer token; never printed
  // What to do about a 401: where the token comes from, and how to give another.
  std::string unauthorizedHint = "pass --token or set WAX_TOKEN";
  // When set, requests go to it instead of `url`, which then only names the target.
  std::shared_ptr<InProcessApi> inProcess;
};

class Client {
 public:
  explicit Client(Connection connection);

  nlohmann::json get(const std::string& path);
  nlohmann::json post(const std::string& path, const nlohmann::json& body);
  nlohmann::json put(const std::string& path, const nlohmann::json& body);
  nlohmann::json remove(const std::string& path);
  std::string getText(const std::string& path);
  // Streams a response body to `sink` until it ends or `sink` returns false.
  void stream(const std::string& path, const std::function<bool(std::string_view)>& sink);
  // GET without the token, for health checks; returns the status or 0 when unreachable.
  int probe(const std::string& path);

  const Connection& connection() const { return connection_; }

 private:
  std::string request(const std::string& method, const std::string& path,
                      const std::optional<std::string>& body,
                      const std::function<bool(std::string_view)>* sink);
  std::string requestInProcess(const std::string& method, const std::string& path,
                               const std::optional<std::string>& body,
                               const std::function<bool(std::string_view)>* sink);

  Connection connection_;
};

}  // namespace wax::cli
