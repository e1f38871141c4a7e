"""PolicyContext: containers/image's own verdicts (the upstream corpus `expected-verdicts.jsonl`, replayed as
`policy/tests/upstream.rs` replays it), decisions on the upstream `dir-img-*` images, and the Python surface
(Decision fields, exceptions, options, accepted input types).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import containers_policy as cp
from containers_policy import (
    ContainersPolicyError,
    Decision,
    InvalidPolicyError,
    InvalidReferenceError,
    InvalidSignatureError,
    Policy,
    PolicyContext,
    PolicyRequirementError,
    Requirement,
    SignedIdentity,
)

from conftest import upstream_fixtures_dir

FIXTURE_KEY = "08CD26E446E2E95249B7A405E932F44B23E8DD43"
DIGEST_20BF = "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55"
ERROR_TYPES: dict[str, type[ContainersPolicyError]] = {
    "PolicyRequirementError": PolicyRequirementError,
    "InvalidSignatureError": InvalidSignatureError,
    "InvalidPolicyFormatError": InvalidPolicyError,
}


# --- the upstream corpus, with its text-file symlinks materialized ----------------------------------------------


def _resolve(root: Path, path: Path) -> Path | None:
    """Follows the small text files that stand in for upstream's relative symlinks (`../image.manifest.json`)."""
    for _ in range(8):
        try:
            size = path.stat().st_size
        except OSError:
            return None  # dangling upstream link
        if 0 < size < 200:
            try:
                text = path.read_bytes().decode().rstrip("\n")
            except UnicodeDecodeError:
                return path
            looks_like_link = text.startswith("../") or (" " not in text and "/" in text and not text.startswith("{"))
            if looks_like_link and "\n" not in text:
                target = (path.parent / text).resolve()
                if target.exists() and str(target).startswith(str(root.resolve())):
                    path = target
                    continue
        return path
    return None


def materialize(src: Path, dst: Path) -> None:
    for p in sorted(src.rglob("*")):
        target = dst / p.relative_to(src)
        if p.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        real = _resolve(src, p)
        if real is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(real.read_bytes())


