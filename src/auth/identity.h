#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// Who a verified token speaks for: the user and groups its claims name.
namespace wax::auth {

struct ClaimNames {
  std::string username = "sub";
  std::string groups = "groups";
};

struct Identity {
  std::string user;
  std::vector<std::string> groups;

  // One string per identity, for caches keyed by it.
  std::string key() const;
  nlohmann::json toJson() const;
};

// The identity in `claims`. A token without a username names no one to act for: TokenError.
// A groups claim may be a list or one string; entries that are not strings are skipped.
Identity identityOf(const nlohmann::json& claims, const ClaimNames& names);

}  // namespace wax::auth
