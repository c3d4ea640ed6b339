#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "auth/oidc_client.h"
#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/login.h"
#include "common/error.h"

extern char** environ;

namespace wax::cli {

namespace oidc = auth::oidc;

namespace {

using nlohmann::json;

constexpr int64_t kRefreshMarginSeconds = 60;

struct LoginFlags {
  bool device = false;
  bool noBrowser = false;
  std::string caFile;
  int timeoutSeconds = 300;
  std::string issuer;
  std::string clientId;
  std::string scopes;
};

// What the WaxAPI says to sign in with (GET /auth/config), unless the flags say it all.
void completeFromServer(const std::string& server, LoginFlags& flags) {
  if (!flags.issuer.empty() && !flags.clientId.empty()) {
    return;
  }
  json config;
  try {
    config = Client(Connection{server, ""}).get("/auth/config");
  } catch (const Error& error) {
    throw Error(error.code(),
                fmt::format("{} does not say how to sign in ({}); is it a WaxAPI with OpenID "
                            "Connect? A local waxd needs no login",
                            redactUrl(server), error.what()));
  }
  if (flags.issuer.empty()) {
    flags.issuer = config.value("issuer", "");
  }
  if (flags.clientId.empty()) {
    flags.clientId = config.value("clientId", "");
  }
  if (flags.scopes.empty()) {
    flags.scopes = config.value("scopes", "");
  }
}

// The command that opens a URL here: $BROWSER (its first entry), else xdg-open on a desktop.
std::vector<std::string> browserCommand(const std::string& url) {
  std::vector<std::string> command;
  if (const char* browser = std::getenv("BROWSER"); browser && *browser) {
    std::istringstream words(std::string(browser).substr(0, std::string(browser).find(':')));
    for (std::string word; words >> word;) {
      command.push_back(word == "%s" ? url : word);
    }
    if (std::find(command.begin(), command.end(), url) == command.end()) {
      command.push_back(url);
    }
    return command;
  }
  const bool desktop = std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
  if (desktop && std::filesystem::exists("/usr/bin/xdg-open")) {
    return {"/usr/bin/xdg-open", url};
  }
  return {};
}

bool openBrowser(const std::vector<std::string>& command) {
  if (command.empty()) {
    return false;
  }
  std::vector<char*> argv;
  for (const auto& word : command) {
    argv.push_back(const_cast<char*>(word.c_str()));
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // The browser's chatter would bury the link printed for the user.
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int failed = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return failed == 0;
}

oidc::Tokens browserLogin(const oidc::Endpoints& endpoints, const LoginFlags& flags,
                          const oidc::HttpOptions& http) {
  oidc::LoopbackReceiver receiver;
  const oidc::Pkce pkce = oidc::makePkce();
  const std::string state = oidc::randomToken();
  const std::string nonce = oidc::randomToken();
  receiver.expect(state);
  const std::string url = oidc::authorizationUrl(
      endpoints,
      {flags.clientId, receiver.redirectUri(), flags.scopes, state, nonce, pkce.challenge});
  const auto command = flags.noBrowser ? std::vector<std::string>{} : browserCommand(url);
  if (openBrowser(command)) {
    std::cerr << "Opening a browser to sign in. If it does not open, visit:\n  " << url << "\n";
  } else {
    std::cerr << "Visit this link in a browser on this machine to sign in:\n  " << url << "\n";
  }
  const std::string code =
      receiver.waitForCode(state, endpoints.issuer, std::chrono::seconds(flags.timeoutSeconds));
  oidc::Tokens tokens = oidc::exchangeCode(endpoints, oidc::Client{flags.clientId}, code, pkce,
                                           receiver.redirectUri(), http);
  // The ID token answers this request only if it carries our nonce (OpenID Connect 3.1.3.7).
  if (!tokens.idToken.empty()) {
    const auto claims = oidc::unverifiedClaims(tokens.idToken);
    if (!claims || claims->value("nonce", "") != nonce) {
      throw Error(ErrorCode::Unauthorized,
                  "the provider's ID token does not carry this sign-in's nonce; nothing was saved");
    }
  }
  return tokens;
}

oidc::Tokens deviceLogin(const oidc::Endpoints& endpoints, const LoginFlags& flags,
                         const oidc::HttpOptions& http) {
  const auto grant = oidc::startDeviceFlow(endpoints, flags.clientId, flags.scopes, http);
  std::cerr << fmt::format("To sign in, visit {} and enter the code {}\n", grant.verificationUri,
                           grant.userCode);
  if (!grant.verificationUriComplete.empty()) {
    std::cerr << fmt::format("or open {}\n", grant.verificationUriComplete);
  }
  std::cerr << "Waiting for the sign-in...\n";
  return oidc::pollDeviceFlow(endpoints, flags.clientId, grant, http,
                              std::chrono::seconds(flags.timeoutSeconds));
}

// Without a browser here, a provider's device flow lets the user sign in elsewhere.
bool useDeviceFlow(const LoginFlags& flags, const oidc::Endpoints& endpoints) {
  if (flags.device) {
    return true;
  }
  if (flags.noBrowser || !browserCommand("x").empty() || endpoints.deviceAuthorization.empty()) {
    return false;
  }
  std::cerr << "No browser found here (set BROWSER, or pass --no-browser to get a link); "
               "signing in on another device instead.\n";
  return true;
}

void login(Context& context, LoginFlags flags) {
  const std::string server = normalizeServer(context.flags.server);
  if (server.empty()) {
    throw UsageError(
        "give the WaxAPI to sign in to: waxctl login --server https://wax.example.com");
  }
  completeFromServer(server, flags);
  if (flags.issuer.empty() || flags.clientId.empty()) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("{} names no OpenID provider or client; pass --issuer and --client-id",
                            redactUrl(server)));
  }
  if (flags.scopes.empty()) {
    flags.scopes = "openid profile email offline_access";
  }
  const oidc::HttpOptions http{flags.caFile};
  const auto endpoints = oidc::discover(flags.issuer, http);
  const oidc::Tokens tokens = useDeviceFlow(flags, endpoints)
                                  ? deviceLogin(endpoints, flags, http)
                                  : browserLogin(endpoints, flags, http);
  Connection connection{server, tokens.accessToken};
  connection.unauthorizedHint =
      "the provider signed you in but the WaxAPI refused its token; nothing was saved. Ask the "
      "WaxAPI's administrator whether --audience and --client-id match this provider's tokens";
  const json identity = Client(connection).get("/auth/whoami");
  Session session{server,
                  flags.issuer,
                  flags.clientId,
                  flags.caFile,
                  identity.value("user", ""),
                  tokens.accessToken,
                  tokens.refreshToken,
                  tokens.idToken,
                  tokens.expiresAt};
  CredentialStore store;
  store.save(session, true);
  const auto groups = identity.value("groups", std::vector<std::string>{});
  std::cout << fmt::format(
      "Logged in to {} as {}{}.\n", redactUrl(server), session.user,
      groups.empty() ? "" : fmt::format(" (groups: {})", fmt::join(groups, ", ")));
  std::cout << "waxctl now talks to it; `waxctl logout` ends the session.\n";
}

void logout(Context& context) {
  CredentialStore store;
  std::string server = normalizeServer(context.flags.server);
  if (server.empty()) {
    server = store.current().value_or("");
  }
  if (server.empty()) {
    throw Error(ErrorCode::NotFound, "not logged in to any WaxAPI");
  }
  const auto session = store.find(server);
  if (!session) {
    throw Error(ErrorCode::NotFound, fmt::format("not logged in to {}", redactUrl(server)));
  }
  // The provider forgets the refresh token when it can; the session ends here either way.
  bool revoked = false;
  try {
    const oidc::HttpOptions http{session->caFile, 5};
    revoked = oidc::revoke(oidc::discover(session->issuer, http), oidc::Client{session->clientId},
                           session->refreshToken, http);
  } catch (const Error&) {
  }
  store.remove(server);
  std::cout << fmt::format("Logged out of {}.\n", redactUrl(server));
  if (revoked) {
    std::cout << "The provider revoked the session's refresh token.\n";
  } else if (!session->refreshToken.empty()) {
    std::cerr << "The provider did not revoke the refresh token (it offers no revocation or is "
                 "out of reach); the token stays valid until it expires.\n";
  }
}

}  // namespace

