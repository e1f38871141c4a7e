"""Sharing objects between threads: one PolicyContext answers 8 threads exactly as it answers one, concurrent
uploads to one image lose nothing, and every class is usable from threads other than its creator's.

No timing is measured here (speed belongs to benchmarks).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import containers_policy as cp
from containers_policy import Policy, PolicyContext, RegistriesD, Requirement, SignedIdentity, Uploader

from conftest import SignatureServer

WORKERS = 8
ROUNDS = 25
FIXTURE_KEY = "08CD26E446E2E95249B7A405E932F44B23E8DD43"


def read_fixture(path: Path) -> bytes:
    """Reads a corpus file, following the text files that stand in for upstream's symlinks."""
    for _ in range(4):
        data = path.read_bytes()
        if len(data) < 200 and data.startswith(b"../"):
            path = (path.parent / data.decode().strip()).resolve()
            continue
        return data
    raise AssertionError(f"too many links at {path}")


def image(fixtures: Path, name: str) -> tuple[bytes, list[bytes]]:
    d = fixtures / name
    sigs = []
    i = 1
    while (d / f"signature-{i}").exists():
        sigs.append(read_fixture(d / f"signature-{i}"))
        i += 1
    return read_fixture(d / "manifest.json"), sigs


@pytest.fixture(scope="module")
def fixtures(upstream: Path) -> Path:
    return upstream / "signature/fixtures"


@pytest.fixture(scope="module")
def shared_context(fixtures: Path) -> PolicyContext:
    key = str(fixtures / "public-key.gpg")
    return PolicyContext(
        Policy.from_json(
            json.dumps(
                {
                    "default": [{"type": "reject"}],
                    "transports": {
                        "docker": {
                            "docker.io/testing/manifest": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": key}],
                            "docker.io/testing/manifest:repo": [
                                {"type": "signedBy", "keyType": "GPGKeys", "keyPath": key,
                                 "signedIdentity": {"type": "matchRepository"}}
                            ],
                        }
                    },
                }
            )
        )
    )


def workload(fixtures: Path) -> list[tuple[str, str, bytes, list[bytes]]]:
    """(label, reference, manifest, signatures): allowed and refused images, each refused for another reason."""
    valid = image(fixtures, "dir-img-valid")
    valid2 = image(fixtures, "dir-img-valid-2")
    mixed = image(fixtures, "dir-img-mixed")
    unsigned = image(fixtures, "dir-img-unsigned")
    modified = image(fixtures, "dir-img-modified-manifest")
    return [
        ("valid", "docker://testing/manifest:latest", *valid),
        ("valid-2", "docker://testing/manifest:latest", *valid2),
        ("mixed", "docker://testing/manifest:latest", *mixed),
        ("repo", "docker://testing/manifest:repo", *valid),
        ("unsigned", "docker://testing/manifest:latest", *unsigned),
        ("wrong-tag", "docker://testing/manifest:other", *valid2),
        ("modified", "docker://testing/manifest:latest", *modified),
        ("not-a-signature", "docker://testing/manifest:latest", valid[0], [b"garbage"]),
        ("default-reject", "docker://quay.io/x/y:1", *valid),
        ("tampered", "docker://testing/manifest:latest", valid[0] + b" ", valid[1]),
    ]


def outcome(ctx: PolicyContext, reference: str, manifest: bytes, sigs: list[bytes]) -> tuple[Any, ...]:
    d = ctx.evaluate(reference, manifest, sigs)
    try:
        ctx.check(reference, manifest, sigs)
        checked: tuple[str, str] | None = None
    except cp.ContainersPolicyError as e:
        checked = (type(e).__name__, str(e))
    try:
        accepted: Any = [
            (a.signer, a.docker_reference, a.docker_manifest_digest)
            for a in ctx.signatures_with_accepted_author(reference, manifest, sigs)
        ]
    except cp.ContainersPolicyError as e:
        accepted = (type(e).__name__, str(e))
    return (
        d.allowed,
        d.reason,
        type(d.error).__name__,
        d.transport,
        d.scope,
        [
            (r.index, r.type, r.allowed, r.reason, [(s.index, s.accepted, s.reason, s.signer) for s in r.signatures])
            for r in d.requirements
        ],
        checked,
        accepted,
    )


