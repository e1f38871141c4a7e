"""The type stubs are the API contract: mypy.stubtest compares `_native.pyi` with the extension, `__all__` lists
exactly the public names, and a typed program using the API passes `mypy --strict` (and a wrong one does not).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import containers_policy
import containers_policy._native as native

PYTHON_DIR = Path(__file__).resolve().parents[1]

def stubtest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "--mypy-config-file", str(tmp_path / "mypy.ini"), *args,
         "containers_policy._native"],
        cwd=PYTHON_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def mypy_config(tmp_path: Path) -> Path:
    config = tmp_path / "mypy.ini"
    config.write_text(f"[mypy]\ncache_dir = {tmp_path / 'cache'}\n")
    return config


def test_stubtest_passes(tmp_path: Path, mypy_config: Path) -> None:
    done = stubtest(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_all_lists_exactly_the_public_names() -> None:
    exported = containers_policy.__all__
    assert len(exported) == len(set(exported))
    for name in exported:
        assert hasattr(containers_policy, name), name
    public = {n for n in dir(native) if not n.startswith("_")} | {"__version__"}
    assert set(exported) == public
    for name in exported:
        assert getattr(containers_policy, name) is getattr(native, name)
    # The extension's own __all__ agrees.
    assert set(native.__all__) == set(exported)
    assert isinstance(containers_policy.__version__, str) and containers_policy.__version__


def test_the_package_is_typed() -> None:
    package = Path(containers_policy.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_native.pyi").is_file()


TYPED_PROGRAM = '''
from __future__ import annotations

import os
from pathlib import Path

import containers_policy as cp


def build() -> cp.Policy:
    identity: cp.SignedIdentity = cp.SignedIdentity.remap_identity("mirror.example/ns", "example.com/ns")
    requirements: list[cp.Requirement] = [
        cp.Requirement.signed_by(key_path=Path("/keys/a.gpg"), signed_identity=identity),
        cp.Requirement.signed_by(key_paths=["/keys/b.gpg", Path("/keys/c.gpg")]),
        cp.Requirement.signed_by(key_data=b"...", signed_identity=cp.SignedIdentity.match_exact()),
        cp.Requirement.sigstore_signed(key_data=bytearray(b"pem")),
        cp.Requirement.from_json('{"type": "reject"}'),
    ]
    policy = cp.Policy([cp.Requirement.reject()]).with_scope("docker", "mirror.example/ns", requirements)
    policy = policy.with_default([cp.Requirement.insecure_accept_anything()]).without_scope("docker", "mirror.example/ns")
    text: str = policy.to_json()
    again: cp.Policy = cp.Policy.from_json(text.encode())
    scopes: dict[str, dict[str, list[cp.Requirement]]] = again.transports
    found: list[cp.Requirement] | None = again.scope("docker", "")
    kind: str = found[0].type if found else again.default[0].type
    data: bytes | None = requirements[2].key_data
    return cp.Policy.from_file(Path(os.devnull)) if not scopes and kind and data else again


def evaluate(policy: cp.Policy, manifest: bytes, signatures: list[bytes]) -> str | None:
    ctx = cp.PolicyContext(policy, base_dir="/etc/containers", now=1700000000.0, require_signature_verification=True)
    decision: cp.Decision = ctx.evaluate("docker://example.com/ns/app:1", manifest, signatures)
    for req in decision.requirements:
        r: cp.RequirementResult = req
        for sig in r.signatures:
            s: cp.SignatureResult = sig
            signer: str | None = s.signer
            index: int = s.index
            del signer, index
    error: cp.ContainersPolicyError | None = decision.error
    if error is not None and not decision:
        try:
            decision.raise_for_denial()
        except cp.PolicyRequirementError as e:
            return str(e) + e.code
    accepted: list[cp.AcceptedSignature] = ctx.signatures_with_accepted_author(
        "docker://example.com/ns/app:1", bytearray(manifest), tuple(signatures)
    )
    ctx.check("docker://example.com/ns/app:1", manifest, signatures)
    d2 = ctx.evaluate_dir(Path("/var/tmp/image"))
    return accepted[0].signer if accepted else d2.reason


def sign_and_publish(manifest: bytes) -> list[cp.UploadResult]:
    secret, public, fingerprint = cp.generate_key("Typed <typed@example.invalid>")
    digest: str = cp.manifest_digest(manifest)
    blob: bytes = cp.sign(manifest, "example.com/ns/app:1", secret, key_id=fingerprint, passphrase=None)
    verified: cp.AcceptedSignature = cp.verify_signature(blob, manifest, "example.com/ns/app:1", [public], [fingerprint])
    assert verified.docker_manifest_digest == digest
    registries = cp.RegistriesD.from_yaml({"a.yaml": "default-docker:\\n  lookaside: https://sigs.example.com\\n"})
    url: str = registries.signature_url("example.com/ns/app:1", digest, 2, write=True)
    blobs: list[bytes] = registries.read_signatures("example.com/ns/app:1", digest, tls_verify=True, timeout=5.0)
    loc = cp.SignatureLocation("ns/app", digest, 1)
    same: cp.SignatureLocation = cp.SignatureLocation.parse(loc.relative_path)
    walked: list[tuple[cp.SignatureLocation, Path]] = cp.SignatureLocation.walk(Path("/var/tmp/staging"))
    where: cp.SignatureLocation = cp.SignatureLocation.for_reference("example.com/ns/app:1", digest, index=2)
    staging: str = registries.default_staging_url()
    up = cp.Uploader("https://sigs.example.com/upload", token="t", timeout=10.0)
    results = [up.upload("ns/app", digest, blob), up.upload_location(same, blob)]
    results += up.upload_staging("/var/tmp/staging")
    index: int | None = results[0].index
    del url, blobs, walked, index, where, staging
    return results
'''

WRONG_PROGRAM = '''
import containers_policy as cp

cp.Policy.from_json(1)
cp.Requirement.signed_by("/positional/path")
ctx = cp.PolicyContext(cp.Policy([cp.Requirement.reject()]))
allowed: str = ctx.evaluate("docker://a/b:1", b"{}", []).allowed
cp.Uploader("https://x/upload", nexus="yes")
'''


def mypy_strict(tmp_path: Path, program: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "program.py"
    source.write_text(textwrap.dedent(program))
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(source)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_typed_program_passes_mypy_strict(tmp_path: Path) -> None:
    done = mypy_strict(tmp_path, TYPED_PROGRAM)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_wrong_program_fails_mypy_strict(tmp_path: Path) -> None:
    """The stub really constrains callers (so the passing check above means something)."""
    done = mypy_strict(tmp_path, WRONG_PROGRAM)
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [line for line in done.stdout.splitlines() if ": error: " in line]
    lines = {int(line.split(":")[1]) for line in errors}
    assert lines == {4, 5, 7, 8}, done.stdout


def test_examples_pass_mypy_strict(tmp_path: Path) -> None:
    """The example scripts are typed against the stubs; a change to the API that breaks them fails here."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(PYTHON_DIR / "examples")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
