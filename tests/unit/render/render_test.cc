#include "render/render.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "common/error.h"
#include "render_test_util.h"

namespace wax::render {
namespace {

using namespace testing;

TEST(RenderTest, DefaultDataflowIsServicesThenStatefulSet) {
  const auto objects = render(dataflow("flow", 3));
  EXPECT_EQ(kinds(objects), (std::vector<std::string>{"Service", "Service", "StatefulSet"}));

  const json spec = find(objects, "StatefulSet", "flow")["spec"];
  EXPECT_EQ(spec["podManagementPolicy"], "Parallel");
  EXPECT_EQ(spec["serviceName"], "flow");
  EXPECT_EQ(spec["replicas"], 3);
  EXPECT_EQ(spec["selector"]["matchLabels"], json(selectorLabels("flow")));
  EXPECT_EQ(spec["template"]["spec"]["terminationGracePeriodSeconds"], 10);
  EXPECT_FALSE(spec["template"]["spec"].contains("restartPolicy"));
  EXPECT_FALSE(spec.contains("volumeClaimTemplates"));
}

TEST(RenderTest, SuspendScalesTheStatefulSetToZero) {
  auto flow = dataflow("flow", 3);
  flow.spec.suspend = true;
  const auto objects = render(flow);
  EXPECT_EQ(find(objects, "StatefulSet")["spec"]["replicas"], 0);
  // The template still describes 3 processes, so resuming needs no template change.
  EXPECT_EQ(envValue(mainContainer(objects), "BYTEWAX_REPLICAS"), "3");
}

TEST(RenderTest, JobModeRendersAnIndexedJob) {
  auto flow = dataflow("batch", 4);
  flow.spec.jobMode = true;
  flow.spec.keepAlive = true;
  flow.spec.suspend = true;
  const auto objects = render(flow);
  EXPECT_EQ(kinds(objects), (std::vector<std::string>{"Service", "Service", "Job"}));

  const json spec = find(objects, "Job", "batch")["spec"];
  EXPECT_EQ(spec["completionMode"], "Indexed");
  EXPECT_EQ(spec["completions"], 4);
  EXPECT_EQ(spec["parallelism"], 4);
  EXPECT_EQ(spec["suspend"], true);
  EXPECT_FALSE(spec.contains("selector"));
  EXPECT_EQ(spec["template"]["spec"]["restartPolicy"], "Never");
  EXPECT_EQ(spec["template"]["spec"]["subdomain"], "batch");

  const json process = mainContainer(objects);
  EXPECT_EQ(envValue(process, "BYTEWAX_KEEP_CONTAINER_ALIVE"), "false");
  EXPECT_EQ(envVar(process, "BYTEWAX_POD_NAME")["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.annotations['batch.kubernetes.io/job-completion-index']");
}

TEST(RenderTest, KeepAliveReachesTheStatefulSetContainer) {
  auto flow = dataflow();
  flow.spec.keepAlive = true;
  EXPECT_EQ(envValue(mainContainer(render(flow)), "BYTEWAX_KEEP_CONTAINER_ALIVE"), "true");
}

TEST(RenderTest, ScheduleRendersACronJobOfIndexedJobs) {
  auto flow = dataflow("nightly", 2);
  flow.spec.schedule = "30 2 * * 7";
  flow.spec.suspend = true;
  const auto objects = render(flow);
  EXPECT_EQ(kinds(objects), (std::vector<std::string>{"Service", "Service", "CronJob"}));

  const json spec = find(objects, "CronJob", "nightly")["spec"];
  EXPECT_EQ(spec["schedule"], "30 2 * * 0");
  EXPECT_EQ(spec["concurrencyPolicy"], "Forbid");
  EXPECT_EQ(spec["suspend"], true);
  const json job = spec["jobTemplate"]["spec"];
  EXPECT_EQ(job["completionMode"], "Indexed");
  EXPECT_EQ(job["completions"], 2);
  EXPECT_EQ(job["parallelism"], 2);
  // Suspending stops future runs; a run itself is never created suspended.
  EXPECT_FALSE(job.contains("suspend"));
  EXPECT_EQ(job["template"]["spec"]["restartPolicy"], "Never");
  EXPECT_EQ(job["template"]["spec"]["subdomain"], "nightly");
  EXPECT_EQ(spec["jobTemplate"]["metadata"]["labels"], json(commonLabels("nightly")));
}

TEST(RenderTest, CronJobTakesTheConcurrencyPolicyFromTheSpec) {
  auto flow = dataflow();
  flow.spec.schedule = "*/5 * * * *";
  flow.spec.concurrencyPolicy = "Replace";
  const json spec = find(render(flow), "CronJob")["spec"];
  EXPECT_EQ(spec["concurrencyPolicy"], "Replace");
  EXPECT_EQ(spec["schedule"], "*/5 * * * *");
}

TEST(RenderTest, ScheduleWinsOverJobMode) {
  auto flow = dataflow();
  flow.spec.schedule = "@daily";
  flow.spec.jobMode = true;
  EXPECT_EQ(workloadKind(flow), "CronJob");
  flow.spec.schedule = "";
  EXPECT_EQ(workloadKind(flow), "Job");
  flow.spec.jobMode = false;
  EXPECT_EQ(workloadKind(flow), "StatefulSet");
}

TEST(RenderTest, HeadlessServicePublishesEveryProcessBeforeReadiness) {
  const json spec = find(render(dataflow("flow", 2)), "Service", "flow")["spec"];
  EXPECT_EQ(spec["clusterIP"], "None");
  EXPECT_EQ(spec["publishNotReadyAddresses"], true);
  EXPECT_EQ(spec["selector"], json(selectorLabels("flow")));
  EXPECT_EQ(spec["ports"], json::parse(R"([{"name": "process", "port": 9999}])"));
}

TEST(RenderTest, ApiServiceTargetsTheContainerApiPort) {
  const json spec = find(render(dataflow()), "Service", "flow-api")["spec"];
  EXPECT_FALSE(spec.contains("clusterIP"));
  EXPECT_EQ(spec["selector"], json(selectorLabels("flow")));
  EXPECT_EQ(spec["ports"], json::parse(R"([{"name": "api", "port": 3030, "targetPort": 3030}])"));
}

std::vector<core::Dataflow> everyShape() {
  std::vector<core::Dataflow> flows;
  flows.push_back(dataflow("plain", 2));
  auto single = dataflow("single", 2);
  enableRecovery(single, 3, true);
  flows.push_back(single);
  auto perPod = dataflow("per-pod", 2);
  enableRecovery(perPod, 3, false);
  flows.push_back(perPod);
  auto job = dataflow("job", 2);
  job.spec.jobMode = true;
  enableRecovery(job, 2, false);
  flows.push_back(job);
  auto cron = dataflow("cron", 2);
  cron.spec.schedule = "0 * * * *";
  flows.push_back(cron);
  return flows;
}

TEST(RenderTest, EveryObjectCarriesTheLabelsAndTheOwnerReference) {
  for (const core::Dataflow& flow : everyShape()) {
    const std::string& name = flow.metadata.name;
    const json owner = {
        {"apiVersion", "bytewax.io/v1alpha1"}, {"kind", "Dataflow"}, {"name", name},
        {"uid", *flow.metadata.uid},           {"controller", true}, {"blockOwnerDeletion", true}};
    for (const json& object : render(flow, {.podMonitor = true})) {
      SCOPED_TRACE(name + " " + object["kind"].get<std::string>());
      const json& metadata = object["metadata"];
      EXPECT_EQ(metadata["namespace"], "team");
      EXPECT_EQ(metadata["ownerReferences"], json::array({owner}));
      EXPECT_EQ(metadata["labels"]["app.kubernetes.io/name"], "bytewax");
      EXPECT_EQ(metadata["labels"]["app.kubernetes.io/instance"], name);
      EXPECT_EQ(metadata["labels"]["app.kubernetes.io/managed-by"], "wax");
      EXPECT_EQ(metadata["labels"]["app.kubernetes.io/component"], "dataflow");
      EXPECT_EQ(metadata["labels"]["bytewax.io/dataflow"], name);
    }
  }
}

TEST(RenderTest, PodTemplateLabelsIncludeTheSelectorAndDataflowInfo) {
  for (const core::Dataflow& flow : everyShape()) {
    const std::string& name = flow.metadata.name;
    const json labels = podTemplateOf(render(flow))["metadata"]["labels"];
    EXPECT_EQ(labels["bytewax.io/dataflow-info"], name);
    EXPECT_EQ(labels["bytewax.io/dataflow"], name);
    EXPECT_EQ(labels["app.kubernetes.io/managed-by"], "wax");
    EXPECT_EQ(labels["app.kubernetes.io/component"], "dataflow");
    for (const auto& [key, value] : selectorLabels(name)) {
      EXPECT_EQ(labels[key], value) << key;
    }
  }
}

TEST(RenderTest, PodsRunAsNonRootWithAReadOnlyRootFileSystem) {
  auto flow = dataflow();
  enableRecovery(flow, 1, false);
  flow.spec.dependencies = std::vector<std::string>{"requests"};
  flow.spec.artifactsDownload = core::ArtifactsDownload{.url = "https://example.com/a.tar"};
  const json pod = podTemplateOf(render(flow));
  EXPECT_EQ(pod["spec"]["securityContext"],
            json::parse(R"({"runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 3000,
                            "fsGroup": 2000})"));
  const json expected = json::parse(R"({"allowPrivilegeEscalation": false,
      "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true,
      "seccompProfile": {"type": "RuntimeDefault"}})");
  size_t containers = 0;
  for (const char* list : {"initContainers", "containers"}) {
    for (const json& item : pod["spec"][list]) {
      EXPECT_EQ(item["securityContext"], expected) << item["name"];
      ++containers;
    }
  }
  EXPECT_EQ(containers, 5u);
}

// With a read-only root, every place a step writes must be a mounted volume.
TEST(RenderTest, EveryWrittenPathIsAMountedVolume) {
  auto flow = dataflow();
  enableRecovery(flow, 1, false);
  flow.spec.dependencies = std::vector<std::string>{"requests"};
  flow.spec.artifactsDownload = core::ArtifactsDownload{.url = "https://example.com/a.tar"};
  const auto objects = render(flow);
  const json pod = podTemplateOf(objects);

  std::set<std::string> volumes = {"recovery"};  // from the claim template
  for (const json& volume : pod["spec"]["volumes"]) {
    volumes.insert(volume["name"].get<std::string>());
  }
  auto mounts = [&](const std::string& name) {
    std::set<std::string> paths;
    const json found = container(pod, name);
    for (const json& item : found["volumeMounts"]) {
      EXPECT_TRUE(volumes.contains(item["name"].get<std::string>())) << item;
      paths.insert(item["mountPath"].get<std::string>());
    }
    return paths;
  };
  auto has = [](const std::set<std::string>& paths, std::initializer_list<const char*> wanted) {
    for (const char* path : wanted) {
      EXPECT_TRUE(paths.contains(path)) << path;
    }
  };
  has(mounts("init-hostfile"), {"/etc/bytewax", "/var/bytewax", "/tmp", "/tmp/bytewax"});
  has(mounts("init-artifacts"), {"/var/bytewax", "/tmp"});
  has(mounts("init-dependencies"), {"/var/bytewax", "/tmp"});
  has(mounts("init-recovery"), {"/var/recovery", "/tmp"});
  has(mounts("process"),
      {"/etc/bytewax", "/var/bytewax", "/tmp", "/var/bytewax-api-cache", "/var/recovery"});
  for (const char* dir : {"hostfile", "working-directory", "api-cache", "tmp"}) {
    bool isEmptyDir = false;
    for (const json& volume : pod["spec"]["volumes"]) {
      isEmptyDir = isEmptyDir || (volume["name"] == dir && volume.contains("emptyDir"));
    }
    EXPECT_TRUE(isEmptyDir) << dir;
  }
}

TEST(RenderTest, InitStepsRunInOrderInTheDataflowImage) {
  auto flow = dataflow();
  flow.spec.image->repository = "registry.example.com/flows";
  flow.spec.image->pullPolicy = "IfNotPresent";
  enableRecovery(flow, 1, false);
  flow.spec.dependencies = std::vector<std::string>{"requests"};
  flow.spec.artifactsDownload = core::ArtifactsDownload{.url = "https://example.com/a.tar"};
  const json pod = podTemplateOf(render(flow));
  std::vector<std::string> names;
  for (const json& item : pod["spec"]["initContainers"]) {
    names.push_back(item["name"]);
    EXPECT_EQ(item["image"], "registry.example.com/flows:0.21.1");
    EXPECT_EQ(item["imagePullPolicy"], "IfNotPresent");
    EXPECT_EQ(item["command"][0], "/venv/bin/python");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"init-hostfile", "init-artifacts", "init-dependencies",
                                             "init-recovery"}));
}

