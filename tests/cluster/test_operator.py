"""wax-operator on a real control plane (etcd, kube-apiserver, kube-controller-manager): it
makes the children of each Dataflow, follows rescales, suspends, code changes and deletes, runs
Job and CronJob dataflows, and reports status and events that say what the pods do. A test
kubelet (kubelet.py) reports the pods' states, as there is no container runtime."""

import time

import pytest
from kubernetes import client

from kubelet import Kubelet, KubeletLoop
from operator_process import Operator, wait_until

GROUP, VERSION, PLURAL = "bytewax.io", "v1alpha1", "dataflows"
FLOW = "from bytewax.testing import run_main\n"


@pytest.fixture(scope="module")
def operator(cluster, tmp_path_factory):
    running = Operator(cluster, tmp_path_factory.mktemp("operator"),
                       "--orphaned-code-seconds", 1).start()
    yield running
    running.stop()
    print(running.log()[-20000:])


@pytest.fixture(scope="module")
def kubelet(cluster):
    loop = KubeletLoop(Kubelet(cluster.api_client()))
    yield loop
    loop.stop()


@pytest.fixture()
def k8s(api):
    return {"core": client.CoreV1Api(api), "apps": client.AppsV1Api(api),
            "batch": client.BatchV1Api(api), "custom": client.CustomObjectsApi(api)}


def deploy(k8s, namespace, name, **spec):
    code = client.V1ConfigMap(metadata=client.V1ObjectMeta(
        name=name, labels={"bytewax.io/dataflow": name}), data={"flow.py": FLOW})
    k8s["core"].create_namespaced_config_map(namespace, code)
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Dataflow",
            "metadata": {"name": name},
            "spec": {"image": {"tag": "0.21.1"}, "pythonFileName": "flow.py", **spec}}
    return k8s["custom"].create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)


def dataflow(k8s, namespace, name):
    return k8s["custom"].get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)


def patch_spec(k8s, namespace, name, **spec):
    k8s["custom"].patch_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name,
                                                 {"spec": spec})


def condition(obj, kind):
    for item in obj.get("status", {}).get("conditions", []):
        if item["type"] == kind:
            return item
    return {}


def phase_is(k8s, namespace, name, phase):
    def check():
        obj = dataflow(k8s, namespace, name)
        status = obj.get("status", {})
        caught_up = status.get("observedGeneration") == obj["metadata"]["generation"]
        return obj if caught_up and status.get("phase") == phase else None
    return check


def live_pods(k8s, namespace, name):
    pods = k8s["core"].list_namespaced_pod(
        namespace, label_selector=f"bytewax.io/dataflow={name}").items
    return [pod for pod in pods if not pod.metadata.deletion_timestamp]


def pods_of_run(k8s, namespace, name, count):
    """The pods, once there are exactly `count` and all of them carry the run id of the
    StatefulSet's current template: no process is left with an older address list."""
    def check():
        sts = k8s["apps"].read_namespaced_stateful_set(name, namespace)
        run_id = sts.spec.template.metadata.annotations["bytewax.io/run-id"]
        pods = k8s["core"].list_namespaced_pod(
            namespace, label_selector=f"bytewax.io/dataflow={name}").items
        if len(pods) != count:
            return None
        if any(pod.metadata.annotations.get("bytewax.io/run-id") != run_id for pod in pods):
            return None
        return pods
    return check


def env_of(pod):
    return {item.name: item.value for item in pod.spec.containers[0].env if item.value}


