#include "http/router.h"

#include <gtest/gtest.h>

namespace wax::http {
namespace {

Handler tagged(const std::string& tag) {
  return [tag](const Request&) {
    Response response;
    response.body = tag;
    return response;
  };
}

TEST(RouterTest, MatchesLiteralAndParameterSegments) {
  Router router;
  router.add("GET", "/dataflows", tagged("list"));
  router.add("GET", "/dataflows/{name}", tagged("get"));
  router.add("GET", "/dataflows/{name}/logs", tagged("logs"));
  auto match = router.find("GET", "/dataflows/flow-a/logs");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ((*match.handler)(Request{}).body, "logs");
  EXPECT_EQ(match.params.at("name"), "flow-a");
  EXPECT_EQ((*router.find("GET", "/dataflows/").handler)(Request{}).body, "list");
}

TEST(RouterTest, KnownPathWithOtherMethodIsReported) {
  Router router;
  router.add("GET", "/dataflows/{name}", tagged("get"));
  auto match = router.find("PATCH", "/dataflows/x");
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_TRUE(match.pathKnown);
  EXPECT_FALSE(router.find("GET", "/nothing/here").pathKnown);
}

TEST(DispatcherTest, AMethodThePathDoesNotHaveIsA405ThatNamesTheOnesItHas) {
  Dispatcher dispatcher;
  dispatcher.route("GET", "/dataflows/{name}", tagged("get"));
  dispatcher.route("PUT", "/dataflows/{name}", tagged("put"));
  Request request;
  request.method = "POST";
  request.path = "/dataflows/x";
  const Response response = dispatcher.dispatch(request);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.at("Allow"), "GET, PUT");
  EXPECT_FALSE(dispatcher.methodNotAllowed("POST", "/nothing").has_value());
}

TEST(RouterTest, SegmentCountMustMatch) {
  Router router;
  router.add("GET", "/a/{b}", tagged("x"));
  EXPECT_EQ(router.find("GET", "/a").handler, nullptr);
  EXPECT_EQ(router.find("GET", "/a/b/c").handler, nullptr);
}

}  // namespace
}  // namespace wax::http