TEST(RenderTest, OnlyTheHostfileStepRunsWithoutOptions) {
  const json pod = podTemplateOf(render(dataflow()));
  ASSERT_EQ(pod["spec"]["initContainers"].size(), 1u);
  EXPECT_EQ(pod["spec"]["initContainers"][0]["name"], "init-hostfile");
}

TEST(RenderTest, ImageDefaultsToTheBytewaxRepositoryAndThePullSecret) {
  const auto objects = render(dataflow(), {.defaultRepository = "mirror.example.com/bytewax"});
  const json pod = podTemplateOf(objects);
  EXPECT_EQ(mainContainer(objects)["image"], "mirror.example.com/bytewax:0.21.1");
  EXPECT_EQ(mainContainer(objects)["imagePullPolicy"], "Always");
  EXPECT_EQ(pod["spec"]["imagePullSecrets"], json::parse(R"([{"name": "default-credentials"}])"));
  EXPECT_EQ(mainContainer(render(dataflow()))["image"], "bytewax/bytewax:0.21.1");
}

TEST(RenderTest, AnEmptyPullSecretMeansNone) {
  auto flow = dataflow();
  flow.spec.image->pullSecret = "";
  EXPECT_FALSE(podTemplateOf(render(flow))["spec"].contains("imagePullSecrets"));
}