def test_a_dataflow_gets_its_children_and_becomes_ready(operator, kubelet, k8s, namespace):
    kubelet.state[namespace] = {"phase": "Running"}
    deploy(k8s, namespace, "flights", processesCount=2)

    sts = wait_until(lambda: k8s["apps"].read_namespaced_stateful_set("flights", namespace),
                     what="the StatefulSet")
    assert sts.spec.replicas == 2
    assert sts.spec.pod_management_policy == "Parallel"
    assert sts.metadata.owner_references[0].kind == "Dataflow"
    headless = k8s["core"].read_namespaced_service("flights", namespace)
    assert headless.spec.cluster_ip == "None"
    assert [port.port for port in headless.spec.ports] == [9999]
    api = k8s["core"].read_namespaced_service("flights-api", namespace)
    assert [port.port for port in api.spec.ports] == [3030]

    ready = wait_until(phase_is(k8s, namespace, "flights", "Running"), what="Running")
    assert condition(ready, "Ready")["status"] == "True"
    assert (ready["status"]["processesReady"], ready["status"]["processesDesired"]) == (2, 2)
    assert "bytewax.io/wax-cleanup" in ready["metadata"]["finalizers"]

    # Read through core/v1: events.k8s.io/v1 lists the controllers' core events too, whose
    # empty eventTime the Python client refuses to decode.
    def reasons():
        events = k8s["core"].list_namespaced_event(namespace).items
        found = {event.reason for event in events if event.involved_object.name == "flights"
                 and event.involved_object.kind == "Dataflow"}
        return found if "ProcessesReady" in found else None
    assert wait_until(reasons, what="a ProcessesReady event") <= {
        "Pending", "ProcessesStarting", "ProcessesReady"}


def test_rescale_restarts_every_process_with_the_new_address_list(operator, kubelet, k8s,
                                                                   namespace):
    kubelet.state[namespace] = {"phase": "Running"}
    deploy(k8s, namespace, "scaled", processesCount=2)
    wait_until(phase_is(k8s, namespace, "scaled", "Running"), what="Running at 2")
    for count in (3, 1):
        patch_spec(k8s, namespace, "scaled", processesCount=count)
        pods = wait_until(pods_of_run(k8s, namespace, "scaled", count), timeout=90,
                          what=f"{count} pods of the new configuration")
        for pod in pods:
            assert env_of(pod)["BYTEWAX_REPLICAS"] == str(count)
        ready = wait_until(phase_is(k8s, namespace, "scaled", "Running"),
                           what=f"Running at {count}")
        assert ready["status"]["processesReady"] == count


def test_suspend_scales_to_zero_and_resume_brings_it_back(operator, kubelet, k8s, namespace):
    kubelet.state[namespace] = {"phase": "Running"}
    deploy(k8s, namespace, "pausable", processesCount=2)
    wait_until(phase_is(k8s, namespace, "pausable", "Running"), what="Running")

    patch_spec(k8s, namespace, "pausable", suspend=True)
    suspended = wait_until(phase_is(k8s, namespace, "pausable", "Suspended"), what="Suspended")
    assert condition(suspended, "Suspended")["status"] == "True"
    assert k8s["apps"].read_namespaced_stateful_set("pausable", namespace).spec.replicas == 0
    wait_until(lambda: not live_pods(k8s, namespace, "pausable"), what="no pods")

    patch_spec(k8s, namespace, "pausable", suspend=False)
    wait_until(phase_is(k8s, namespace, "pausable", "Running"), what="Running again")
    assert k8s["apps"].read_namespaced_stateful_set("pausable", namespace).spec.replicas == 2


def test_new_code_restarts_every_process(operator, kubelet, k8s, namespace):
    kubelet.state[namespace] = {"phase": "Running"}
    deploy(k8s, namespace, "recoded", processesCount=2)
    wait_until(phase_is(k8s, namespace, "recoded", "Running"), what="Running")
    before = {pod.metadata.uid for pod in live_pods(k8s, namespace, "recoded")}
    k8s["core"].patch_namespaced_config_map("recoded", namespace,
                                            {"data": {"flow.py": FLOW + "# v2\n"}})

    def replaced():
        now = {pod.metadata.uid for pod in live_pods(k8s, namespace, "recoded")}
        return len(now) == 2 and not now & before
    wait_until(replaced, timeout=90, what="two new pods and none of the old ones")
    wait_until(phase_is(k8s, namespace, "recoded", "Running"), what="Running again")


