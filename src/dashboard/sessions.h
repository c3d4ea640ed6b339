#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "auth/identity.h"
#include "auth/oidc_client.h"

// The dashboard's sessions: the browser holds only a random session id in an HttpOnly cookie,
// and the tokens stay here, on the server. Sessions live in memory, so a restart of the server
// signs everyone out; they are small (tokens and a name), and a server holds at most
// Limits::maxSessions of them, dropping the least recently used first.
namespace wax::dashboard {

using Clock = std::chrono::system_clock;

struct Session {
  auth::Identity identity;
  std::string csrfToken;  // sent by the page with every change (X-CSRF-Token)
  // Signed in with waxd's one-time link: acts with waxd's own token, which is not kept here.
  bool owner = false;
  auth::oidc::Tokens tokens;  // from the provider; empty for an owner's session
};

// A session in the store; its mutex guards `session` (a refresh changes the tokens while other
// requests of the same browser wait for them). The store never takes it, so that a slow
// refresh holds up only its own browser.
struct LiveSession {
  std::mutex mutex;
  Session session;
};

class SessionStore {
 public:
  struct Limits {
    std::chrono::seconds idle = std::chrono::hours(8);
    std::chrono::seconds lifetime = std::chrono::hours(24);
    size_t maxSessions = 10000;
  };
  using Now = std::function<Clock::time_point()>;

  explicit SessionStore(Limits limits, Now now = Clock::now);
  SessionStore() : SessionStore(Limits{}) {}

  // Keeps `session` (with a new CSRF token) and returns its id: 32 random bytes, base64url.
  std::string create(Session session);
  // The live session that `id` names, or null when it ended, idled out or was never made.
  std::shared_ptr<LiveSession> find(const std::string& id);
  void end(const std::string& id);
  size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<LiveSession> live;
    Clock::time_point createdAt;
    Clock::time_point lastUsed;
  };
  bool expired(const Entry& entry, Clock::time_point now) const;
  void evictOldest();

  Limits limits_;
  Now now_;
  mutable std::mutex mutex_;
  // By the SHA-256 of the id, so that the ids themselves are not kept in memory.
  std::map<std::string, Entry> sessions_;  // guarded by mutex_
};

}  // namespace wax::dashboard