TEST(RenderTest, MainContainerHasTheChartEnvironmentExactly) {
  auto flow = dataflow("flow", 3);
  flow.spec.workersPerProcess = 2;
  flow.spec.pythonFileName = "pkg/flow.py";
  const json process = mainContainer(render(flow));
  const json expected = json::parse(R"([
    {"name": "RUST_LOG", "value": "librdkafka=debug,rdkafka::client=debug"},
    {"name": "RUST_BACKTRACE", "value": "full"},
    {"name": "PYTHONUNBUFFERED", "value": "1"},
    {"name": "BYTEWAX_PYTHON_FILE_PATH", "value": "/var/bytewax/pkg/flow.py"},
    {"name": "BYTEWAX_WORKDIR", "value": "/var/bytewax"},
    {"name": "BYTEWAX_WORKERS_PER_PROCESS", "value": "2"},
    {"name": "BYTEWAX_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    {"name": "BYTEWAX_REPLICAS", "value": "3"},
    {"name": "BYTEWAX_KEEP_CONTAINER_ALIVE", "value": "false"},
    {"name": "BYTEWAX_HOSTFILE_PATH", "value": "/etc/bytewax/hostfile.txt"},
    {"name": "BYTEWAX_STATEFULSET_NAME", "value": "flow"},
    {"name": "BYTEWAX_DATAFLOW_API_ENABLED", "value": "true"},
    {"name": "BYTEWAX_DATAFLOW_API_PORT", "value": "3030"},
    {"name": "BYTEWAX_DATAFLOW_API_CACHE_PATH", "value": "/var/bytewax-api-cache"}
  ])");
  EXPECT_EQ(process["env"], expected);
}

