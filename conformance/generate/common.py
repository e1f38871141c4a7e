"""Shared helpers of the fixture generator: paths, running the real tools, reading their messages, and the
list of recorded cases. Python 3 standard library only."""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

HERE = Path(__file__).resolve().parent
FINAL_FIXTURES = HERE.parent / "fixtures"  # the committed tree, replaced only when a generation succeeds
FIXTURES = FINAL_FIXTURES  # where this generation writes (generate.py points it into the work directory)
REGISTRY = "127.0.0.1:55000"
PLACEHOLDER = "@FIXTURES@"
WORKERS = max(2, min(6, (os.cpu_count() or 2) * 2))


class GenerationError(Exception):
    """A step of the generation failed or a recorded verdict contradicts what the generator expects."""


# --- running tools -------------------------------------------------------------------------------


class Env:
    """The environment every tool runs in: a throwaway HOME (so no user configuration is read), TZ=UTC
    (gpgme times are printed in the local zone), no proxies, C locale."""

    def __init__(self, work: Path):
        self.work = work
        self.home = work / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.tmp = work / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._counter = 0
        self._lock = threading.Lock()

    def base(self, extra: Optional[dict[str, str]] = None) -> dict[str, str]:
        keep = ("PATH", "LANG", "TERM")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env["PATH"] = os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        env.update({"HOME": str(self.home), "TZ": "UTC", "LC_ALL": "C.UTF-8", "TMPDIR": str(self.tmp)})
        if extra:
            env.update(extra)
        return env

    def fresh_dir(self, prefix: str) -> Path:
        with self._lock:
            self._counter += 1
            n = self._counter
        d = self.tmp / f"{prefix}-{n}"
        return d


def run(argv: list[str], *, env: dict[str, str], cwd: Optional[Path] = None, input: Optional[bytes] = None,
        timeout: float = 180, check: bool = False, what: str = "") -> subprocess.CompletedProcess[bytes]:
    try:
        proc = subprocess.run(argv, env=env, cwd=cwd, input=input, capture_output=True, timeout=timeout,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise GenerationError(f"{what or argv[0]}: timed out after {timeout}s: {argv}") from e
    if check and proc.returncode != 0:
        raise GenerationError(
            f"{what or ' '.join(argv)} failed (exit {proc.returncode}):\n{proc.stdout.decode(errors='replace')}"
            f"{proc.stderr.decode(errors='replace')}")
    return proc


def tool_version(argv: list[str], env: dict[str, str]) -> str:
    try:
        out = subprocess.run(argv, env=env, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unavailable ({e})"
    text = (out.stdout or out.stderr).decode(errors="replace").strip()
    return text.splitlines()[0] if text else f"unknown (exit {out.returncode})"


# --- Go / logrus message extraction -------------------------------------------------------------

_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34, "'": 39}


def go_unquote(quoted: str) -> str:
    """The value of a Go `%q` / strconv.Quote literal (with its surrounding quotes)."""
    assert quoted[0] == '"' and quoted[-1] == '"', quoted
    s = quoted[1:-1]
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        e = s[i + 1]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        elif e == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif e == "u":
            out += chr(int(s[i + 2:i + 6], 16)).encode()
            i += 6
        elif e == "U":
            out += chr(int(s[i + 2:i + 10], 16)).encode()
            i += 10
        elif e in "01234567":
            out.append(int(s[i + 1:i + 4], 8))
            i += 4
        else:
            raise ValueError(f"unknown escape \\{e} in {quoted!r}")
    return out.decode("utf-8", errors="replace")


_MSG_RE = re.compile(r'level=(fatal|error) msg=("(?:[^"\\]|\\.)*"|\S*)')


def fatal_message(stderr: str) -> Optional[str]:
    """The message of the last `level=fatal` (or, failing that, `level=error`) logrus line of a tool's stderr."""
    found = None
    for line in stderr.splitlines():
        m = _MSG_RE.search(line)
        if not m:
            continue
        if m.group(1) == "fatal" or found is None or found[0] != "fatal":
            raw = m.group(2)
            found = (m.group(1), go_unquote(raw) if raw.startswith('"') else raw)
    return found[1] if found else None


# --- registry ----------------------------------------------------------------------------------


def port_busy(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


class Registry:
    """Debian's docker-registry on 127.0.0.1:55000, storage in the work dir."""

    def __init__(self, env: Env):
        self.env = env
        self.proc: Optional[subprocess.Popen[bytes]] = None

    def start(self) -> None:
        host, port = REGISTRY.split(":")
        if port_busy(host, int(port)):
            raise GenerationError(f"port {REGISTRY} is already in use; the fixtures embed this address, stop "
                                  "whatever listens there and re-run")
        root = self.env.work / "registry"
        cfg = self.env.work / "registry.yml"
        cfg.write_text(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n"
            f"    rootdirectory: {root}\n  delete:\n    enabled: true\nhttp:\n  addr: {REGISTRY}\n")
        self.log = open(self.env.work / "registry.log", "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve", str(cfg)], stdout=self.log, stderr=self.log,
                                     env=self.env.base(), stdin=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise GenerationError(f"docker-registry exited: {(self.env.work / 'registry.log').read_text()}")
            try:
                with urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise GenerationError(f"docker-registry did not answer on {REGISTRY}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def manifest(self, repo: str, ref: str) -> tuple[bytes, str]:
        """Raw manifest bytes and the registry's digest for `repo:ref`."""
        req = urllib.request.Request(
            f"http://{REGISTRY}/v2/{repo}/manifests/{ref}",
            headers={"Accept": ", ".join([
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.docker.distribution.manifest.v2+json",
            ])})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
            digest = r.headers.get("Docker-Content-Digest", "")
        computed = "sha256:" + hashlib.sha256(body).hexdigest()
        if digest and digest != computed:
            raise GenerationError(f"{repo}:{ref}: registry digest {digest} != sha256 of the body {computed}")
        return body, computed


# --- misc --------------------------------------------------------------------------------------


def sha256_hex(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def write_json(path: Path, value: Any, *, compact: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if compact:
        path.write_text(json.dumps(value, separators=(",", ":")) + "\n")
    else:
        path.write_text(json.dumps(value, indent=2) + "\n")


def parallel(fn: Callable[[Any], Any], items: Iterable[Any], workers: int = WORKERS) -> list[Any]:
    items = list(items)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(fn, items))


def scrub(text: str, env: Env) -> str:
    """Machine-specific paths in recorded texts: the fixtures dir becomes @FIXTURES@, the work dir @WORK@."""
    text = text.replace(str(FIXTURES.resolve()), PLACEHOLDER)
    if str(FIXTURES) != str(FIXTURES.resolve()):
        text = text.replace(str(FIXTURES), PLACEHOLDER)
    return text.replace(str(env.work), "@WORK@")
