#include "dashboard/assets.h"

#include <algorithm>
#include <cctype>

namespace wax::dashboard {

namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  return text;
}

// RFC 9110 section 12.5.3: "gzip" or "*" without q=0 ("gzip;q=0" refuses it).
bool acceptsGzip(const http::Request& request) {
  std::string header = request.header("accept-encoding").value_or("");
  std::transform(header.begin(), header.end(), header.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view rest = header;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    const auto semicolon = item.find(';');
    const std::string_view coding = trimmed(item.substr(0, semicolon));
    const std::string_view params =
        semicolon == std::string_view::npos ? "" : trimmed(item.substr(semicolon + 1));
    const bool refused =
        params.starts_with("q=0") && params.find_first_not_of("q=0.") == std::string_view::npos;
    if ((coding == "gzip" || coding == "*") && !refused) {
      return true;
    }
  }
  return false;
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
