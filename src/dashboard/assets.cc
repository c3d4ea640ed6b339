#include "dashboard/assets.h"

namespace wax::dashboard {

namespace {

bool acceptsGzip(const http::Request& request) {
  const std::string accepted = request.header("accept-encoding").value_or("");
  return accepted.find("gzip") != std::string::npos;
}

bool holds(const http::Request& request, std::string_view etag) {
  const std::string given = request.header("if-none-match").value_or("");
  return !given.empty() && (given == "*" || given.find(etag) != std::string::npos);
}

}  // namespace

AssetServer::AssetServer(std::span<const Asset> assets) : assets_(assets) {}

const Asset* AssetServer::find(std::string_view path) const {
  for (const auto& asset : assets_) {
    if (asset.path == path) {
      return &asset;
    }
  }
  return nullptr;
}

std::optional<http::Response> AssetServer::serve(std::string_view path,
                                                 const http::Request& request) const {
  const Asset* asset = find(path);
  if (asset == nullptr) {
    return std::nullopt;
  }
  http::Response response;
  response.contentType = std::string(asset->contentType);
  response.headers["ETag"] = std::string(asset->etag);
  response.headers["Vary"] = "Accept-Encoding";
  response.headers["X-Content-Type-Options"] = "nosniff";
  response.headers["Cache-Control"] =
      path.starts_with("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
  if (holds(request, asset->etag)) {
    response.status = 304;
    return response;
  }
  if (!asset->gzipped.empty() && acceptsGzip(request)) {
    response.headers["Content-Encoding"] = "gzip";
    response.body = std::string(asset->gzipped);
  } else {
    response.body = std::string(asset->body);
  }
  return response;
}

}  // namespace wax::dashboard
