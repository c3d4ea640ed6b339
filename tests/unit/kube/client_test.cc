// The client against a scripted HTTP server (cpp-httplib on loopback, plain HTTP): retries,
// error mapping, pagination, watch streaming and stop, re-authentication, log follow.
#include "kube/client.h"

#include <httplib.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/error.h"
#include "kube/informer.h"
#include "temp_dir.h"

namespace wax::kube {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json status(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
          {"code", code},     {"reason", reason},   {"message", message}};
}

json configMap(const std::string& name, const std::string& version) {
  return {{"metadata", {{"name", name}, {"namespace", "ns"}, {"resourceVersion", version}}}};
}

class FakeApiServer : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // A stop() before the listener runs would be missed, and TearDown() would wait forever
    // for a test that sent nothing.
    while (!server_.is_running()) {
      std::this_thread::sleep_for(1ms);
    }
  }
  void TearDown() override {
    done_ = true;
    server_.stop();
    thread_.join();
  }

  Client client(ClientOptions options = {}, AuthInfo user = {.name = "u", .token = "tok"}) {
    Config config;
    config.server = "http://127.0.0.1:" + std::to_string(port_);
    config.ns = "ns";
    config.user = std::move(user);
    options.retry.baseDelay = 1ms;
    options.rateLimit.qps = 0;
    return Client(config, options);
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> done_{false};
  std::atomic<int> requests_{0};
};

TEST_F(FakeApiServer, GetSendsTheBearerToken) {
  server_.Get("/api/v1/namespaces/ns/configmaps/a", [](const auto& req, auto& res) {
    EXPECT_EQ(req.get_header_value("Authorization"), "Bearer tok");
    res.set_content(configMap("a", "1").dump(), "application/json");
  });
  EXPECT_EQ(client().get(resources::kConfigMaps, "ns", "a")["metadata"]["name"], "a");
}

TEST_F(FakeApiServer, ImpersonationIsSentAsHeaders) {
  server_.Get("/api/v1/namespaces/ns/configmaps/a", [](const auto& req, auto& res) {
    EXPECT_EQ(req.get_header_value("Impersonate-User"), "alice");
    EXPECT_EQ(req.get_header_value_count("Impersonate-Group"), 2u);
    EXPECT_EQ(req.get_header_value("Impersonate-Group", 1), "wax-users");
    res.set_content(configMap("a", "1").dump(), "application/json");
  });
  AuthInfo user{.name = "u", .token = "tok"};
  user.impersonateUser = "alice";
  user.impersonateGroups = {"wax-admins", "wax-users"};
  EXPECT_EQ(client({}, user).get(resources::kConfigMaps, "ns", "a")["metadata"]["name"], "a");
}

TEST_F(FakeApiServer, ANameThatWouldAddHeadersIsRefused) {
  AuthInfo user{.name = "u", .token = "tok"};
  user.impersonateUser = "alice\r\nImpersonate-Group: system:masters";
  EXPECT_THROW(client({}, user), Error);
  user.impersonateUser = "alice";
  user.impersonateGroups = {"ok", "bad\ngroup"};
  EXPECT_THROW(client({}, user), Error);
}

TEST_F(FakeApiServer, TooManyRequestsIsRetriedAfterRetryAfter) {
  server_.Post("/api/v1/namespaces/ns/configmaps", [this](const auto&, auto& res) {
    if (++requests_ < 3) {
      res.status = 429;
      res.set_header("Retry-After", "0");
      res.set_content(status(429, "TooManyRequests", "slow down").dump(), "application/json");
      return;
    }
    res.status = 201;
    res.set_content(configMap("a", "1").dump(), "application/json");
  });
  // A 429 is refused before any work, so even a create is retried.
  EXPECT_EQ(client().create(resources::kConfigMaps, configMap("a", ""))["metadata"]["name"], "a");
  EXPECT_EQ(requests_, 3);
}

TEST_F(FakeApiServer, ServerErrorsAreRetriedOnlyForIdempotentVerbs) {
  auto fail = [this](const auto&, auto& res) {
    ++requests_;
    res.status = 503;
    res.set_content(status(503, "ServiceUnavailable", "etcd down").dump(), "application/json");
  };
  server_.Get("/api/v1/namespaces/ns/configmaps/a", fail);
  server_.Post("/api/v1/namespaces/ns/configmaps", fail);
  Client c = client();
  try {
    c.get(resources::kConfigMaps, "ns", "a");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unavailable);
    EXPECT_NE(std::string(e.what()).find("etcd down"), std::string::npos);
  }
  EXPECT_EQ(requests_, 5);  // maxAttempts
  requests_ = 0;
  EXPECT_THROW(c.create(resources::kConfigMaps, configMap("a", "")), Error);
  EXPECT_EQ(requests_, 1);
}

