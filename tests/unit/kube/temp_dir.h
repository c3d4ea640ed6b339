#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

// A directory that lives as long as the test, for kubeconfigs, tokens and plugin scripts.
namespace wax::kube::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "wax-kube-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

  std::string write(const std::string& name, const std::string& content, bool executable = false) {
    std::filesystem::path target = path_ / name;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream(target) << content;
    if (executable) {
      std::filesystem::permissions(target, std::filesystem::perms::owner_all);
    }
    return target.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace wax::kube::testing
