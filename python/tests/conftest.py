"""Shared fixtures: paths to the upstream corpus, the CLI binary, and a real signature server on 127.0.0.1."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def upstream_fixtures_dir() -> Path:
    """containers/image's own test data (`../shared/upstream-fixtures`, or $CONTAINERS_POLICY_UPSTREAM_FIXTURES)."""
    override = os.environ.get("CONTAINERS_POLICY_UPSTREAM_FIXTURES")
    if override:
        return Path(override)
    return REPO.parent / "shared" / "upstream-fixtures"


@pytest.fixture(scope="session")
def upstream() -> Path:
    """The upstream corpus; tests using it are skipped, saying so, when it is absent (CI always has it)."""
    d = upstream_fixtures_dir()
    if not (d / "expected-verdicts.jsonl").is_file():
        pytest.skip(f"skipped: upstream fixtures not found at {d}")
    return d


def cli_path() -> Path:
    """The `containers-policy` binary: $CONTAINERS_POLICY_CLI, else target/debug (scripts/test-python builds it)."""
    override = os.environ.get("CONTAINERS_POLICY_CLI")
    return Path(override) if override else REPO / "target" / "debug" / "containers-policy"


@pytest.fixture(scope="session")
def cli() -> Path:
    p = cli_path()
    if not p.is_file():
        pytest.fail(f"{p} not found: build it with `cargo build -p containers-policy-cli` (scripts/test-python does)")
    return p


@dataclass
class SignatureServer:
    """A running `containers-policy serve` on 127.0.0.1."""

    url: str  # base URL, e.g. http://127.0.0.1:41234 (plus the base path, if any)
    root: Path  # the lookaside tree it serves and writes
    token: str  # the bearer token it accepts for uploads
    auth_file: Path  # the credential file (`bearer <token>`), usable by clients too
    process: subprocess.Popen[str]

    @property
    def upload_url(self) -> str:
        return f"{self.url}/upload"


def start_signature_server(cli: Path, work: Path, *extra: str) -> SignatureServer:
    """Starts `containers-policy serve --listen 127.0.0.1:0` and reads its URL from its first output line."""
    root = work / "lookaside"
    root.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    auth_file = work / "server-credentials"
    auth_file.write_text(f"bearer {token}\n")
    proc = subprocess.Popen(
        [str(cli), "serve", "--listen", "127.0.0.1:0", "--root", str(root), "--auth-file", str(auth_file), *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    words = [w for w in line.split() if w.startswith("http://127.0.0.1:")]
    if not words:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"no URL in the server's first line: {line!r}")
    return SignatureServer(url=words[0].rstrip("/"), root=root, token=token, auth_file=auth_file, process=proc)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.fixture
def signature_server(cli: Path, tmp_path: Path) -> Iterator[SignatureServer]:
    """A fresh signature server (empty store) per test."""
    server = start_signature_server(cli, tmp_path / "server")
    try:
        yield server
    finally:
        stop(server.process)


@pytest.fixture
def nexus_server(cli: Path, tmp_path: Path) -> Iterator[SignatureServer]:
    """Our server with the URL layout of a Nexus RAW repository named `sigstore` (`--base-path`)."""
    server = start_signature_server(cli, tmp_path / "nexus", "--base-path", "/repository/sigstore")
    try:
        yield server
    finally:
        stop(server.process)


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
