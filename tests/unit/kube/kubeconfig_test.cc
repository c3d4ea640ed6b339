#include "kube/kubeconfig.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <optional>

#include "common/error.h"
#include "temp_dir.h"

namespace wax::kube {
namespace {

using testing::TempDir;

constexpr const char* kToken = "s3cr3t-token-value";
// "hello-ca" and friends, base64: the loader decodes *-data fields.
constexpr const char* kCaBase64 = "aGVsbG8tY2E=";

std::string clusterYaml(const std::string& name, const std::string& server) {
  return "- name: " + name + "\n  cluster:\n    server: " + server + "\n";
}

// Runs `body` with an environment variable set, restoring it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
    }
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string errorOf(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Kubeconfig, LoadsTokenUserAndContextNamespace) {
  TempDir dir;
  std::string file = dir.write("config", std::string(R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: )") + kCaBase64 +
                                             R"(
    tls-server-name: kubernetes
contexts:
- name: dev
  context: {cluster: c1, user: admin, namespace: team-a}
users:
- name: admin
  user:
    token: )" + kToken + "\n");
  Config config = loadKubeconfig({file});
  EXPECT_EQ(config.server, "https://127.0.0.1:6443");
  EXPECT_EQ(config.certificateAuthorityData, "hello-ca");
  EXPECT_EQ(config.tlsServerName, "kubernetes");
  EXPECT_EQ(config.user.token, kToken);
  EXPECT_EQ(config.ns, "team-a");
  EXPECT_EQ(config.context, "dev");
  EXPECT_EQ(describe(config).find(kToken), std::string::npos);
}

TEST(Kubeconfig, ImpersonationAsKubectlReadsIt) {
  TempDir dir;
  std::string file = dir.write("config", R"(
current-context: dev
clusters:
- name: c1
  cluster: {server: "https://127.0.0.1:6443"}
contexts:
- name: dev
  context: {cluster: c1, user: admin}
users:
- name: admin
  user:
    token: t
    as: alice
    as-groups: [wax-admins, wax-users]
)");
  Config config = loadKubeconfig({file});
  EXPECT_EQ(config.user.impersonateUser, "alice");
  EXPECT_EQ(config.user.impersonateGroups, (std::vector<std::string>{"wax-admins", "wax-users"}));
}

TEST(Kubeconfig, NamespaceDefaultsToDefaultAndFlagsOverride) {
  TempDir dir;
  std::string file =
      dir.write("config", "current-context: a\nclusters:\n" + clusterYaml("c", "https://a:1") +
                              "contexts:\n- name: a\n  context: {cluster: c}\n"
                              "- name: b\n  context: {cluster: c, namespace: nb}\n");
  EXPECT_EQ(loadKubeconfig({file}).ns, "default");
  EXPECT_EQ(loadKubeconfig({file}, {.context = "b"}).ns, "nb");
  EXPECT_EQ(loadKubeconfig({file}, {.context = "b", .ns = "x"}).ns, "x");
}

TEST(Kubeconfig, MergesFilesFirstDefinitionWins) {
  TempDir dir;
  std::string first =
      dir.write("one", "clusters:\n" + clusterYaml("shared", "https://first:1") +
                           "contexts:\n- name: ctx\n  context: {cluster: shared}\n");
  std::string second = dir.write("two", "current-context: ctx\nclusters:\n" +
                                            clusterYaml("shared", "https://second:2") +
                                            clusterYaml("only2", "https://only2:3") +
                                            "contexts:\n- name: ctx\n  context: {cluster: only2}\n"
                                            "- name: other\n  context: {cluster: only2}\n");
  // current-context comes from the first file that sets it (the second here); the context named
  // "ctx" comes from the first file, and so does the cluster "shared" it points to.
  Config config = loadKubeconfig({dir.file("missing"), first, second});
  EXPECT_EQ(config.context, "ctx");
  EXPECT_EQ(config.server, "https://first:1");
  EXPECT_EQ(loadKubeconfig({first, second}, {.context = "other"}).server, "https://only2:3");
}

TEST(Kubeconfig, CurrentContextFromFirstFileThatSetsIt) {
  TempDir dir;
  std::string a =
      dir.write("a", "current-context: ca\nclusters:\n" + clusterYaml("x", "https://a:1") +
                         "contexts:\n- name: ca\n  context: {cluster: x}\n");
  std::string b =
      dir.write("b", "current-context: cb\nclusters:\n" + clusterYaml("y", "https://b:1") +
                         "contexts:\n- name: cb\n  context: {cluster: y}\n");
  EXPECT_EQ(loadKubeconfig({a, b}).context, "ca");
  EXPECT_EQ(loadKubeconfig({b, a}).context, "cb");
}

TEST(Kubeconfig, EnvironmentListAndExplicitPath) {
  TempDir dir;
  std::string a =
      dir.write("a", "current-context: ca\nclusters:\n" + clusterYaml("x", "https://a:1") +
                         "contexts:\n- name: ca\n  context: {cluster: x}\n");
  std::string b =
      dir.write("b", "current-context: cb\nclusters:\n" + clusterYaml("y", "https://b:1") +
                         "contexts:\n- name: cb\n  context: {cluster: y}\n");
  ScopedEnv env("KUBECONFIG", ":" + b + "::" + a);
  EXPECT_EQ(loadConfig().server, "https://b:1");
  EXPECT_EQ(loadConfig({.kubeconfig = a}).server, "https://a:1");
  EXPECT_EQ(splitKubeconfigPath("a::b:"), (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(errorOf([&] { loadConfig({.kubeconfig = dir.file("nope")}); }).find("nope"),
            std::string::npos);
}

TEST(Kubeconfig, RelativeFilesResolveAgainstTheirKubeconfig) {
  TempDir dir;
  dir.write("sub/ca.pem", "CA-PEM");
  dir.write("sub/certs/client.crt", "CERT-PEM");
  dir.write("sub/certs/client.key", "KEY-PEM");
  dir.write("sub/token", "file-token\n");
  std::string file = dir.write("sub/config", R"(
current-context: c
clusters:
- name: x
  cluster: {server: "https://h:1", certificate-authority: ca.pem}
contexts:
- name: c
  context: {cluster: x, user: u}
users:
- name: u
  user:
    client-certificate: certs/client.crt
    client-key: certs/client.key
    tokenFile: token
)");
  Config config = loadKubeconfig({file});
  EXPECT_EQ(config.certificateAuthorityData, "CA-PEM");
  EXPECT_EQ(config.user.clientCertificateData, "CERT-PEM");
  EXPECT_EQ(config.user.clientKeyData, "KEY-PEM");
  EXPECT_EQ(config.user.tokenFile, dir.file("sub/token"));
}

TEST(Kubeconfig, InlineCertificateDataIsDecoded) {
  TempDir dir;
  std::string file = dir.write("config", R"(
current-context: c
clusters:
- name: x
  cluster: {server: "https://h:1", insecure-skip-tls-verify: true}
contexts:
- name: c
  context: {cluster: x, user: u}
users:
- name: u
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
)");
  Config config = loadKubeconfig({file});
  EXPECT_TRUE(config.insecureSkipTlsVerify);
  EXPECT_EQ(config.user.clientCertificateData, "CERT");
  EXPECT_EQ(config.user.clientKeyData, "KEY");
}

TEST(Kubeconfig, ExecPluginIsParsed) {
  TempDir dir;
  std::string file = dir.write("config", R"(
current-context: c
clusters:
- name: x
  cluster: {server: "https://h:1"}
contexts:
- name: c
  context: {cluster: x, user: u}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/plugin
      args: [get-token, --cluster, x]
      env: [{name: FOO, value: bar}]
      installHint: install the plugin
)");
  Config config = loadKubeconfig({file});
  ASSERT_TRUE(config.user.exec);
  EXPECT_EQ(config.user.exec->command, "./bin/plugin");
  EXPECT_EQ(config.user.exec->args, (std::vector<std::string>{"get-token", "--cluster", "x"}));
  EXPECT_EQ(config.user.exec->env.at(0), std::make_pair(std::string("FOO"), std::string("bar")));
  EXPECT_EQ(config.user.exec->baseDir, dir.path());
}

TEST(KubeconfigErrors, NameTheFileAndTheField) {
  TempDir dir;
  std::string file = dir.write("config", std::string(R"(
current-context: c
clusters:
- name: x
  cluster: {server: "https://h:1"}
contexts:
- name: c
  context: {cluster: x, user: u}
users:
- name: u
  user:
    token: )") + kToken + R"(
    client-key-data: "not base64!!"
    client-certificate-data: Q0VSVA==
)");
  std::string message = errorOf([&] { loadKubeconfig({file}); });
  EXPECT_NE(message.find(file), std::string::npos) << message;
  EXPECT_NE(message.find("users[u].user.client-key-data"), std::string::npos) << message;
  EXPECT_EQ(message.find(kToken), std::string::npos) << message;
  EXPECT_EQ(message.find("not base64!!"), std::string::npos) << message;
}

TEST(KubeconfigErrors, MissingReferencesAndFields) {
  TempDir dir;
  std::string noServer = dir.write("a",
                                   "current-context: c\nclusters:\n- name: x\n  cluster: {}\n"
                                   "contexts:\n- name: c\n  context: {cluster: x}\n");
  EXPECT_NE(errorOf([&] { loadKubeconfig({noServer}); }).find("clusters[x].cluster.server"),
            std::string::npos);
  std::string noUser =
      dir.write("b", "current-context: c\nclusters:\n" + clusterYaml("x", "https://h:1") +
                         "contexts:\n- name: c\n  context: {cluster: x, "
                         "user: ghost}\n");
  std::string message = errorOf([&] { loadKubeconfig({noUser}); });
  EXPECT_NE(message.find("contexts[c].context.user"), std::string::npos) << message;
  EXPECT_NE(message.find("ghost"), std::string::npos) << message;
  EXPECT_NE(errorOf([&] { loadKubeconfig({noUser}, {.context = "nope"}); }).find("nope"),
            std::string::npos);
  std::string missingFile = dir.write(
      "c",
      "current-context: c\nclusters:\n- name: x\n  cluster: {server: \"https://h:1\", "
      "certificate-authority: gone.pem}\ncontexts:\n- name: c\n  context: {cluster: x}\n");
  message = errorOf([&] { loadKubeconfig({missingFile}); });
  EXPECT_NE(message.find("certificate-authority"), std::string::npos) << message;
  EXPECT_NE(message.find(dir.file("gone.pem")), std::string::npos) << message;
  EXPECT_NE(errorOf([&] {
              loadKubeconfig({dir.file("none1"), dir.file("none2")});
            }).find("none2"),
            std::string::npos);
}

TEST(KubeconfigErrors, BadYamlNamesTheLine) {
  TempDir dir;
  std::string file = dir.write("config", "clusters:\n- name: [unclosed\n");
  std::string message = errorOf([&] { loadKubeconfig({file}); });
  EXPECT_NE(message.find(file), std::string::npos) << message;
  EXPECT_NE(message.find("line"), std::string::npos) << message;
}

TEST(InCluster, ReadsServiceAccountDirectory) {
  TempDir dir;
  dir.write("token", std::string(kToken) + "\n");
  dir.write("ca.crt", "CLUSTER-CA");
  dir.write("namespace", "wax-system\n");
  Config config = inClusterConfig({.host = "10.0.0.1", .port = "443", .dir = dir.path()});
  EXPECT_EQ(config.server, "https://10.0.0.1:443");
  EXPECT_EQ(config.certificateAuthorityData, "CLUSTER-CA");
  EXPECT_EQ(config.ns, "wax-system");
  EXPECT_EQ(config.user.tokenFile, dir.file("token"));
  EXPECT_TRUE(config.user.token.empty());  // read fresh by the credential source
  EXPECT_EQ(inClusterConfig({.host = "fd00::1", .port = "443", .dir = dir.path()}).server,
            "https://[fd00::1]:443");
}

TEST(InCluster, FromEnvironmentAndClearErrors) {
  TempDir dir;
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.1.2.3");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "6443");
  std::string message = errorOf([&] { inClusterConfig({.dir = dir.path()}); });
  EXPECT_NE(message.find(dir.file("token")), std::string::npos) << message;
  dir.write("token", "t");
  dir.write("ca.crt", "CA");
  Config config = inClusterConfig({.dir = dir.path()});
  EXPECT_EQ(config.server, "https://10.1.2.3:6443");
  EXPECT_EQ(config.ns, "default");
}

TEST(Base64, DecodesAndRejects) {
  EXPECT_EQ(decodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(decodeBase64("aGVs\nbG8="), "hello");
  EXPECT_EQ(decodeBase64(""), "");
  EXPECT_THROW(decodeBase64("abc"), std::invalid_argument);
  EXPECT_THROW(decodeBase64("a*b="), std::invalid_argument);
}

}  // namespace
}  // namespace wax::kube
