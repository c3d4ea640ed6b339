"""Acts as the kubelet for tests: the control plane has none, so without this Pods stay
Pending. It registers a Node, binds pods to it and patches their status to the phase a test
asks for, the way a kubelet would report it. It runs no containers; that is the point: the
operator is tested against the API, not against a container runtime.

LogServer is the kubelet's log endpoint (/containerLogs/...) over TLS, where the API server
fetches a pod's log for `kubectl logs` and `waxctl dataflow logs`: a test writes the lines a
container would have printed, and a follower gets them as they are written."""

import datetime
import http.server
import ssl
import subprocess
import threading
import urllib.parse

from kubernetes import client

NODE = "wax-test-node"


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


class Kubelet:
    def __init__(self, api_client):
        self.core = client.CoreV1Api(api_client)
        self.register_node()

    def register_node(self):
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE},
                "status": {"conditions": [{"type": "Ready", "status": "True",
                                           "reason": "KubeletReady",
                                           "lastHeartbeatTime": now()}]}}
        try:
            self.core.create_node(node)
        except client.ApiException as error:
            if error.status != 409:
                raise

    def serve_logs(self, server):
        """Points the Node at `server`, as a kubelet announces its endpoint."""
        self.core.patch_node_status(NODE, {"status": {
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": server.port}}}})

    def pods(self, namespace, selector):
        return self.core.list_namespaced_pod(namespace, label_selector=selector).items

    def bind(self, pod):
        if pod.spec.node_name:
            return
        binding = client.V1Binding(
            metadata=client.V1ObjectMeta(name=pod.metadata.name),
            target=client.V1ObjectReference(kind="Node", name=NODE, api_version="v1"))
        # The generated client fails to decode the binding's empty answer; the call worked.
        try:
            self.core.create_namespaced_binding(pod.metadata.namespace, binding,
                                                _preload_content=False)
        except client.ApiException as error:
            if error.status != 409:
                raise

    def set_phase(self, pod, phase, ready=None, exit_code=None, restarts=0, reason=None):
        """Binds the pod and reports it as `phase` (Running, Succeeded, Failed)."""
        self.bind(pod)
        ready = phase == "Running" if ready is None else ready
        state = {"running": {"startedAt": now()}}
        if exit_code is not None:
            state = {"terminated": {"exitCode": exit_code, "reason": reason or "Error",
                                    "finishedAt": now()}}
        elif reason:
            state = {"waiting": {"reason": reason, "message": f"{reason} (from the test)"}}
        status = {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": str(ready), "lastTransitionTime": now()},
                           {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{
                "name": container.name, "ready": ready, "restartCount": restarts,
                "image": container.image, "imageID": "", "state": state,
                "started": phase == "Running"} for container in pod.spec.containers],
            "podIP": "10.1.0.1",
            "hostIP": "10.0.0.99",
            "startTime": now(),
        }
        self.core.patch_namespaced_pod_status(pod.metadata.name, pod.metadata.namespace,
                                              {"status": status})

    def run_all(self, namespace, selector, phase="Running", **kwargs):
        pods = self.pods(namespace, selector)
        for pod in pods:
            self.set_phase(pod, phase, **kwargs)
        return len(pods)

    def reap_pod(self, pod):
        """Finishes the deletion of a terminating pod, as a kubelet does once its containers
        have stopped: a bound pod is not removed from the API until then."""
        try:
            self.core.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace,
                                            grace_period_seconds=0)
        except client.ApiException as error:
            if error.status != 404:
                raise


class KubeletLoop:
    """A kubelet that keeps working in the background: every pod of a namespace is brought to
    the state the test asked for, and terminating pods are reaped. Tests change `state[ns]`."""

    def __init__(self, kubelet):
        self.kubelet = kubelet
        self.state = {}  # namespace -> keyword arguments of Kubelet.set_phase
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._done = set()  # (pod uid, wanted state) already reported
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.3):
            for namespace, wanted in list(self.state.items()):
                try:
                    self._tend(namespace, wanted)
                except client.ApiException:
                    pass  # the namespace is going away, or a race with a controller

    def _tend(self, namespace, wanted):
        key = repr(sorted(wanted.items()))
        for pod in self.kubelet.pods(namespace, ""):
            if pod.metadata.deletion_timestamp:
                self.kubelet.reap_pod(pod)
                continue
            if (pod.metadata.uid, key) in self._done:
                continue
            self.kubelet.set_phase(pod, **wanted)
            self._done.add((pod.metadata.uid, key))

    def stop(self):
        self._stop.set()
        self._thread.join(5)


class LogServer:
    """Serves GET /containerLogs/NAMESPACE/POD/CONTAINER[?follow=true&tailLines=N] over TLS
    with a certificate of its own (the API server does not check the kubelet's unless told
    to)."""

    def __init__(self, directory):
        self.logs = {}  # (namespace, pod) -> text
        self.changed = threading.Condition()
        self.requests = []
        self.stopping = False
        key, cert = directory / "kubelet.key", directory / "kubelet.crt"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "1", "-subj", "/CN=wax-test-node", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def write(self, namespace, pod, text):
        with self.changed:
            self.logs[(namespace, pod)] = self.logs.get((namespace, pod), "") + text
            self.changed.notify_all()

    def stop(self):
        with self.changed:
            self.stopping = True
            self.changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                parts = url.path.strip("/").split("/")
                if len(parts) != 4 or parts[0] != "containerLogs":
                    self.send_error(404)
                    return
                query = urllib.parse.parse_qs(url.query)
                server.requests.append((url.path, query))
                key = (parts[1], parts[2])
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                with server.changed:
                    text = server.logs.get(key, "")
                sent = len(text)
                if "tailLines" in query:
                    text = "".join(text.splitlines(keepends=True)[-int(query["tailLines"][0]):])
                try:
                    self.chunk(text)
                    while query.get("follow") == ["true"]:
                        with server.changed:
                            server.changed.wait_for(lambda: server.stopping or
                                                    len(server.logs.get(key, "")) > sent, 1)
                            if server.stopping:
                                break
                            text = server.logs.get(key, "")
                        self.chunk(text[sent:])
                        sent = len(text)
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    pass  # the reader went away

            def chunk(self, text):
                if text:
                    data = text.encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()

        return Handler
