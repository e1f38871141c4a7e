"""Uploader against real `containers-policy serve` processes on 127.0.0.1: the JSON `/upload` API and
Nexus-style `PUT`, index assignment, staging trees, credentials, refusals, and the round trip back through
RegistriesD.read_signatures and a PolicyContext.

Server texts come from `sigstore-lookaside/src/server/routes.rs` and its tests (`server_*.rs`).
"""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import containers_policy as cp
from containers_policy import (
    AuthError,
    FileAccessError,
    InvalidReferenceError,
    LookasideError,
    RegistriesD,
    SignatureLocation,
    Uploader,
    UploadError,
    UploadResult,
)

from conftest import SignatureServer, start_signature_server, stop

NEEDS_CREDENTIALS = "uploading needs credentials: send `Authorization: Bearer <token>` or HTTP Basic"
NOT_ACCEPTED = "the upload credentials were not accepted"


@pytest.fixture(scope="module")
def key() -> tuple[bytes, bytes, str]:
    return cp.generate_key("Upload Test <upload@example.invalid>")


@pytest.fixture(scope="module")
def other_key() -> tuple[bytes, bytes, str]:
    return cp.generate_key("Other Uploader <other@example.invalid>")


def manifest_for(n: int) -> bytes:
    return json.dumps({"schemaVersion": 2, "config": {"size": n, "digest": f"sha256:{n:064x}"}}).encode()


def signed(key: tuple[bytes, bytes, str], n: int, reference: str) -> tuple[str, bytes]:
    m = manifest_for(n)
    return cp.manifest_digest(m), cp.sign(m, reference, key[0])


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def http_get(url: str) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.read()