namespace {

bool needsRefresh(const Session& session) {
  return session.expiresAt != 0 && session.expiresAt - kRefreshMarginSeconds <= std::time(nullptr);
}

// The session with new tokens from the provider; throws Unauthorized saying what to do.
Session refreshed(Session session) {
  const std::string again =
      fmt::format("sign in again with `waxctl login --server {}`", redactUrl(session.server));
  if (session.refreshToken.empty()) {
    throw Error(ErrorCode::Unauthorized, fmt::format("your session with {} has ended; {}",
                                                     redactUrl(session.server), again));
  }
  oidc::Tokens tokens;
  const oidc::HttpOptions http{session.caFile};
  oidc::Endpoints endpoints;
  try {
    endpoints = oidc::discover(session.issuer, http);
  } catch (const Error& error) {
    throw Error(ErrorCode::Unavailable,
                fmt::format("your session with {} needs renewing, but the provider is out of "
                            "reach ({}); try again when it is back",
                            redactUrl(session.server), error.what()));
  }
  try {
    tokens = oidc::refresh(endpoints, oidc::Client{session.clientId}, session.refreshToken, http);
  } catch (const Error& error) {
    throw Error(ErrorCode::Unauthorized,
                fmt::format("your session with {} could not be renewed ({}); {}",
                            redactUrl(session.server), error.what(), again));
  }
  session.accessToken = tokens.accessToken;
  if (!tokens.refreshToken.empty()) {  // rotated (RFC 6749 section 6); else the old one stays
    session.refreshToken = tokens.refreshToken;
  }
  if (!tokens.idToken.empty()) {
    session.idToken = tokens.idToken;
  }
  session.expiresAt = tokens.expiresAt;
  return session;
}

}  // namespace

