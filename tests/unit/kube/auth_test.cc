#include "kube/auth.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "temp_dir.h"

namespace wax::kube {
namespace {

using Clock = CredentialSource::Clock;
using testing::TempDir;

constexpr const char* kSecret = "plugin-s3cr3t";

// A plugin that counts its runs, echoes its argument and env into the token, and expires at
// the given time.
std::string plugin(TempDir& dir, const std::string& apiVersion, const std::string& expiry) {
  return dir.write("plugin.sh",
                   "#!/bin/sh\n"
                   "echo run >> \"$(dirname \"$0\")/runs\"\n"
                   "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) exit 3;; esac\n"
                   "cat <<JSON\n"
                   "{\"apiVersion\": \"" +
                       apiVersion +
                       "\", \"kind\": \"ExecCredential\",\n"
                       " \"status\": {\"token\": \"" +
                       std::string(kSecret) + "-$1-$FOO\"" +
                       (expiry.empty() ? "" : ", \"expirationTimestamp\": \"" + expiry + "\"") +
                       "}}\n"
                       "JSON\n",
                   true);
}

int runs(TempDir& dir) {
  std::ifstream in(dir.file("runs"));
  int count = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++count;
  }
  return count;
}

AuthInfo execUser(TempDir& dir, const std::string& apiVersion) {
  AuthInfo user;
  user.name = "u";
  user.exec = ExecConfig{.apiVersion = apiVersion,
                         .command = "./plugin.sh",
                         .args = {"arg1"},
                         .env = {{"FOO", "bar"}},
                         .installHint = "",
                         .baseDir = dir.path()};
  return user;
}

std::string errorOf(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(StaticCredentials, TokenAndCertificate) {
  AuthInfo user{.name = "u", .token = "t", .clientCertificateData = "C", .clientKeyData = "K"};
  Credentials credentials = makeCredentialSource(user)->current();
  EXPECT_EQ(credentials.bearerToken, "t");
  EXPECT_EQ(credentials.clientCertPem, "C");
  EXPECT_EQ(credentials.clientKeyPem, "K");
}

TEST(TokenFile, IsReReadAfterTheRefreshPeriod) {
  TempDir dir;
  std::string path = dir.write("token", "first\n");
  Clock::time_point now = Clock::now();
  CredentialOptions options;
  options.tokenFileRefresh = std::chrono::seconds(60);
  options.now = [&now] { return now; };
  auto source = makeCredentialSource(AuthInfo{.name = "sa", .tokenFile = path}, options);
  EXPECT_EQ(source->current().bearerToken, "first");

  dir.write("token", "second");
  now += std::chrono::seconds(30);
  EXPECT_EQ(source->current().bearerToken, "first");
  now += std::chrono::seconds(31);
  EXPECT_EQ(source->current().bearerToken, "second");

  // A rotation caught half way (file gone) keeps the last good token.
  std::filesystem::remove(path);
  now += std::chrono::seconds(61);
  EXPECT_EQ(source->current().bearerToken, "second");
}

TEST(TokenFile, MissingFileNamesThePath) {
  TempDir dir;
  auto source = makeCredentialSource(AuthInfo{.name = "sa", .tokenFile = dir.file("absent")});
  EXPECT_NE(errorOf([&] { source->current(); }).find(dir.file("absent")), std::string::npos);
}

TEST(ExecPlugin, V1TokenWithArgsAndEnv) {
  TempDir dir;
  plugin(dir, "client.authentication.k8s.io/v1", "");
  auto source = makeCredentialSource(execUser(dir, "client.authentication.k8s.io/v1"));
  EXPECT_EQ(source->current().bearerToken, std::string(kSecret) + "-arg1-bar");
}

TEST(ExecPlugin, V1beta1IsCachedUntilExpiry) {
  TempDir dir;
  plugin(dir, "client.authentication.k8s.io/v1beta1", "2030-01-01T00:00:00Z");
  Clock::time_point now = Clock::from_time_t(1893456000 - 3600);  // 2029-12-31T23:00:00Z
  CredentialOptions options;
  options.now = [&now] { return now; };
  auto source =
      makeCredentialSource(execUser(dir, "client.authentication.k8s.io/v1beta1"), options);
  source->current();
  source->current();
  EXPECT_EQ(runs(dir), 1);
  now += std::chrono::hours(1);  // past the expiry
  source->current();
  EXPECT_EQ(runs(dir), 2);
  source->invalidate();  // as after a 401
  source->current();
  EXPECT_EQ(runs(dir), 3);
}

TEST(ExecPlugin, ClientCertificateFromPlugin) {
  TempDir dir;
  dir.write("cert.sh",
            "#!/bin/sh\n"
            "printf '%s' '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
            "\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"CERT\","
            "\"clientKeyData\":\"KEY\"}}'\n",
            true);
  AuthInfo user = execUser(dir, "client.authentication.k8s.io/v1");
  user.exec->command = dir.file("cert.sh");
  Credentials credentials = makeCredentialSource(user)->current();
  EXPECT_EQ(credentials.clientCertPem, "CERT");
  EXPECT_EQ(credentials.clientKeyPem, "KEY");
  EXPECT_TRUE(credentials.bearerToken.empty());
}

TEST(ExecPlugin, FailureNamesTheCommandAndShowsStderr) {
  TempDir dir;
  dir.write("fail.sh", "#!/bin/sh\necho 'login expired, run sso login' >&2\nexit 4\n", true);
  AuthInfo user = execUser(dir, "client.authentication.k8s.io/v1");
  user.exec->command = "./fail.sh";
  std::string message = errorOf([&] { makeCredentialSource(user)->current(); });
  EXPECT_NE(message.find("./fail.sh"), std::string::npos) << message;
  EXPECT_NE(message.find("exit status 4"), std::string::npos) << message;
  EXPECT_NE(message.find("login expired"), std::string::npos) << message;
}

TEST(ExecPlugin, MissingCommandShowsInstallHint) {
  AuthInfo user;
  user.exec = ExecConfig{.apiVersion = "client.authentication.k8s.io/v1",
                         .command = "wax-no-such-plugin",
                         .installHint = "install it from example.org"};
  std::string message = errorOf([&] { makeCredentialSource(user)->current(); });
  EXPECT_NE(message.find("wax-no-such-plugin"), std::string::npos) << message;
  EXPECT_NE(message.find("install it from example.org"), std::string::npos) << message;
}

TEST(ExecPlugin, BadOutputNeverQuotesIt) {
  TempDir dir;
  dir.write("bad.sh", std::string("#!/bin/sh\necho '{\"token\": \"") + kSecret + "\"}'\n", true);
  AuthInfo user = execUser(dir, "client.authentication.k8s.io/v1");
  user.exec->command = "./bad.sh";
  std::string message = errorOf([&] { makeCredentialSource(user)->current(); });
  EXPECT_NE(message.find("ExecCredential"), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos) << message;

  plugin(dir, "client.authentication.k8s.io/v1beta1", "");
  user.exec->command = "./plugin.sh";  // answers v1beta1 to a v1 request
  message = errorOf([&] { makeCredentialSource(user)->current(); });
  EXPECT_NE(message.find("apiVersion"), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
}

TEST(ExecPlugin, HangingPluginTimesOut) {
  TempDir dir;
  dir.write("hang.sh", "#!/bin/sh\nexec sleep 30\n", true);
  AuthInfo user = execUser(dir, "client.authentication.k8s.io/v1");
  user.exec->command = "./hang.sh";
  CredentialOptions options;
  options.execTimeout = std::chrono::milliseconds(300);
  std::string message = errorOf([&] { makeCredentialSource(user, options)->current(); });
  EXPECT_NE(message.find("timed out"), std::string::npos) << message;
}

TEST(Rfc3339, ParsesZuluOffsetsAndFractions) {
  auto base = parseRfc3339("2024-01-02T03:04:05Z");
  ASSERT_TRUE(base);
  EXPECT_EQ(Clock::to_time_t(*base), 1704164645);
  EXPECT_EQ(parseRfc3339("2024-01-02T03:04:05.123456Z"), base);
  EXPECT_EQ(parseRfc3339("2024-01-02T05:04:05+02:00"), base);
  EXPECT_EQ(parseRfc3339("2024-01-02T01:04:05-02:00"), base);
  EXPECT_FALSE(parseRfc3339("yesterday"));
  EXPECT_FALSE(parseRfc3339("2024-01-02T03:04:05"));
}

}  // namespace
}  // namespace wax::kube
