"""The example scripts in python/examples/, run as a user runs them (subprocesses of this interpreter),
against the real signature server (`containers-policy serve`) on 127.0.0.1.

The fast tests use keys from `containers_policy.generate_key`. The end-to-end tests (bottom) use the
real tools: Debian's `docker-registry` on 127.0.0.1, `gpg` keys in a throwaway GNUPGHOME, images pushed and
signed by `skopeo copy --sign-by` into a staging store, published with `upload.py`, and then pulled by a
real `skopeo copy --policy … --registries.d …`, whose verdicts and messages `verify.py` must repeat.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import pytest

import containers_policy as cp
from conftest import SignatureServer, have, start_signature_server, stop

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
REGISTRY = "127.0.0.1:5000"  # only ever a name in signatures and policies of the fast tests
TOKEN_ENV = "CONTAINERS_POLICY_UPLOAD_TOKEN"
USER_ENV = "CONTAINERS_POLICY_UPLOAD_USER"
PASSWORD_ENV = "CONTAINERS_POLICY_UPLOAD_PASSWORD"
PASSPHRASE_ENV = "CONTAINERS_POLICY_SIGNING_PASSPHRASE"
# Variables that would change what the scripts and tools do; removed from every child's environment.
_SCRUBBED = {
    TOKEN_ENV,
    USER_ENV,
    PASSWORD_ENV,
    PASSPHRASE_ENV,
    "REGISTRY_AUTH_FILE",
    *(v for p in ("http_proxy", "https_proxy", "all_proxy", "no_proxy") for v in (p, p.upper())),
}

Arg = Union[str, Path]


def child_env(extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(extra or {})
    return env


def run(script: str, *args: Arg, env: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    """Runs an example script; whatever happens, it must not end in a Python traceback."""
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *map(str, args)],
        capture_output=True,
        text=True,
        env=child_env(env),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def upload(*args: Arg, env: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    return run("upload.py", *args, env=env)


def verify(*args: Arg, env: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    return run("verify.py", *args, env=env)


def sign_and_publish(*args: Arg, env: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    return run("sign_and_publish.py", *args, env=env)


@dataclass
class Key:
    secret: Path
    public: Path
    fingerprint: str

    @property
    def secret_bytes(self) -> bytes:
        return self.secret.read_bytes()


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Key]:
    """Two signing keys: `good` (the one policies trust) and `other`."""
    d = tmp_path_factory.mktemp("keys")
    out = {}
    for name in ("good", "other"):
        secret, public, fingerprint = cp.generate_key(f"{name} <{name}@examples.test>")
        (d / f"{name}.sec.asc").write_bytes(secret)
        (d / f"{name}.pub.asc").write_bytes(public)
        out[name] = Key(d / f"{name}.sec.asc", d / f"{name}.pub.asc", fingerprint)
    return out


def manifest_for(label: str) -> bytes:
    """A small OCI manifest, different for every label."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"t": label}}}).encode()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                "size": len(config),
            },
            "layers": [],
        }
    ).encode()


def image_dir(repository: str, manifest: bytes) -> str:
    """`<repository>@sha256=<hex>`."""
    return f"{repository}@{cp.manifest_digest(manifest).replace(':', '=')}"


def stage(root: Path, repository: str, manifest: bytes, key: Key, index: int = 1) -> Path:
    """A signature of `REGISTRY/<repository>:v1` written as skopeo writes it into a staging store."""
    folder = root / image_dir(repository, manifest)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"signature-{index}"
    path.write_bytes(cp.sign(manifest, f"{REGISTRY}/{repository}:v1", key.secret_bytes))
    return path