def test_job_mode_runs_to_completion_once(operator, kubelet, k8s, namespace):
    kubelet.state[namespace] = {"phase": "Succeeded", "exit_code": 0, "reason": "Completed"}
    deploy(k8s, namespace, "batch", processesCount=2, jobMode=True)
    job = wait_until(lambda: k8s["batch"].read_namespaced_job("batch", namespace),
                     what="the Job")
    assert job.spec.completion_mode == "Indexed"
    assert (job.spec.completions, job.spec.parallelism) == (2, 2)
    done = wait_until(phase_is(k8s, namespace, "batch", "Completed"), timeout=90,
                      what="Completed")
    assert condition(done, "Completed")["status"] == "True"
    uid = k8s["batch"].read_namespaced_job("batch", namespace).metadata.uid
    # Later reconciles (the resync runs every 10 s) leave the finished Job alone.
    time.sleep(12)
    assert k8s["batch"].read_namespaced_job("batch", namespace).metadata.uid == uid
    assert dataflow(k8s, namespace, "batch")["status"]["phase"] == "Completed"


def test_a_finished_streaming_dataflow_is_completed_and_not_run_again(operator, kubelet, k8s,
                                                                       namespace):
    # Between the restarts of a StatefulSet's container, its kubelet reports the exit 0.
    kubelet.state[namespace] = {"phase": "Running", "ready": False, "exit_code": 0,
                                "reason": "Completed"}
    deploy(k8s, namespace, "finite", processesCount=2)
    done = wait_until(phase_is(k8s, namespace, "finite", "Completed"), timeout=90,
                      what="Completed")
    assert condition(done, "Completed")["status"] == "True"
    # Promptly, not at the next resync (10 s here).
    wait_until(lambda: k8s["apps"].read_namespaced_stateful_set("finite", namespace)
               .spec.replicas == 0, timeout=5, what="no process started again")
    time.sleep(12)  # a resync later, it stays so
    assert k8s["apps"].read_namespaced_stateful_set("finite", namespace).spec.replicas == 0
    assert dataflow(k8s, namespace, "finite")["status"]["phase"] == "Completed"

    # A new run (here: new code) runs again.
    kubelet.state[namespace] = {"phase": "Running"}
    code = k8s["core"].read_namespaced_config_map("finite", namespace)
    code.data["flow.py"] = FLOW + "# v2\n"
    k8s["core"].replace_namespaced_config_map("finite", namespace, code)
    wait_until(phase_is(k8s, namespace, "finite", "Running"), timeout=90, what="Running again")


def test_a_schedule_makes_a_cronjob(operator, k8s, namespace):
    deploy(k8s, namespace, "nightly", schedule="30 2 * * *", concurrencyPolicy="Replace")
    cron = wait_until(lambda: k8s["batch"].read_namespaced_cron_job("nightly", namespace),
                      what="the CronJob")
    assert cron.spec.schedule == "30 2 * * *"
    assert cron.spec.concurrency_policy == "Replace"
    wait_until(phase_is(k8s, namespace, "nightly", "Running"), what="scheduled")


def test_crashing_processes_make_the_dataflow_degraded_with_the_reason(operator, kubelet, k8s,
                                                                       namespace):
    kubelet.state[namespace] = {"phase": "Running", "ready": False, "exit_code": 3,
                                "restarts": 4}
    deploy(k8s, namespace, "crashing", processesCount=1)
    degraded = wait_until(phase_is(k8s, namespace, "crashing", "CrashLoopBackOff"),
                          what="CrashLoopBackOff")
    assert condition(degraded, "Degraded")["status"] == "True"
    assert "exited with code 3" in condition(degraded, "Degraded")["message"]
    assert condition(degraded, "Ready")["status"] == "False"


