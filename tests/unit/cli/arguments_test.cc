#include "cli/arguments.h"

#include <vector>

#include <gtest/gtest.h>

#include "cli/context.h"

namespace wax::cli {
namespace {

using std::chrono::seconds;

TEST(CheckObjectNameTest, AcceptsLabelsAndRejectsTheRestNamingTheArgument) {
  EXPECT_NO_THROW(checkObjectName("NAME", "my-flow-2"));
  for (const std::string& bad :
       std::vector<std::string>{"", "My-Flow", "-a", "a-", "a_b", std::string(64, 'a')}) {
    try {
      checkObjectName("-n/--namespace", bad);
      FAIL() << "accepted \"" << bad << "\"";
    } catch (const UsageError& error) {
      EXPECT_EQ(std::string(error.what()).rfind("-n/--namespace \"" + bad + "\": use lowercase", 0),
                0)
          << error.what();
    }
  }
}

TEST(ParseTimeoutTest, ReadsUnitsAndRejectsGarbageAndAbsurdValues) {
  EXPECT_EQ(parseTimeout("--timeout", "90"), seconds(90));
  EXPECT_EQ(parseTimeout("--timeout", "5m"), seconds(300));
  EXPECT_EQ(parseTimeout("--timeout", "2h"), seconds(7200));
  EXPECT_EQ(parseTimeout("--timeout", "8760h"), kMaxTimeout);
  EXPECT_EQ(parseTimeout("--timeout", "0000000000000000000001s"), seconds(1));
  for (const std::string bad :
       {"", "1d", "-1s", "abc", "99999999999999999999", "10000000000s", "8761h", "999999999m"}) {
    EXPECT_THROW(parseTimeout("--timeout", bad), UsageError) << bad;
  }
}

TEST(CheckConditionTypeTest, AcceptsOnlyTheDataflowConditionsExactly) {
  for (const char* type : kConditionTypes) {
    EXPECT_NO_THROW(checkConditionType(type));
  }
  try {
    checkConditionType("ready");
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("condition=Progressing"), std::string::npos);
  }
}

TEST(RedactUrlTest, DropsUserInfoOnly) {
  EXPECT_EQ(redactUrl("https://user:secret@example.com:8443/x@y"), "https://example.com:8443/x@y");
  EXPECT_EQ(redactUrl("user:secret@example.com"), "example.com");
  EXPECT_EQ(redactUrl("http://127.0.0.1:8080/api"), "http://127.0.0.1:8080/api");
  EXPECT_EQ(redactUrl("http://host/path?to=a@b"), "http://host/path?to=a@b");
}

}  // namespace
}  // namespace wax::cli
