#pragma once

// What the main() of every Wax server shares: its command line, its listen address, and the
// signals that stop it.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>

#include "common/logging.h"
#include "core/validation.h"

namespace wax {

// Parses the command line as every Wax server does: --help and --version exit 0, a usage error
// prints CLI11's message and exits 2, as shells expect of a bad invocation (CLI11's own exit
// codes, 105 and the like, say nothing to a script). nullopt: go on.
inline std::optional<int> parseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
}

// A server's main(): parses the command line (2 for bad flags), starts logging at `logLevel`
// (the flag's variable, read once parsed) and runs `run`; a failure is printed, with 1.
inline int serverMain(CLI::App& app, int argc, char** argv, const std::string& logLevel,
                      const std::function<int()>& run) {
  if (auto exitCode = parseCommandLine(app, argc, argv)) {
    return *exitCode;
  }
  initLogging(logLevel);
  try {
    return run();
  } catch (const std::exception& error) {
    std::cerr << app.get_name() << ": " << error.what() << "\n";
    return 1;
  }
}

// Validators of the servers' flags: each names what is wrong; CLI11 adds the flag's name.
namespace flags {

inline bool allDigits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

// HOST:PORT, HOST a name or an IPv4 address, PORT 0 to 65535.
inline CLI::Validator listenAddress() {
  return CLI::Validator(
      [](const std::string& address) -> std::string {
        const auto colon = address.rfind(':');
        const std::string port = colon == std::string::npos ? "" : address.substr(colon + 1);
        if (colon == 0 || !allDigits(port) || port.size() > 5 || std::stoi(port) > 65535) {
          return "\"" + address + "\" is not HOST:PORT (e.g. 127.0.0.1:8080, or port 0)";
        }
        return "";
      },
      "HOST:PORT");
}

// A duration as Kubernetes flags write them: a positive number with s, m or h.
inline CLI::Validator duration() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        const std::string number = text.empty() ? "" : text.substr(0, text.size() - 1);
        const char unit = text.empty() ? '\0' : text.back();
        if (!allDigits(number) || std::stol(number) <= 0 ||
            (unit != 's' && unit != 'm' && unit != 'h')) {
          return "\"" + text +
                 "\" is not a duration: write a positive number with s, m or h, "
                 "e.g. 15s";
        }
        return "";
      },
      "DURATION");
}

// A validator from a predicate and what to say of a value that fails it.
inline CLI::Validator checked(bool (*valid)(const std::string&), const char* what,
                              const char* name) {
  return CLI::Validator(
      [valid, what](const std::string& value) -> std::string {
        return valid(value) ? "" : "\"" + value + "\" " + what;
      },
      name);
}

inline CLI::Validator namespaceName() {
  return checked(core::isDns1123Label, "is not a namespace name (lowercase letters, digits, '-')",
                 "NAMESPACE");
}

inline CLI::Validator dnsDomain() {
  return checked(core::isDns1123Subdomain, "is not a DNS domain (e.g. cluster.local)", "DOMAIN");
}

inline CLI::Validator httpUrl() {
  return CLI::Validator(
      [](const std::string& url) -> std::string {
        const bool scheme = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
        const auto host =
            url.find("://") == std::string::npos ? url : url.substr(url.find("://") + 3);
        const bool clean = std::none_of(url.begin(), url.end(), [](unsigned char c) {
          return std::isspace(c) != 0 || std::iscntrl(c) != 0;
        });
        if (!scheme || host.empty() || host.front() == '/' || !clean) {
          return "\"" + url + "\" is not an http:// or https:// URL";
        }
        return "";
      },
      "URL");
}

// A browser origin, scheme://host[:port] with nothing after it, or "*" for any.
inline CLI::Validator corsOrigin() {
  return CLI::Validator(
      [](const std::string& origin) -> std::string {
        if (origin == "*") {
          return "";
        }
        const auto scheme = origin.find("://");
        const std::string rest = scheme == std::string::npos ? "" : origin.substr(scheme + 3);
        const bool schemeOk = origin.rfind("http://", 0) == 0 || origin.rfind("https://", 0) == 0;
        const bool hostOk = !rest.empty() && std::all_of(rest.begin(), rest.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
                 c == '[' || c == ']';
        });
        if (!schemeOk || !hostOk) {
          return "\"" + origin +
                 "\" is not an origin: write scheme://host[:port] with no path, e.g. "
                 "https://dashboard.example.com, or * for any";
        }
        return "";
      },
      "ORIGIN");
}

// The seconds of a duration that duration() has checked ("15s", "2m", "1h").
inline int seconds(const std::string& duration) {
  const int value = std::stoi(duration.substr(0, duration.size() - 1));
  const char unit = duration.back();
  return value * (unit == 'h' ? 3600 : unit == 'm' ? 60 : 1);
}

// HOST and PORT of an address that listenAddress() has checked.
inline std::pair<std::string, uint16_t> splitListenAddress(const std::string& address) {
  const auto colon = address.rfind(':');
  return {address.substr(0, colon), static_cast<uint16_t>(std::stoi(address.substr(colon + 1)))};
}

}  // namespace flags

// Blocks SIGINT and SIGTERM in this thread and every thread it starts, so that main() takes
// them with sigwait(); call it before any thread starts. SIGPIPE is ignored: a client that
// goes away must not end the server.
inline sigset_t blockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

}  // namespace wax