def start_with_credentials(cli: Path, work: Path, credentials: str, *extra: str) -> tuple[str, subprocess.Popen[str]]:
    """A server whose credential file holds `credentials` (conftest's helper always writes one bearer token)."""
    root = work / "lookaside"
    root.mkdir(parents=True)
    cred = work / "credentials"
    cred.write_text(credentials)
    proc = subprocess.Popen(
        [str(cli), "serve", "--listen", "127.0.0.1:0", "--root", str(root), "--auth-file", str(cred), *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    words = [w for w in line.split() if w.startswith("http://127.0.0.1:")]
    if not words:
        stop(proc)
        raise AssertionError(f"no URL in the server's first line: {line!r}")
    return words[0].rstrip("/"), proc


# --- the JSON /upload API ---------------------------------------------------------------------------------------


def test_json_upload_and_index_assignment(
    signature_server: SignatureServer, key: tuple[bytes, bytes, str], other_key: tuple[bytes, bytes, str]
) -> None:
    up = Uploader(signature_server.upload_url, token=signature_server.token)
    assert (up.url, up.nexus) == (signature_server.upload_url, False)
    assert repr(up) == f"Uploader('{signature_server.upload_url}', nexus=False)"
    digest, first = signed(key, 1, "reg.example/a/b/c/d:1")
    _, second = signed(other_key, 1, "reg.example/a/b/c/d:1")
    assert first != second
    rel = f"a/b/c/d@sha256={digest[7:]}"

    r1 = up.upload("a/b/c/d", digest, first)
    assert isinstance(r1, UploadResult)
    assert (r1.path, r1.index, r1.created) == (f"{rel}/signature-1", 1, True)
    assert r1.url == f"{signature_server.url}/{rel}/signature-1"
    assert repr(r1) == f"UploadResult(path='{rel}/signature-1', url='{r1.url}', index=1, created=True)"

    r2 = up.upload("a/b/c/d", digest, second)
    assert (r2.path, r2.index, r2.created) == (f"{rel}/signature-2", 2, True)
    # Identical re-uploads write nothing and say where the signature already is.
    again = up.upload("a/b/c/d", digest, first)
    assert (again.path, again.index, again.created) == (f"{rel}/signature-1", 1, False)
    again = up.upload("a/b/c/d", digest, bytearray(second))
    assert (again.index, again.created) == (2, False)
    assert files(signature_server.root) == {f"{rel}/signature-1": first, f"{rel}/signature-2": second}
    # The server serves them back.
    assert http_get(r1.url) == (200, first)


@pytest.mark.parametrize("repository", ["docker/busybox", "single", "a/b/c/d", "x/y/z/w/v/u"])
def test_json_upload_any_repository_depth(
    signature_server: SignatureServer, key: tuple[bytes, bytes, str], repository: str
) -> None:
    up = Uploader(signature_server.upload_url, token=signature_server.token)
    digest, blob = signed(key, 2, f"reg.example/{repository}:1")
    r = up.upload(repository, digest, blob)
    rel = f"{repository}@sha256={digest[7:]}/signature-1"
    assert (r.path, r.index, r.created, r.url) == (rel, 1, True, f"{signature_server.url}/{rel}")
    assert files(signature_server.root) == {rel: blob}


def test_upload_location(signature_server: SignatureServer, key: tuple[bytes, bytes, str]) -> None:
    up = Uploader(signature_server.upload_url, token=signature_server.token)
    digest, blob = signed(key, 3, "reg.example/ns/img:1")
    # The location's index is only where the caller would like it; the server picks the first free one.
    r = up.upload_location(SignatureLocation("ns/img", digest, 5), blob)
    assert (r.path, r.index, r.created) == (f"ns/img@sha256={digest[7:]}/signature-1", 1, True)


def test_uploaded_signatures_read_back_and_accepted(
    signature_server: SignatureServer, key: tuple[bytes, bytes, str], other_key: tuple[bytes, bytes, str]
) -> None:
    up = Uploader(signature_server.upload_url, auth_file=signature_server.auth_file)
    reference = "registry.example/team/app:1.0"
    manifest = manifest_for(4)
    digest = cp.manifest_digest(manifest)
    ours = cp.sign(manifest, reference, key[0])
    theirs = cp.sign(manifest, reference, other_key[0])
    assert up.upload("team/app", digest, theirs).index == 1
    assert up.upload("team/app", digest, ours).index == 2
    r = RegistriesD.from_yaml({"a.yaml": f"docker:\n  registry.example:\n    lookaside: {signature_server.url}\n"})
    found = r.read_signatures(reference, digest, timeout=30)
    assert found == [theirs, ours]
    policy = cp.Policy([cp.Requirement.reject()]).with_scope(
        "docker", "registry.example/team", [cp.Requirement.signed_by(key_data=key[1])]
    )
    ctx = cp.PolicyContext(policy)
    d = ctx.evaluate("docker://" + reference, manifest, found)
    assert d.allowed, d.reason
    [req] = d.requirements
    assert [(s.index, s.accepted) for s in req.signatures] == [(1, False), (2, True)]
    assert req.signatures[1].signer == key[2]
    accepted = ctx.signatures_with_accepted_author("docker://" + reference, manifest, found)
    assert [(a.signer, a.docker_reference, a.docker_manifest_digest) for a in accepted] == [
        (key[2], reference, digest)
    ]
    # A manifest the signatures are not for is refused.
    assert not ctx.evaluate("docker://" + reference, manifest_for(5), found).allowed


# --- Nexus-style PUT ------------------------------------------------------------------------------------------


def test_nexus_put_and_index_assignment(
    nexus_server: SignatureServer, key: tuple[bytes, bytes, str], other_key: tuple[bytes, bytes, str]
) -> None:
    base = nexus_server.url
    assert base.endswith("/repository/sigstore")
    up = Uploader(base, nexus=True, token=nexus_server.token)
    assert (up.url, up.nexus) == (base, True)
    assert repr(up) == f"Uploader('{base}', nexus=True)"
    digest, a = signed(key, 6, "reg.example/x/y/z/w:1")
    _, b = signed(other_key, 6, "reg.example/x/y/z/w:1")
    rel = f"x/y/z/w@sha256={digest[7:]}"
    r1 = up.upload("x/y/z/w", digest, a)
    assert (r1.path, r1.url, r1.index, r1.created) == (f"{rel}/signature-1", f"{base}/{rel}/signature-1", 1, True)
    r2 = up.upload("x/y/z/w", digest, b)
    assert (r2.path, r2.url, r2.index, r2.created) == (f"{rel}/signature-2", f"{base}/{rel}/signature-2", 2, True)
    r3 = up.upload("x/y/z/w", digest, a)
    assert (r3.index, r3.created) == (1, False)
    assert files(nexus_server.root) == {f"{rel}/signature-1": a, f"{rel}/signature-2": b}
    assert http_get(f"{base}/{rel}/signature-2") == (200, b)
    # Outside the base path there is nothing.
    origin = base[: -len("/repository/sigstore")]
    assert http_get(f"{origin}/{rel}/signature-1")[0] == 404
    # Reading through registries.d with the Nexus URL as lookaside.
    r = RegistriesD.from_yaml({"a.yaml": f"docker:\n  reg.example:\n    lookaside: {base}\n"})
    assert r.read_signatures("reg.example/x/y/z/w:1", digest, timeout=30) == [a, b]


def test_nexus_refusal_names_url_status_and_message(nexus_server: SignatureServer, key: tuple[bytes, bytes, str]) -> None:
    digest, blob = signed(key, 7, "reg.example/x:1")
    bad = Uploader(nexus_server.url, nexus=True, username="alice", password="nope")
    with pytest.raises(AuthError) as info:
        bad.upload("x", digest, blob)
    url = f"{nexus_server.url}/x@sha256={digest[7:]}/signature-1"
    assert str(info.value) == f"uploading signature to {url}: received unexpected HTTP status: 401 Unauthorized: {NOT_ACCEPTED}"
    assert files(nexus_server.root) == {}


# --- staging trees --------------------------------------------------------------------------------------------


def test_upload_file_and_upload_staging(
    signature_server: SignatureServer, key: tuple[bytes, bytes, str], other_key: tuple[bytes, bytes, str], tmp_path: Path
) -> None:
    staging = tmp_path / "staging"
    expected: dict[str, bytes] = {}
    for n, repository in enumerate(["docker/busybox", "a", "x/y/z/deep"]):
        digest, first = signed(key, 10 + n, f"reg.example/{repository}:1")
        _, second = signed(other_key, 10 + n, f"reg.example/{repository}:1")
        image = staging / f"{repository}@sha256={digest[7:]}"
        image.mkdir(parents=True)
        (image / "signature-1").write_bytes(first)
        (image / "signature-2").write_bytes(second)
        expected[f"{repository}@sha256={digest[7:]}/signature-1"] = first
        expected[f"{repository}@sha256={digest[7:]}/signature-2"] = second
    (image / ".tmp-signature-leftover").write_bytes(b"partial")  # a killed writer's temporary file: skipped

    up = Uploader(signature_server.upload_url, token=signature_server.token)
    one = next(iter(sorted(expected)))
    r = up.upload_file(staging, staging / one)
    assert (r.path, r.index, r.created) == (one, 1, True)

    results = up.upload_staging(staging)
    assert [r.path for r in results] == sorted(expected)  # repository, digest, index order
    assert [r.created for r in results] == [r.path != one for r in results]
    assert files(signature_server.root) == expected
    # Everything is there already: a second run writes nothing.
    assert [r.created for r in up.upload_staging(str(staging))] == [False] * len(expected)


def test_upload_file_refuses_files_outside_the_staging_tree(
    signature_server: SignatureServer, key: tuple[bytes, bytes, str], tmp_path: Path
) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    stray = tmp_path / "signature-1"
    stray.write_bytes(signed(key, 13, "reg.example/a:1")[1])
    up = Uploader(signature_server.upload_url, token=signature_server.token)
    with pytest.raises(LookasideError) as info:
        up.upload_file(staging, stray)
    assert str(info.value) == f"{stray}: is not inside the staging store {staging}"
    (staging / "README").write_bytes(b"x")
    with pytest.raises(LookasideError) as info:
        up.upload_staging(staging)
    assert str(info.value) == f"{staging / 'README'}: not inside an image folder (`<repository>@<algorithm>=<hex>`)"
    assert files(signature_server.root) == {}


# --- credentials ----------------------------------------------------------------------------------------------


def test_credentials_token_and_auth_file(signature_server: SignatureServer, key: tuple[bytes, bytes, str]) -> None:
    digest, blob = signed(key, 20, "reg.example/ns/img:1")
    assert Uploader(signature_server.upload_url, token=signature_server.token).upload("ns/img", digest, blob).created
    assert not Uploader(signature_server.upload_url, auth_file=str(signature_server.auth_file)).upload(
        "ns/img", digest, blob
    ).created


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, NEEDS_CREDENTIALS),
        ({"token": "wrong"}, NOT_ACCEPTED),
        ({"username": "alice", "password": "pa:ss word"}, NOT_ACCEPTED),
    ],
)
def test_credentials_refused_by_a_bearer_only_server(
    signature_server: SignatureServer, key: tuple[bytes, bytes, str], kwargs: dict[str, str], message: str
) -> None:
    digest, blob = signed(key, 21, "reg.example/ns/img:1")
    with pytest.raises(AuthError) as info:
        Uploader(signature_server.upload_url, **kwargs).upload("ns/img", digest, blob)  # type: ignore[arg-type]
    assert str(info.value) == (
        f"uploading signature to {signature_server.upload_url}: received unexpected HTTP status: "
        f"401 Unauthorized: {message}"
    )
    assert info.value.code == "auth"
    assert files(signature_server.root) == {}


