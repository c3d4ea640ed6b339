// The client's in-process path (waxctl against a cluster): requests reach the handlers with
// their path, query and body as the HTTP server would pass them, and answers map to the same
// errors and streams.
#include <gtest/gtest.h>

#include "cli/client.h"
#include "common/error.h"
#include "http/router.h"

namespace wax::cli {
namespace {

using nlohmann::json;

class Handlers : public InProcessApi {
 public:
  Handlers() {
    dispatcher_.route("GET", "/echo/{name}", [](const http::Request& request) {
      json query = json::object();
      for (const auto& [key, value] : request.query) {
        query[key] = value;
      }
      return http::Response{
          200, "application/json",
          json({{"name", request.pathParams.at("name")}, {"query", query}}).dump()};
    });
    dispatcher_.route("POST", "/body", [](const http::Request& request) {
      return http::Response{201, "application/json", request.body};
    });
    dispatcher_.route("GET", "/missing", [](const http::Request&) -> http::Response {
      throw Error(ErrorCode::NotFound, "dataflow \"ns/x\" not found");
    });
    dispatcher_.route("GET", "/stream", [](const http::Request&) {
      http::Response response;
      response.stream = [](const http::ChunkWriter& write) {
        for (const char* chunk : {"one\n", "two\n", "three\n"}) {
          if (!write(chunk)) {
            return;
          }
        }
      };
      return response;
    });
  }
  http::Response handle(http::Request& request) override { return dispatcher_.dispatch(request); }

 private:
  http::Dispatcher dispatcher_;
};

Client inProcessClient() {
  Connection connection;
  connection.url = "https://cluster.example:6443";
  connection.inProcess = std::make_shared<Handlers>();
  return Client(connection);
}

TEST(InProcessClientTest, PathParamsAndDecodedQueryReachTheHandler) {
  auto client = inProcessClient();
  const auto answer = client.get("/echo/flow?process=1&label=a%20b%2Fc&flag");
  EXPECT_EQ(answer["name"], "flow");
  EXPECT_EQ(answer["query"], json({{"process", "1"}, {"label", "a b/c"}, {"flag", ""}}));
}

TEST(InProcessClientTest, BodiesGoThroughAndComeBack) {
  auto client = inProcessClient();
  EXPECT_EQ(client.post("/body", {{"kind", "Dataflow"}}), json({{"kind", "Dataflow"}}));
}

TEST(InProcessClientTest, ErrorsKeepTheirCodeAndMessage) {
  auto client = inProcessClient();
  try {
    client.get("/missing");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::NotFound);
    EXPECT_STREQ(error.what(), "dataflow \"ns/x\" not found");
  }
  EXPECT_EQ(client.probe("/nowhere"), 404);
}

TEST(InProcessClientTest, StreamsStopWhenTheSinkSaysSo) {
  auto client = inProcessClient();
  std::string seen;
  client.stream("/stream", [&seen](std::string_view chunk) {
    seen += chunk;
    return seen.size() < 5;
  });
  EXPECT_EQ(seen, "one\ntwo\n");
}

}  // namespace
}  // namespace wax::cli
