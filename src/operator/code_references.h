#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

// Which dataflows run the code of which code object ("namespace/name" keys on both sides), kept
// from the dataflows' watch, so that a changed code object finds the dataflows to reconcile
// without listing every dataflow of its namespace: a deploy of N dataflows would otherwise cost
// N lists of up to N objects.
namespace wax::operator_ {

class CodeReferences {
 public:
  // The dataflow `dataflow` now runs the code in `code`; it no longer runs what it ran before.
  void set(const std::string& dataflow, const std::string& code);
  void remove(const std::string& dataflow);
  // The dataflows that run `code`, sorted.
  std::vector<std::string> referrers(const std::string& code) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> codeOf_;               // guarded by mutex_
  std::map<std::string, std::set<std::string>> referrers_;  // guarded by mutex_
};

}  // namespace wax::operator_