def test_delete_removes_every_child(operator, kubelet, k8s, namespace):
    kubelet.state[namespace] = {"phase": "Running"}
    deploy(k8s, namespace, "gone", processesCount=2,
           recovery={"enabled": True, "partsCount": 2})
    wait_until(phase_is(k8s, namespace, "gone", "Running"), what="Running")
    claims = wait_until(lambda: k8s["core"].list_namespaced_persistent_volume_claim(
        namespace, label_selector="bytewax.io/dataflow=gone").items, what="recovery claims")
    assert len(claims) == 2

    k8s["custom"].delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "gone")

    def nothing_left():
        objects = [
            k8s["custom"].list_namespaced_custom_object(GROUP, VERSION, namespace,
                                                         PLURAL)["items"],
            k8s["apps"].list_namespaced_stateful_set(namespace).items,
            k8s["core"].list_namespaced_service(namespace).items,
            k8s["core"].list_namespaced_config_map(
                namespace, label_selector="bytewax.io/dataflow=gone").items,
            k8s["core"].list_namespaced_persistent_volume_claim(namespace).items,
            live_pods(k8s, namespace, "gone"),
        ]
        return not any(objects) or None
    wait_until(nothing_left, timeout=90, what="every child gone")


def test_a_hand_edit_of_the_statefulset_is_undone(operator, kubelet, k8s, namespace):
    kubelet.state[namespace] = {"phase": "Running"}
    deploy(k8s, namespace, "edited", processesCount=2)
    wait_until(phase_is(k8s, namespace, "edited", "Running"), what="Running")
    k8s["apps"].patch_namespaced_stateful_set("edited", namespace, {"spec": {"replicas": 5}})
    wait_until(lambda: k8s["apps"].read_namespaced_stateful_set("edited", namespace)
               .spec.replicas == 2, what="the replicas of the spec restored")


def test_an_invalid_spec_changes_nothing_that_runs_and_says_why(operator, kubelet, k8s,
                                                                namespace):
    kubelet.state[namespace] = {"phase": "Running"}
    deploy(k8s, namespace, "typo", processesCount=1)
    wait_until(phase_is(k8s, namespace, "typo", "Running"), what="Running")
    patch_spec(k8s, namespace, "typo", schedule="@sometimes")
    failed = wait_until(phase_is(k8s, namespace, "typo", "Failed"), what="Failed")
    assert "spec.schedule" in failed["status"]["lastError"]
    assert k8s["apps"].read_namespaced_stateful_set("typo", namespace).spec.replicas == 1
    assert not k8s["batch"].list_namespaced_cron_job(namespace).items


def test_a_missing_code_configmap_is_named_in_status(operator, k8s, namespace):
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Dataflow",
            "metadata": {"name": "nocode"},
            "spec": {"image": {"tag": "0.21.1"}, "pythonFileName": "flow.py",
                     "configMapName": "does-not-exist"}}
    k8s["custom"].create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)
    failed = wait_until(phase_is(k8s, namespace, "nocode", "Failed"), what="Failed")
    assert "does-not-exist" in failed["status"]["lastError"]
    assert "waxctl dataflow deploy" in failed["status"]["lastError"]


def test_delete_leaves_an_object_of_the_same_name_that_it_does_not_own(operator, k8s,
                                                                        namespace):
    foreign = client.V1StatefulSet(
        metadata=client.V1ObjectMeta(name="foreign"),
        spec=client.V1StatefulSetSpec(
            selector=client.V1LabelSelector(match_labels={"app": "mine"}),
            service_name="mine",
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "mine"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c",
                                                                     image="nginx")]))))
    k8s["apps"].create_namespaced_stateful_set(namespace, foreign)
    deploy(k8s, namespace, "foreign", processesCount=1)
    wait_until(phase_is(k8s, namespace, "foreign", "Failed"), what="Failed")
    k8s["custom"].delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "foreign")
    wait_until(lambda: not k8s["custom"].list_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL)["items"], what="the dataflow gone")
    assert k8s["apps"].read_namespaced_stateful_set("foreign", namespace).metadata.uid


