"""The Bytewax Platform's /secrets endpoints and /dataflows/{name}/jobs, against a real waxd:
values go out only for one secret asked for with include_values, and bad input is refused
naming the field, with nothing stored."""

import pytest

SECRET = {"name": "s3-creds", "namespace": "default",
          "data": [{"key": "AWS_ACCESS_KEY_ID", "value": "AKIAEXAMPLE"},
                   {"key": "AWS_SECRET_ACCESS_KEY", "value": "wJalr/XUtnFEMI+K7MDENG=="}]}


def test_secret_lifecycle_shows_values_only_when_asked(waxd):
    assert waxd.api("POST", "/secrets", SECRET) == (200, "ok")
    status, listed = waxd.api("GET", "/secrets?namespace=default")
    assert status == 200
    assert listed == {"secrets": [{"name": "s3-creds", "namespace": "default",
                                   "data": [{"key": "AWS_ACCESS_KEY_ID", "value": ""},
                                            {"key": "AWS_SECRET_ACCESS_KEY", "value": ""}]}]}
    status, plain = waxd.api("GET", "/secrets/s3-creds?namespace=default")
    assert status == 200 and all(entry["value"] == "" for entry in plain["data"])
    status, revealed = waxd.api("GET", "/secrets/s3-creds?namespace=default&include_values=true")
    assert status == 200 and revealed == SECRET

    changed = {**SECRET, "data": [{"key": "TOKEN", "value": "t0ken"}]}
    assert waxd.api("PUT", "/secrets/s3-creds", changed) == (200, "ok")
    status, revealed = waxd.api("GET", "/secrets/s3-creds?namespace=default&include_values=true")
    assert revealed["data"] == [{"key": "TOKEN", "value": "t0ken"}]

    assert waxd.api("DELETE", "/secrets/s3-creds?namespace=default") == (200, "ok")
    assert waxd.api("GET", "/secrets/s3-creds?namespace=default")[0] == 404
    log = (waxd.data_dir / "waxd-test.log").read_text()
    assert "AKIAEXAMPLE" not in log and "t0ken" not in log


@pytest.mark.parametrize("body, words", [
    ({**SECRET, "name": "Bad_Name"}, "name: \"Bad_Name\" is not a valid secret name"),
    ({**SECRET, "data": [{"key": "a b", "value": "x"}]}, "data[0].key: \"a b\" is not a valid"),
    ({**SECRET, "data": [{"key": "k", "value": "1"}, {"key": "k", "value": "2"}]},
     "data[1].key: \"k\" is given twice"),
    ({**SECRET, "data": [{"key": "k", "value": 5}]}, "data[0].value: required, a string"),
    ({**SECRET, "data": {"k": "v"}}, "data: required, a list of {key, value}"),
    ({"namespace": "default", "data": []}, "name: required"),
])
def test_bad_secrets_are_refused_naming_the_field(waxd, body, words):
    status, answer = waxd.api("POST", "/secrets", body)
    assert status == 400, answer
    assert words in answer["message"]
    for entry in body.get("data") or []:
        if isinstance(entry, dict) and isinstance(entry.get("value"), str):
            assert entry["value"] not in answer["message"] or len(entry["value"]) < 2
    assert waxd.api("GET", "/secrets?namespace=default")[1] == {"secrets": []}


def test_listing_secrets_needs_a_namespace(waxd):
    status, answer = waxd.api("GET", "/secrets")
    assert status == 400 and "namespace: required" in answer["message"]


def test_jobs_of_a_dataflow(waxd, tmp_path):
    source = tmp_path / "flow.py"
    source.write_text("from bytewax.testing import run_main\n")
    waxd.waxctl("dataflow", "deploy", str(source), "--name", "batch")
    assert waxd.api("GET", "/dataflows/batch/jobs?namespace=default") == (200, {"jobs": []})
    assert waxd.api("GET", "/dataflows/missing/jobs?namespace=default")[0] == 404


@pytest.mark.parametrize("query, words", [
    ("since_seconds=60", "local mode keeps no time for each log line"),
    ("since_seconds=0", "since_seconds: must be a positive number"),
    ("since_time=yesterday", "since_time: \"yesterday\" is not an RFC 3339 time"),
    ("since_seconds=5&since_time=2026-01-02T15:04:05Z", "give one of them, not both"),
])
def test_logsv2_since_is_checked_and_refused_in_local_mode(waxd, tmp_path, query, words):
    source = tmp_path / "flow.py"
    source.write_text("from bytewax.testing import run_main\n")
    waxd.waxctl("dataflow", "deploy", str(source), "--name", "timed")
    status, answer = waxd.api("GET", f"/dataflows/timed/logsv2?namespace=default"
                                     f"&pod_name=timed-0&{query}")
    assert status == 400, answer
    assert words in answer["message"]


def test_waxctl_logs_since_needs_a_duration(waxd):
    result = waxd.waxctl("dataflow", "logs", "timed", "--since", "soon", check=False)
    assert result.returncode == 2 and "--since soon" in result.stderr


@pytest.mark.parametrize("path", ["/dataflows", "/secrets",
                                  "/api/v1/namespaces/default/dataflows",
                                  "/api/v1/namespaces/default/configmaps"])
def test_a_deeply_nested_body_is_refused_and_waxd_lives_on(waxd, path):
    import json
    import urllib.request
    deep = '{"name": "d", "namespace": "default", "x": ' + "[" * 300_000 + "]" * 300_000 + "}"
    request = urllib.request.Request(waxd.url + path, data=deep.encode(), method="POST",
                                     headers={"Authorization": f"Bearer {waxd.token}",
                                              "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 400
        assert "nested more than 100 levels" in json.loads(error.read())["message"]
    assert waxd.process.poll() is None
    assert waxd.api("GET", "/dataflows?namespace=default")[0] == 200


def test_a_body_and_a_query_naming_different_namespaces_are_refused(waxd):
    status, answer = waxd.api("PUT", "/secrets/x1?namespace=team-b",
                              {**SECRET, "name": "x1", "namespace": "team-a"})
    assert status == 400, answer
    assert 'the body names "team-a" and the query "team-b"' in answer["message"]
    assert waxd.api("POST", "/secrets?namespace=team-a",
                    {"name": "x2", "data": []}) == (200, "ok")
    assert waxd.api("GET", "/secrets/x2?namespace=team-a")[0] == 200