TEST_F(FakeApiServer, ConflictAndAlreadyExistsAreTold) {
  server_.Put("/api/v1/namespaces/ns/configmaps/a", [](const auto&, auto& res) {
    res.status = 409;
    res.set_content(status(409, "Conflict", "the object has been modified").dump(),
                    "application/json");
  });
  server_.Post("/api/v1/namespaces/ns/configmaps", [](const auto&, auto& res) {
    res.status = 409;
    res.set_content(status(409, "AlreadyExists", "configmaps \"a\" already exists").dump(),
                    "application/json");
  });
  Client c = client();
  try {
    c.update(resources::kConfigMaps, configMap("a", "3"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Conflict);
    EXPECT_EQ(std::string(e.what()).find("tok"), std::string::npos);
  }
  try {
    c.create(resources::kConfigMaps, configMap("a", ""));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::AlreadyExists);
  }
}

TEST_F(FakeApiServer, ListFollowsContinueAndRestartsWhenItExpires) {
  std::atomic<bool> expireOnce{true};
  server_.Get("/api/v1/namespaces/ns/configmaps", [&](const httplib::Request& req, auto& res) {
    ++requests_;
    EXPECT_EQ(req.get_param_value("labelSelector"), "app=x");
    std::string token = req.get_param_value("continue");
    json page = {{"metadata", {{"resourceVersion", "100"}}}, {"items", json::array()}};
    if (token.empty()) {
      page["items"].push_back(configMap("a", "1"));
      page["metadata"]["continue"] = "t1";
    } else if (token == "t1" && expireOnce.exchange(false)) {
      res.status = 410;
      res.set_content(status(410, "Expired", "continue token expired").dump(), "application/json");
      return;
    } else {
      page["items"].push_back(configMap("b", "2"));
    }
    res.set_content(page.dump(), "application/json");
  });
  ListResult result =
      client().list(resources::kConfigMaps, "ns", {.labelSelector = "app=x", .limit = 1});
  ASSERT_EQ(result.items.size(), 2u);
  EXPECT_EQ(result.items[1]["metadata"]["name"], "b");
  EXPECT_EQ(result.items[0]["kind"], "ConfigMap");
  EXPECT_EQ(result.resourceVersion, "100");
  EXPECT_EQ(requests_, 4);  // page 1, expired page 2, page 1 again, page 2
}

TEST_F(FakeApiServer, UnauthorizedRereadsTheTokenFileOnce) {
  testing::TempDir dir;
  std::string path = dir.write("token", "old");
  server_.Get("/api/v1/namespaces/ns/configmaps/a", [&](const auto& req, auto& res) {
    ++requests_;
    if (req.get_header_value("Authorization") != "Bearer new") {
      res.status = 401;
      res.set_content(status(401, "Unauthorized", "Unauthorized").dump(), "application/json");
      return;
    }
    res.set_content(configMap("a", "1").dump(), "application/json");
  });
  Client c = client({}, AuthInfo{.name = "sa", .tokenFile = path});
  EXPECT_THROW(c.get(resources::kConfigMaps, "ns", "a"), Error);  // "old" twice: 401
  dir.write("token", "new");                                      // the kubelet rotated it
  EXPECT_EQ(c.get(resources::kConfigMaps, "ns", "a")["metadata"]["name"], "a");
}

// Streams `lines`, then holds the connection open until the test ends.
void streamThenHold(httplib::Response& res, std::vector<std::string> lines,
                    std::atomic<bool>& done) {
  res.set_chunked_content_provider(
      "application/json", [lines, &done, sent = false](size_t, httplib::DataSink& sink) mutable {
        if (!sent) {
          for (const auto& line : lines) {
            sink.write(line.data(), line.size());
          }
          sent = true;
        }
        while (!done && sink.is_writable()) {
          std::this_thread::sleep_for(20ms);
        }
        sink.done();
        return true;
      });
}

