#pragma once

#include <string>

namespace wax {

// The SHA-256 of `text` in lowercase hex.
std::string sha256Hex(const std::string& text);

}  // namespace wax