@pytest.fixture(scope="module")
def corpus(upstream: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("upstream-fixtures")
    materialize(upstream, root)
    return root


def load_cases() -> list[dict[str, Any]]:
    path = upstream_fixtures_dir() / "expected-verdicts.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


CASES = load_cases()

# What each part of the suite replays. test_context: through PolicyContext. test_signing: verify_signature
# and manifest_digest. test_lookaside: RegistriesD. Not exposed by the binding (lower-level Rust APIs only):
# OpenPGP mechanism and keyring internals, untrusted contents, matches-digest, sigstore trust roots.
CONTEXT_LEVELS = {
    ("signedBy", "signature"),
    ("signedBy", "image"),
    ("policy", "signature"),
    ("policy", "image"),
    ("policy", "policy"),
    ("policy", "accepted-signatures"),
    ("sigstoreSigned", "signature"),
    ("sigstoreSigned", "image"),
}
ELSEWHERE = {
    ("verify-docker-manifest", "api"): "test_signing",
    ("digest", "manifest"): "test_signing",
    ("policy-parse", "parse"): "test_policy",
    ("registries.d", "load"): "test_lookaside",
    ("registries.d", "base-url"): "test_lookaside",
    ("registries.d", "signature-url"): "test_lookaside",
    ("registries.d", "top-level"): "test_lookaside",
    ("registries.d", "namespace"): "test_lookaside",
}
NOT_EXPOSED = {
    ("mechanism", "mechanism"),
    ("keyring", "mechanism"),
    ("untrusted-contents", "no-crypto"),
    ("digest", "matches-digest"),
    ("sigstoreSigned", "signature-author"),
    ("sigstoreSigned", "trust-root"),
}
CONTEXT_CASES = [c for c in CASES if (c["kind"], c["level"]) in CONTEXT_LEVELS]


def test_every_corpus_case_has_a_home(upstream: Path) -> None:
    """A new kind of case in the corpus must be noticed (and replayed somewhere), not silently skipped."""
    assert len(CASES) >= 284
    unplaced = [
        c["case"]
        for c in CASES
        if (c["kind"], c["level"]) not in CONTEXT_LEVELS | set(ELSEWHERE) | NOT_EXPOSED
    ]
    assert not unplaced
    assert len(CONTEXT_CASES) >= 149


def blob_of(corpus: Path, case: dict[str, Any]) -> bytes:
    if "signature" in case:
        return (corpus / case["signature"]).read_bytes()
    if "signature_bytes" in case:
        return str(case["signature_bytes"]).encode()
    return (corpus / "signature/fixtures/dir-img-valid/signature-1").read_bytes()


def image_dir(corpus: Path, case: dict[str, Any], tmp_path: Path) -> Path:
    if case["case"].endswith("signature-read-error"):
        # Upstream: manifest.json `{}` and a signature-1 that is a symbolic link to itself (ELOOP).
        d = tmp_path / "read-error"
        d.mkdir()
        (d / "manifest.json").write_bytes(b"{}")
        os.symlink("signature-1", d / "signature-1")
        return d
    return corpus / case.get("image_dir", "signature/fixtures/dir-img-valid")


def read_image(d: Path) -> tuple[bytes | None, list[bytes]]:
    manifest = (d / "manifest.json").read_bytes() if (d / "manifest.json").exists() else None
    sigs = []
    i = 1
    while os.path.lexists(d / f"signature-{i}"):
        sigs.append((d / f"signature-{i}").read_bytes())
        i += 1
    return manifest, sigs


def context_for(corpus: Path, policy: dict[str, Any], case: dict[str, Any]) -> PolicyContext:
    kwargs: dict[str, Any] = {}
    options = case.get("options", {})
    if "require_signature_verification" in options:
        kwargs["require_signature_verification"] = options["require_signature_verification"]
    return PolicyContext(Policy.from_json(json.dumps(policy)), base_dir=corpus, **kwargs)


def check_error(case: dict[str, Any], error: BaseException | None, reason: str | None) -> None:
    assert error is not None, f"{case['case']}: expected {case['expected']}, the image was allowed"
    assert isinstance(error, ContainersPolicyError)
    if reason is not None:
        assert str(error) == reason
    if "error_contains" in case:
        assert case["error_contains"] in str(error)
    if case.get("error_type") in ERROR_TYPES:
        assert type(error) is ERROR_TYPES[case["error_type"]], f"{type(error).__name__}: {error}"


def check_decision(case: dict[str, Any], d: Decision) -> None:
    assert isinstance(d, Decision)
    assert bool(d) is d.allowed
    if case["expected"] == "accepted":
        assert d.allowed, d.reason
        assert d.reason is None and d.error is None
    else:
        assert case["expected"] == "rejected"
        assert not d.allowed
        check_error(case, d.error, d.reason)


def check_same_as_bytes_api(ctx: PolicyContext, reference: str, d_dir: Path, d: Decision) -> None:
    """evaluate() on the bytes of the image answers exactly as evaluate_dir(), and check() agrees."""
    try:
        manifest, sigs = read_image(d_dir)
    except OSError:
        return  # an unreadable signature file: only the directory form can meet it
    if manifest is None:
        return  # only the directory form can express a missing manifest
    d2 = ctx.evaluate(reference, manifest, sigs)
    assert (d2.allowed, d2.reason, type(d2.error)) == (d.allowed, d.reason, type(d.error))
    if d.allowed:
        assert ctx.check(reference, manifest, sigs) is None
    else:
        with pytest.raises(ContainersPolicyError) as info:
            ctx.check(reference, manifest, sigs)
        assert type(info.value) is type(d.error)
        assert str(info.value) == d.reason


@pytest.mark.parametrize("case", CONTEXT_CASES, ids=[c["case"] for c in CONTEXT_CASES])
def test_upstream_verdict(case: dict[str, Any], corpus: Path, tmp_path: Path) -> None:
    kind, level = case["kind"], case["level"]
    reference = "docker://" + case.get("reference", "testing/manifest:latest")

    if kind == "sigstoreSigned":
        # Not implemented by the core yet (as in upstream.rs): it must never accept. Each case either fails to
        # parse (several/no key sources) or is refused.
        try:
            ctx = context_for(corpus, {"default": [case["requirement"]]}, case)
        except InvalidPolicyError:
            assert case["expected"] == "rejected"
            return
        d = ctx.evaluate_dir(image_dir(corpus, case, tmp_path), reference)
        assert not d.allowed
        assert isinstance(d.error, ContainersPolicyError)
        return

    if "invalidEmptyRequirements" in case["case"]:
        # An empty requirement list cannot be written in policy.json, and the binding refuses to build one
        # (upstream builds it in Go code). Refused with the very text upstream's evaluation gives.
        base = Policy([Requirement.reject()])
        with pytest.raises(InvalidPolicyError) as info:
            base.with_scope("docker", "docker.io/testing/manifest:invalidEmptyRequirements", [])
        assert str(info.value) == "List of verification policy requirements must not be empty"
        if "error_contains" in case:
            assert case["error_contains"] == str(info.value)
        return

    if level in ("signature", "image"):
        try:
            ctx = context_for(corpus, {"default": [case["requirement"]]}, case)
        except InvalidPolicyError as e:
            # Several/no key sources cannot even be expressed: the parser refuses them.
            assert case["expected"] == "rejected", str(e)
            check_error(case, e, None)
            return
        d_dir = image_dir(corpus, case, tmp_path)
        if level == "image":
            d = ctx.evaluate_dir(d_dir, reference)
            check_decision(case, d)
            check_same_as_bytes_api(ctx, reference, d_dir, d)
            return
        # One signature against one requirement: an image holding just that signature.
        one = tmp_path / "one-signature"
        one.mkdir()
        if (d_dir / "manifest.json").exists():
            shutil.copy(d_dir / "manifest.json", one / "manifest.json")
        (one / "signature-1").write_bytes(blob_of(corpus, case))
        d = ctx.evaluate_dir(one, reference)
        [req] = d.requirements
        if case["expected"] == "unknown":
            # insecureAcceptAnything has no opinion on signatures: no per-signature verdict at all.
            assert d.allowed and req.signatures == []
            assert ctx.signatures_with_accepted_author(reference, *read_image(one)) == []  # type: ignore[arg-type]
            return
        if case["requirement"]["type"] == "reject":
            # `reject` refuses every signature ("... are rejected by policy."); the binding exposes no
            # per-signature verdict for non-signedBy requirements, so only the verdict is observable here.
            assert not d.allowed and req.signatures == []
            assert "is rejected by policy." in str(d.reason)
            assert ctx.signatures_with_accepted_author(reference, *read_image(one)) == []  # type: ignore[arg-type]
            return
        if not req.signatures:
            # The blob is not a recognizable signature at all: the whole image is refused before verification.
            assert case["expected"] == "rejected"
            check_decision(case, d)
            assert isinstance(d.error, InvalidSignatureError)
            return
        [sig] = req.signatures
        assert sig.index == 1
        if case["expected"] == "accepted":
            assert sig.accepted and sig.reason is None
            assert d.allowed and req.allowed
            assert sig.signer is not None and len(sig.signer) == 40
            if "parsed_signature" in case:
                assert sig.docker_reference == case["parsed_signature"]["docker-reference"]
                assert sig.docker_manifest_digest == case["parsed_signature"]["docker-manifest-digest"]
        else:
            assert not sig.accepted
            assert (sig.signer, sig.docker_reference, sig.docker_manifest_digest) == (None, None, None)
            # With a single signature, the requirement's (and the image's) reason is that signature's.
            assert sig.reason == req.reason == d.reason
            check_decision(case, d)
        return

    ctx = context_for(corpus, case["policy"], case)
    d_dir = image_dir(corpus, case, tmp_path)
    if level == "policy":
        d = ctx.evaluate_dir(d_dir, reference)
        check_decision(case, d)
        check_same_as_bytes_api(ctx, reference, d_dir, d)
        return

    assert level == "accepted-signatures"
    if case["expected"] == "error":
        # The error is reading a signature file; the Python API takes bytes, so only the directory form can
        # meet it: the image is refused there.
        d = ctx.evaluate_dir(d_dir, reference)
        assert not d.allowed and "signature-1" in str(d.reason)
        return
    manifest, sigs = read_image(d_dir)
    assert manifest is not None
    got = ctx.signatures_with_accepted_author(reference, manifest, sigs)
    want = [(w["docker-manifest-digest"], w["docker-reference"]) for w in case["accepted_signatures"]]
    assert [(a.docker_manifest_digest, a.docker_reference) for a in got] == want
    for a in got:
        assert a.signer == FIXTURE_KEY


# --- Decision fields on the upstream images ------------------------------------------------------------------


@pytest.fixture(scope="module")
def scoped_ctx(corpus: Path) -> PolicyContext:
    policy = Policy.from_json(
        json.dumps(
            {
                "default": [{"type": "reject"}],
                "transports": {
                    "docker": {
                        "docker.io/testing/manifest": [
                            {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "signature/fixtures/public-key.gpg"}
                        ],
                        "docker.io/testing/manifest:two": [
                            {"type": "insecureAcceptAnything"},
                            {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "signature/fixtures/public-key.gpg",
                             "signedIdentity": {"type": "matchRepository"}},
                            {"type": "reject"},
                        ],
                    },
                    "dir": {"": [{"type": "insecureAcceptAnything"}]},
                },
            }
        )
    )
    return PolicyContext(policy, base_dir=corpus)


def img(corpus: Path, name: str) -> Path:
    return corpus / "signature/fixtures" / name


def test_decision_for_an_accepted_image(scoped_ctx: PolicyContext, corpus: Path) -> None:
    d = scoped_ctx.evaluate_dir(img(corpus, "dir-img-valid"), "docker://testing/manifest:latest")
    assert d.allowed is True and bool(d) is True
    assert d.reason is None and d.error is None
    assert (d.transport, d.scope) == ("docker", "docker.io/testing/manifest")
    [req] = d.requirements
    assert (req.index, req.type, req.allowed, req.reason) == (0, "signedBy", True, None)
    [sig] = req.signatures
    assert (sig.index, sig.accepted, sig.reason) == (1, True, None)
    assert sig.signer == FIXTURE_KEY
    assert sig.docker_reference == "testing/manifest:latest"
    assert sig.docker_manifest_digest == DIGEST_20BF
    assert d.raise_for_denial() is None
    assert repr(d) == "Decision(allowed=True)"


def test_decision_stops_at_the_first_accepted_signature(scoped_ctx: PolicyContext, corpus: Path) -> None:
    # dir-img-mixed: signature-1 is a valid OpenPGP message with a non-JSON payload, signature-2 is valid.
    d = scoped_ctx.evaluate_dir(img(corpus, "dir-img-mixed"), "docker://testing/manifest:latest")
    assert d.allowed
    [req] = d.requirements
    assert [(s.index, s.accepted) for s in req.signatures] == [(1, False), (2, True)]
    assert isinstance(req.signatures[0].reason, str) and req.signatures[0].signer is None
    assert req.signatures[1].signer == FIXTURE_KEY


def test_decision_for_a_refused_image(scoped_ctx: PolicyContext, corpus: Path) -> None:
    d = scoped_ctx.evaluate_dir(img(corpus, "dir-img-valid-2"), "docker://testing/manifest:notlatest")
    assert d.allowed is False and bool(d) is False
    assert d.reason is not None
    assert d.reason.startswith("None of the signatures were accepted, reasons: ")
    assert d.reason.count('Signature for identity "testing/manifest:latest" is not accepted') == 2
    assert isinstance(d.error, PolicyRequirementError)
    assert type(d.error) is PolicyRequirementError
    assert str(d.error) == d.reason
    assert d.error.code == "policy_requirement"
    [req] = d.requirements
    assert (req.type, req.allowed, req.reason) == ("signedBy", False, d.reason)
    assert [(s.index, s.accepted, s.signer) for s in req.signatures] == [(1, False, None), (2, False, None)]
    for s in req.signatures:
        assert s.reason == 'Signature for identity "testing/manifest:latest" is not accepted'
    with pytest.raises(PolicyRequirementError) as info:
        d.raise_for_denial()
    assert str(info.value) == d.reason
    assert repr(d) == f"Decision(allowed=False, reason={d.reason!r})"


def test_decision_error_is_not_raised_and_is_fresh(scoped_ctx: PolicyContext, corpus: Path) -> None:
    d = scoped_ctx.evaluate_dir(img(corpus, "dir-img-unsigned"), "docker://testing/manifest:latest")
    assert d.reason == "A signature was required, but no signature exists"
    e1, e2 = d.error, d.error
    assert isinstance(e1, PolicyRequirementError) and isinstance(e2, PolicyRequirementError)
    assert str(e1) == str(e2) == d.reason
    assert d.requirements[0].signatures == []


def test_requirements_listed_up_to_the_first_refusal(scoped_ctx: PolicyContext, corpus: Path) -> None:
    d = scoped_ctx.evaluate_dir(img(corpus, "dir-img-valid"), "docker://testing/manifest:two")
    assert not d.allowed
    assert (d.transport, d.scope) == ("docker", "docker.io/testing/manifest:two")
    assert [(r.index, r.type, r.allowed) for r in d.requirements] == [
        (0, "insecureAcceptAnything", True),
        (1, "signedBy", True),
        (2, "reject", False),
    ]
    assert d.reason == "Running image docker://testing/manifest:two is rejected by policy."
    assert d.requirements[2].reason == d.reason
    assert d.requirements[0].signatures == [] and d.requirements[2].signatures == []
    assert d.requirements[1].signatures[0].signer == FIXTURE_KEY


def test_default_scope_and_transport_scopes(scoped_ctx: PolicyContext, corpus: Path) -> None:
    d = scoped_ctx.evaluate_dir(img(corpus, "dir-img-valid"), "docker://quay.io/x/y:1")
    assert (d.transport, d.scope) == (None, None)
    assert d.reason == "Running image docker://quay.io/x/y:1 is rejected by policy."
    # Without a reference the directory is evaluated as dir:<path>, which the dir default scope accepts.
    d = scoped_ctx.evaluate_dir(img(corpus, "dir-img-unsigned"))
    assert d.allowed
    assert (d.transport, d.scope) == ("dir", "")
    assert [r.type for r in d.requirements] == ["insecureAcceptAnything"]


def test_dir_reference_is_the_directory(corpus: Path) -> None:
    ctx = PolicyContext(Policy([Requirement.reject()]))
    d = ctx.evaluate_dir(img(corpus, "dir-img-valid"))
    assert d.reason == f"Running image dir:{img(corpus, 'dir-img-valid')} is rejected by policy."


def test_unreadable_images_are_refused_in_the_decision(scoped_ctx: PolicyContext, corpus: Path, tmp_path: Path) -> None:
    ref = "docker://testing/manifest:latest"
    d = scoped_ctx.evaluate_dir(img(corpus, "dir-img-no-manifest"), ref)
    assert not d.allowed and isinstance(d.error, ContainersPolicyError)
    d = scoped_ctx.evaluate_dir(img(corpus, "dir-img-modified-manifest"), ref)
    assert d.reason == f"Signature for digest {DIGEST_20BF} does not match"
    assert type(d.error) is PolicyRequirementError
    # A blob that is not a signature format refuses the whole image (InvalidSignatureError), naming the file.
    bad = tmp_path / "bad"
    bad.mkdir()
    shutil.copy(img(corpus, "dir-img-valid/manifest.json"), bad / "manifest.json")
    (bad / "signature-1").write_bytes(b"-----BEGIN PGP SIGNATURE-----\n")
    d = scoped_ctx.evaluate_dir(bad, ref)
    assert d.reason == f'parsing signature "{bad / "signature-1"}": unrecognized signature format, starting with binary 0x2d'
    assert type(d.error) is InvalidSignatureError


def test_check_and_evaluate_agree_on_bytes(scoped_ctx: PolicyContext, corpus: Path) -> None:
    manifest, sigs = read_image(img(corpus, "dir-img-valid"))
    assert manifest is not None
    ref = "docker://testing/manifest:latest"
    assert scoped_ctx.check(ref, manifest, sigs) is None
    with pytest.raises(PolicyRequirementError) as info:
        scoped_ctx.check(ref, manifest, [])
    assert str(info.value) == "A signature was required, but no signature exists"
    with pytest.raises(PolicyRequirementError) as info:
        scoped_ctx.check(ref, manifest + b" ", sigs)
    assert str(info.value) == f"Signature for digest {DIGEST_20BF} does not match"
    with pytest.raises(InvalidSignatureError) as sig_info:
        scoped_ctx.check(ref, manifest, [b"garbage"])
    assert str(sig_info.value) == "unrecognized signature format, starting with binary 0x67"


def test_signatures_with_accepted_author(scoped_ctx: PolicyContext, corpus: Path) -> None:
    manifest, sigs = read_image(img(corpus, "dir-img-valid-2"))
    assert manifest is not None
    got = scoped_ctx.signatures_with_accepted_author("docker://testing/manifest:latest", manifest, sigs)
    assert len(got) == 2
    for a in got:
        assert (a.docker_manifest_digest, a.docker_reference, a.signer) == (
            DIGEST_20BF,
            "testing/manifest:latest",
            FIXTURE_KEY,
        )
    assert got[0] == got[1]
    assert repr(got[0]) == (
        f"AcceptedSignature(docker_manifest_digest='{DIGEST_20BF}', "
        f"docker_reference='testing/manifest:latest', signer='{FIXTURE_KEY}')"
    )
    assert scoped_ctx.signatures_with_accepted_author("docker://testing/manifest:other", manifest, sigs) == []
    with pytest.raises(InvalidSignatureError):
        scoped_ctx.signatures_with_accepted_author("docker://testing/manifest:latest", manifest, [b"garbage"])


def test_subkey_signer_is_the_primary_fingerprint(corpus: Path) -> None:
    ctx = PolicyContext(
        Policy([Requirement.signed_by(key_path=corpus / "signature/fixtures/public-key-with-subkey.gpg")])
    )
    d = ctx.evaluate_dir(img(corpus, "dir-img-valid-subkey"), "docker://testing/manifest:latest")
    assert d.allowed
    assert d.requirements[0].signatures[0].signer == "B9F4CDB9FD8C475BFA340AC38D54A947EE396F36"


# --- options ----------------------------------------------------------------------------------------------------


def test_relative_key_paths_resolve_against_base_dir(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    policy = Policy([Requirement.signed_by(key_path="signature/fixtures/public-key.gpg")])
    ref = "docker://testing/manifest:latest"
    d = PolicyContext(policy).evaluate_dir(img(corpus, "dir-img-valid"), ref)
    assert d.reason == "open signature/fixtures/public-key.gpg: no such file or directory"
    assert PolicyContext(policy, base_dir=corpus).evaluate_dir(img(corpus, "dir-img-valid"), ref).allowed
    assert PolicyContext(policy, base_dir=str(corpus)).evaluate_dir(img(corpus, "dir-img-valid"), ref).allowed
    # Without base_dir, the working directory (as containers/image).
    monkeypatch.chdir(corpus)
    assert PolicyContext(policy).evaluate_dir(img(corpus, "dir-img-valid"), ref).allowed


def test_key_files_are_read_when_the_context_is_built(corpus: Path, tmp_path: Path) -> None:
    key = tmp_path / "key.gpg"
    shutil.copy(corpus / "signature/fixtures/public-key.gpg", key)
    ctx = PolicyContext(Policy([Requirement.signed_by(key_path=key)]))
    key.unlink()
    assert ctx.evaluate_dir(img(corpus, "dir-img-valid"), "docker://testing/manifest:latest").allowed
    later = PolicyContext(Policy([Requirement.signed_by(key_path=key)]))
    d = later.evaluate_dir(img(corpus, "dir-img-valid"), "docker://testing/manifest:latest")
    assert d.reason == f"open {key}: no such file or directory"


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()  # type: ignore[misc]


def test_now_decides_whether_a_signature_has_expired(corpus: Path) -> None:
    # expired.signature: by 08CD..., lifetime 12h59m, expired since 2025-06-24T10:00:00Z; its payload is the
    # text "This signature is expired.\n", so a verifier that accepts it then fails on the JSON.
    policy = Policy([Requirement.signed_by(key_path=corpus / "signature/fixtures/public-key.gpg")])
    manifest = (corpus / "signature/fixtures/image.manifest.json").read_bytes()
    sig = (corpus / "signature/fixtures/expired.signature").read_bytes()
    ref = "docker://testing/manifest:latest"
    expired_prefix = "Invalid GPG signature: gpgme.Signature{Summary:64,"  # gpgme SIG_EXPIRED, per the corpus

    before = PolicyContext(policy, now=utc(2025, 6, 24, 9, 59)).evaluate(ref, manifest, [sig])
    assert before.reason == "invalid character 'T' looking for beginning of value"
    assert type(before.error) is InvalidSignatureError

    after = PolicyContext(policy, now=utc(2025, 6, 24, 10, 0, 1)).evaluate(ref, manifest, [sig])
    assert after.reason is not None and after.reason.startswith(expired_prefix)
    assert type(after.error) is InvalidSignatureError

    # Default: the current time, long after the expiry.
    current = PolicyContext(policy).evaluate(ref, manifest, [sig])
    assert current.reason is not None and current.reason.startswith(expired_prefix)


@pytest.mark.parametrize("now", [float("nan"), float("inf"), 1e30])
def test_now_out_of_range_is_a_value_error(now: float) -> None:
    with pytest.raises(ValueError, match=r"^now="):
        PolicyContext(Policy([Requirement.reject()]), now=now)


def test_require_signature_verification(corpus: Path) -> None:
    anything = Policy([Requirement.insecure_accept_anything()])
    ref = "docker://testing/manifest:latest"
    manifest, sigs = read_image(img(corpus, "dir-img-valid"))
    assert manifest is not None
    assert PolicyContext(anything).evaluate(ref, manifest, sigs).allowed
    assert PolicyContext(anything, require_signature_verification=False).evaluate(ref, manifest, sigs).allowed
    d = PolicyContext(anything, require_signature_verification=True).evaluate(ref, manifest, sigs)
    assert d.reason == "No signature verification policy found for image docker:docker.io/testing/manifest:latest"
    assert type(d.error) is PolicyRequirementError
    assert [(r.type, r.allowed) for r in d.requirements] == [("insecureAcceptAnything", True)]
    signed = Policy(
        [
            Requirement.insecure_accept_anything(),
            Requirement.signed_by(
                key_path=corpus / "signature/fixtures/public-key.gpg", signed_identity=SignedIdentity.match_repository()
            ),
        ]
    )
    strict = PolicyContext(signed, require_signature_verification=True)
    assert strict.evaluate(ref, manifest, sigs).allowed
    assert strict.evaluate(ref, manifest, []).reason == "A signature was required, but no signature exists"


def test_context_keeps_its_policy(corpus: Path) -> None:
    policy = Policy.from_file(corpus / "signature/fixtures/policy.json")
    ctx = PolicyContext(policy)
    assert ctx.policy == policy
    assert repr(ctx) == "PolicyContext(...)"
    with pytest.raises((AttributeError, TypeError)):
        ctx.policy = Policy([Requirement.reject()])  # type: ignore[misc]


# --- input types ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def valid_image(corpus: Path) -> tuple[bytes, bytes]:
    manifest, [sig] = read_image(img(corpus, "dir-img-valid"))
    assert manifest is not None
    return manifest, sig


def test_bytes_and_bytearray_inputs(scoped_ctx: PolicyContext, valid_image: tuple[bytes, bytes]) -> None:
    manifest, sig = valid_image
    ref = "docker://testing/manifest:latest"
    for m, sigs in [
        (manifest, [sig]),
        (bytearray(manifest), [bytearray(sig)]),
        (manifest, (sig,)),
        (bytearray(manifest), (bytearray(sig), sig)),
    ]:
        d = scoped_ctx.evaluate(ref, m, sigs)
        assert d.allowed, d.reason
        assert d.requirements[0].signatures[0].signer == FIXTURE_KEY
        assert scoped_ctx.check(ref, m, sigs) is None
        assert len(scoped_ctx.signatures_with_accepted_author(ref, m, sigs)) == len(sigs)


def test_memoryview_is_refused_with_a_type_error(scoped_ctx: PolicyContext, valid_image: tuple[bytes, bytes]) -> None:
    """Bytes arguments are bytes or bytearray (the stub says so); a memoryview needs bytes(view)."""
    manifest, sig = valid_image
    ref = "docker://testing/manifest:latest"
    with pytest.raises(TypeError, match="memoryview"):
        scoped_ctx.evaluate(ref, memoryview(manifest), [sig])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="memoryview"):
        scoped_ctx.check(ref, manifest, [memoryview(sig)])  # type: ignore[list-item]
    assert scoped_ctx.evaluate(ref, bytes(memoryview(manifest)), [bytes(memoryview(sig))]).allowed


@pytest.mark.parametrize(
    ("reference", "manifest", "signatures"),
    [
        ("docker://testing/manifest:latest", "a str manifest", []),
        ("docker://testing/manifest:latest", None, []),
        ("docker://testing/manifest:latest", b"{}", [1]),
        ("docker://testing/manifest:latest", b"{}", ["a str signature"]),
        ("docker://testing/manifest:latest", b"{}", b"not a list of blobs"),
        ("docker://testing/manifest:latest", b"{}", None),
        (b"docker://testing/manifest:latest", b"{}", []),
        (None, b"{}", []),
    ],
)
def test_wrong_types_raise_type_error(scoped_ctx: PolicyContext, reference: Any, manifest: Any, signatures: Any) -> None:
    with pytest.raises(TypeError):
        scoped_ctx.evaluate(reference, manifest, signatures)
    with pytest.raises(TypeError):
        scoped_ctx.check(reference, manifest, signatures)
    with pytest.raises(TypeError):
        scoped_ctx.signatures_with_accepted_author(reference, manifest, signatures)


def test_constructor_type_errors() -> None:
    policy = Policy([Requirement.reject()])
    with pytest.raises(TypeError):
        PolicyContext('{"default": [{"type": "reject"}]}')  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PolicyContext(policy, base_dir=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PolicyContext(policy, now="2025-06-24")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PolicyContext(policy, None)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("docker://UPPERCASE/app:1.0", "invalid reference format: repository name must be lowercase"),
        ("docker://example.com/app:bad tag", "invalid reference format"),
    ],
)
def test_bad_reference_raises_invalid_reference_error(
    scoped_ctx: PolicyContext, valid_image: tuple[bytes, bytes], corpus: Path, reference: str, message: str
) -> None:
    manifest, sig = valid_image
    calls = [
        lambda: scoped_ctx.evaluate(reference, manifest, [sig]),
        lambda: scoped_ctx.check(reference, manifest, [sig]),
        lambda: scoped_ctx.signatures_with_accepted_author(reference, manifest, [sig]),
        lambda: scoped_ctx.evaluate_dir(img(corpus, "dir-img-valid"), reference),
    ]
    for call in calls:
        with pytest.raises(InvalidReferenceError) as info:
            call()
        assert str(info.value) == message
        assert info.value.code == "invalid_reference"
        # Not a rejection: a bad reference is an error of the caller.
        assert not isinstance(info.value, (PolicyRequirementError, InvalidSignatureError))


