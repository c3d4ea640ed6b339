"""A dataflow's life on waxd with real bytewax processes: run, complete, crash, suspend,
rescale, delete."""

import json
import time

from conftest import DATAFLOWS, condition, phase, pid_alive, read_jsonl


def deploy_counter(waxd, name, total, delay, processes=2, parts=3, extra=()):
    output = waxd.data_dir / f"{name}.jsonl"
    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "counter.py", "--name", name,
                "-p", processes, "--recovery", "--recovery-parts", parts,
                "--recovery-snapshot-interval", 1, "--recovery-backup-interval", 0,
                "-e", f"COUNTER_TOTAL={total}", "-e", f"COUNTER_DELAY={delay}",
                "-e", f"COUNTER_OUTPUT={output}", "--yes", *extra)
    return output


def final_sums_are_complete(records, total):
    """The running sum per key ends at the sum of all its numbers only if no state was lost."""
    seen = {record["n"] for record in records}
    last = {}
    for record in records:
        last[record["key"]] = max(last.get(record["key"], 0), record["sum"])
    expected = {str(k): sum(n for n in range(total) if n % 2 == k) for k in (0, 1)}
    return seen == set(range(total)) and last == expected


def test_fast_dataflow_runs_to_completed_and_is_not_run_again(waxd):
    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "fast.py")
    waxd.waxctl("dataflow", "wait", "fast", "--for=condition=Completed", "--timeout=120s")
    dataflow = waxd.get("fast")
    assert phase(dataflow) == "Completed"
    assert dataflow["status"]["restarts"] == 0
    logs = waxd.waxctl("dataflow", "logs", "fast").stdout
    assert "[wax] process 0 exited with code 0" in logs

    time.sleep(3)  # a restart would show in the log and the status
    again = waxd.get("fast")
    assert phase(again) == "Completed"
    assert waxd.waxctl("dataflow", "logs", "fast").stdout.count("started") == 1

    listing = waxd.waxctl("dataflow", "list").stdout
    assert "fast" in listing and "Completed" in listing


def test_crashing_dataflow_backs_off_and_reports_the_error(waxd):
    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "crash.py")
    dataflow = waxd.wait_until(
        "crash", lambda d: phase(d) == "CrashLoopBackOff"
        and (d.get("status") or {}).get("restarts", 0) >= 2, timeout=120,
        what="CrashLoopBackOff after two restarts")
    status = dataflow["status"]
    assert "exited with code" in status["lastError"]
    assert condition(dataflow, "Degraded") == "True"
    assert condition(dataflow, "Ready") == "False"
    assert "boom" in waxd.waxctl("dataflow", "logs", "crash").stdout
    waited = waxd.waxctl("dataflow", "wait", "crash", "--for=condition=Ready", "--timeout=2s",
                         check=False)
    assert waited.returncode == 1
    assert "is CrashLoopBackOff: " in waited.stderr and "still waiting" in waited.stderr, \
        "a wait says at once that the dataflow is in trouble"
    assert waited.stderr.count("still waiting") == 1, "and says it once"
    # The back-off doubles from 300 ms: by now restarts come more than a second apart.
    before = waxd.get("crash")["status"]["restarts"]
    time.sleep(1.0)
    assert waxd.get("crash")["status"]["restarts"] - before <= 1


def test_suspend_and_resume_continue_from_recovery_state(waxd):
    total = 120
    output = deploy_counter(waxd, "counter", total=total, delay=0.05)
    waxd.waxctl("dataflow", "wait", "counter", "--for=condition=Ready", "--timeout=120s")
    waxd.wait_until("counter", lambda d: len(read_jsonl(output)) >= 20, what="some output")
    time.sleep(1.5)  # let a snapshot be taken after some state exists

    waxd.waxctl("dataflow", "suspend", "counter")
    suspended = waxd.wait_until("counter", lambda d: phase(d) == "Suspended", what="Suspended")
    assert condition(suspended, "Suspended") == "True"
    status, processes = waxd.api("GET", "/api/v1/namespaces/default/dataflows/counter/processes")
    assert status == 200 and processes["items"] == []
    emitted_before_resume = len(read_jsonl(output))
    assert emitted_before_resume < total * 2

    waxd.waxctl("dataflow", "resume", "counter")
    waxd.waxctl("dataflow", "wait", "counter", "--for=condition=Completed", "--timeout=180s")
    records = read_jsonl(output)
    assert final_sums_are_complete(records, total), records[-5:]


