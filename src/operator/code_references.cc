#include "operator/code_references.h"

namespace wax::operator_ {

void CodeReferences::set(const std::string& dataflow, const std::string& code) {
  std::lock_guard lock(mutex_);
  auto [entry, inserted] = codeOf_.try_emplace(dataflow, code);
  if (!inserted) {
    if (entry->second == code) {
      return;
    }
    if (auto old = referrers_.find(entry->second); old != referrers_.end()) {
      old->second.erase(dataflow);
      if (old->second.empty()) {
        referrers_.erase(old);
      }
    }
    entry->second = code;
  }
  referrers_[code].insert(dataflow);
}

void CodeReferences::remove(const std::string& dataflow) {
  std::lock_guard lock(mutex_);
  auto entry = codeOf_.find(dataflow);
  if (entry == codeOf_.end()) {
    return;
  }
  if (auto users = referrers_.find(entry->second); users != referrers_.end()) {
    users->second.erase(dataflow);
    if (users->second.empty()) {
      referrers_.erase(users);
    }
  }
  codeOf_.erase(entry);
}

std::vector<std::string> CodeReferences::referrers(const std::string& code) const {
  std::lock_guard lock(mutex_);
  auto users = referrers_.find(code);
  if (users == referrers_.end()) {
    return {};
  }
  return {users->second.begin(), users->second.end()};
}

}  // namespace wax::operator_
