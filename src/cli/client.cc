#include "cli/client.h"

#include <memory>

#include <fmt/format.h>
#include <httplib.h>

#include "cli/arguments.h"
#include "common/error.h"

// A WaxAPI is reached with cpp-httplib, which waxd's server uses too; a cluster is reached in
// process (see cluster_api.h), through the Kubernetes client and its libcurl.
namespace wax::cli {

namespace {

constexpr time_t kConnectTimeoutSeconds = 10;
constexpr time_t kReadTimeoutSeconds = 120;
constexpr time_t kStreamReadTimeoutSeconds = 24 * 3600;  // a followed log may stay quiet

constexpr size_t kMaxQuotedBody = 200;

// At most kMaxQuotedBody characters of a body, on one line, for a message.
std::string quoteBody(const std::string& body) {
  std::string line;
  for (const char c : body.substr(0, kMaxQuotedBody)) {
    const bool space = c == '\n' || c == '\r' || c == '\t';
    if (!(space && (line.empty() || line.back() == ' '))) {
      line += space ? ' ' : c;
    }
  }
  while (!line.empty() && line.back() == ' ') {
    line.pop_back();
  }
  return body.size() > kMaxQuotedBody ? line + "..." : line;
}

// Something else than a WaxAPI answered, e.g. a web server at a mistyped --server.
std::string notWaxApi(const Connection& connection, int status, const std::string& body) {
  return fmt::format("the server at {} answered {} and does not look like a Wax API: {}",
                     redactUrl(connection.url), status, quoteBody(body));
}

[[noreturn]] void throwForStatus(const Connection& connection, int status,
                                 const std::string& body) {
  std::string message;
  std::string reason;
  try {
    const auto parsed = nlohmann::json::parse(body);
    if (parsed.is_object() && parsed.contains("message")) {
      message = parsed.value("message", "");
      reason = parsed.value("reason", "");
    }
  } catch (const nlohmann::json::exception&) {
  }
  if (message.empty()) {
    message = body.empty()
                  ? fmt::format("the server at {} answered {}", redactUrl(connection.url), status)
                  : notWaxApi(connection, status, body);
  }
  if (status == 401) {
    message += "; " + connection.unauthorizedHint;
  }
  throw Error(codeForStatus(status, reason), message);
}

nlohmann::json parseJson(const Connection& connection, const std::string& text) {
  if (text.empty()) {
    return nullptr;
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorCode::Internal, notWaxApi(connection, 200, text));
  }
}

std::unique_ptr<httplib::Client> connect(const std::string& url, time_t readTimeout) {
  auto client = std::make_unique<httplib::Client>(url);
  if (!client->is_valid()) {
    throw Error(
        ErrorCode::BadRequest,
        fmt::format("--server \"{}\": give a URL such as http://127.0.0.1:8080", redactUrl(url)));
  }
  client->set_connection_timeout(kConnectTimeoutSeconds, 0);
  client->set_read_timeout(readTimeout, 0);
  client->set_write_timeout(kReadTimeoutSeconds, 0);
  return client;
}

}  // namespace

Client::Client(Connection connection) : connection_(std::move(connection)) {}

namespace {

// "a%20b" -> "a b", for the query of an in-process request.
std::string urlDecode(std::string_view text) {
  std::string decoded;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      decoded += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      decoded += text[i] == '+' ? ' ' : text[i];
    }
  }
  return decoded;
}

http::Request inProcessRequest(const std::string& method, const std::string& target,
                               const std::optional<std::string>& body) {
  http::Request request;
  request.method = method;
  const auto question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) {
    std::string_view query(target);
    query.remove_prefix(question + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const auto equals = pair.find('=');
      request.query.emplace(
          urlDecode(pair.substr(0, equals)),
          equals == std::string_view::npos ? "" : urlDecode(pair.substr(equals + 1)));
      query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    }
  }
  request.headers["accept"] = "application/json";
  if (body) {
    request.headers["content-type"] = "application/json";
    request.body = *body;
  }
  request.remoteAddress = "in-process";
  return request;
}

}  // namespace

std::string Client::requestInProcess(const std::string& method, const std::string& path,
                                     const std::optional<std::string>& body,
                                     const std::function<bool(std::string_view)>* sink) {
  http::Request request = inProcessRequest(method, path, body);
  http::Response response = connection_.inProcess->handle(request);
  if (response.status >= 300) {
    throwForStatus(connection_, response.status, response.body);
  }
  if (response.stream) {
    std::string collected;
    response.stream([&](std::string_view chunk) {
      if (sink != nullptr) {
        return chunk.empty() || (*sink)(chunk);
      }
      collected.append(chunk);
      return true;
    });
    return collected;
  }
  if (sink != nullptr) {
    (*sink)(response.body);
    return "";
  }
  return response.body;
}

std::string Client::request(const std::string& method, const std::string& path,
                            const std::optional<std::string>& body,
                            const std::function<bool(std::string_view)>* sink) {
  if (connection_.inProcess) {
    return requestInProcess(method, path, body, sink);
  }
  auto client = connect(connection_.url, sink ? kStreamReadTimeoutSeconds : kReadTimeoutSeconds);
  httplib::Request request;
  request.method = method;
  request.path = path;
  request.set_header("Accept", "application/json");
  if (!connection_.token.empty()) {
    request.set_header("Authorization", "Bearer " + connection_.token);
  }
  if (body) {
    request.set_header("Content-Type", "application/json");
    request.body = *body;
  }
  int status = 0;
  std::string collected;
  bool stoppedBySink = false;
  request.response_handler = [&status](const httplib::Response& response) {
    status = response.status;
    return true;
  };
  // A successful answer goes to the sink when there is one; anything else is collected (an
  // error body is kept to report its message).
  request.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
    if (sink != nullptr && status < 300) {
      stoppedBySink = !(*sink)(std::string_view(data, length));
      return !stoppedBySink;
    }
    collected.append(data, length);
    return true;
  };
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  const bool sent = client->send(request, response, error);
  if (!sent && !(stoppedBySink && error == httplib::Error::Canceled)) {
    throw Error(ErrorCode::Unavailable,
                fmt::format("cannot reach the Wax API at {}: {}; is waxd running? "
                            "(`waxctl local status`)",
                            redactUrl(connection_.url), httplib::to_string(error)));
  }
  if (status >= 300) {
    throwForStatus(connection_, status, collected);
  }
  return collected;
}

nlohmann::json Client::get(const std::string& path) {
  return parseJson(connection_, request("GET", path, std::nullopt, nullptr));
}

nlohmann::json Client::post(const std::string& path, const nlohmann::json& body) {
  return parseJson(connection_, request("POST", path, body.dump(), nullptr));
}

nlohmann::json Client::put(const std::string& path, const nlohmann::json& body) {
  return parseJson(connection_, request("PUT", path, body.dump(), nullptr));
}

nlohmann::json Client::remove(const std::string& path) {
  return parseJson(connection_, request("DELETE", path, std::nullopt, nullptr));
}

std::string Client::getText(const std::string& path) {
  return request("GET", path, std::nullopt, nullptr);
}

void Client::stream(const std::string& path, const std::function<bool(std::string_view)>& sink) {
  request("GET", path, std::nullopt, &sink);
}

int Client::probe(const std::string& path) {
  if (connection_.inProcess) {
    http::Request request = inProcessRequest("GET", path, std::nullopt);
    return connection_.inProcess->handle(request).status;
  }
  auto client = connect(connection_.url, 2);
  client->set_connection_timeout(2, 0);
  const auto result = client->Get(path);
  return result ? result->status : 0;
}

}  // namespace wax::cli