def test_shared_context_agrees_with_a_single_thread(shared_context: PolicyContext, fixtures: Path) -> None:
    cases = workload(fixtures)
    baseline = {label: outcome(shared_context, ref, m, s) for label, ref, m, s in cases}
    # The workload really mixes verdicts and reasons.
    assert sum(1 for b in baseline.values() if b[0]) == 4
    assert len({b[1] for b in baseline.values() if not b[0]}) == 5  # modified and tampered: same reason
    assert baseline["valid"][5][0][4][0][3] == FIXTURE_KEY

    start = threading.Barrier(WORKERS)

    def worker(w: int) -> list[tuple[str, tuple[Any, ...]]]:
        start.wait()
        got = []
        for r in range(ROUNDS):
            shift = (w + r) % len(cases)
            for label, ref, m, s in cases[shift:] + cases[:shift]:
                got.append((label, outcome(shared_context, ref, m, s)))
        return got

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(worker, range(WORKERS)))
    assert len(results) == WORKERS
    total = 0
    for per_thread in results:
        for label, got in per_thread:
            total += 1
            assert got == baseline[label], label
    assert total == WORKERS * ROUNDS * len(cases)


def test_shared_context_on_directories(shared_context: PolicyContext, fixtures: Path, tmp_path: Path) -> None:
    names = ["dir-img-valid", "dir-img-unsigned", "dir-img-modified-manifest", "dir-img-no-manifest"]
    ref = "docker://testing/manifest:latest"
    # evaluate_dir reads the files itself: give it copies with the corpus' text links followed.
    for name in names:
        (tmp_path / name).mkdir()
        for f in (fixtures / name).iterdir():
            (tmp_path / name / f.name).write_bytes(read_fixture(f))

    def run(name: str) -> tuple[bool, str | None, str]:
        d = shared_context.evaluate_dir(tmp_path / name, ref)
        return d.allowed, d.reason, type(d.error).__name__

    baseline = {n: run(n) for n in names}
    assert baseline["dir-img-valid"] == (True, None, "NoneType")
    assert baseline["dir-img-unsigned"][1] == "A signature was required, but no signature exists"
    jobs = [names[i % len(names)] for i in range(WORKERS * ROUNDS)]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for name, got in zip(jobs, pool.map(run, jobs)):
            assert got == baseline[name], name


def test_objects_created_in_one_thread_are_used_in_others(fixtures: Path) -> None:
    manifest, sigs = image(fixtures, "dir-img-valid")
    policy = Policy([Requirement.reject()]).with_scope(
        "docker",
        "docker.io/testing/manifest",
        [Requirement.signed_by(key_path=fixtures / "public-key.gpg", signed_identity=SignedIdentity.match_exact())],
    )
    registries = RegistriesD.from_yaml({"a.yaml": "default-docker:\n  lookaside: https://sigs.example.com\n"})

    def build(_: int) -> PolicyContext:
        return PolicyContext(policy)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        contexts = list(pool.map(build, range(WORKERS)))

    def use(ctx: PolicyContext) -> tuple[Any, ...]:
        d = ctx.evaluate("docker://testing/manifest:latest", manifest, sigs)
        refused = ctx.evaluate("docker://testing/manifest:other", manifest, sigs)
        try:
            ctx.check("docker://testing/manifest:other", manifest, sigs)
            raised = None
        except cp.PolicyRequirementError as e:
            raised = str(e)
        return (
            d.allowed,
            refused.reason,
            raised,
            ctx.policy == policy,
            registries.lookaside_url("testing/manifest:latest"),
        )

    # Every context is used by a thread other than the one that built it.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        got = list(pool.map(use, contexts[::-1] * 4))
    reason = 'Signature for identity "testing/manifest:latest" is not accepted'
    assert got == [(True, reason, reason, True, "https://sigs.example.com/testing/manifest")] * (WORKERS * 4)


def test_exceptions_raised_in_threads_keep_class_and_text() -> None:
    def bad(i: int) -> str:
        try:
            Policy.from_json('{"default": []}' if i % 2 else '{"default": [{"type": "reject"}], "x": 1}')
        except cp.InvalidPolicyError as e:
            return f"{type(e).__name__}: {e}"
        return "no error"

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        got = list(pool.map(bad, range(WORKERS * 4)))
    assert got == [
        "InvalidPolicyError: List of verification policy requirements must not be empty"
        if i % 2
        else 'InvalidPolicyError: Unknown key "x"'
        for i in range(WORKERS * 4)
    ]