TEST(RenderTest, RecoveryAddsItsVariables) {
  auto flow = dataflow();
  enableRecovery(flow, 4, false);
  const auto objects = render(flow);
  const json process = mainContainer(objects);
  EXPECT_EQ(envValue(process, "BYTEWAX_RECOVERY_DIRECTORY"), "/var/recovery");
  EXPECT_EQ(envValue(process, "BYTEWAX_SNAPSHOT_INTERVAL"), "30");
  EXPECT_EQ(envValue(process, "BYTEWAX_RECOVERY_BACKUP_INTERVAL"), "60");
  const std::vector<std::string> names = envNames(process);
  EXPECT_EQ(std::vector<std::string>(names.end() - 3, names.end()),
            (std::vector<std::string>{"BYTEWAX_RECOVERY_DIRECTORY", "BYTEWAX_SNAPSHOT_INTERVAL",
                                      "BYTEWAX_RECOVERY_BACKUP_INTERVAL"}));

  const json init = container(podTemplateOf(objects), "init-recovery");
  EXPECT_EQ(envValue(init, "BYTEWAX_RECOVERY_PARTS"), "4");
  EXPECT_EQ(envValue(init, "BYTEWAX_RECOVERY_DIRECTORY"), "/var/recovery");
  EXPECT_EQ(envValue(init, "BYTEWAX_SNAPSHOT_INTERVAL"), "30");
  EXPECT_EQ(envValue(init, "BYTEWAX_RECOVERY_BACKUP_INTERVAL"), "60");
  EXPECT_EQ(envValue(init, "BYTEWAX_REPLICAS"), "1");
  EXPECT_EQ(envValue(init, "BYTEWAX_STATEFULSET_NAME"), "flow");
  EXPECT_EQ(envVar(init, "BYTEWAX_POD_NAME"), envVar(process, "BYTEWAX_POD_NAME"));
}

