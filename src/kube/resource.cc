#include "kube/resource.h"

#include <fmt/format.h>

namespace wax::kube {

std::string Resource::apiVersion() const {
  return group.empty() ? version : group + "/" + version;
}

std::string Resource::collectionPath(std::string_view ns) const {
  std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) {
    path += fmt::format("/namespaces/{}", urlEncode(ns));
  }
  return path + "/" + plural;
}

std::string Resource::objectPath(std::string_view ns, std::string_view name,
                                 std::string_view subresource) const {
  std::string path = collectionPath(ns) + "/" + urlEncode(name);
  if (!subresource.empty()) {
    path += "/";
    path += subresource;
  }
  return path;
}

}  // namespace wax::kube