TEST_F(FakeApiServer, WatchDeliversEventsAndStopWakesPromptly) {
  server_.Get("/api/v1/namespaces/ns/configmaps", [this](const httplib::Request& req, auto& res) {
    EXPECT_EQ(req.get_param_value("watch"), "1");
    EXPECT_EQ(req.get_param_value("resourceVersion"), "7");
    EXPECT_EQ(req.get_param_value("allowWatchBookmarks"), "true");
    json added = {{"type", "ADDED"}, {"object", configMap("a", "8")}};
    json bookmark = {{"type", "BOOKMARK"}, {"object", {{"metadata", {{"resourceVersion", "9"}}}}}};
    // Split mid-line: the reader must join chunks.
    std::string first = added.dump() + "\n" + bookmark.dump().substr(0, 10);
    std::string second = bookmark.dump().substr(10) + "\n";
    streamThenHold(res, {first, second}, done_);
  });
  WatchPtr watch = client().watch(resources::kConfigMaps, "ns", {.resourceVersion = "7"});
  auto first = watch->next(5s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->type, WatchEventType::Added);
  auto second = watch->next(5s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->type, WatchEventType::Bookmark);

  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    watch->stop();
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(watch->next(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(watch->ended());
  stopper.join();
}

TEST_F(FakeApiServer, WatchRefusedWithGone) {
  server_.Get("/api/v1/namespaces/ns/configmaps", [](const auto&, auto& res) {
    res.status = 410;
    res.set_content(status(410, "Expired", "too old resource version").dump(), "application/json");
  });
  try {
    client().watch(resources::kConfigMaps, "ns", {.resourceVersion = "1"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Gone);
  }
}

TEST_F(FakeApiServer, InformerRelistsOnGoneAndSynthesizesDeletes) {
  std::atomic<int> lists{0};
  server_.Get("/api/v1/namespaces/ns/configmaps", [&](const httplib::Request& req, auto& res) {
    if (req.get_param_value("watch") != "1") {
      json list = {{"metadata", {{"resourceVersion", "10"}}}, {"items", json::array()}};
      // The first list has a and b; by the relist b is gone.
      list["items"].push_back(configMap("a", lists == 0 ? "1" : "5"));
      if (lists == 0) {
        list["items"].push_back(configMap("b", "2"));
      }
      ++lists;
      res.set_content(list.dump(), "application/json");
      return;
    }
    if (lists == 1) {
      json gone = {{"type", "ERROR"}, {"object", status(410, "Expired", "too old")}};
      streamThenHold(res, {gone.dump() + "\n"}, done_);
      return;
    }
    streamThenHold(res, {}, done_);
  });
  Client c = client();
  std::mutex mutex;
  std::vector<std::string> seen;
  auto record = [&](const std::string& what, const json& object) {
    std::lock_guard lock(mutex);
    seen.push_back(what + ":" + object["metadata"]["name"].get<std::string>());
  };
  Informer informer(c, {.resource = resources::kConfigMaps, .namespaces = {"ns"}},
                    {.onAdd = [&](const json& o) { record("add", o); },
                     .onUpdate = [&](const json&, const json& o) { record("update", o); },
                     .onDelete = [&](const json& o) { record("delete", o); }});
  informer.start();
  ASSERT_TRUE(informer.waitForSync(5s));
  for (int i = 0; i < 200 && informer.stats().lists < 2; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  informer.stop();
  EXPECT_EQ(informer.stats().gone, 1);
  EXPECT_EQ(informer.size(), 1u);
  EXPECT_EQ(informer.get("ns", "a")->at("metadata").at("resourceVersion"), "5");
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen, (std::vector<std::string>{"add:a", "add:b", "update:a", "delete:b"}));
}

TEST_F(FakeApiServer, FollowLogsStopsWhenTheCallbackSaysSo) {
  server_.Get("/api/v1/namespaces/ns/pods/p/log", [this](const httplib::Request& req, auto& res) {
    EXPECT_EQ(req.get_param_value("follow"), "true");
    EXPECT_EQ(req.get_param_value("container"), "main");
    EXPECT_EQ(req.get_param_value("tailLines"), "10");
    streamThenHold(res, {"line 1\n", "line 2\n"}, done_);
  });
  std::string received;
  client().followLogs("ns", "p", {.container = "main", .tailLines = 10},
                      [&](std::string_view chunk) {
                        received += chunk;
                        return received.find("line 2") == std::string::npos;
                      });
  EXPECT_EQ(received, "line 1\nline 2\n");
}

TEST_F(FakeApiServer, FollowLogsStopsOnStopToken) {
  server_.Get("/api/v1/namespaces/ns/pods/p/log",
              [this](const auto&, auto& res) { streamThenHold(res, {}, done_); });
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    stop.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  client().followLogs(
      "ns", "p", {}, [](std::string_view) { return true; }, stop.get_token());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  stopper.join();
}

TEST_F(FakeApiServer, ConnectionRefusedIsUnavailable) {
  Config config;
  config.server = "http://127.0.0.1:1";
  ClientOptions options;
  options.retry.baseDelay = 1ms;
  Client c(config, options);
  try {
    c.get(resources::kConfigMaps, "ns", "a");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unavailable);
  }
}

}  // namespace
}  // namespace wax::kube
