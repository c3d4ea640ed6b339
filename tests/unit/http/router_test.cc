// Route patterns: literal and "{param}" segments, and a last "{param...}" that takes the rest.
#include "http/router.h"

#include <gtest/gtest.h>

namespace wax::http {
namespace {

Handler answering(const std::string& name) {
  return [name](const Request& request) {
    Response response;
    response.body = name;
    for (const auto& [key, value] : request.pathParams) {
      response.body += " " + key + "=" + value;
    }
    return response;
  };
}

Response get(Dispatcher& dispatcher, const std::string& path) {
  Request request;
  request.method = "GET";
  request.path = path;
  return dispatcher.dispatch(request);
}

TEST(RouterTest, ATailParameterTakesEveryRemainingSegment) {
  Dispatcher dispatcher;
  dispatcher.route("GET", "/ui/{page...}", answering("ui"));
  EXPECT_EQ(get(dispatcher, "/ui/dataflows").body, "ui page=dataflows");
  EXPECT_EQ(get(dispatcher, "/ui/namespaces/a/dataflows/b").body,
            "ui page=namespaces/a/dataflows/b");
}

TEST(RouterTest, ATailParameterNeedsAtLeastOneSegment) {
  Dispatcher dispatcher;
  dispatcher.route("GET", "/ui/{page...}", answering("ui"));
  EXPECT_EQ(get(dispatcher, "/ui").status, 404);
  EXPECT_EQ(get(dispatcher, "/elsewhere/x").status, 404);
}

TEST(RouterTest, PlainParametersStillMatchOneSegmentOnly) {
  Dispatcher dispatcher;
  dispatcher.route("GET", "/dataflows/{name}", answering("one"));
  EXPECT_EQ(get(dispatcher, "/dataflows/x").body, "one name=x");
  EXPECT_EQ(get(dispatcher, "/dataflows/x/y").status, 404);
}

TEST(RouterTest, TheFirstRegisteredRouteWins) {
  Dispatcher dispatcher;
  dispatcher.route("GET", "/ui/deploy", answering("deploy"));
  dispatcher.route("GET", "/ui/{page...}", answering("any"));
  EXPECT_EQ(get(dispatcher, "/ui/deploy").body, "deploy");
  EXPECT_EQ(get(dispatcher, "/ui/other").body, "any page=other");
}

}  // namespace
}  // namespace wax::http