TEST(RenderTest, DisabledRecoveryRendersNoRecovery) {
  auto flow = dataflow();
  enableRecovery(flow, 4, false);
  flow.spec.recovery->enabled = false;
  const auto objects = render(flow);
  EXPECT_TRUE(envVar(mainContainer(objects), "BYTEWAX_RECOVERY_DIRECTORY").is_null());
  EXPECT_TRUE(container(podTemplateOf(objects), "init-recovery").is_null());
  EXPECT_FALSE(find(objects, "StatefulSet")["spec"].contains("volumeClaimTemplates"));
}

TEST(RenderTest, OtlpUrlSetsBothVariablesOnlyWhenGiven) {
  EXPECT_TRUE(envVar(mainContainer(render(dataflow())), "BYTEWAX_OTLP_URL").is_null());
  EXPECT_TRUE(envVar(mainContainer(render(dataflow())), "OTEL_EXPORTER_OTLP_ENDPOINT").is_null());
  const json process = mainContainer(render(dataflow(), {.otlpUrl = "http://collector:4317"}));
  EXPECT_EQ(envValue(process, "BYTEWAX_OTLP_URL"), "http://collector:4317");
  EXPECT_EQ(envValue(process, "OTEL_EXPORTER_OTLP_ENDPOINT"), "http://collector:4317");
}

TEST(RenderTest, UserEnvComesLastAndWinsOnAClash) {
  auto flow = dataflow();
  flow.spec.env = std::vector<core::EnvVar>{{"RUST_LOG", "info"}, {"KAFKA", "k:9092"}};
  const json process = mainContainer(render(flow));
  const std::vector<std::string> names = envNames(process);
  EXPECT_EQ(std::count(names.begin(), names.end(), "RUST_LOG"), 1);
  EXPECT_EQ(std::vector<std::string>(names.end() - 2, names.end()),
            (std::vector<std::string>{"RUST_LOG", "KAFKA"}));
  EXPECT_EQ(envValue(process, "RUST_LOG"), "info");
  EXPECT_EQ(envValue(process, "KAFKA"), "k:9092");
}

TEST(RenderTest, MainContainerRunsTheImageEntrypoint) {
  const json process = mainContainer(render(dataflow()));
  EXPECT_EQ(process["command"], json::parse(R"(["/bin/sh", "-c", "./entrypoint.sh"])"));
  EXPECT_EQ(process["workingDir"], "/bytewax");
  EXPECT_EQ(process["ports"], json::parse(R"([{"name": "process", "containerPort": 9999},
                                              {"name": "api", "containerPort": 3030}])"));
  EXPECT_EQ(process["readinessProbe"], json::parse(R"({"tcpSocket": {"port": 3030}})"));
  EXPECT_FALSE(process.contains("resources"));
}