def files_under(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token_env(server: SignatureServer) -> dict[str, str]:
    return {TOKEN_ENV: server.token}


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    root = tmp_path / "staging"
    root.mkdir()
    return root


def nexus_root(server: SignatureServer) -> str:
    """The Nexus base URL a user gives with `-r … --nexus` (without /repository/<name>)."""
    assert server.url.endswith("/repository/sigstore"), server.url
    return server.url[: -len("/repository/sigstore")]


# --- upload.py -------------------------------------------------------------------------------------


@pytest.mark.parametrize("repository", ["app", "team/app", "org/team/app", "a/b/c/d/e"])
def test_upload_files_signatures_at_their_repository_path_of_any_depth(
    signature_server: SignatureServer, staging: Path, keys: dict[str, Key], repository: str
) -> None:
    manifest = manifest_for(repository)
    first = stage(staging, repository, manifest, keys["good"], 1)
    second = stage(staging, repository, manifest, keys["other"], 2)
    folder = image_dir(repository, manifest)
    env = token_env(signature_server)

    r = upload("-r", signature_server.upload_url, "-a", first, "--staging", staging, env=env)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == f"uploaded {first} -> {signature_server.url}/{folder}/signature-1\n"
    assert files_under(signature_server.root) == {f"{folder}/signature-1": first.read_bytes()}

    again = upload("-r", signature_server.upload_url, "-a", first, "--staging", staging, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"already present {first} -> {signature_server.url}/{folder}/signature-1\n"
    assert len(files_under(signature_server.root)) == 1

    r = upload("-r", signature_server.upload_url, "-a", second, "--staging", staging, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"uploaded {second} -> {signature_server.url}/{folder}/signature-2\n"
    assert files_under(signature_server.root) == {
        f"{folder}/signature-1": first.read_bytes(),
        f"{folder}/signature-2": second.read_bytes(),
    }


def test_upload_takes_several_artifacts_and_repeated_flags(
    signature_server: SignatureServer, staging: Path, keys: dict[str, Key]
) -> None:
    files = [stage(staging, f"team/app{i}", manifest_for(f"several-{i}"), keys["good"]) for i in range(3)]
    r = upload(
        "-r", signature_server.upload_url, "-a", files[0], files[1], "-a", files[2], "--staging", staging,
        env=token_env(signature_server),
    )
    assert r.returncode == 0, r.stderr
    assert [line.split(" -> ")[0] for line in r.stdout.splitlines()] == [f"uploaded {f}" for f in files]
    assert sorted(files_under(signature_server.root).values()) == sorted(f.read_bytes() for f in files)


def test_upload_without_artifacts_publishes_the_whole_staging_store(
    signature_server: SignatureServer, staging: Path, keys: dict[str, Key]
) -> None:
    a = stage(staging, "team/a", manifest_for("whole-a"), keys["good"])
    b = stage(staging, "x/y/z/b", manifest_for("whole-b"), keys["good"])
    (a.parent / ".signature-partial.tmp").write_bytes(b"a writer's temporary file, skipped")
    r = upload("-r", signature_server.upload_url, "--staging", staging, env=token_env(signature_server))
    assert r.returncode == 0, r.stderr
    assert [line.split(" -> ")[0] for line in r.stdout.splitlines()] == [f"uploaded {a}", f"uploaded {b}"]
    assert len(files_under(signature_server.root)) == 2

    empty = staging.parent / "empty-staging"
    empty.mkdir()
    r = upload("-r", signature_server.upload_url, "--staging", empty, env=token_env(signature_server))
    assert r.returncode == 1
    assert r.stderr == f"upload.py: error: no signatures in the staging store {empty}\n"


@pytest.mark.parametrize("key", ["lookaside-staging", "sigstore-staging"])
def test_upload_finds_the_staging_store_in_registries_d(
    signature_server: SignatureServer, tmp_path: Path, staging: Path, keys: dict[str, Key], key: str
) -> None:
    registries_d = tmp_path / "registries.d"
    registries_d.mkdir()
    (registries_d / "default.yaml").write_text(f"default-docker:\n  {key}: file://{staging}\n")
    sig = stage(staging, "docker/busybox", manifest_for(key), keys["good"])
    r = upload(
        "-r", signature_server.upload_url, "-a", sig, "--registries.d", registries_d, env=token_env(signature_server)
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"uploaded {sig} -> {signature_server.url}/docker/busybox@sha256=")
    assert list(files_under(signature_server.root).values()) == [sig.read_bytes()]


def test_upload_reads_the_default_registries_d_under_home(
    signature_server: SignatureServer, tmp_path: Path, staging: Path, keys: dict[str, Key]
) -> None:
    home = tmp_path / "home"
    registries_d = home / ".config/containers/registries.d"
    registries_d.mkdir(parents=True)
    (registries_d / "staging.yaml").write_text(f"default-docker:\n  sigstore-staging: file://{staging}\n")
    sig = stage(staging, "docker/busybox", manifest_for("home"), keys["good"])
    r = upload("-r", signature_server.upload_url, env={"HOME": str(home), **token_env(signature_server)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"uploaded {sig} -> ")


def test_upload_default_staging_that_is_not_a_local_directory(
    signature_server: SignatureServer, tmp_path: Path, keys: dict[str, Key]
) -> None:
    registries_d = tmp_path / "registries.d"
    registries_d.mkdir()
    (registries_d / "d.yaml").write_text("default-docker:\n  lookaside-staging: https://sigs.example.com/staging\n")
    r = upload("-r", signature_server.upload_url, "--registries.d", registries_d, env=token_env(signature_server))
    assert r.returncode == 1
    assert r.stderr == (
        "upload.py: error: the default staging location https://sigs.example.com/staging "
        f"(from registries.d {registries_d}) is not a file:// URL; give --staging DIR\n"
    )


def test_upload_file_outside_the_staging_store_is_a_clear_error(
    signature_server: SignatureServer, tmp_path: Path, staging: Path, keys: dict[str, Key]
) -> None:
    elsewhere = stage(tmp_path / "elsewhere", "team/app", manifest_for("outside"), keys["good"])
    r = upload("-r", signature_server.upload_url, "-a", elsewhere, "--staging", staging, env=token_env(signature_server))
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.startswith(f"upload.py: error: {elsewhere}: is not inside the staging store {staging}; ")
    assert "pass --staging DIR" in r.stderr
    assert files_under(signature_server.root) == {}

    # With the staging store from registries.d, the message says where that default came from.
    registries_d = tmp_path / "registries.d"
    registries_d.mkdir()
    (registries_d / "d.yaml").write_text(f"default-docker:\n  lookaside-staging: file://{staging}\n")
    r = upload("-r", signature_server.upload_url, "-a", elsewhere, "--registries.d", registries_d)
    assert r.returncode == 1
    assert r.stderr.startswith(
        f"upload.py: error: {elsewhere}: is not inside the staging store {staging} "
        f"(the default staging store {staging} (from registries.d {registries_d})); pass --staging DIR"
    )


def test_upload_missing_file_and_non_signature_file_are_clear_errors(
    signature_server: SignatureServer, staging: Path, keys: dict[str, Key]
) -> None:
    good = stage(staging, "team/app", manifest_for("missing"), keys["good"])
    missing = good.parent / "signature-7"
    # Every file is checked before anything is sent.
    r = upload(
        "-r", signature_server.upload_url, "-a", good, missing, "--staging", staging, env=token_env(signature_server)
    )
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == f"upload.py: error: lstat {missing}: no such file or directory\n"
    assert files_under(signature_server.root) == {}

    stray = staging / "notes.txt"
    stray.write_text("not a signature")
    r = upload("-r", signature_server.upload_url, "-a", stray, "--staging", staging, env=token_env(signature_server))
    assert r.returncode == 1
    assert r.stderr.startswith(f"upload.py: error: {stray}: not a signature location")


def test_upload_nexus_mode_puts_into_the_raw_repository(
    nexus_server: SignatureServer, staging: Path, keys: dict[str, Key]
) -> None:
    manifest = manifest_for("nexus")
    first = stage(staging, "docker/busybox", manifest, keys["good"], 1)
    second = stage(staging, "docker/busybox", manifest, keys["other"], 2)
    folder = image_dir("docker/busybox", manifest)
    base = nexus_root(nexus_server)
    env = token_env(nexus_server)

    # As the field notes call signature-upload.py.
    r = upload("-r", base, "-a", first, "--no-verify", "--nexus", "-s", "sigstore", "--staging", staging, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"uploaded {first} -> {base}/repository/sigstore/{folder}/signature-1\n"
    assert "TLS certificate verification is off" in r.stderr
    assert files_under(nexus_server.root) == {f"{folder}/signature-1": first.read_bytes()}

    # A different signature of the same image goes to the next free index (the client looks first).
    r = upload("-r", base, "-a", second, "--nexus", "--staging", staging, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"uploaded {second} -> {base}/repository/sigstore/{folder}/signature-2\n"

    # A URL that already names the repository is used as is.
    r = upload("-r", f"{base}/repository/sigstore/", "-a", first, "--nexus", "--staging", staging, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"already present {first} -> {base}/repository/sigstore/{folder}/signature-1\n"
    assert files_under(nexus_server.root) == {
        f"{folder}/signature-1": first.read_bytes(),
        f"{folder}/signature-2": second.read_bytes(),
    }

    # Another repository name changes the URL (and this server serves only `sigstore`).
    r = upload("-r", base, "-a", first, "--nexus", "-s", "other", "--staging", staging, env=env)
    assert r.returncode == 1
    assert f"{base}/repository/other/{folder}/signature-1" in r.stderr


def test_upload_repository_name_without_nexus_is_refused(signature_server: SignatureServer, staging: Path) -> None:
    r = upload("-r", signature_server.upload_url, "-s", "sigstore", "--staging", staging)
    assert r.returncode == 1
    assert r.stderr == "upload.py: error: -s/--repository names a Nexus RAW repository: use it with --nexus\n"


def test_upload_credentials_from_an_auth_file(
    signature_server: SignatureServer, staging: Path, keys: dict[str, Key]
) -> None:
    sig = stage(staging, "team/app", manifest_for("auth-file"), keys["good"])
    r = upload("-r", signature_server.upload_url, "-a", sig, "--staging", staging, "--auth-file", signature_server.auth_file)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"uploaded {sig} -> ")

    missing = staging.parent / "no-such-credentials"
    r = upload("-r", signature_server.upload_url, "-a", sig, "--staging", staging, "--auth-file", missing)
    assert r.returncode == 1
    assert r.stderr == f"upload.py: error: open {missing}: no such file or directory\n"


def _serve_with_credentials(cli: Path, work: Path, credentials: str) -> tuple[subprocess.Popen[str], str, Path]:
    """`containers-policy serve` accepting the given credential-file lines; (process, URL, root)."""
    root = work / "lookaside"
    root.mkdir(parents=True)
    auth = work / "credentials"
    auth.write_text(credentials)
    proc = subprocess.Popen(
        [str(cli), "serve", "--listen", "127.0.0.1:0", "--root", str(root), "--auth-file", str(auth)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    urls = [w for w in line.split() if w.startswith("http://127.0.0.1:")]
    if not urls:
        stop(proc)
        pytest.fail(f"no URL in the server's first line: {line!r}")
    return proc, urls[0].rstrip("/"), root


def test_upload_basic_credentials_from_the_environment_and_the_command_line(
    cli: Path, tmp_path: Path, staging: Path, keys: dict[str, Key]
) -> None:
    proc, url, root = _serve_with_credentials(cli, tmp_path / "server", "basic ci-uploader:s3cret:with:colons\n")
    try:
        sigs = [stage(staging, "team/app", manifest_for("basic"), keys["good"], 1)]
        sigs += [stage(staging, f"team/app{i}", manifest_for(f"basic-{i}"), keys["good"]) for i in range(3)]
        upload_url = f"{url}/upload"
        common = ("-r", upload_url, "--staging", staging)

        r = upload(*common, "-a", sigs[0], env={USER_ENV: "ci-uploader", PASSWORD_ENV: "s3cret:with:colons"})
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""

        r = upload(*common, "-a", sigs[1], "-u", "ci-uploader", env={PASSWORD_ENV: "s3cret:with:colons"})
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""

        r = upload(*common, "-a", sigs[2], "-u", "ci-uploader", "-p", "s3cret:with:colons")
        assert r.returncode == 0, r.stderr
        assert "visible to other users" in r.stderr and PASSWORD_ENV in r.stderr
        assert r.stdout.startswith(f"uploaded {sigs[2]} -> ")

        r = upload(*common, "-a", sigs[3], "-u", "ci-uploader")  # no password anywhere, no terminal
        assert r.returncode == 1
        assert r.stderr == (
            f"upload.py: error: no password for user 'ci-uploader': set {PASSWORD_ENV} or use --auth-file\n"
        )

        r = upload(*common, "-a", sigs[3], "-u", "ci-uploader", "-p", "wrong")
        assert r.returncode == 1
        assert "401 Unauthorized: the upload credentials were not accepted" in r.stderr

        assert len(files_under(root)) == 3
    finally:
        stop(proc)


def test_upload_wrong_or_missing_credentials_exit_1_with_the_servers_message(
    signature_server: SignatureServer, staging: Path, keys: dict[str, Key]
) -> None:
    sig = stage(staging, "team/app", manifest_for("wrong-token"), keys["good"])
    common = ("-r", signature_server.upload_url, "-a", sig, "--staging", staging)

    r = upload(*common, env={TOKEN_ENV: "not-the-token"})
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        f"upload.py: error: {sig}: uploading signature to {signature_server.upload_url}: received unexpected "
        "HTTP status: 401 Unauthorized: the upload credentials were not accepted\n"
    )

    r = upload(*common)
    assert r.returncode == 1
    assert r.stderr == (
        f"upload.py: error: {sig}: uploading signature to {signature_server.upload_url}: received unexpected "
        "HTTP status: 401 Unauthorized: uploading needs credentials: send `Authorization: Bearer <token>` or "
        "HTTP Basic\n"
    )

    r = upload(*common, env={TOKEN_ENV: signature_server.token, USER_ENV: "someone"})
    assert r.returncode == 1
    assert r.stderr == f"upload.py: error: set either {TOKEN_ENV} or {USER_ENV} and {PASSWORD_ENV}, not both\n"

    assert files_under(signature_server.root) == {}


def test_upload_connection_and_usage_errors(staging: Path, keys: dict[str, Key]) -> None:
    sig = stage(staging, "team/app", manifest_for("conn"), keys["good"])
    dead = f"http://127.0.0.1:{closed_port()}/upload"
    r = upload("-r", dead, "-a", sig, "--staging", staging, "--timeout", "5", env={TOKEN_ENV: "t"})
    assert r.returncode == 1
    assert r.stderr.startswith(f"upload.py: error: {sig}: uploading signature to {dead}: ")

    r = upload("-r", "ftp://127.0.0.1/upload", "-a", sig, "--staging", staging)
    assert r.returncode == 1
    assert r.stderr == 'upload.py: error: invalid upload URL "ftp://127.0.0.1/upload": the scheme must be http or https\n'

    r = upload("-a", sig)
    assert r.returncode == 1
    assert r.stderr.endswith("upload.py: error: the following arguments are required: -r/--url\n")


# --- verify.py -------------------------------------------------------------------------------------


@dataclass
class DirImages:
    """`dir:` layouts of one manifest with different signatures, and a policy trusting `good`."""

    policy: Path
    root: Path
    manifest: bytes
    keys: dict[str, Key]
    dirs: dict[str, Path] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return cp.manifest_digest(self.manifest)


@pytest.fixture
def dir_images(tmp_path: Path, keys: dict[str, Key]) -> DirImages:
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "default": [{"type": "reject"}],
                "transports": {
                    "docker": {REGISTRY: [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(keys["good"].public)}]}
                },
            }
        )
    )
    images = DirImages(policy, tmp_path, manifest_for("verify"), keys)
    for name, signer in (("signed", "good"), ("unsigned", None), ("wrongsig", "other")):
        d = tmp_path / name
        d.mkdir()
        (d / "manifest.json").write_bytes(images.manifest)
        if signer is not None:
            blob = cp.sign(images.manifest, f"{REGISTRY}/team/app:v1", keys[signer].secret_bytes)
            (d / "signature-1").write_bytes(blob)
        images.dirs[name] = d
    return images


def cli_eval(cli: Path, *args: Arg) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(cli), "eval", *map(str, args)], capture_output=True, text=True, env=child_env(), timeout=120
    )


@pytest.mark.parametrize(
    ("image", "reference", "expected"),
    [
        ("signed", f"docker://{REGISTRY}/team/app:v1", None),
        ("unsigned", f"docker://{REGISTRY}/team/app:v1", "A signature was required, but no signature exists"),
        ("wrongsig", f"docker://{REGISTRY}/team/app:v1", "Invalid GPG signature: "),
        ("signed", f"docker://{REGISTRY}/team/moved:v1", f'Signature for identity "{REGISTRY}/team/app:v1" is not accepted'),
        ("signed", None, "Running image dir:{dir} is rejected by policy."),
    ],
    ids=["signed", "unsigned", "wrongsig", "moved", "dir-reference"],
)
def test_verify_dir_decisions_match_containers_policy_eval(
    cli: Path, dir_images: DirImages, image: str, reference: Optional[str], expected: Optional[str]
) -> None:
    d = dir_images.dirs[image]
    ref_args = ["--reference", reference] if reference else []
    theirs = cli_eval(cli, "--policy", dir_images.policy, "--dir", d, *ref_args, "--json")
    theirs_error = json.loads(theirs.stdout)["error"]

    r = verify("--policy", dir_images.policy, "--dir", d, *ref_args, "--json")
    assert r.stderr == ""
    ours = json.loads(r.stdout)
    assert set(ours) == {"allowed", "reason"}
    if expected is None:
        assert r.returncode == 0
        assert ours == {"allowed": True, "reason": None}
    else:
        assert r.returncode == 1
        assert ours["allowed"] is False
        assert ours["reason"].startswith(expected.replace("{dir}", str(d))), ours
    assert ours["reason"] == theirs_error
    assert r.returncode == theirs.returncode

    # The explanation: every line of ours is a line of `containers-policy eval`'s.
    text = verify("--policy", dir_images.policy, "--dir", d, *ref_args)
    assert text.returncode == r.returncode
    theirs_text = cli_eval(cli, "--policy", dir_images.policy, "--dir", d, *ref_args).stdout.splitlines()
    for line in text.stdout.splitlines():
        assert line in theirs_text, f"{line!r} not in:\n" + "\n".join(theirs_text)


def test_verify_explains_scope_requirements_and_signatures(dir_images: DirImages) -> None:
    good = dir_images.keys["good"]
    r = verify("--policy", dir_images.policy, "--dir", dir_images.dirs["signed"], "--reference", f"docker://{REGISTRY}/team/app:v1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        f"Image:    docker://{REGISTRY}/team/app:v1 (read from {dir_images.dirs['signed']})",
        f"Policy:   {dir_images.policy}",
        f'Scope:    transports.docker["{REGISTRY}"]',
        f"Requirement 1: signedBy (keyPath {good.public}; signedIdentity matchRepoDigestOrExact) -> satisfied",
        f"    signature 1: accepted, signed by {good.fingerprint} for {REGISTRY}/team/app:v1 ({dir_images.digest})",
        "Verdict:  ALLOWED",
    ]

    r = verify("--policy", dir_images.policy, "--dir", dir_images.dirs["signed"])
    assert r.returncode == 1
    assert "Scope:    default (no transport scope matched)" in r.stdout.splitlines()
    assert "Requirement 1: reject -> denied: " in r.stdout

    r = verify("--policy", dir_images.policy, "--dir", dir_images.dirs["signed"], "--reference", f"docker://{REGISTRY}/team/moved:v1")
    assert r.returncode == 1
    message = f'Signature for identity "{REGISTRY}/team/app:v1" is not accepted'
    assert f"    signature 1: rejected: {message}" in r.stdout.splitlines()
    assert r.stdout.splitlines()[-1] == f"Verdict:  DENIED: {message}"


def test_verify_uses_the_default_policy_under_home(tmp_path: Path, dir_images: DirImages) -> None:
    home = tmp_path / "home"
    (home / ".config/containers").mkdir(parents=True)
    policy = home / ".config/containers/policy.json"
    shutil.copy(dir_images.policy, policy)
    r = verify("--dir", dir_images.dirs["signed"], "--reference", f"docker://{REGISTRY}/team/app:v1", env={"HOME": str(home)})
    assert r.returncode == 0, r.stderr
    assert f"Policy:   {policy}" in r.stdout.splitlines()


def test_verify_errors_exit_2(cli: Path, tmp_path: Path, dir_images: DirImages) -> None:
    missing_policy = tmp_path / "no-policy.json"
    r = verify("--policy", missing_policy, "--dir", dir_images.dirs["signed"])
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == f"verify.py: error: open {missing_policy}: no such file or directory\n"

    r = verify("--policy", missing_policy, "--dir", dir_images.dirs["signed"], "--json")
    assert r.returncode == 2
    assert json.loads(r.stdout) == {
        "allowed": False,
        "reason": None,
        "error": f"open {missing_policy}: no such file or directory",
    }

    bad = tmp_path / "bad-policy.json"
    bad.write_text('{"default": [{"type": "signedBy"}]}')
    theirs = cli_eval(cli, "--policy", bad, "--dir", dir_images.dirs["signed"])
    assert theirs.returncode == 2
    r = verify("--policy", bad, "--dir", dir_images.dirs["signed"])
    assert r.returncode == 2
    assert r.stderr == f"verify.py: error: {theirs.stderr}"

    r = verify("--policy", dir_images.policy, "--dir", tmp_path / "no-such-dir")
    assert r.returncode == 2
    assert r.stderr == f"verify.py: error: {tmp_path / 'no-such-dir'}: not a directory\n"

    r = verify("--policy", dir_images.policy, f"oci:{tmp_path}:latest")
    assert r.returncode == 2
    assert "only docker:// images can be fetched" in r.stderr

    r = verify("--policy", dir_images.policy)
    assert r.returncode == 2
    assert "nothing to evaluate" in r.stderr

    # A registry that is not there: the fetch error, as `containers-policy eval` words it.
    image = f"docker://127.0.0.1:{closed_port()}/team/app:v1"
    empty_d = tmp_path / "empty.d"
    empty_d.mkdir()
    args = ("--policy", dir_images.policy, "--registries.d", empty_d, "--tls-verify=false", image)
    theirs = cli_eval(cli, *args)
    r = verify(*args, "--timeout", "10")
    assert (r.returncode, theirs.returncode) == (2, 2)
    assert r.stderr == f"verify.py: error: {theirs.stderr}"


# --- sign_and_publish.py ---------------------------------------------------------------------------


def test_sign_and_publish_writes_the_next_free_index_and_never_overwrites(
    tmp_path: Path, staging: Path, keys: dict[str, Key]
) -> None:
    manifest = manifest_for("sign")
    mfile = tmp_path / "manifest.json"
    mfile.write_bytes(manifest)
    digest = cp.manifest_digest(manifest)
    reference = f"{REGISTRY}/team/app:v1"
    folder = staging / image_dir("team/app", manifest)

    r = sign_and_publish(mfile, reference, "--key", keys["good"].secret, "--staging", staging)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == f"signed {reference} ({digest}) -> {folder}/signature-1\n"
    first = (folder / "signature-1").read_bytes()
    accepted = cp.verify_signature(first, manifest, reference, [keys["good"].public.read_bytes()])
    assert (accepted.signer, accepted.docker_reference, accepted.docker_manifest_digest) == (
        keys["good"].fingerprint,
        reference,
        digest,
    )

    # docker:// is accepted; the signature claims the docker reference.
    r = sign_and_publish(mfile, f"docker://{reference}", "--key", keys["other"].secret, "--staging", staging)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"signed {reference} ({digest}) -> {folder}/signature-2\n"
    second = (folder / "signature-2").read_bytes()
    assert cp.verify_signature(second, manifest, reference, [keys["other"].public.read_bytes()]).signer == keys[
        "other"
    ].fingerprint

    # An index taken by someone else is skipped, not replaced; no temporary file is left behind.
    (folder / "signature-3").write_bytes(b"taken")
    r = sign_and_publish(mfile, reference, "--key", keys["good"].secret, "--staging", staging)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith(f"-> {folder}/signature-4\n")
    assert sorted(p.name for p in folder.iterdir()) == ["signature-1", "signature-2", "signature-3", "signature-4"]
    assert (folder / "signature-1").read_bytes() == first
    assert (folder / "signature-2").read_bytes() == second
    assert (folder / "signature-3").read_bytes() == b"taken"
    assert oct((folder / "signature-4").stat().st_mode & 0o777) == oct(0o644)


def test_sign_and_publish_reads_dir_images_and_normalizes_short_names(
    tmp_path: Path, staging: Path, keys: dict[str, Key]
) -> None:
    manifest = manifest_for("dir-input")
    image = tmp_path / "image"
    image.mkdir()
    (image / "manifest.json").write_bytes(manifest)
    digest = cp.manifest_digest(manifest)

    r = sign_and_publish(f"dir:{image}", "busybox", "--key", keys["good"].secret, "--staging", staging)
    assert r.returncode == 0, r.stderr
    expected = staging / image_dir("library/busybox", manifest) / "signature-1"
    assert r.stdout == f"signed busybox ({digest}) -> {expected}\n"
    cp.verify_signature(expected.read_bytes(), manifest, "busybox", [keys["good"].public.read_bytes()])

    r = sign_and_publish(image, f"{REGISTRY}/a/b/c/d/e:v1", "--key", keys["good"].secret, "--staging", staging)
    assert r.returncode == 0, r.stderr
    assert (staging / image_dir("a/b/c/d/e", manifest) / "signature-1").is_file()


def test_sign_and_publish_picks_a_key_with_key_id(tmp_path: Path, staging: Path, keys: dict[str, Key]) -> None:
    manifest = manifest_for("key-id")
    mfile = tmp_path / "manifest.json"
    mfile.write_bytes(manifest)
    keyring = tmp_path / "both.sec.asc"
    keyring.write_bytes(keys["good"].secret_bytes + keys["other"].secret_bytes)
    reference = f"{REGISTRY}/team/app:v1"
    folder = staging / image_dir("team/app", manifest)

    r = sign_and_publish(mfile, reference, "--key", keyring, "--staging", staging)
    assert r.returncode == 1
    assert r.stderr.startswith(f"sign_and_publish.py: error: signing with {keyring}: ")
    assert r.stderr.endswith(" (pick one with --key-id)\n")
    assert not folder.exists()

    publics = [k.public.read_bytes() for k in keys.values()]
    for name, key_id in (("other", keys["other"].fingerprint), ("good", keys["good"].fingerprint[-16:])):
        r = sign_and_publish(mfile, reference, "--key", keyring, "--key-id", key_id, "--staging", staging)
        assert r.returncode == 0, r.stderr
        file = Path(r.stdout.split(" -> ")[1].strip())
        assert cp.verify_signature(file.read_bytes(), manifest, reference, publics).signer == keys[name].fingerprint


def test_sign_and_publish_stages_where_registries_d_says(tmp_path: Path, keys: dict[str, Key]) -> None:
    manifest = manifest_for("registries.d")
    mfile = tmp_path / "manifest.json"
    mfile.write_bytes(manifest)
    per_registry, default = tmp_path / "per-registry", tmp_path / "default"
    registries_d = tmp_path / "registries.d"
    registries_d.mkdir()
    (registries_d / "a.yaml").write_text(
        f"default-docker:\n  lookaside-staging: file://{default}\n"
        f"docker:\n  {REGISTRY}:\n    sigstore-staging: file://{per_registry}\n"
    )
    r = sign_and_publish(mfile, f"{REGISTRY}/team/app:v1", "--key", keys["good"].secret, "--registries.d", registries_d)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith(f"-> {per_registry / image_dir('team/app', manifest)}/signature-1\n")
    r = sign_and_publish(mfile, "quay.io/team/app:v1", "--key", keys["good"].secret, "--registries.d", registries_d)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith(f"-> {default / image_dir('team/app', manifest)}/signature-1\n")

    (registries_d / "a.yaml").write_text("default-docker:\n  lookaside-staging: https://sigs.example.com/x\n")
    r = sign_and_publish(mfile, "quay.io/team/app:v1", "--key", keys["good"].secret, "--registries.d", registries_d)
    assert r.returncode == 1
    assert r.stderr.endswith("is not a file:// URL; give --staging DIR\n")


def test_sign_and_publish_uploads_to_a_signature_server_and_to_nexus(
    signature_server: SignatureServer,
    nexus_server: SignatureServer,
    tmp_path: Path,
    staging: Path,
    keys: dict[str, Key],
) -> None:
    manifest = manifest_for("publish")
    mfile = tmp_path / "manifest.json"
    mfile.write_bytes(manifest)
    reference = f"{REGISTRY}/org/team/app:v1"
    folder = image_dir("org/team/app", manifest)

    r = sign_and_publish(
        mfile, reference, "--key", keys["good"].secret, "--staging", staging, "--to", signature_server.upload_url,
        env=token_env(signature_server),
    )
    assert r.returncode == 0, r.stderr
    staged = staging / folder / "signature-1"
    assert r.stdout.splitlines() == [
        f"signed {reference} ({cp.manifest_digest(manifest)}) -> {staged}",
        f"uploaded {staged} -> {signature_server.url}/{folder}/signature-1",
    ]
    assert files_under(signature_server.root) == {f"{folder}/signature-1": staged.read_bytes()}

    r = sign_and_publish(
        mfile, reference, "--key", keys["other"].secret, "--staging", staging, "--nexus", nexus_root(nexus_server),
        "--auth-file", nexus_server.auth_file,
    )
    assert r.returncode == 0, r.stderr
    staged2 = staging / folder / "signature-2"
    assert r.stdout.splitlines()[1] == f"uploaded {staged2} -> {nexus_server.url}/{folder}/signature-1"
    assert files_under(nexus_server.root) == {f"{folder}/signature-1": staged2.read_bytes()}

    # A refused upload: exit 1, the server's message, and the signature stays staged for upload.py.
    r = sign_and_publish(
        mfile, reference, "--key", keys["good"].secret, "--staging", staging, "--to", signature_server.upload_url,
        env={TOKEN_ENV: "not-the-token"},
    )
    assert r.returncode == 1
    staged3 = staging / folder / "signature-3"
    assert r.stdout == f"signed {reference} ({cp.manifest_digest(manifest)}) -> {staged3}\n"
    assert "401 Unauthorized: the upload credentials were not accepted" in r.stderr
    assert f"the signature stays staged at {staged3}" in r.stderr
    assert len(files_under(signature_server.root)) == 1


def test_sign_and_publish_errors(tmp_path: Path, staging: Path, keys: dict[str, Key]) -> None:
    mfile = tmp_path / "manifest.json"
    mfile.write_bytes(manifest_for("errors"))
    good = ("--key", keys["good"].secret, "--staging", staging)

    r = sign_and_publish(mfile, "Not/A:Reference:At:All", *good)
    assert r.returncode == 1
    assert r.stderr == "sign_and_publish.py: error: invalid reference format: repository name must be lowercase\n"

    public = keys["good"].public
    r = sign_and_publish(mfile, f"{REGISTRY}/team/app:v1", "--key", public, "--staging", staging)
    assert r.returncode == 1
    assert r.stderr == f"sign_and_publish.py: error: signing with {public}: no secret key found\n"

    r = sign_and_publish(tmp_path / "no-manifest.json", f"{REGISTRY}/team/app:v1", *good)
    assert r.returncode == 1
    assert r.stderr == f"sign_and_publish.py: error: {tmp_path / 'no-manifest.json'}: No such file or directory\n"

    r = sign_and_publish(mfile, f"{REGISTRY}/team/app:v1", *good, "--to", "ftp://127.0.0.1/upload")
    assert r.returncode == 1
    assert "the scheme must be http or https" in r.stderr

    assert files_under(staging) == {}


# --- end to end: skopeo, docker-registry, gpg ------------------------------------------------------


def _sha256_hex(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def write_oci_image(layout: Path, label: str) -> None:
    """A one-layer OCI image layout (tag `latest`) whose config carries `label`. No network, no build tool."""
    blobs = layout / "blobs/sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> tuple[str, int]:
        hex_ = _sha256_hex(data)
        (blobs / hex_).write_bytes(data)
        return f"sha256:{hex_}", len(data)

    layer_digest, layer_size = put(bytes(1024))  # an empty tar archive
    config_digest, config_size = put(
        json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "config": {"Labels": {"e2e": label}},
                "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
            }
        ).encode()
    )
    manifest_digest, manifest_size = put(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config_digest,
                    "size": config_size,
                },
                "layers": [
                    {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size}
                ],
            }
        ).encode()
    )
    (layout / "index.json").write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "manifests": [
                    {
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": manifest_digest,
                        "size": manifest_size,
                        "annotations": {"org.opencontainers.image.ref.name": "latest"},
                    }
                ],
            }
        )
    )
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')


