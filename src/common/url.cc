#include "common/url.h"

#include <cctype>

#include <fmt/format.h>

namespace wax {

std::string urlEncode(std::string_view text) {
  std::string encoded;
  encoded.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += fmt::format("%{:02X}", c);
    }
  }
  return encoded;
}

std::string redactUrl(std::string_view url) {
  const auto scheme = url.find("://");
  const size_t authority = scheme == std::string_view::npos ? 0 : scheme + 3;
  const auto authorityEnd = url.find_first_of("/?#", authority);
  const auto at = url.substr(0, authorityEnd).rfind('@');
  if (at == std::string_view::npos || at < authority) {
    return std::string(url);
  }
  return std::string(url.substr(0, authority)) + std::string(url.substr(at + 1));
}

}  // namespace wax