TEST(RenderTest, PodsGetNoApiTokenAndNoServiceLinks) {
  const json spec = podTemplateOf(render(dataflow()))["spec"];
  EXPECT_EQ(spec["automountServiceAccountToken"], false);
  EXPECT_EQ(spec["enableServiceLinks"], false);
}

TEST(RenderTest, HostfileStepUsesTheClusterDomain) {
  const auto objects = render(dataflow("flow", 2), {.clusterDomain = "corp.internal"});
  const json init = container(podTemplateOf(objects), "init-hostfile");
  EXPECT_EQ(envValue(init, "WAX_HOST_PREFIX"), "flow");
  EXPECT_EQ(envValue(init, "WAX_HOST_SUFFIX"), "flow.team.svc.corp.internal:9999");
  EXPECT_EQ(envValue(init, "BYTEWAX_REPLICAS"), "2");
  EXPECT_EQ(envValue(init, "BYTEWAX_HOSTFILE_PATH"), "/etc/bytewax/hostfile.txt");
  EXPECT_EQ(envValue(init, "WAX_CODE_DIR"), "/tmp/bytewax");
  EXPECT_TRUE(envVar(init, "WAX_TAR_NAME").is_null());
}

TEST(RenderTest, HostfileLinesNameEveryProcessInOrder) {
  EXPECT_EQ(hostfileLines(dataflow("flow", 3), {.clusterDomain = "corp.internal"}),
            (std::vector<std::string>{"flow-0.flow.team.svc.corp.internal:9999",
                                      "flow-1.flow.team.svc.corp.internal:9999",
                                      "flow-2.flow.team.svc.corp.internal:9999"}));
  EXPECT_EQ(hostfileLines(dataflow("flow", 1), {}),
            (std::vector<std::string>{"flow-0.flow.team.svc.cluster.local:9999"}));
  EXPECT_EQ(podName("flow", 7), "flow-7");
}