def as_older_release(ours: str, skopeo_version: str) -> str:
    """Our (containers/image v5.39) message as the installed skopeo's older containers/image words it. The
    only rewrite is the one `../shared/spec.md` §2.3 documents: up to v5.30 (skopeo ≤ 1.15) the identity in
    `Signature for identity … is not accepted` was not quoted. Anything else must match byte for byte."""
    prefix = "skopeo version 1."
    if skopeo_version.startswith(prefix):
        digits = ""
        for c in skopeo_version[len(prefix) :]:
            if not c.isdigit():
                break
            digits += c
        if digits and int(digits) <= 15:
            start, end = "Signature for identity ", " is not accepted"
            if ours.startswith(start) and ours.endswith(end):
                try:
                    identity = json.loads(ours[len(start) : -len(end)])
                except json.JSONDecodeError:
                    return ours
                if isinstance(identity, str):
                    return f"{start}{identity}{end}"
    return ours


def skopeo_rejection(stderr: str) -> Optional[str]:
    """skopeo's refusal: the `Source image rejected: …` message, unquoted from logrus' `msg="…"`."""
    start = stderr.find('msg="')
    if start < 0:
        return None
    rest = stderr[start + 4 :]
    end = 1
    while end < len(rest) and rest[end] != '"':
        end += 2 if rest[end] == "\\" else 1
    try:
        msg = json.loads(rest[: end + 1])
    except json.JSONDecodeError:
        return None
    prefix = "Source image rejected: "
    return msg[len(prefix) :] if isinstance(msg, str) and msg.startswith(prefix) else None


