// The routes that describe the API: its OpenAPI document and a page that shows it.
#include "api/api.h"

namespace wax::api {

namespace {

http::Handler serve(std::string_view body, const char* contentType) {
  return [body, contentType](const http::Request&) {
    http::Response response;
    response.contentType = contentType;
    response.body = body;
    return response;
  };
}

}  // namespace

void registerDocsRoutes(http::Routes& server) {
  server.route("GET", "/openapi.json", serve(openApiDocument(), "application/json"));
  server.route("GET", "/docs", serve(docsPage(), "text/html; charset=utf-8"));
}

}  // namespace wax::api
