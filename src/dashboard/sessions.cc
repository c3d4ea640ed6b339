#include "dashboard/sessions.h"

#include "common/digest.h"

namespace wax::dashboard {

SessionStore::SessionStore(Limits limits, Now now) : limits_(limits), now_(std::move(now)) {}

std::string SessionStore::create(Session session) {
  const std::string id = auth::oidc::randomToken();
  const auto now = now_();
  session.csrfToken = auth::oidc::randomToken();
  auto live = std::make_shared<LiveSession>();
  live->session = std::move(session);
  std::lock_guard lock(mutex_);
  if (sessions_.size() >= limits_.maxSessions) {
    evictOldest();
  }
  sessions_[sha256Hex(id)] = Entry{std::move(live), now, now};
  return id;
}

std::shared_ptr<LiveSession> SessionStore::find(const std::string& id) {
  if (id.empty()) {
    return nullptr;
  }
  const auto now = now_();
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(sha256Hex(id));
  if (it == sessions_.end()) {
    return nullptr;
  }
  if (expired(it->second, now)) {
    sessions_.erase(it);
    return nullptr;
  }
  it->second.lastUsed = now;
  return it->second.live;
}

void SessionStore::end(const std::string& id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(sha256Hex(id));
}

size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

bool SessionStore::expired(const Entry& entry, Clock::time_point now) const {
  return now - entry.lastUsed > limits_.idle || now - entry.createdAt >= limits_.lifetime;
}

// Called with mutex_ held. A linear scan: it runs only when the store is full.
void SessionStore::evictOldest() {
  auto oldest = sessions_.end();
  Clock::time_point oldestUse = Clock::time_point::max();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (it->second.lastUsed < oldestUse) {
      oldestUse = it->second.lastUsed;
      oldest = it;
    }
  }
  if (oldest != sessions_.end()) {
    sessions_.erase(oldest);
  }
}

}  // namespace wax::dashboard
