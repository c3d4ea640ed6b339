#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/server.h"

// The dashboard's front end (web/, built by Vite) as files compiled into the binary: nothing to
// install or find at run time, and the page cannot drift from the server that serves it.
namespace wax::dashboard {

struct Asset {
  std::string_view path;  // from the site root, e.g. "/index.html", "/assets/index-3f2a.js"
  std::string_view contentType;
  std::string_view body;
  std::string_view gzipped;  // the same bytes gzipped, or empty when that saves nothing
  std::string_view etag;     // a digest of body, quoted
};

// The front end of this build (see embed_assets.cmake).
std::span<const Asset> builtAssets();

// Serves assets with the headers a browser caches them by: names with a content hash (under
// /assets/) are immutable for a year; everything else, index.html first, is checked again on
// each use (ETag), so that a new build is seen at once.
class AssetServer {
 public:
  explicit AssetServer(std::span<const Asset> assets);

  const Asset* find(std::string_view path) const;
  std::span<const Asset> all() const { return assets_; }
  // The asset at `path` for this request (304 when the browser holds it, gzipped when it
  // takes that), or nullopt when there is none.
  std::optional<http::Response> serve(std::string_view path, const http::Request& request) const;

 private:
  std::span<const Asset> assets_;
};

}  // namespace wax::dashboard
