"""The GIL is released while the binding waits on files and servers.

Each case blocks a binding call on something only another Python thread can unblock (a FIFO that the main
thread opens, an HTTP handler that waits for the main thread). If the call held the GIL, the main thread
could never run and the case would deadlock, so each runs in a child interpreter under a timeout: a
deadlock fails the test instead of hanging the suite. No timing is measured.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

TIMEOUT = 60


def run_child(script: str, tmp_path: Path) -> str:
    path = tmp_path / "child.py"
    path.write_text(textwrap.dedent(script))
    try:
        done = subprocess.run(
            [sys.executable, str(path), str(tmp_path)], capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"deadlock: the binding call kept the GIL while blocked ({e})") from None
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_file_reads_release_the_gil(tmp_path: Path) -> None:
    # Policy.from_file and evaluate_dir read a FIFO that the main thread only feeds after the call started.
    out = run_child(
        """
        import os, sys, threading
        import containers_policy as cp
        tmp = sys.argv[1]
        fifo = os.path.join(tmp, "policy.json")
        os.mkfifo(fifo)
        result = {}
        worker = threading.Thread(target=lambda: result.update(policy=cp.Policy.from_file(fifo)))
        worker.start()
        with open(fifo, "w") as f:  # blocks until the worker opens the FIFO for reading
            f.write('{"default": [{"type": "insecureAcceptAnything"}]}')
        worker.join()
        print(result["policy"].default[0].type)

        image = os.path.join(tmp, "img")
        os.mkdir(image)
        os.mkfifo(os.path.join(image, "manifest.json"))
        ctx = cp.PolicyContext(result["policy"])
        worker = threading.Thread(target=lambda: result.update(decision=ctx.evaluate_dir(image, "docker://quay.io/a/b:1")))
        worker.start()
        with open(os.path.join(image, "manifest.json"), "w") as f:
            f.write("{}")
        worker.join()
        print(result["decision"].allowed)
        """,
        tmp_path,
    )
    assert out.split() == ["insecureAcceptAnything", "True"]


def test_network_calls_release_the_gil(tmp_path: Path) -> None:
    # read_signatures waits for an HTTP answer that a Python handler only gives once the main thread,
    # which runs Python code while the worker is inside the call, says so.
    out = run_child(
        """
        import os, sys, threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        import containers_policy as cp

        asked = threading.Event()
        answer = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                asked.set()
                ok = answer.wait(30)
                self.send_response(404 if ok else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()
            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        config = cp.RegistriesD.from_yaml({"a.yaml": f"default-docker:\\n  lookaside: http://127.0.0.1:{port}/sigs\\n"})
        result = {}
        def work():
            try:
                result["sigs"] = config.read_signatures("quay.io/a/b:1", "sha256:" + "0" * 64)
            except Exception as e:
                result["error"] = e
        worker = threading.Thread(target=work)
        worker.start()
        assert asked.wait(30), "the request never reached the handler"
        answer.set()
        worker.join()
        server.shutdown()
        print(result)
        """,
        tmp_path,
    )
    assert out.strip() == "{'sigs': []}"
