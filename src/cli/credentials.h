#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

// The sessions of `waxctl login`: per WaxAPI, the provider it signs in with and the tokens,
// in $XDG_CONFIG_HOME/wax/credentials.json (else ~/.config/wax/credentials.json), readable by
// its owner only. The last server logged in to is the current one, which waxctl then talks to.
namespace wax::cli {

struct Session {
  std::string server;  // the WaxAPI URL, without a trailing '/'
  std::string issuer;
  std::string clientId;
  std::string caFile;  // for the provider's TLS; empty: the system's CAs
  std::string user;    // as the WaxAPI named it at login, for display
  std::string accessToken;
  std::string refreshToken;
  std::string idToken;
  int64_t expiresAt = 0;  // Unix seconds of the access token's end; 0: unknown
};

class CredentialStore {
 public:
  explicit CredentialStore(std::string path = defaultPath());
  static std::string defaultPath();

  const std::string& path() const { return path_; }
  std::optional<Session> find(const std::string& server) const;
  // The server of the last login, when its session is still stored.
  std::optional<std::string> current() const;
  // Stores `session`, replacing the server's previous one; a login makes it current, a
  // refresh does not.
  void save(const Session& session, bool makeCurrent);
  // Reads the server's session, passes it to `change` and stores what it returns, all under
  // the file's lock: two waxctl refreshing at once would each spend the refresh token, and a
  // provider that rotates them revokes the whole session when one is spent twice. nullopt when
  // the server has no session.
  std::optional<Session> update(const std::string& server,
                                const std::function<Session(const Session&)>& change);
  // Forgets the server's session; false when there was none.
  bool remove(const std::string& server);

 private:
  std::string path_;
};

// "https://wax.example.com/" -> "https://wax.example.com": one key per server.
std::string normalizeServer(std::string server);

}  // namespace wax::cli
