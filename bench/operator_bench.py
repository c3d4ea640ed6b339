"""wax-operator on the test control plane (etcd and kube-apiserver; no kube-controller-manager,
so no pods: the work measured is the operator's own):

- convergence: 500 Dataflows created at once until every one has its children applied and its
  observedGeneration caught up, over the floor for the same work: the same Dataflows created,
  the same rendered children applied and the same status written (observedGeneration is part
  of the end state) by one direct client (the same C++ client, as many requests at once as
  the operator has workers), in the same run; medians of alternating rounds. Goal <= 1.25.
  The operator's finalizers and events wait while it is busy; the time until they are
  written too is printed beside it.
- resident memory of the operator with 1,000 Dataflows and their StatefulSets cached, and its
  ratio to the same operator watching none. Goal <= 40 MiB.
- idle CPU with those 1,000 Dataflows and nothing changing, over 30 s. Goal < 1% of a core.
- `waxctl dataflow list -A` wall time over `kubectl get dataflows -A`, on the same cluster,
  medians of alternating rounds. Goal <= 0.5."""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "build" / "bin"
sys.path.insert(0, str(ROOT / "tests" / "cluster"))
from operator_process import Operator  # noqa: E402

WORKERS = 4
CONVERGE_COUNT = 500
MEMORY_COUNT = 2 * CONVERGE_COUNT  # after the second round
ROUNDS = 3


class ControlPlane:
    def __init__(self, directory):
        self.directory = directory
        self.kubeconfig = directory / "kubeconfig"
        bins = subprocess.run([str(ROOT / "scripts" / "testbed" / "build-kube.sh")],
                              check=True, capture_output=True, text=True).stdout.split()
        self.kubectl_path = Path(bins[0]) / "kubectl"
        subprocess.run([str(ROOT / "scripts" / "testbed" / "cluster.sh"), "up", str(directory)],
                       check=True, stdout=subprocess.DEVNULL)
        self.kubectl("apply", "-f", ROOT / "deploy" / "crd" / "dataflows.bytewax.io.yaml")
        self.kubectl("wait", "--for=condition=Established", "crd/dataflows.bytewax.io",
                     "--timeout=60s")

    def kubectl(self, *args):
        return subprocess.run([str(self.kubectl_path), "--kubeconfig", str(self.kubeconfig),
                               *map(str, args)], check=True, capture_output=True, text=True)

    def down(self):
        subprocess.run([str(ROOT / "scripts" / "testbed" / "cluster.sh"), "down",
                        str(self.directory)], check=False)


def converge(plane, namespace, mode, count):
    if mode == "floor":
        plane.kubectl("create", "namespace", namespace)
    command = [BIN / "wax-bench-converge", "--kubeconfig", plane.kubeconfig,
               "--namespace", namespace, "--mode", mode, "--count", count, "--workers", WORKERS]
    result = subprocess.run(list(map(str, command)), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"wax-bench-converge failed:\n{result.stderr[-3000:]}")
    return [float(seconds) for seconds in result.stdout.split()]


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_percent(pid, seconds=30):
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - before) / seconds


def wall_time(command, environment):
    start = time.perf_counter()
    subprocess.run(command, env=environment, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    scratch = Path(tempfile.mkdtemp(prefix="wax-bench-operator-"))
    plane = ControlPlane(scratch / "cluster")
    operated = [f"operated-{round_}" for round_ in range(ROUNDS)]
    # The floor's namespaces are not watched: the operator must not do that work as well.
    operator = Operator(plane, scratch, "--workers", WORKERS, "--namespaces", ",".join(operated),
                        "--kube-api-qps", 1000, "--kube-api-burst", 2000,
                        resync_seconds=300, log_level="warn")
    try:
        for namespace in operated:
            plane.kubectl("create", "namespace", namespace)
        operator.start()
        time.sleep(3)
        empty_rss = rss_mib(operator.process.pid)
        empty_cpu = idle_cpu_percent(operator.process.pid, 10)
        # Alternating rounds, each in a namespace of its own; the medians are compared, so that
        # a slow moment of the machine does not decide the ratio.
        floors, tooks, settles = [], [], []
        for round_ in range(ROUNDS):
            floors += converge(plane, f"floor-{round_}", "floor", CONVERGE_COUNT)
            took, settled = converge(plane, operated[round_], "operator", CONVERGE_COUNT)
            tooks.append(took)
            settles.append(settled)
            if round_ == 1:  # 1,000 dataflows: the memory and idle CPU goals' size
                time.sleep(5)
                loaded_rss = rss_mib(operator.process.pid)
                idle = idle_cpu_percent(operator.process.pid)
        floor, took, settled = map(statistics.median, (floors, tooks, settles))
        print(f"convergence of {CONVERGE_COUNT} dataflows, medians of {ROUNDS} rounds: operator "
              f"{took:.2f} s, direct client {floor:.2f} s")
        print(f"convergence ratio operator / direct client: {took / floor:.3f} (goal <= 1.25)")
        # Finalizers and events wait while the operator is busy; this says when they were done.
        print(f"settled (every finalizer written too): {settled:.2f} s, "
              f"ratio {settled / floor:.3f}")
        print(f"operator RSS watching none: {empty_rss:.1f} MiB; with {MEMORY_COUNT} dataflows "
              f"and their StatefulSets: {loaded_rss:.1f} MiB (goal <= 40 MiB)")
        print(f"memory ratio {MEMORY_COUNT} dataflows / none: {loaded_rss / empty_rss:.3f}")
        print(f"operator idle CPU with none: {empty_cpu:.2f}% of a core; with {MEMORY_COUNT}: "
              f"{idle:.2f}% (goal < 1%)")

        environment = {**os.environ, "KUBECONFIG": str(plane.kubeconfig)}
        waxctl = [str(BIN / "waxctl"), "dataflow", "list", "-A"]
        kubectl = [str(plane.kubectl_path), "get", "dataflows", "-A"]
        ours, theirs = [], []
        for _ in range(7):
            ours.append(wall_time(waxctl, environment))
            theirs.append(wall_time(kubectl, environment))
        ratio = statistics.median(ours) / statistics.median(theirs)
        listed = 2 * ROUNDS * CONVERGE_COUNT
        print(f"list -A of {listed}: waxctl {statistics.median(ours) * 1000:.0f} ms, "
              f"kubectl {statistics.median(theirs) * 1000:.0f} ms")
        print(f"list ratio waxctl / kubectl: {ratio:.3f} (goal <= 0.5)")
    finally:
        operator.stop()
        plane.down()


if __name__ == "__main__":
    main()
