#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

// Where the API server is and how to authenticate to it, loaded the way kubectl and
// controller-runtime do: an explicit --kubeconfig, else the KUBECONFIG list (files merged, the
// first file to set a name wins), else the in-cluster service account, else ~/.kube/config.
// File references are read at load time and kept as PEM data, so the client hands them to TLS
// as blobs. Errors name the file and the field; they never carry a token or a key.
namespace wax::kube {

// An exec credential plugin (client.authentication.k8s.io/v1 or v1beta1).
struct ExecConfig {
  std::string apiVersion;
  std::string command;  // resolved against baseDir when relative with a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string installHint;
  std::string baseDir;  // directory of the kubeconfig that defined it
};

// How the client proves who it is. Any mix may be set; exec output overrides the static parts.
struct AuthInfo {
  std::string name;                   // the kubeconfig user name, or "serviceaccount"
  std::string token;                  // secret: never log
  std::string tokenFile;              // re-read periodically (bound tokens rotate)
  std::string clientCertificateData;  // PEM
  std::string clientKeyData;          // PEM; secret: never log
  std::optional<ExecConfig> exec;
  // Impersonation (kubeconfig `as` and `as-groups`): requests act as this user and groups,
  // which the credentials above must be allowed to impersonate.
  std::string impersonateUser;
  std::vector<std::string> impersonateGroups;
};

struct Config {
  std::string server;                    // https://host:port[/prefix]
  std::string certificateAuthorityData;  // PEM; empty means the system trust store
  bool insecureSkipTlsVerify = false;
  std::string tlsServerName;  // name to verify the server certificate against (and send as SNI)
  AuthInfo user;
  std::string ns = "default";  // the context's namespace
  std::string context;         // the context used ("" in-cluster)
  std::string source;          // the kubeconfig file(s) or "in-cluster", for messages
};

struct LoadOptions {
  std::string kubeconfig;  // --kubeconfig: this file only, which must exist
  std::string context;     // --context: overrides current-context
  std::string ns;          // --namespace: overrides the context's namespace
};

struct InClusterOptions {
  std::string host;  // default: $KUBERNETES_SERVICE_HOST
  std::string port;  // default: $KUBERNETES_SERVICE_PORT
  std::string dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// The whole precedence chain described above.
Config loadConfig(const LoadOptions& options = {});
// Merges kubeconfig files by kubectl's rules; files that do not exist are skipped, but at least
// one must exist.
Config loadKubeconfig(const std::vector<std::string>& files, const LoadOptions& options = {});
// The pod's service account. Throws if the host or the token file is missing.
Config inClusterConfig(const InClusterOptions& options = {});
// Whether KUBERNETES_SERVICE_HOST/PORT are set.
bool runningInCluster();

// Splits a KUBECONFIG value on ':' and drops empty entries.
std::vector<std::string> splitKubeconfigPath(const std::string& value);
// Decodes standard base64 (as in *-data fields); throws std::invalid_argument when malformed.
std::string decodeBase64(const std::string& text);
// A one-line description of a config for logs, with no secret in it.
std::string describe(const Config& config);

}  // namespace wax::kube