TEST(RenderTest, CronJobPodsNameTheirRunInTheHostfile) {
  auto flow = dataflow();
  flow.spec.schedule = "@hourly";
  const json init = container(podTemplateOf(render(flow)), "init-hostfile");
  EXPECT_EQ(envVar(init, "WAX_HOST_PREFIX")["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.labels['job-name']");
}

TEST(RenderTest, CodeComesFromTheNamedConfigMapAndTarball) {
  auto flow = dataflow();
  flow.spec.configMapName = "flow-code";
  flow.spec.tarName = "code.tar.gz";
  const json pod = podTemplateOf(render(flow));
  EXPECT_EQ(envValue(container(pod, "init-hostfile"), "WAX_TAR_NAME"), "code.tar.gz");
  bool found = false;
  for (const json& volume : pod["spec"]["volumes"]) {
    if (volume["name"] == "python-files") {
      EXPECT_EQ(volume["configMap"], json::parse(R"({"name": "flow-code"})"));
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(RenderTest, CodeConfigMapIsOptionalWhenArtifactsAreDownloaded) {
  auto flow = dataflow();
  flow.spec.artifactsDownload = core::ArtifactsDownload{.url = "https://example.com/a.tar"};
  // Named, so that the loop does not walk a temporary that is gone.
  const json pod = podTemplateOf(render(flow));
  for (const json& volume : pod["spec"]["volumes"]) {
    if (volume["name"] == "python-files") {
      EXPECT_EQ(volume["configMap"], json::parse(R"({"name": "flow", "optional": true})"));
    }
  }
}

TEST(RenderTest, ArtifactsTokenSecretIsReferencedNeverInlined) {
  auto flow = dataflow();
  flow.spec.artifactsDownload =
      core::ArtifactsDownload{.url = "https://example.com/a.tar", .secretName = "gh-token"};
  const auto objects = render(flow);
  const json init = container(podTemplateOf(objects), "init-artifacts");
  EXPECT_EQ(envValue(init, "WAX_ARTIFACTS_URL"), "https://example.com/a.tar");
  EXPECT_EQ(envVar(init, "WAX_ARTIFACTS_TOKEN"), json::parse(R"({"name": "WAX_ARTIFACTS_TOKEN",
      "valueFrom": {"secretKeyRef": {"name": "gh-token", "key": "TOKEN"}}})"));
}

TEST(RenderTest, InlineArtifactsTokenIsPassedAsAValue) {
  auto flow = dataflow();
  flow.spec.artifactsDownload =
      core::ArtifactsDownload{.url = "https://example.com/a.tar", .token = "ghp_secret"};
  const json init = container(podTemplateOf(render(flow)), "init-artifacts");
  EXPECT_EQ(envValue(init, "WAX_ARTIFACTS_TOKEN"), "ghp_secret");
  // Never part of a command line, where `ps` and logs would show it.
  EXPECT_EQ(init["command"].dump().find("ghp_secret"), std::string::npos);
}

TEST(RenderTest, DependenciesAreSeparateArgumentsWithoutAShell) {
  auto flow = dataflow();
  flow.spec.dependencies = std::vector<std::string>{"requests==2.32.3", "x; rm -rf / #"};
  const auto objects = render(flow);
  const json init = container(podTemplateOf(objects), "init-dependencies");
  EXPECT_EQ(init["command"], json::parse(R"(["/venv/bin/python", "-m", "pip", "install",
      "--no-cache-dir", "--disable-pip-version-check", "--no-input", "--target",
      "/var/bytewax/.deps", "--", "requests==2.32.3", "x; rm -rf / #"])"));
  EXPECT_FALSE(init.contains("args"));
  EXPECT_EQ(envValue(init, "HOME"), "/tmp");
  EXPECT_EQ(envValue(mainContainer(objects), "PYTHONPATH"), "/var/bytewax/.deps");
  EXPECT_TRUE(envVar(mainContainer(render(dataflow())), "PYTHONPATH").is_null());
}

TEST(RenderTest, RecoveryGetsAVolumePerPodByDefault) {
  auto flow = dataflow("flow", 2);
  enableRecovery(flow, 5, false);
  flow.spec.recovery->persistence->storageClassName = "fast";
  const auto objects = render(flow);
  EXPECT_EQ(kinds(objects), (std::vector<std::string>{"Service", "Service", "StatefulSet"}));

  const json claims = find(objects, "StatefulSet")["spec"]["volumeClaimTemplates"];
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0]["metadata"]["name"], "recovery");
  EXPECT_EQ(claims[0]["spec"], json::parse(R"({"accessModes": ["ReadWriteOnce"],
      "resources": {"requests": {"storage": "10Gi"}}, "storageClassName": "fast"})"));
  const json pod = podTemplateOf(objects);
  for (const json& volume : pod["spec"]["volumes"]) {
    EXPECT_NE(volume["name"], "recovery");
  }
  EXPECT_EQ(envValue(container(podTemplateOf(objects), "init-recovery"), "WAX_RECOVERY_SHARED"),
            "false");
}

TEST(RenderTest, SingleVolumeIsOneClaimMountedByEveryPod) {
  auto flow = dataflow("flow", 2);
  enableRecovery(flow, 5, true);
  flow.spec.recovery->persistence->size = "20Gi";
  const auto objects = render(flow);
  EXPECT_EQ(kinds(objects), (std::vector<std::string>{"PersistentVolumeClaim", "Service", "Service",
                                                      "StatefulSet"}));
  EXPECT_EQ(find(objects, "PersistentVolumeClaim", "flow-recovery")["spec"],
            json::parse(R"({"accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "20Gi"}}})"));
  EXPECT_FALSE(find(objects, "StatefulSet")["spec"].contains("volumeClaimTemplates"));
  const json pod = podTemplateOf(objects);
  const json volumes = pod["spec"]["volumes"];
  EXPECT_EQ(volumes.back(), json::parse(R"({"name": "recovery",
      "persistentVolumeClaim": {"claimName": "flow-recovery"}})"));
  EXPECT_EQ(envValue(container(pod, "init-recovery"), "WAX_RECOVERY_SHARED"), "true");
}

