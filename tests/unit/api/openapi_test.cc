// The OpenAPI document against the routes the code registers: a route added without its
// documentation, or documentation left behind by a removed route, fails here.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api_test_util.h"

namespace wax::api {
namespace {

using nlohmann::json;
using Operations = std::set<std::pair<std::string, std::string>>;

const char* const kMethods[] = {"get", "put", "post", "delete", "patch", "head", "options"};

json document() {
  return json::parse(openApiDocument());
}

std::string upper(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return text;
}

// (METHOD, path) of every operation the document describes.
Operations documentedOperations(const json& doc) {
  Operations operations;
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const char* method : kMethods) {
      if (item.contains(method)) {
        operations.emplace(upper(method), path);
      }
    }
  }
  return operations;
}

Operations registeredOperations() {
  testing::TempDir dir;
  auto store = store::openSqliteStore(dir.file("store.db"));
  testing::IdleRuntime runtime;
  ApiContext context{*store, runtime};
  testing::RouteSet routes;
  testing::registerEverything(routes, context);
  return routes.routes();
}

std::string describe(const Operations& operations) {
  std::string text;
  for (const auto& [method, path] : operations) {
    text += "  " + method + " " + path + "\n";
  }
  return text;
}

Operations minus(const Operations& left, const Operations& right) {
  Operations difference;
  for (const auto& operation : left) {
    if (!right.contains(operation)) {
      difference.insert(operation);
    }
  }
  return difference;
}

// Every "$ref" under `node`, with where it was found.
void collectRefs(const json& node, const std::string& at,
                 std::vector<std::pair<std::string, std::string>>& refs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) {
        refs.emplace_back(at, value.get<std::string>());
      } else {
        collectRefs(value, at + "/" + key, refs);
      }
    }
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      collectRefs(node[i], at + "/" + std::to_string(i), refs);
    }
  }
}

TEST(OpenApiTest, DocumentIsOpenApi3Json) {
  json doc;
  ASSERT_NO_THROW(doc = document());
  EXPECT_EQ(doc.at("openapi").get<std::string>().substr(0, 2), "3.");
  EXPECT_TRUE(doc.at("components").at("securitySchemes").contains("bearer"));
}

TEST(OpenApiTest, DocumentsEveryRegisteredRouteAndNoOther) {
  const Operations documented = documentedOperations(document());
  const Operations registered = registeredOperations();
  EXPECT_TRUE(minus(registered, documented).empty())
      << "registered but not in src/api/openapi.json:\n"
      << describe(minus(registered, documented));
  EXPECT_TRUE(minus(documented, registered).empty())
      << "in src/api/openapi.json but not registered:\n"
      << describe(minus(documented, registered));
}

TEST(OpenApiTest, OperationsWithoutSecurityAreExactlyThoseTheTokenFilterLetsThrough) {
  const auto filter = bearerTokenFilter("secret");
  const json doc = document();
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const char* method : kMethods) {
      if (!item.contains(method)) {
        continue;
      }
      const json& operation = item.at(method);
      const bool documentedPublic = operation.contains("security") && operation["security"].empty();
      http::Request request;
      request.method = upper(method);
      request.path = path;
      EXPECT_EQ(documentedPublic, !filter(request).has_value()) << request.method << " " << path;
    }
  }
}

TEST(OpenApiTest, EveryReferenceResolves) {
  const json doc = document();
  std::vector<std::pair<std::string, std::string>> refs;
  collectRefs(doc, "", refs);
  ASSERT_FALSE(refs.empty());
  for (const auto& [at, ref] : refs) {
    ASSERT_EQ(ref.rfind("#/", 0), 0u) << at << ": only local references are used: " << ref;
    EXPECT_TRUE(doc.contains(json::json_pointer(ref.substr(1)))) << at << ": " << ref;
  }
}

TEST(OpenApiTest, DocsRoutesServeTheDocumentAndThePage) {
  testing::Api api;
  const auto spec = api.call("GET", "/openapi.json");
  EXPECT_EQ(spec.status, 200);
  EXPECT_EQ(spec.contentType, "application/json");
  EXPECT_EQ(spec.body, openApiDocument());

  const auto page = api.call("GET", "/docs");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.contentType, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("fetch(\"/openapi.json\")"), std::string::npos);
}

}  // namespace
}  // namespace wax::api