def test_basic_credentials(cli: Path, tmp_path: Path, key: tuple[bytes, bytes, str]) -> None:
    url, proc = start_with_credentials(cli, tmp_path, "basic alice:pa:ss word\n")
    try:
        digest, blob = signed(key, 22, "reg.example/ns/img:1")
        good = Uploader(f"{url}/upload", username="alice", password="pa:ss word")
        assert good.upload("ns/img", digest, blob).index == 1
        (tmp_path / "client").write_text("basic alice:pa:ss word\n")
        assert Uploader(url, nexus=True, auth_file=tmp_path / "client").upload("ns/img", digest, blob).created is False
        with pytest.raises(AuthError) as info:
            Uploader(f"{url}/upload", username="alice", password="wrong").upload("ns/img", digest, blob)
        assert str(info.value).endswith(f"401 Unauthorized: {NOT_ACCEPTED}")
    finally:
        stop(proc)


def test_anonymous_uploads(cli: Path, tmp_path: Path, key: tuple[bytes, bytes, str]) -> None:
    server = start_signature_server(cli, tmp_path, "--allow-anonymous-uploads")
    try:
        digest, blob = signed(key, 23, "reg.example/ns/img:1")
        r = Uploader(server.upload_url).upload("ns/img", digest, blob)
        assert (r.index, r.created) == (1, True)
    finally:
        stop(server.process)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"username": "alice"}, "give both username and password for basic authentication"),
        ({"password": "secret"}, "give both username and password for basic authentication"),
        ({"token": "t", "username": "u", "password": "p"}, "give one credential: token, or username and password, or auth_file"),
        ({"token": "t", "auth_file": "/x"}, "give one credential: token, or username and password, or auth_file"),
        ({"token": ""}, "invalid upload credential: empty bearer token"),
        ({"token": "a b"}, "invalid upload credential: a bearer token must be visible ASCII without spaces"),
        ({"username": "", "password": "p"}, "invalid upload credential: empty user name"),
    ],
)
def test_credential_arguments_are_checked(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(AuthError) as info:
        Uploader("http://127.0.0.1:9/upload", **kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message
    assert info.value.code == "auth"


def test_credential_files_are_checked(tmp_path: Path) -> None:
    cred = tmp_path / "cred"
    with pytest.raises(FileAccessError) as missing:
        Uploader("http://127.0.0.1:9/upload", auth_file=cred)
    assert str(missing.value) == f"open {cred}: no such file or directory"
    for text, message in [
        ("token hunter2\n", f"{cred}:1: expected `bearer <token>` or `basic <user>:<password>` (the line is not shown)"),
        ("bearer\n", f"{cred}:1: empty bearer token"),
        ("basic nopassword\n", f"{cred}:1: expected `basic <user>:<password>`"),
        ("bearer a\nbearer b\n", f"{cred}: holds 2 credentials; an upload client needs exactly one"),
        ("# nothing\n", f"{cred}: no credential in file"),
    ]:
        cred.write_text(text)
        with pytest.raises(AuthError) as info:
            Uploader("http://127.0.0.1:9/upload", auth_file=cred)
        assert str(info.value) == message
        assert "hunter2" not in str(info.value)


# --- refusals ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", 'invalid upload URL "not a url": relative URL without a base'),
        ("", 'invalid upload URL "": relative URL without a base'),
        ("ftp://127.0.0.1/upload", 'invalid upload URL "ftp://127.0.0.1/upload": the scheme must be http or https'),
        ("file:///tmp/sigstore", 'invalid upload URL "file:///tmp/sigstore": the scheme must be http or https'),
    ],
)
def test_bad_url_is_a_value_error(url: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        Uploader(url)
    assert str(info.value) == message
    with pytest.raises(ValueError):
        Uploader(url, nexus=True)


def test_signature_for_another_digest_is_refused(
    signature_server: SignatureServer, key: tuple[bytes, bytes, str]
) -> None:
    up = Uploader(signature_server.upload_url, token=signature_server.token)
    digest, blob = signed(key, 30, "reg.example/ns/img:1")
    other = cp.manifest_digest(manifest_for(31))
    with pytest.raises(UploadError) as info:
        up.upload("ns/img", other, blob)
    assert str(info.value) == (
        f"uploading signature to {signature_server.upload_url}: received unexpected HTTP status: "
        f"422 Unprocessable Entity: the signature is for manifest digest {digest}, not for {other}, "
        "the digest it is being stored under"
    )
    with pytest.raises(UploadError) as info:
        up.upload("ns/img", digest, b"not a signature")
    assert str(info.value).endswith(
        "422 Unprocessable Entity: the upload is not a signature: unrecognized signature format, starting with binary 0x6e"
    )
    assert files(signature_server.root) == {}


def test_server_verifying_signatures(
    cli: Path, tmp_path: Path, key: tuple[bytes, bytes, str], other_key: tuple[bytes, bytes, str]
) -> None:
    (tmp_path / "key.asc").write_bytes(key[1])
    server = start_signature_server(cli, tmp_path / "srv", "--verify-key", str(tmp_path / "key.asc"))
    try:
        up = Uploader(server.upload_url, token=server.token)
        digest, by_other = signed(other_key, 32, "reg.example/ns/img:1")
        with pytest.raises(UploadError) as info:
            up.upload("ns/img", digest, by_other)
        text = str(info.value)
        assert "422 Unprocessable Entity: the signature does not verify with the server's keys: " in text
        assert "Invalid GPG signature" in text
        assert files(server.root) == {}
        _, by_key = signed(key, 32, "reg.example/ns/img:1")
        assert up.upload("ns/img", digest, by_key).created
    finally:
        stop(server.process)


@pytest.mark.parametrize("repository", ["..", "../x", "/abs", "ns/../../x", "%2e%2e", "ns\\..", "NS", "a//b", "a\x00b"])
def test_path_tricks_are_refused_before_sending(
    signature_server: SignatureServer, key: tuple[bytes, bytes, str], repository: str
) -> None:
    digest, blob = signed(key, 33, "reg.example/ns/img:1")
    for up in (
        Uploader(signature_server.upload_url, token=signature_server.token),
        Uploader(signature_server.url, nexus=True, token=signature_server.token),
    ):
        with pytest.raises(LookasideError) as info:
            up.upload(repository, digest, blob)
        assert str(info.value).startswith("invalid repository path ")
    assert files(signature_server.root) == {}
    assert list(signature_server.root.iterdir()) == []
    assert not (signature_server.root.parent / "x").exists()


def test_bad_digest_and_empty_signature(signature_server: SignatureServer, key: tuple[bytes, bytes, str]) -> None:
    up = Uploader(signature_server.upload_url, token=signature_server.token)
    digest, blob = signed(key, 34, "reg.example/ns/img:1")
    with pytest.raises(InvalidReferenceError) as info:
        up.upload("ns/img", "sha256:../../etc", blob)
    assert str(info.value) == "invalid checksum digest length"
    with pytest.raises(UploadError) as empty:
        up.upload("ns/img", digest, b"")
    assert str(empty.value) == f"refusing to upload an empty signature for ns/img@sha256={digest[7:]}"
    with pytest.raises(TypeError):
        up.upload("ns/img", digest, "a str signature")  # type: ignore[arg-type]
    assert files(signature_server.root) == {}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refused_connection_is_an_upload_error(key: tuple[bytes, bytes, str]) -> None:
    port = closed_port()
    digest, blob = signed(key, 35, "reg.example/x:1")
    with pytest.raises(UploadError) as info:
        Uploader(f"http://127.0.0.1:{port}/upload", timeout=30).upload("x", digest, blob)
    assert str(info.value).startswith(f"uploading signature to http://127.0.0.1:{port}/upload: ")
    with pytest.raises(UploadError) as info:
        Uploader(f"http://127.0.0.1:{port}/base", nexus=True, timeout=30).upload("x", digest, blob)
    assert str(info.value).startswith(f"reading signature from http://127.0.0.1:{port}/base/x@sha256={digest[7:]}/signature-1: ")


def test_refused_connection_message_says_why(key: tuple[bytes, bytes, str]) -> None:
    port = closed_port()
    digest, blob = signed(key, 36, "reg.example/x:1")
    with pytest.raises(UploadError) as info:
        Uploader(f"http://127.0.0.1:{port}/upload", timeout=30).upload("x", digest, blob)
    assert "refused" in str(info.value).lower()


def test_uploader_and_results_are_immutable(signature_server: SignatureServer, key: tuple[bytes, bytes, str]) -> None:
    up = Uploader(signature_server.upload_url, token=signature_server.token)
    digest, blob = signed(key, 37, "reg.example/ns/img:1")
    r = up.upload("ns/img", digest, blob)
    for obj, attr in [(up, "url"), (up, "nexus"), (r, "index"), (r, "created"), (r, "path")]:
        before = getattr(obj, attr)
        with pytest.raises((AttributeError, TypeError)):
            setattr(obj, attr, None)
        assert getattr(obj, attr) == before
    with pytest.raises(ValueError, match=r"^timeout=-1"):
        Uploader(signature_server.upload_url, timeout=-1)
