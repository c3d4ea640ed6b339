#include "kube/kubeconfig.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include "common/error.h"

namespace wax::kube {
namespace fs = std::filesystem;
namespace {

// A named entry of one kubeconfig file, kept with the file it came from: relative paths resolve
// against that file's directory and errors name it.
struct Entry {
  YAML::Node body;
  std::string file;
};

struct Merged {
  std::map<std::string, Entry> clusters;
  std::map<std::string, Entry> users;
  std::map<std::string, Entry> contexts;
  std::string currentContext;
  std::vector<std::string> files;  // the files that existed, in order
};

Error configError(const std::string& file, const std::string& field, const std::string& problem) {
  return Error(ErrorCode::BadRequest, fmt::format("kubeconfig {}: {}: {}", file, field, problem));
}

std::string envOr(const char* name, const std::string& fallback = {}) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : fallback;
}

// The string at `key`, or "" when absent. A non-scalar is an error naming the field.
std::string scalar(const YAML::Node& node, const std::string& key, const std::string& file,
                   const std::string& field) {
  YAML::Node value = node[key];
  if (!value || value.IsNull()) {
    return {};
  }
  if (!value.IsScalar()) {
    throw configError(file, field + "." + key, "must be a string");
  }
  return value.as<std::string>();
}

bool boolean(const YAML::Node& node, const std::string& key, const std::string& file,
             const std::string& field) {
  std::string text = scalar(node, key, file, field);
  if (text.empty() || text == "false") {
    return false;
  }
  if (text == "true") {
    return true;
  }
  throw configError(file, field + "." + key, "must be true or false");
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error(std::strerror(errno));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string resolve(const std::string& path, const std::string& file) {
  if (path.empty() || fs::path(path).is_absolute()) {
    return path;
  }
  return (fs::path(file).parent_path() / path).lexically_normal().string();
}

// The PEM for `<key>-data` (base64) or `<key>` (a file), whichever is set; data wins, as in
// kubectl.
std::string pemField(const Entry& entry, const YAML::Node& body, const std::string& key,
                     const std::string& field) {
  std::string data = scalar(body, key + "-data", entry.file, field);
  if (!data.empty()) {
    try {
      return decodeBase64(data);
    } catch (const std::invalid_argument&) {
      throw configError(entry.file, field + "." + key + "-data", "is not valid base64");
    }
  }
  std::string path = resolve(scalar(body, key, entry.file, field), entry.file);
  if (path.empty()) {
    return {};
  }
  try {
    return readFile(path);
  } catch (const std::runtime_error& e) {
    throw configError(entry.file, field + "." + key,
                      fmt::format("cannot read {}: {}", path, e.what()));
  }
}

void addNamed(const YAML::Node& root, const std::string& list, const std::string& inner,
              const std::string& file, std::map<std::string, Entry>& into) {
  YAML::Node items = root[list];
  if (!items || items.IsNull()) {
    return;
  }
  if (!items.IsSequence()) {
    throw configError(file, list, "must be a list");
  }
  for (size_t i = 0; i < items.size(); ++i) {
    std::string field = fmt::format("{}[{}]", list, i);
    std::string name = scalar(items[i], "name", file, field);
    if (name.empty()) {
      throw configError(file, field + ".name", "is required");
    }
    // kubectl's merge rule: the first file to define a name wins.
    into.try_emplace(name, Entry{items[i][inner], file});
  }
}

void mergeFile(const std::string& file, Merged& merged) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw Error(ErrorCode::BadRequest, fmt::format("kubeconfig {}: cannot be read", file));
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("kubeconfig {}: not valid YAML at line {}", file, e.mark.line + 1));
  }
  merged.files.push_back(file);
  if (root.IsNull()) {
    return;  // an empty file is allowed, as kubectl allows it
  }
  if (!root.IsMap()) {
    throw configError(file, "(top level)", "must be a mapping");
  }
  addNamed(root, "clusters", "cluster", file, merged.clusters);
  addNamed(root, "users", "user", file, merged.users);
  addNamed(root, "contexts", "context", file, merged.contexts);
  if (merged.currentContext.empty()) {
    merged.currentContext = scalar(root, "current-context", file, "(top level)");
  }
}

