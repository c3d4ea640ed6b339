#include "auth/identity.h"

#include <fmt/format.h>

#include "auth/jwt.h"

namespace wax::auth {

std::string Identity::key() const {
  std::string key = user;
  for (const auto& group : groups) {
    key += '\n' + group;
  }
  return key;
}

nlohmann::json Identity::toJson() const {
  return {{"user", user}, {"groups", groups}};
}

Identity identityOf(const nlohmann::json& claims, const ClaimNames& names) {
  Identity identity;
  if (auto user = claims.find(names.username); user != claims.end() && user->is_string()) {
    identity.user = user->get<std::string>();
  }
  if (identity.user.empty()) {
    throw TokenError(TokenError::Reason::Malformed,
                     fmt::format("the token has no \"{}\" claim to name its user", names.username));
  }
  if (auto groups = claims.find(names.groups); groups != claims.end()) {
    const auto list = groups->is_array() ? *groups : nlohmann::json::array({*groups});
    for (const auto& group : list) {
      if (group.is_string()) {
        identity.groups.push_back(group.get<std::string>());
      }
    }
  }
  return identity;
}

}  // namespace wax::auth
