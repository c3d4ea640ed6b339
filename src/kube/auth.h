#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/time.h"
#include "kube/kubeconfig.h"

// The credentials a request carries, and the sources that keep them fresh: a static token or
// certificate, a token file re-read periodically (projected service account tokens rotate), and
// exec plugins whose output is cached until it expires.
namespace wax::kube {

struct Credentials {
  std::string bearerToken;  // secret
  std::string clientCertPem;
  std::string clientKeyPem;  // secret
};

class CredentialSource {
 public:
  using Clock = std::chrono::system_clock;
  virtual ~CredentialSource() = default;
  // The credentials to use now. Throws wax::Error (Unauthorized) when they cannot be obtained.
  virtual Credentials current() = 0;
  // Called after a 401: the next current() fetches fresh credentials if it can.
  virtual void invalidate() {}
};
using CredentialSourcePtr = std::shared_ptr<CredentialSource>;

// Runs an exec plugin and returns its ExecCredential status. Exposed for tests.
struct ExecResult {
  Credentials credentials;
  std::optional<CredentialSource::Clock::time_point> expiry;
};
ExecResult runExecPlugin(const ExecConfig& exec, std::chrono::milliseconds timeout);

struct CredentialOptions {
  std::chrono::seconds tokenFileRefresh{60};
  std::chrono::milliseconds execTimeout{60000};
  // Exec output is renewed this long before it expires, so a request never races the expiry.
  std::chrono::seconds expiryMargin{10};
  std::function<CredentialSource::Clock::time_point()> now = CredentialSource::Clock::now;
};

// The source for a kubeconfig user or service account.
CredentialSourcePtr makeCredentialSource(const AuthInfo& user, CredentialOptions options = {});

}  // namespace wax::kube