ExecConfig execConfig(const Entry& entry, const YAML::Node& exec, const std::string& field) {
  ExecConfig config;
  config.apiVersion = scalar(exec, "apiVersion", entry.file, field);
  config.command = scalar(exec, "command", entry.file, field);
  config.installHint = scalar(exec, "installHint", entry.file, field);
  config.baseDir = fs::path(entry.file).parent_path().string();
  if (config.command.empty()) {
    throw configError(entry.file, field + ".command", "is required");
  }
  if (config.apiVersion != "client.authentication.k8s.io/v1" &&
      config.apiVersion != "client.authentication.k8s.io/v1beta1") {
    throw configError(entry.file, field + ".apiVersion",
                      "must be client.authentication.k8s.io/v1 or /v1beta1");
  }
  for (const auto& arg : exec["args"]) {
    config.args.push_back(arg.as<std::string>());
  }
  for (const auto& var : exec["env"]) {
    config.env.emplace_back(scalar(var, "name", entry.file, field + ".env"),
                            scalar(var, "value", entry.file, field + ".env"));
  }
  return config;
}

AuthInfo authInfo(const std::string& name, const Entry& entry) {
  std::string field = fmt::format("users[{}].user", name);
  const YAML::Node& body = entry.body;
  AuthInfo user;
  user.name = name;
  if (!body || body.IsNull()) {
    return user;
  }
  user.token = scalar(body, "token", entry.file, field);
  user.tokenFile = resolve(scalar(body, "tokenFile", entry.file, field), entry.file);
  user.clientCertificateData = pemField(entry, body, "client-certificate", field);
  user.clientKeyData = pemField(entry, body, "client-key", field);
  if (user.clientCertificateData.empty() != user.clientKeyData.empty()) {
    throw configError(entry.file, field, "client-certificate and client-key must be set together");
  }
  if (body["exec"] && !body["exec"].IsNull()) {
    user.exec = execConfig(entry, body["exec"], field + ".exec");
  }
  user.impersonateUser = scalar(body, "as", entry.file, field);
  if (const YAML::Node groups = body["as-groups"]; groups && !groups.IsNull()) {
    if (!groups.IsSequence()) {
      throw configError(entry.file, field + ".as-groups", "must be a list of group names");
    }
    for (const auto& group : groups) {
      user.impersonateGroups.push_back(group.as<std::string>());
    }
  }
  return user;
}

void applyCluster(const std::string& name, const Entry& entry, Config& config) {
  std::string field = fmt::format("clusters[{}].cluster", name);
  config.server = scalar(entry.body, "server", entry.file, field);
  if (config.server.empty()) {
    throw configError(entry.file, field + ".server", "is required");
  }
  config.certificateAuthorityData = pemField(entry, entry.body, "certificate-authority", field);
  config.insecureSkipTlsVerify = boolean(entry.body, "insecure-skip-tls-verify", entry.file, field);
  config.tlsServerName = scalar(entry.body, "tls-server-name", entry.file, field);
}

std::string joined(const std::vector<std::string>& files) {
  return fmt::format("{}", fmt::join(files, ":"));
}

Config select(const Merged& merged, const LoadOptions& options) {
  std::string source = joined(merged.files);
  std::string contextName = options.context.empty() ? merged.currentContext : options.context;
  if (contextName.empty()) {
    throw configError(source, "current-context", "is not set and no --context was given");
  }
  auto context = merged.contexts.find(contextName);
  if (context == merged.contexts.end()) {
    throw configError(source, "contexts", fmt::format("no context named \"{}\"", contextName));
  }
  const Entry& ctx = context->second;
  std::string field = fmt::format("contexts[{}].context", contextName);

  Config config;
  config.context = contextName;
  config.source = source;
  std::string clusterName = scalar(ctx.body, "cluster", ctx.file, field);
  auto cluster = merged.clusters.find(clusterName);
  if (cluster == merged.clusters.end()) {
    throw configError(ctx.file, field + ".cluster",
                      fmt::format("no cluster named \"{}\"", clusterName));
  }
  applyCluster(clusterName, cluster->second, config);

  std::string userName = scalar(ctx.body, "user", ctx.file, field);
  if (!userName.empty()) {
    auto user = merged.users.find(userName);
    if (user == merged.users.end()) {
      throw configError(ctx.file, field + ".user", fmt::format("no user named \"{}\"", userName));
    }
    config.user = authInfo(userName, user->second);
  }
  std::string ns = scalar(ctx.body, "namespace", ctx.file, field);
  config.ns = !options.ns.empty() ? options.ns : (!ns.empty() ? ns : "default");
  return config;
}

std::string homeKubeconfig() {
  std::string home = envOr("HOME");
  return home.empty() ? std::string() : home + "/.kube/config";
}

}  // namespace