def test_rescale_restarts_every_process_with_the_new_address_list(waxd):
    total = 400
    output = deploy_counter(waxd, "scale", total=total, delay=0.05)
    waxd.wait_until("scale", lambda d: condition(d, "Ready") == "True", what="Ready at 2")

    for processes in (3, 1):
        before = {p["pid"] for p in waxd.api(
            "GET", "/api/v1/namespaces/default/dataflows/scale/processes")[1]["items"]}
        deploy_counter(waxd, "scale", total=total, delay=0.05, processes=processes)
        waxd.wait_until(
            "scale", lambda d: condition(d, "Ready") == "True"
            and d["status"]["processesReady"] == processes, what=f"Ready at {processes}")
        items = waxd.api("GET", "/api/v1/namespaces/default/dataflows/scale/processes")[1]["items"]
        assert len(items) == processes
        assert not before & {p["pid"] for p in items}, "every process must be a new one"
        assert not any(pid_alive(pid) for pid in before)

    waxd.waxctl("dataflow", "wait", "scale", "--for=condition=Completed", "--timeout=180s")
    assert final_sums_are_complete(read_jsonl(output), total)


def test_delete_stops_processes_and_removes_files(waxd):
    deploy_counter(waxd, "doomed", total=100000, delay=0.1)
    waxd.wait_until("doomed", lambda d: condition(d, "Ready") == "True", what="Ready")
    pids = [p["pid"] for p in waxd.api(
        "GET", "/api/v1/namespaces/default/dataflows/doomed/processes")[1]["items"]]
    assert len(pids) == 2 and all(pid_alive(pid) for pid in pids)
    assert waxd.dataflow_dir("doomed").exists()

    refused = waxd.waxctl("dataflow", "delete", "doomed", check=False)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    waxd.waxctl("dataflow", "rm", "doomed", "--yes")
    assert waxd.get("doomed") is None
    assert not any(pid_alive(pid) for pid in pids)
    assert not waxd.dataflow_dir("doomed").exists()


def test_logs_tail_and_follow(waxd):
    deploy_counter(waxd, "chatty", total=60, delay=0.05, processes=1, parts=1)
    waxd.waxctl("dataflow", "wait", "chatty", "--for=condition=Completed", "--timeout=120s")
    full = waxd.waxctl("dataflow", "logs", "chatty").stdout.splitlines()
    tail = waxd.waxctl("dataflow", "logs", "chatty", "--tail", 2).stdout.splitlines()
    assert len(full) > 3 and tail == full[-2:]
    missing = waxd.waxctl("dataflow", "logs", "nope", check=False)
    assert missing.returncode == 1 and "not found" in missing.stderr

    deploy_counter(waxd, "follow", total=40, delay=0.1, processes=1, parts=1)
    followed = waxd.waxctl("dataflow", "logs", "follow", "-f", timeout=120)
    assert "counter: emitted" in followed.stdout
    assert "exited with code 0" in followed.stdout


def test_get_and_list_outputs_are_stable_json(waxd):
    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "fast.py", "-n", "team-a")
    body = json.loads(waxd.waxctl("dataflow", "get", "fast", "-n", "team-a", "-o", "json").stdout)
    assert body["apiVersion"] == "bytewax.io/v1alpha1"
    assert body["spec"]["processesCount"] == 1  # defaults are stored
    listing = json.loads(waxd.waxctl("dataflow", "ls", "-A", "-o", "json").stdout)
    assert [item["metadata"]["namespace"] for item in listing["items"]] == ["team-a"]
    assert "team-a" in waxd.waxctl("dataflow", "ls", "-A").stdout
    assert "No dataflows found" in waxd.waxctl("dataflow", "ls").stdout


def test_a_dataflow_bigger_than_the_limits_fails_and_starts_nothing(waxd):
    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "fast.py", "--name", "huge", "-p", 33, "--yes")
    dataflow = waxd.wait_until("huge", lambda d: phase(d) == "Failed", timeout=60,
                               what="Failed for too many processes")
    assert "spec.processesCount: 33" in dataflow["status"]["lastError"]
    assert "--max-processes" in dataflow["status"]["lastError"]
    status, processes = waxd.api("GET", "/api/v1/namespaces/default/dataflows/huge/processes")
    assert status == 200 and processes["items"] == [], "no process was started"

    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "fast.py", "--name", "wide", "-p", 2,
                "-w", 200, "--yes")
    wide = waxd.wait_until("wide", lambda d: phase(d) == "Failed", timeout=60,
                           what="Failed for too many workers")
    assert "400 workers" in wide["status"]["lastError"]
