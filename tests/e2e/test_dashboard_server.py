"""waxd's dashboard over HTTP, as a browser meets it: the page and its files, their encoding,
and a one-time sign-in link from `waxctl local dashboard`. The page itself is driven in Chromium
by tests/dashboard."""

import gzip
import http.client
import json
import re
from urllib.parse import urlsplit


def fetch(url, path, method="GET", headers=None, body=None):
    """One request with exactly these headers (no client adds Accept-Encoding on its own)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def test_the_page_and_its_files_are_gzipped_once_and_only_when_asked(waxd):
    page, body = fetch(waxd.url, "/ui/dataflows", headers={"Accept-Encoding": "gzip, br"})
    assert page.status == 200
    assert page.getheader("Content-Type").startswith("text/html")
    script = re.search(rb'src="(/assets/[^"]+\.js)"', gzip.decompress(body)).group(1).decode()

    answer, packed = fetch(waxd.url, script, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert answer.getheader("Content-Encoding") == "gzip"
    assert len(answer.headers.get_all("Content-Encoding")) == 1
    plain = gzip.decompress(packed)
    assert not plain.startswith(b"\x1f\x8b"), "gzipped once, not twice"
    assert "immutable" in answer.getheader("Cache-Control")

    refused, text = fetch(waxd.url, script, headers={"Accept-Encoding": "gzip;q=0"})
    assert refused.getheader("Content-Encoding") is None
    assert text == plain


def test_a_link_signs_one_browser_in_once(waxd):
    printed = waxd.waxctl("local", "dashboard").stdout
    link = re.search(r"(http://\S+#sign-in=(\S+))", printed)
    assert link and link.group(1).startswith(waxd.url + "/ui/dataflows#sign-in=")
    code = json.dumps({"code": link.group(2)})
    headers = {"Content-Type": "application/json"}
    signed, _ = fetch(waxd.url, "/auth/session/sign-in", "POST", headers, code)
    assert signed.status == 200
    cookie = signed.getheader("Set-Cookie").split(";")[0]
    again, _ = fetch(waxd.url, "/auth/session/sign-in", "POST", headers, code)
    assert again.status == 401

    _, session = fetch(waxd.url, "/auth/session", headers={"Cookie": cookie})
    assert json.loads(session)["authenticated"] is True
    listed, _ = fetch(waxd.url, "/api/v1/namespaces", headers={"Cookie": cookie})
    assert listed.status == 200
    unsigned, _ = fetch(waxd.url, "/api/v1/namespaces")
    assert unsigned.status == 401


def test_graph_and_metrics_of_a_dataflow_that_does_not_run_say_so(waxd):
    missing, body = fetch(waxd.url, "/api/v1/namespaces/default/dataflows/nope/graph",
                          headers={"Authorization": f"Bearer {waxd.token}"})
    assert missing.status == 404
    assert "nope" in json.loads(body)["message"]
