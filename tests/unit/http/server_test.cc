// The HTTP server on a real socket, spoken to byte by byte: what a client that sends odd requests
// gets back, and what stays of a request the server did not read to its end.
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace wax::http {
namespace {

// A client connection spoken to byte by byte.
class Connection {
 public:
  explicit Connection(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~Connection() { close(fd_); }

  // Fails quietly once the server has closed the connection.
  void send(const std::string& bytes) { ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

  // One whole response: its head and a body of its Content-Length.
  std::string readResponse() {
    std::string answer;
    while (!complete(answer) && readSome(answer)) {
    }
    return answer;
  }

  // Everything until the server closes the connection, or 10 s pass without a byte.
  std::string readToEnd() {
    std::string answer;
    while (readSome(answer)) {
    }
    return answer;
  }

 private:
  bool readSome(std::string& into) {
    char buffer[4096];
    const ssize_t got = recv(fd_, buffer, sizeof buffer, 0);
    if (got > 0) {
      into.append(buffer, static_cast<size_t>(got));
    }
    return got > 0;
  }

  static bool complete(const std::string& answer) {
    const size_t end = answer.find("\r\n\r\n");
    const size_t length = answer.find("Content-Length: ");
    if (end == std::string::npos || length == std::string::npos) {
      return false;
    }
    return answer.size() >= end + 4 + std::stoul(answer.substr(length + 16));
  }

  int fd_;
};

std::string roundTrip(uint16_t port, const std::string& request) {
  Connection connection(port);
  connection.send(request);
  return connection.readToEnd();
}

int countOf(const std::string& text, const std::string& part) {
  int count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

nlohmann::json bodyOf(const std::string& answer) {
  const size_t start = answer.find("\r\n\r\n");
  return nlohmann::json::parse(answer.substr(start + 4));
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.route("GET", "/open", [this](const Request&) {
      ++served_;
      return Response{};
    });
    server_.filter([](const Request& request) -> std::optional<Response> {
      if (request.path == "/open") {
        return std::nullopt;
      }
      return errorResponse(401, "Unauthorized", "no token");
    });
    port_ = server_.start();
  }

  Server server_{ServerOptions{}};
  uint16_t port_ = 0;
  std::atomic<int> served_{0};
};

// cpp-httplib answers some requests itself, with an empty body: those with a method it does
// not route, and those it cannot parse.
TEST_F(ServerTest, RequestsTheLibraryRefusesGetAStatusBody) {
  const std::string trace =
      roundTrip(port_, "TRACE /open HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(trace.rfind("HTTP/1.1 405", 0), 0u) << trace;
  EXPECT_NE(trace.find("Allow: GET\r\n"), std::string::npos) << trace;
  EXPECT_NE(trace.find("Content-Type: application/json"), std::string::npos) << trace;
  EXPECT_EQ(bodyOf(trace)["reason"], "MethodNotAllowed");

  const std::string garbage = roundTrip(port_, "NOT A REQUEST LINE\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0u) << garbage;
  EXPECT_EQ(bodyOf(garbage)["kind"], "Status");
  EXPECT_EQ(bodyOf(garbage)["code"], 400);
}

// OPTIONS says which methods a path takes (RFC 9110), without a token, and names no others.
TEST_F(ServerTest, OptionsNamesThePathsMethods) {
  const std::string known =
      roundTrip(port_, "OPTIONS /open HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(known.rfind("HTTP/1.1 204", 0), 0u) << known;
  EXPECT_NE(known.find("Allow: GET\r\n"), std::string::npos) << known;
  EXPECT_EQ(known.find("Access-Control-Allow-Origin"), std::string::npos) << known;
  const std::string unknown =
      roundTrip(port_, "OPTIONS /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(unknown.rfind("HTTP/1.1 404", 0), 0u) << unknown;
  EXPECT_EQ(served_, 0);
}

TEST_F(ServerTest, PathsWithLineBreaksReachTheRoutes) {
  const std::string answer =
      roundTrip(port_, "GET /closed%0Dx HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 401", 0), 0u) << answer;
  EXPECT_EQ(bodyOf(answer)["message"], "no token");
}

// The filter answers 401 before the body is read, and the library never reads a GET's body. On
// a connection kept open those bytes would be read as the next request: behind a proxy that
// shares its connections, a request smuggled past the token check.
TEST_F(ServerTest, AnUnreadBodyIsNeverTakenForTheNextRequest) {
  const std::string smuggled = "GET /open HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const std::string method : {"GET", "PUT"}) {
    Connection connection(port_);
    connection.send(method + " /closed HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                    std::to_string(smuggled.size()) + "\r\n\r\n");
    const std::string refusal = connection.readResponse();
    EXPECT_EQ(refusal.rfind("HTTP/1.1 401", 0), 0u) << refusal;

    // The body comes after the answer, as a slow client or a proxy would send it.
    connection.send(smuggled);
    const std::string rest = connection.readToEnd();
    EXPECT_EQ(rest, "") << method << ": the body was served as a request:\n" << rest;
  }
  EXPECT_EQ(served_, 0);
}

}  // namespace
}  // namespace wax::http