def _wait_for_registry(port: int, proc: subprocess.Popen[bytes]) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"docker-registry exited with status {proc.returncode}")
        try:
            with opener.open(f"http://127.0.0.1:{port}/v2/", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    pytest.fail(f"docker-registry did not answer on 127.0.0.1:{port}")


@dataclass
class World:
    """The end-to-end set-up: registry, keys, images pushed and signed by skopeo, our servers."""

    t: Path
    registry: str
    gnupg: Path
    skopeo_version: str
    staging: Path
    staged: dict[str, Path]  # image name -> its staged signature-1
    good_pub: Path
    server: SignatureServer
    nexus: SignatureServer
    policy: Path
    pull_d: Path
    upload_runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    def skopeo(self, *args: Arg) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["skopeo", *map(str, args)],
            capture_output=True,
            text=True,
            env=child_env({"GNUPGHOME": str(self.gnupg), "TZ": "UTC"}),
            timeout=120,
        )

    def pull(self, policy: Path, registries_d: Path, image: str, name: str) -> subprocess.CompletedProcess[str]:
        into = self.t / f"pulled-{name}"
        shutil.rmtree(into, ignore_errors=True)
        return self.skopeo(
            "--policy", policy, "--registries.d", registries_d, "copy", "--src-tls-verify=false", image, f"dir:{into}"
        )


