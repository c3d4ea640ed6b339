#include "cli/context.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/paths.h"

namespace wax::cli {

namespace {

Connection localConnection(const std::string& dataDir) {
  std::ifstream stateFile(stateFilePath(dataDir));
  if (!stateFile) {
    throw Error(ErrorCode::Unavailable, "waxd is not running for data directory " + dataDir +
                                            "; start it with `waxctl local start`");
  }
  Connection connection;
  try {
    connection.url = nlohmann::json::parse(stateFile).at("url").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorCode::Unavailable, "the waxd state file in " + dataDir +
                                            " is unreadable; restart waxd with "
                                            "`waxctl local stop && waxctl local start`");
  }
  std::ifstream tokenFile(tokenFilePath(dataDir));
  tokenFile >> connection.token;
  connection.unauthorizedHint = "the local waxd's token is read from " + tokenFilePath(dataDir) +
                                "; restart waxd (`waxctl local stop && waxctl local start`) if "
                                "that file was changed";
  return connection;
}

}  // namespace

Client& Context::client() {
  if (!client_) {
    Connection connection = flags.server.empty() ? localConnection(flags.dataDir)
                                                 : Connection{flags.server, flags.token};
    if (!flags.token.empty()) {
      connection.token = flags.token;
    }
    while (!connection.url.empty() && connection.url.back() == '/') {
      connection.url.pop_back();
    }
    client_ = std::make_unique<Client>(connection);
  }
  return *client_;
}

}  // namespace wax::cli
