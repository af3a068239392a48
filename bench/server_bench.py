"""Scenarios 3 and 6: `skiff server` with its durable SQLite store.

Each measurement starts its own server on 127.0.0.1 (a free port, a fresh
SKIFF_HOME) and talks to it over HTTP as an Argo client does.
"""
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import threading
import time

NAMESPACE = "argo"

ONE_STEP = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
    "metadata": {"generateName": "one-"},
    "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "container": {"image": "alpine:3.19", "command": ["true"]}}]},
}

# Waits for a resume: a workflow that stays Running with no process behind it.
SUSPENDED = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
    "metadata": {"generateName": "held-"},
    "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [[{"name": "hold", "template": "hold"}]]},
        {"name": "hold", "suspend": {}}]},
}

# The projection `argo list` asks for.
LIST_FIELDS = ("metadata,items.metadata.name,items.metadata.namespace,items.metadata.uid,"
               "items.metadata.creationTimestamp,items.metadata.labels,items.status.phase,"
               "items.status.message,items.status.finishedAt,items.status.startedAt,"
               "items.status.estimatedDuration,items.status.progress,items.spec.priority")


class Server:
    def __init__(self, exe, home, sandbox):
        self.exe, self.home, self.sandbox = exe, home, sandbox
        self.proc, self.port = None, None

    def start(self, timeout=600):
        """Starts the server; returns seconds until it listens (recovery included)."""
        cmd = [self.exe, "server", "--port", "0"]
        if not self.sandbox:
            cmd.append("--no-sandbox")
        env = dict(os.environ, SKIFF_HOME=self.home)
        began = time.monotonic()
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = began + timeout
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError("skiff server exited before listening")
            m = re.search(r"listening on http://[^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                # Keep draining stderr so the server never blocks on a full pipe.
                threading.Thread(target=self.proc.stderr.read, daemon=True).start()
                return time.monotonic() - began
        raise RuntimeError("skiff server did not listen in time")

    def kill(self):
        if self.proc:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
            self.proc = None

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)


def call(conn, method, path, body=None):
    data = json.dumps(body) if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
    response = conn.getresponse()
    payload = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
    return payload


def submit_all(server, workflow, count, clients=4):
    """Submits `count` copies from `clients` keep-alive connections; returns the names."""
    names, lock = [], threading.Lock()
    share = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]

    def client(n):
        conn = server.connection()
        mine = []
        for _ in range(n):
            body = json.loads(call(conn, "POST", f"/api/v1/workflows/{NAMESPACE}", {"workflow": workflow}))
            mine.append(body["metadata"]["name"])
        conn.close()
        with lock:
            names.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in share]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return names


def phases(server):
    conn = server.connection()
    body = json.loads(call(conn, "GET", f"/api/v1/workflows/{NAMESPACE}?fields=items.status.phase"))
    conn.close()
    counts = {}
    for item in body.get("items") or []:
        phase = (item.get("status") or {}).get("phase", "Pending")
        counts[phase] = counts.get(phase, 0) + 1
    return counts


def wait_for(server, done, timeout, poll=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = phases(server)
        if done(counts):
            return counts
        time.sleep(poll)
    return phases(server)


def throughput(exe, work, count, sandbox):
    """Seconds from the first submission until `count` one-step workflows ended, and their phases."""
    home = os.path.join(work, f"throughput-{int(sandbox)}")
    server = Server(exe, home, sandbox)
    server.start()
    try:
        began = time.monotonic()
        submit_all(server, ONE_STEP, count)
        submitted = time.monotonic() - began
        finished = lambda c: c.get("Succeeded", 0) + c.get("Failed", 0) + c.get("Error", 0) >= count  # noqa: E731
        counts = wait_for(server, finished, timeout=900, poll=0.2)
        return time.monotonic() - began, submitted, counts, server_rss_kb(server), home, server
    except Exception:
        server.stop()
        raise


def server_rss_kb(server):
    try:
        with open(f"/proc/{server.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def list_latency(server, count, repeat):
    """Milliseconds per full list of the stored workflows, `argo list`'s projection, and a 500 page."""
    conn = server.connection()
    full, page = [], []
    items = 0
    for _ in range(repeat):
        # Timed until the response's last byte arrived: parsing megabytes of
        # JSON in Python is the client's cost, not the server's.
        began = time.monotonic()
        payload = call(conn, "GET", f"/api/v1/workflows/{NAMESPACE}?fields={LIST_FIELDS}")
        full.append((time.monotonic() - began) * 1000)
        items = len(json.loads(payload).get("items") or [])
        began = time.monotonic()
        call(conn, "GET", f"/api/v1/workflows/{NAMESPACE}?listOptions.limit=500&fields={LIST_FIELDS}")
        page.append((time.monotonic() - began) * 1000)
    conn.close()
    return full, page, items


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def restart(exe, work, count):
    """Seconds for a killed server to come back with `count` suspended workflows recovered.

    Returns (restart seconds, first start seconds, running after restart,
    phases after resuming a sample)."""
    home = os.path.join(work, "restart")
    server = Server(exe, home, sandbox=False)
    server.start()
    try:
        submit_all(server, SUSPENDED, count)
        counts = wait_for(server, lambda c: c.get("Running", 0) >= count, timeout=900)
        server.kill()
        seconds = server.start()
        running = phases(server).get("Running", 0)
        # Recovered means operable: resume a sample and see it finish.
        conn = server.connection()
        body = json.loads(call(conn, "GET", f"/api/v1/workflows/{NAMESPACE}?listOptions.limit=20&fields=items.metadata.name"))
        sample = [i["metadata"]["name"] for i in body.get("items") or []]
        for name in sample:
            call(conn, "PUT", f"/api/v1/workflows/{NAMESPACE}/{name}/resume", {})
        conn.close()
        after = wait_for(server, lambda c: c.get("Succeeded", 0) >= len(sample), timeout=120)
        return seconds, counts.get("Running", 0), running, after.get("Succeeded", 0), len(sample)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def median(values):
    return statistics.median(values) if values else 0.0