TEST(RenderTest, JobsShareOneRecoveryVolume) {
  auto flow = dataflow("flow", 2);
  flow.spec.jobMode = true;
  enableRecovery(flow, 2, false);
  const auto objects = render(flow);
  EXPECT_EQ(kinds(objects),
            (std::vector<std::string>{"PersistentVolumeClaim", "Service", "Service", "Job"}));
  EXPECT_EQ(envValue(container(podTemplateOf(objects), "init-recovery"), "WAX_RECOVERY_SHARED"),
            "true");
}

TEST(RenderTest, PodMonitorOnlyWhenTheCrdExists) {
  EXPECT_EQ(kinds(render(dataflow())),
            (std::vector<std::string>{"Service", "Service", "StatefulSet"}));
  const auto objects = render(dataflow(), {.podMonitor = true});
  EXPECT_EQ(kinds(objects),
            (std::vector<std::string>{"Service", "Service", "StatefulSet", "PodMonitor"}));
  const json monitor = find(objects, "PodMonitor", "flow");
  EXPECT_EQ(monitor["apiVersion"], "monitoring.coreos.com/v1");
  EXPECT_EQ(monitor["spec"], json::parse(R"({
      "selector": {"matchLabels": {"app.kubernetes.io/name": "bytewax",
                                   "app.kubernetes.io/instance": "flow",
                                   "bytewax.io/dataflow-info": "flow"}},
      "podMetricsEndpoints": [{"port": "api", "path": "/metrics"}]})"));
}

TEST(RenderTest, RunIdAnnotatesThePodTemplate) {
  EXPECT_FALSE(podTemplateOf(render(dataflow()))["metadata"].contains("annotations"));
  const json pod = podTemplateOf(render(dataflow(), {.runId = "abc123"}));
  EXPECT_EQ(pod["metadata"]["annotations"]["bytewax.io/run-id"], "abc123");
}

TEST(RenderTest, OutputIsDeterministic) {
  for (const core::Dataflow& flow : everyShape()) {
    const RenderOptions options{.podMonitor = true, .otlpUrl = "http://otel:4317"};
    const core::Dataflow copy = flow;
    EXPECT_EQ(json(render(flow, options)).dump(), json(render(copy, options)).dump());
  }
}

TEST(RenderTest, MissingUidIsRefused) {
  auto flow = dataflow();
  flow.metadata.uid.reset();
  EXPECT_THROW(render(flow), Error);
}

TEST(RenderTest, CodeConfigMapHoldsAPythonFileAsText) {
  const json configMap = renderCodeConfigMap("team", "flow", "flow.py", "print('hi')\n", false);
  EXPECT_EQ(configMap["apiVersion"], "v1");
  EXPECT_EQ(configMap["kind"], "ConfigMap");
  EXPECT_EQ(configMap["metadata"]["name"], "flow");
  EXPECT_EQ(configMap["metadata"]["namespace"], "team");
  EXPECT_EQ(configMap["metadata"]["labels"], json(commonLabels("flow")));
  EXPECT_EQ(configMap["data"], json::parse(R"({"flow.py": "print('hi')\n"})"));
  EXPECT_FALSE(configMap.contains("binaryData"));
}

TEST(RenderTest, CodeConfigMapHoldsATarballAsBase64) {
  const std::string bytes("\x00\xff\x10tar", 6);
  const json configMap = renderCodeConfigMap("team", "flow", "code.tar", bytes, true);
  EXPECT_EQ(configMap["binaryData"], json::parse(R"({"code.tar": "AP8QdGFy"})"));
  EXPECT_FALSE(configMap.contains("data"));
  EXPECT_EQ(renderCodeConfigMap("t", "f", "a", "ab", true)["binaryData"]["a"], "YWI=");
  EXPECT_EQ(renderCodeConfigMap("t", "f", "a", "a", true)["binaryData"]["a"], "YQ==");
}

}  // namespace
}  // namespace wax::render