std::vector<std::string> splitKubeconfigPath(const std::string& value) {
  std::vector<std::string> files;
  std::stringstream in(value);
  std::string item;
  while (std::getline(in, item, ':')) {
    if (!item.empty()) {
      files.push_back(item);
    }
  }
  return files;
}

std::string decodeBase64(const std::string& text) {
  std::string compact;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      compact += c;
    }
  }
  std::string out(compact.size() / 4 * 3 + 3, '\0');
  EVP_ENCODE_CTX* ctx = EVP_ENCODE_CTX_new();
  int written = 0;
  int tail = 0;
  int ok = EVP_DecodeUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &written,
                            reinterpret_cast<const unsigned char*>(compact.data()),
                            static_cast<int>(compact.size()));
  if (ok >= 0) {
    ok = EVP_DecodeFinal(ctx, reinterpret_cast<unsigned char*>(out.data()) + written, &tail);
  }
  EVP_ENCODE_CTX_free(ctx);
  if (ok < 0 || compact.size() % 4 != 0) {
    throw std::invalid_argument("invalid base64");
  }
  out.resize(static_cast<size_t>(written + tail));
  return out;
}

Config loadKubeconfig(const std::vector<std::string>& files, const LoadOptions& options) {
  Merged merged;
  for (const auto& file : files) {
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      continue;  // kubectl skips missing entries of KUBECONFIG
    }
    mergeFile(file, merged);
  }
  if (merged.files.empty()) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("kubeconfig: none of these files exists: {}", joined(files)));
  }
  return select(merged, options);
}

Config inClusterConfig(const InClusterOptions& options) {
  std::string host = options.host.empty() ? envOr("KUBERNETES_SERVICE_HOST") : options.host;
  std::string port = options.port.empty() ? envOr("KUBERNETES_SERVICE_PORT") : options.port;
  if (host.empty() || port.empty()) {
    throw Error(ErrorCode::BadRequest,
                "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
                "set (is this running in a pod?)");
  }
  Config config;
  // An IPv6 service address needs brackets in a URL.
  bool ipv6 = host.find(':') != std::string::npos;
  config.server = fmt::format("https://{}:{}", ipv6 ? "[" + host + "]" : host, port);
  config.source = "in-cluster";
  config.user.name = "serviceaccount";
  config.user.tokenFile = options.dir + "/token";
  std::error_code ec;
  if (!fs::exists(config.user.tokenFile, ec)) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("in-cluster config: token file {} does not exist (is a service "
                            "account token mounted?)",
                            config.user.tokenFile));
  }
  std::string ca = options.dir + "/ca.crt";
  try {
    config.certificateAuthorityData = readFile(ca);
  } catch (const std::runtime_error& e) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("in-cluster config: cannot read {}: {}", ca, e.what()));
  }
  try {
    std::string ns = readFile(options.dir + "/namespace");
    ns.erase(ns.find_last_not_of(" \n\r\t") + 1);
    config.ns = ns.empty() ? "default" : ns;
  } catch (const std::runtime_error&) {
    config.ns = "default";  // the namespace file is optional, as in client-go
  }
  return config;
}

bool runningInCluster() {
  return !envOr("KUBERNETES_SERVICE_HOST").empty() && !envOr("KUBERNETES_SERVICE_PORT").empty();
}

Config loadConfig(const LoadOptions& options) {
  if (!options.kubeconfig.empty()) {
    std::error_code ec;
    if (!fs::exists(options.kubeconfig, ec)) {
      throw Error(ErrorCode::BadRequest,
                  fmt::format("kubeconfig {}: file does not exist", options.kubeconfig));
    }
    return loadKubeconfig({options.kubeconfig}, options);
  }
  std::string env = envOr("KUBECONFIG");
  if (!env.empty()) {
    return loadKubeconfig(splitKubeconfigPath(env), options);
  }
  if (runningInCluster()) {
    Config config = inClusterConfig();
    if (!options.ns.empty()) {
      config.ns = options.ns;
    }
    return config;
  }
  return loadKubeconfig({homeKubeconfig()}, options);
}

std::string describe(const Config& config) {
  std::string auth = "anonymous";
  if (config.user.exec) {
    auth = "exec:" + config.user.exec->command;
  } else if (!config.user.tokenFile.empty()) {
    auth = "tokenFile:" + config.user.tokenFile;
  } else if (!config.user.token.empty()) {
    auth = "token";
  } else if (!config.user.clientCertificateData.empty()) {
    auth = "client-certificate";
  }
  return fmt::format("server={} context={} user={} auth={} namespace={} source={}", config.server,
                     config.context, config.user.name, auth, config.ns, config.source);
}

}  // namespace wax::kube
