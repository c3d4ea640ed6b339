#include "operator/code_references.h"

#include <gtest/gtest.h>

namespace wax::operator_ {
namespace {

using Keys = std::vector<std::string>;

TEST(CodeReferencesTest, FindsEveryDataflowOfACodeObject) {
  CodeReferences references;
  references.set("ns/b", "ns/shared");
  references.set("ns/a", "ns/shared");
  references.set("ns/c", "ns/c");
  EXPECT_EQ(references.referrers("ns/shared"), (Keys{"ns/a", "ns/b"}));
  EXPECT_EQ(references.referrers("ns/c"), (Keys{"ns/c"}));
  EXPECT_EQ(references.referrers("other/shared"), Keys{});
}

TEST(CodeReferencesTest, AChangedReferenceLeavesTheOldCodeObject) {
  CodeReferences references;
  references.set("ns/a", "ns/old");
  references.set("ns/a", "ns/new");
  EXPECT_EQ(references.referrers("ns/old"), Keys{});
  EXPECT_EQ(references.referrers("ns/new"), (Keys{"ns/a"}));
}

TEST(CodeReferencesTest, ARemovedDataflowIsNoReferrer) {
  CodeReferences references;
  references.set("ns/a", "ns/shared");
  references.set("ns/b", "ns/shared");
  references.remove("ns/a");
  references.remove("ns/never-seen");
  EXPECT_EQ(references.referrers("ns/shared"), (Keys{"ns/b"}));
}

}  // namespace
}  // namespace wax::operator_
