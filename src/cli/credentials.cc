#include "cli/credentials.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace wax::cli {

namespace {

using nlohmann::json;

json toJson(const Session& session) {
  return {{"issuer", session.issuer},           {"clientId", session.clientId},
          {"caFile", session.caFile},           {"user", session.user},
          {"accessToken", session.accessToken}, {"refreshToken", session.refreshToken},
          {"idToken", session.idToken},         {"expiresAt", session.expiresAt}};
}

Session sessionOf(const std::string& server, const json& entry) {
  Session session;
  session.server = server;
  session.issuer = entry.value("issuer", "");
  session.clientId = entry.value("clientId", "");
  session.caFile = entry.value("caFile", "");
  session.user = entry.value("user", "");
  session.accessToken = entry.value("accessToken", "");
  session.refreshToken = entry.value("refreshToken", "");
  session.idToken = entry.value("idToken", "");
  session.expiresAt = entry.value("expiresAt", int64_t{0});
  return session;
}

// The whole file, or an empty one; a damaged file is an error, not silently replaced, since
// it holds other servers' sessions.
json readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return {{"servers", json::object()}};
  }
  // Tokens are for this user's eyes: a file others may read is made private again.
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    ::chmod(path.c_str(), 0600);
  }
  std::stringstream text;
  text << in.rdbuf();
  auto document = json::parse(text.str(), nullptr, false);
  if (!document.is_object() || !document.value("servers", json()).is_object()) {
    throw Error(ErrorCode::Internal,
                fmt::format("{} is damaged; delete it and run `waxctl login` again", path));
  }
  return document;
}

// Writes the file whole, through a temporary one and a rename, so that a reader never sees
// half of it; mode 0600 from the start, as it holds tokens.
void writeFile(const std::string& path, const json& document) {
  const std::filesystem::path target(path);
  std::filesystem::create_directories(target.parent_path());
  ::chmod(target.parent_path().c_str(), 0700);
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw Error(ErrorCode::Internal,
                fmt::format("cannot write {}: {}", temporary, std::strerror(errno)));
  }
  const std::string text = document.dump(2) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced || std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw Error(ErrorCode::Internal,
                fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
}

// Holds an exclusive lock on the file's lock file: two waxctl refreshing at once must not
// lose each other's writes.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    fd_ = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_EX);
    }
  }
  ~FileLock() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

std::string normalizeServer(std::string server) {
  while (!server.empty() && server.back() == '/') {
    server.pop_back();
  }
  return server;
}

CredentialStore::CredentialStore(std::string path) : path_(std::move(path)) {}

std::string CredentialStore::defaultPath() {
  if (const char* config = std::getenv("XDG_CONFIG_HOME"); config && *config) {
    return std::string(config) + "/wax/credentials.json";
  }
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.config/wax/credentials.json";
}

std::optional<Session> CredentialStore::find(const std::string& server) const {
  const std::string key = normalizeServer(server);
  const json document = readFile(path_);
  const auto& servers = document["servers"];
  if (!servers.contains(key)) {
    return std::nullopt;
  }
  try {
    return sessionOf(key, servers[key]);
  } catch (const json::exception&) {
    throw Error(ErrorCode::Internal,
                fmt::format("{}: the session of {} is damaged; run `waxctl login --server {}` "
                            "again",
                            path_, key, key));
  }
}

std::optional<std::string> CredentialStore::current() const {
  const json document = readFile(path_);
  const std::string current = document.value("current", "");
  if (current.empty() || !document["servers"].contains(current)) {
    return std::nullopt;
  }
  return current;
}

void CredentialStore::save(const Session& session, bool makeCurrent) {
  FileLock lock(path_);
  json document = readFile(path_);
  const std::string key = normalizeServer(session.server);
  document["servers"][key] = toJson(session);
  if (makeCurrent) {
    document["current"] = key;
  }
  writeFile(path_, document);
}

std::optional<Session> CredentialStore::update(
    const std::string& server, const std::function<Session(const Session&)>& change) {
  FileLock lock(path_);
  json document = readFile(path_);
  const std::string key = normalizeServer(server);
  if (!document["servers"].contains(key)) {
    return std::nullopt;
  }
  const Session before = sessionOf(key, document["servers"][key]);
  Session after = change(before);
  after.server = key;
  document["servers"][key] = toJson(after);
  writeFile(path_, document);
  return after;
}

bool CredentialStore::remove(const std::string& server) {
  FileLock lock(path_);
  json document = readFile(path_);
  const std::string key = normalizeServer(server);
  if (!document["servers"].contains(key)) {
    return false;
  }
  document["servers"].erase(key);
  if (document.value("current", "") == key) {
    document.erase("current");
  }
  writeFile(path_, document);
  return true;
}

}  // namespace wax::cli