def test_a_service_of_the_same_name_is_not_taken_over(operator, k8s, namespace):
    mine = client.V1Service(metadata=client.V1ObjectMeta(name="taken-api"),
                            spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)]))
    k8s["core"].create_namespaced_service(namespace, mine)
    deploy(k8s, namespace, "taken", processesCount=1)
    failed = wait_until(phase_is(k8s, namespace, "taken", "Failed"), what="Failed")
    assert 'Service named "' + namespace + '/taken-api" already exists' in \
        failed["status"]["lastError"]
    service = k8s["core"].read_namespaced_service("taken-api", namespace)
    assert [port.port for port in service.spec.ports] == [80]
    assert not service.metadata.owner_references
    k8s["custom"].delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "taken")
    wait_until(lambda: not k8s["custom"].list_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL)["items"], what="the dataflow gone")
    assert k8s["core"].read_namespaced_service("taken-api", namespace).metadata.uid


def test_a_child_of_another_dataflow_is_not_taken_over(operator, k8s, namespace):
    # "web"'s API Service is named "web-api", as is the headless Service of "web-api".
    deploy(k8s, namespace, "web", processesCount=1)
    wait_until(lambda: k8s["core"].list_namespaced_service(
        namespace, label_selector="bytewax.io/dataflow=web").items, what="web's Services")
    deploy(k8s, namespace, "web-api", processesCount=1)
    failed = wait_until(phase_is(k8s, namespace, "web-api", "Failed"), what="Failed")
    assert f'Service named "{namespace}/web-api" already exists' in \
        failed["status"]["lastError"]
    service = k8s["core"].read_namespaced_service("web-api", namespace)
    assert service.metadata.labels["bytewax.io/dataflow"] == "web"
    assert service.spec.ports[0].port == 3030


def test_code_left_by_a_dataflow_deleted_while_no_operator_ran_is_removed(
        operator, k8s, namespace):
    def code(name, labels):
        k8s["core"].create_namespaced_config_map(namespace, client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name=name, labels=labels), data={"flow.py": FLOW}))
    code("ghost", {"bytewax.io/dataflow": "ghost"})
    code("unlabelled", {})
    deploy(k8s, namespace, "alive", processesCount=1)

    def names():
        return {item.metadata.name for item in
                k8s["core"].list_namespaced_config_map(namespace).items}
    wait_until(lambda: "ghost" not in names(), timeout=60, what="the orphaned code gone")
    assert {"unlabelled", "alive"} <= names()


def test_an_env_name_the_schema_admits_is_one_the_operator_runs(operator, k8s, namespace):
    deploy(k8s, namespace, "dotted", processesCount=1,
           env=[{"name": "my.setting-v2", "value": "1"}])
    sts = wait_until(lambda: k8s["apps"].read_namespaced_stateful_set("dotted", namespace),
                     what="the StatefulSet")
    env = {item.name: item.value for item in sts.spec.template.spec.containers[0].env}
    assert env["my.setting-v2"] == "1"
    assert dataflow(k8s, namespace, "dotted")["status"]["phase"] != "Failed"


def test_a_secret_quoted_in_an_error_stays_out_of_the_log(operator, k8s, namespace):
    secret = "TOKSECRET16"
    # An invalid schedule that repeats the inline token: the error quotes the schedule.
    deploy(k8s, namespace, "leaky", schedule=f"{secret} * * * *",
           artifactsDownload={"url": "https://example.com/code.tar", "token": secret})
    failed = wait_until(phase_is(k8s, namespace, "leaky", "Failed"), what="Failed")
    assert secret not in failed["status"]["lastError"]
    assert "<redacted>" in failed["status"]["lastError"]
    assert secret not in operator.log()