def test_reference_without_transport(scoped_ctx: PolicyContext, valid_image: tuple[bytes, bytes]) -> None:
    # containers/image's plain error from alltransports.ParseImageName, classified "other" as the C API does
    # (ffi/tests/test_api.c).
    manifest, sig = valid_image
    with pytest.raises(ContainersPolicyError) as info:
        scoped_ctx.evaluate("no-transport-here", manifest, [sig])
    assert type(info.value) is ContainersPolicyError
    assert info.value.code == "other"
    assert str(info.value) == 'Invalid image name "no-transport-here", expected colon-separated transport:reference'


def test_exception_hierarchy() -> None:
    classes = [
        cp.InvalidPolicyError,
        cp.PolicyRequirementError,
        cp.InvalidSignatureError,
        cp.InvalidReferenceError,
        cp.ManifestError,
        cp.FileAccessError,
        cp.ConfigError,
        cp.LookasideError,
        cp.RegistryError,
        cp.UploadError,
        cp.AuthError,
    ]
    codes = [c.code for c in classes]
    assert len(set(codes)) == len(codes)
    assert cp.ContainersPolicyError.code == "other"
    for c in classes:
        assert issubclass(c, cp.ContainersPolicyError)
        assert issubclass(cp.ContainersPolicyError, Exception)


def all_decisions(ctx: PolicyContext, corpus: Path) -> Iterator[Decision]:
    for name in ("dir-img-valid", "dir-img-unsigned", "dir-img-mixed", "dir-img-modified-manifest"):
        yield ctx.evaluate_dir(img(corpus, name), "docker://testing/manifest:latest")


def test_result_objects_are_immutable(scoped_ctx: PolicyContext, corpus: Path) -> None:
    for d in all_decisions(scoped_ctx, corpus):
        for obj, attr in [(d, "allowed"), (d, "reason"), (d, "requirements")] + [
            (r, "allowed") for r in d.requirements
        ] + [(s, "accepted") for r in d.requirements for s in r.signatures]:
            before = repr(getattr(obj, attr))
            with pytest.raises((AttributeError, TypeError)):
                setattr(obj, attr, None)
            assert repr(getattr(obj, attr)) == before