def _gpg(home: Path, *args: str, passphrase: str = "") -> bytes:
    out = subprocess.run(
        ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", passphrase, *args],
        capture_output=True,
        env=child_env({"GNUPGHOME": str(home)}),
        timeout=60,
    )
    assert out.returncode == 0, f"gpg {args}: {out.stderr.decode(errors='replace')}"
    return out.stdout


def _check(proc: subprocess.CompletedProcess[str], what: str) -> None:
    assert proc.returncode == 0, f"{what} failed: {proc.stdout}{proc.stderr}"


@pytest.fixture(scope="module")
def world(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for tool in ("docker-registry", "skopeo", "gpg"):
        if not have(tool):
            pytest.skip(f"skipped: {tool} is not installed (scripts/setup installs it)")
    skopeo_version = subprocess.run(["skopeo", "--version"], capture_output=True, text=True).stdout.strip()
    t = tmp_path_factory.mktemp("e2e")
    cleanup: list[subprocess.Popen[bytes]] = []
    servers: list[SignatureServer] = []
    gnupg = t / "gnupg"
    try:
        # Debian's docker-registry on 127.0.0.1.
        port = closed_port()
        config = t / "registry.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {t / 'registry-storage'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{port}\n"
        )
        reg = subprocess.Popen(
            ["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        cleanup.append(reg)
        _wait_for_registry(port, reg)
        registry = f"127.0.0.1:{port}"

        # Throwaway signing keys.
        gnupg.mkdir(mode=0o700)
        for who in ("good", "wrong"):
            _gpg(gnupg, "--quick-gen-key", f"E2E {who} <{who}@e2e.test>", "ed25519", "sign", "never")
        good_pub = t / "good.pub"
        good_pub.write_bytes(_gpg(gnupg, "--armor", "--export", "good@e2e.test"))

        # Push: a permissive policy for the local layouts, and a staging store for signatures.
        staging = t / "staging"
        push_d = t / "push.d"
        push_d.mkdir()
        (push_d / "staging.yaml").write_text(f"default-docker:\n  lookaside-staging: file://{staging}\n")
        permissive = t / "permissive.json"
        permissive.write_text('{"default":[{"type":"insecureAcceptAnything"}]}')
        server = start_signature_server(cli, t / "server")
        servers.append(server)
        nexus = start_signature_server(cli, t / "nexus", "--base-path", "/repository/sigstore")
        servers.append(nexus)
        world = World(
            t=t,
            registry=registry,
            gnupg=gnupg,
            skopeo_version=skopeo_version,
            staging=staging,
            staged={},
            good_pub=good_pub,
            server=server,
            nexus=nexus,
            policy=t / "policy.json",
            pull_d=t / "pull.d",
        )
        for name, signer in (("signed", "good@e2e.test"), ("unsigned", None), ("wrongsig", "wrong@e2e.test"), ("late", None)):
            layout = t / f"oci-{name}"
            write_oci_image(layout, name)
            sign = ["--sign-by", signer] if signer else []
            _check(
                world.skopeo(
                    "--policy", permissive, "--registries.d", push_d, "copy", "--dest-tls-verify=false", *sign,
                    f"oci:{layout}:latest", f"docker://{registry}/e2e/team/{name}:v1",
                ),
                f"skopeo copy {name}",
            )
        # "moved": the signed image under another name, with the signed image's signature beside it.
        _check(
            world.skopeo(
                "--policy", permissive, "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                f"docker://{registry}/e2e/team/signed:v1", f"docker://{registry}/e2e/team/moved:v1",
            ),
            "skopeo copy moved",
        )
        team = staging / "e2e/team"
        for name in ("signed", "wrongsig"):
            found = sorted(team.glob(f"{name}@sha256=*/signature-1"))
            assert len(found) == 1, f"skopeo did not write one {name} signature into the staging store: {found}"
            world.staged[name] = found[0]
        moved = team / world.staged["signed"].parent.name.replace("signed@", "moved@", 1)
        moved.mkdir()
        shutil.copy(world.staged["signed"], moved / "signature-1")
        world.staged["moved"] = moved / "signature-1"

        # Publish with upload.py to our server (the JSON /upload API), twice.
        files = [world.staged[n] for n in ("signed", "wrongsig", "moved")]
        for _ in range(2):
            world.upload_runs.append(
                upload("-r", world.server.upload_url, "-a", *files, "--staging", staging, env=token_env(world.server))
            )

        # Pull: signatures required for our registry, read through our server.
        world.policy.write_text(
            json.dumps(
                {
                    "default": [{"type": "reject"}],
                    "transports": {
                        "docker": {registry: [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(good_pub)}]}
                    },
                }
            )
        )
        world.pull_d.mkdir()
        (world.pull_d / "lookaside.yaml").write_text(f"docker:\n  {registry}:\n    lookaside: {world.server.url}\n")
        yield world
    finally:
        for server in servers:
            stop(server.process)
        for proc in cleanup:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if gnupg.exists():
            subprocess.run(["gpgconf", "--kill", "all"], env=child_env({"GNUPGHOME": str(gnupg)}), capture_output=True)


def test_e2e_upload_publishes_skopeo_made_signatures(world: World) -> None:
    first, second = world.upload_runs
    files = [world.staged[n] for n in ("signed", "wrongsig", "moved")]
    assert first.returncode == 0, first.stderr
    assert [line.split(" -> ")[0] for line in first.stdout.splitlines()] == [f"uploaded {f}" for f in files]
    assert second.returncode == 0, second.stderr
    assert [line.split(" -> ")[0] for line in second.stdout.splitlines()] == [f"already present {f}" for f in files]
    published = files_under(world.server.root)
    assert published == {
        f"e2e/team/{f.parent.name}/signature-1": f.read_bytes() for f in files
    }, "the server holds exactly the staged signatures, each once"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("signed", None),
        ("unsigned", "A signature was required, but no signature exists"),
        ("wrongsig", "Invalid GPG signature: gpgme.Signature{"),
        ("moved", 'Signature for identity "{registry}/e2e/team/signed:v1" is not accepted'),
    ],
)
def test_e2e_skopeo_and_verify_agree_through_our_server(world: World, name: str, expected: Optional[str]) -> None:
    image = f"docker://{world.registry}/e2e/team/{name}:v1"
    theirs = world.pull(world.policy, world.pull_d, image, name)
    ours = verify("--policy", world.policy, "--registries.d", world.pull_d, "--tls-verify=false", "--json", image)
    assert ours.stderr == ""
    verdict = json.loads(ours.stdout)
    if expected is None:
        _check(theirs, f"skopeo pull of {name}")
        assert (ours.returncode, verdict) == (0, {"allowed": True, "reason": None})
        return
    assert theirs.returncode != 0, f"skopeo accepted {name}"
    theirs_msg = skopeo_rejection(theirs.stderr)
    assert theirs_msg is not None, theirs.stderr
    assert theirs_msg.startswith(as_older_release(expected.replace("{registry}", world.registry), world.skopeo_version))
    assert ours.returncode == 1
    assert verdict["allowed"] is False
    assert as_older_release(verdict["reason"], world.skopeo_version) == theirs_msg, (
        f"{name}: our message differs from {world.skopeo_version}'s"
    )


