#pragma once

#include <string>
#include <string_view>

namespace wax {

// Percent-encodes a query value or path segment: RFC 3986's unreserved characters pass through.
std::string urlEncode(std::string_view text);

// `url` without any "user:password@", so that messages never echo credentials.
std::string redactUrl(std::string_view url);

}  // namespace wax