Session freshSession(CredentialStore& store, Session session) {
  if (!needsRefresh(session)) {
    return session;
  }
  // Under the file's lock, and from the file: another waxctl may have refreshed it meanwhile.
  auto updated = store.update(session.server, [](const Session& current) {
    return needsRefresh(current) ? refreshed(current) : current;
  });
  return updated ? *updated : session;
}

void addLoginCommands(CLI::App& app, Context& context) {
  auto flags = std::make_shared<LoginFlags>();
  auto* loginCommand = app.add_subcommand(
      "login",
      "Sign in to a WaxAPI through its OpenID provider (browser with PKCE, or --device); "
      "waxctl then talks to that WaxAPI");
  loginCommand->add_flag("--device", flags->device,
                         "Sign in on another device with a code (the device flow)");
  loginCommand->add_flag("--no-browser", flags->noBrowser,
                         "Print the sign-in link instead of opening a browser");
  loginCommand->add_option("--ca-file", flags->caFile, "CA bundle for the provider's TLS")
      ->check(CLI::ExistingFile);
  loginCommand->add_option("--timeout", flags->timeoutSeconds, "Seconds to wait for the sign-in")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  loginCommand->add_option("--issuer", flags->issuer,
                           "The provider's issuer URL; default: what the WaxAPI says");
  loginCommand->add_option("--client-id", flags->clientId,
                           "The public client to sign in as; default: what the WaxAPI says");
  loginCommand->add_option("--scopes", flags->scopes,
                           "Scopes to ask for; default: what the WaxAPI says");
  loginCommand->callback([&context, flags] {
    login(context, *flags);
    context.exitCode = kExitOk;
  });
  auto* logoutCommand =
      app.add_subcommand("logout",
                         "End the session of `waxctl login` with a WaxAPI (the current one unless "
                         "--server names another)");
  logoutCommand->callback([&context] {
    logout(context);
    context.exitCode = kExitOk;
  });
}

}  // namespace wax::cli