def test_e2e_verify_explains_a_registry_image(world: World) -> None:
    image = f"docker://{world.registry}/e2e/team/signed:v1"
    r = verify("--policy", world.policy, "--registries.d", world.pull_d, "--tls-verify=false", image)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert f"Signatures looked up in: {world.server.url}/e2e/team/signed" in lines
    assert f'Scope:    transports.docker["{world.registry}"]' in lines
    assert any(line.startswith("    signature 1: accepted, signed by ") for line in lines), r.stdout
    assert lines[-1] == "Verdict:  ALLOWED"


def test_e2e_nexus_mode(world: World) -> None:
    base = nexus_root(world.nexus)
    signed = world.staged["signed"]
    r = upload(
        "-r", base, "-a", signed, "--no-verify", "--nexus", "-s", "sigstore", "--staging", world.staging,
        env=token_env(world.nexus),
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"uploaded {signed} -> {world.nexus.url}/e2e/team/{signed.parent.name}/signature-1\n"

    nexus_d = world.t / "nexus.d"
    nexus_d.mkdir()
    (nexus_d / "nexus.yaml").write_text(f"docker:\n  {world.registry}/e2e:\n    sigstore: {world.nexus.url}\n")
    image = f"docker://{world.registry}/e2e/team/signed:v1"
    _check(world.pull(world.policy, nexus_d, image, "nexus"), "skopeo pull through the Nexus-style store")
    ours = verify("--policy", world.policy, "--registries.d", nexus_d, "--tls-verify=false", image)
    assert ours.returncode == 0, ours.stderr
    assert f"Signatures looked up in: {world.nexus.url}/e2e/team/signed" in ours.stdout.splitlines()
    assert ours.stdout.splitlines()[-1] == "Verdict:  ALLOWED"

    # Not published there: refused by both.
    unsigned = f"docker://{world.registry}/e2e/team/wrongsig:v1"
    theirs = world.pull(world.policy, nexus_d, unsigned, "nexus-wrongsig")
    assert skopeo_rejection(theirs.stderr) == "A signature was required, but no signature exists", theirs.stderr
    ours = verify("--policy", world.policy, "--registries.d", nexus_d, "--tls-verify=false", "--json", unsigned)
    assert (ours.returncode, json.loads(ours.stdout)) == (
        1,
        {"allowed": False, "reason": "A signature was required, but no signature exists"},
    )


def test_e2e_sign_and_publish_with_a_passphrase_protected_gpg_key(world: World) -> None:
    """An image pushed unsigned is signed afterwards with sign_and_publish.py (a gpg-made key protected by a
    passphrase), published, and then accepted by skopeo under a policy trusting only that key."""
    passphrase = "late-passphrase-91"
    _gpg(world.gnupg, "--quick-gen-key", "E2E late <late@e2e.test>", "ed25519", "sign", "never", passphrase=passphrase)
    secret = world.t / "late.sec.asc"
    secret.write_bytes(_gpg(world.gnupg, "--armor", "--export-secret-keys", "late@e2e.test", passphrase=passphrase))
    late_pub = world.t / "late.pub"
    late_pub.write_bytes(_gpg(world.gnupg, "--armor", "--export", "late@e2e.test"))

    image = f"docker://{world.registry}/e2e/team/late:v1"
    copied = world.t / "late-dir"
    permissive = world.t / "permissive.json"
    _check(
        world.skopeo("--policy", permissive, "copy", "--src-tls-verify=false", image, f"dir:{copied}"),
        "skopeo copy late to dir:",
    )
    staging = world.t / "late-staging"
    reference = f"{world.registry}/e2e/team/late:v1"
    publish = ("--staging", staging, "--to", world.server.upload_url)

    r = sign_and_publish(f"dir:{copied}", reference, "--key", secret, *publish, env=token_env(world.server))
    assert r.returncode == 1, "signing with a protected key and no passphrase must fail"
    assert r.stderr.startswith(f"sign_and_publish.py: error: signing with {secret}: ")
    assert f"(set {PASSPHRASE_ENV})" in r.stderr
    r = sign_and_publish(f"dir:{copied}", reference, "--key", secret, *publish, env={PASSPHRASE_ENV: "wrong"})
    assert r.returncode == 1
    assert r.stderr.startswith(f"sign_and_publish.py: error: signing with {secret}: ")
    assert PASSPHRASE_ENV not in r.stderr
    assert not staging.exists() or files_under(staging) == {}

    r = sign_and_publish(
        f"dir:{copied}", reference, "--key", secret, *publish, env={PASSPHRASE_ENV: passphrase, **token_env(world.server)}
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1].startswith("uploaded ")

    policy = world.t / "late-policy.json"
    policy.write_text(
        json.dumps(
            {
                "default": [{"type": "reject"}],
                "transports": {
                    "docker": {
                        f"{world.registry}/e2e/team/late": [
                            {"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(late_pub)}
                        ]
                    }
                },
            }
        )
    )
    _check(world.pull(policy, world.pull_d, image, "late"), "skopeo pull of the late-signed image")
    ours = verify("--policy", policy, "--registries.d", world.pull_d, "--tls-verify=false", image)
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert f'Scope:    transports.docker["{world.registry}/e2e/team/late"]' in ours.stdout.splitlines()
    # Under the policy trusting only the good key, the late image is refused by both, in the same words.
    theirs = world.pull(world.policy, world.pull_d, image, "late-refused")
    assert theirs.returncode != 0
    theirs_msg = skopeo_rejection(theirs.stderr)
    assert theirs_msg is not None and theirs_msg.startswith("Invalid GPG signature: "), theirs.stderr
    ours = verify("--policy", world.policy, "--registries.d", world.pull_d, "--tls-verify=false", "--json", image)
    assert ours.returncode == 1
    assert json.loads(ours.stdout)["reason"] == theirs_msg