# --- concurrent uploads ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blobs() -> tuple[str, bytes, list[bytes]]:
    secret, public, _ = cp.generate_key("Concurrent Uploader <threads@example.invalid>")
    manifest = json.dumps({"schemaVersion": 2, "config": {"size": 99}}).encode()
    # Distinct payloads (one reference each), hence distinct signatures of the same image.
    sigs = [cp.sign(manifest, f"reg.example/team/app:{i}", secret) for i in range(2 * WORKERS)]
    assert len(set(sigs)) == len(sigs)
    return cp.manifest_digest(manifest), public, sigs


def upload_all(make: Callable[[], Uploader], digest: str, sigs: list[bytes]) -> list[Any]:
    uploader = make()  # one client shared by every thread
    start = threading.Barrier(WORKERS)

    def worker(w: int) -> list[Any]:
        start.wait()
        return [uploader.upload("team/app", digest, s) for s in sigs[w::WORKERS]]

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return [r for rs in pool.map(worker, range(WORKERS)) for r in rs]


def check_nothing_lost(server: SignatureServer, digest: str, sigs: list[bytes], results: list[Any], base: str) -> None:
    n = len(sigs)
    assert len(results) == n
    assert all(r.created for r in results)
    assert sorted(r.index for r in results) == list(range(1, n + 1))
    image = server.root / f"team/app@sha256={digest[7:]}"
    stored = {int(p.name.split("-")[1]): p.read_bytes() for p in image.iterdir() if p.name.startswith("signature-")}
    assert sorted(stored) == list(range(1, n + 1))
    assert sorted(stored.values()) == sorted(sigs)  # every file intact, none lost or duplicated
    for r in results:
        assert r.path == f"team/app@sha256={digest[7:]}/signature-{r.index}"
        assert r.url == f"{base}/{r.path}"
    assert [p.name for p in image.iterdir() if not p.name.startswith("signature-")] == []
    # Readers see all of them, in index order.
    r = RegistriesD.from_yaml({"a.yaml": f"docker:\n  reg.example:\n    lookaside: {base}\n"})
    assert r.read_signatures("reg.example/team/app:0", digest, timeout=30) == [stored[i] for i in range(1, n + 1)]


def test_concurrent_json_uploads_lose_nothing(
    signature_server: SignatureServer, blobs: tuple[str, bytes, list[bytes]]
) -> None:
    digest, _, sigs = blobs
    results = upload_all(lambda: Uploader(signature_server.upload_url, token=signature_server.token), digest, sigs)
    check_nothing_lost(signature_server, digest, sigs, results, signature_server.url)
    # Uploading them all again, concurrently, writes nothing new.
    again = upload_all(lambda: Uploader(signature_server.upload_url, token=signature_server.token), digest, sigs)
    assert not any(r.created for r in again)
    assert sorted(r.index for r in again) == list(range(1, len(sigs) + 1))


def test_concurrent_put_uploads_lose_nothing(
    signature_server: SignatureServer, blobs: tuple[str, bytes, list[bytes]]
) -> None:
    digest, _, sigs = blobs
    results = upload_all(
        lambda: Uploader(signature_server.url, nexus=True, token=signature_server.token), digest, sigs
    )
    check_nothing_lost(signature_server, digest, sigs, results, signature_server.url)


def test_concurrently_uploaded_signatures_are_accepted(
    signature_server: SignatureServer, blobs: tuple[str, bytes, list[bytes]]
) -> None:
    digest, public, sigs = blobs
    upload_all(lambda: Uploader(signature_server.upload_url, token=signature_server.token), digest, sigs)
    r = RegistriesD.from_yaml({"a.yaml": f"docker:\n  reg.example:\n    lookaside: {signature_server.url}\n"})
    manifest = json.dumps({"schemaVersion": 2, "config": {"size": 99}}).encode()
    ctx = PolicyContext(Policy([Requirement.signed_by(key_data=public)]))

    def check(i: int) -> bool:
        found = r.read_signatures(f"reg.example/team/app:{i}", digest, timeout=30)
        return ctx.evaluate(f"docker://reg.example/team/app:{i}", manifest, found).allowed

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        assert all(pool.map(check, range(len(sigs))))
    assert not ctx.evaluate("docker://reg.example/team/app:unsigned", manifest, sigs).allowed
