#!/usr/bin/env python3
"""Publish signatures from a local staging store to a signature server or a Nexus RAW repository.

A drop-in for the ``upload.py`` and ``signature-upload.py`` clients of the nginx/Lua signature server
walkthrough, built on ``containers_policy.Uploader``. ``skopeo copy --sign-by`` (or ``podman push
--sign-by``) writes each signature into the staging store that registries.d names
(``lookaside-staging`` / ``sigstore-staging``), as ``<root>/<repository>@sha256=<hex>/signature-<N>``;
this script sends them where readers look for them. Repository paths of any depth work, and the server
(or, for Nexus, this client) picks the next free ``signature-<N>``, so a second signature of an image
never replaces the first.

Usage::

    # A signature server's JSON API (POST {"repoName","layerId","signatureData"}):
    export CONTAINERS_POLICY_UPLOAD_TOKEN=...          # or _USER and _PASSWORD, or --auth-file
    upload.py -r https://sigserver.example.com/upload \\
        -a /tmp/sigstore/docker/busybox@sha256=a249.../signature-1

    # A Nexus RAW repository named "sigstore" (PUT <url>/repository/sigstore/<repo>@sha256=<hex>/signature-<N>):
    upload.py -r https://nexus.example.com --nexus -s sigstore -u ci-uploader \\
        -a /tmp/sigstore/team/app@sha256=.../signature-1 /tmp/sigstore/team/app@sha256=.../signature-2

    # Every signature in the staging store (default: default-docker's lookaside-staging in registries.d):
    upload.py -r https://sigserver.example.com/upload --staging /tmp/sigstore

Credentials: ``--auth-file FILE`` (one line, ``bearer TOKEN`` or ``basic USER:PASSWORD``), else
``CONTAINERS_POLICY_UPLOAD_TOKEN``, else ``CONTAINERS_POLICY_UPLOAD_USER`` and
``CONTAINERS_POLICY_UPLOAD_PASSWORD`` (``-u USER`` replaces the latter's user; ``-p PASSWORD`` is accepted
for compatibility but shows the password to every user of the machine).

Prints ``uploaded <file> -> <url>`` or ``already present <file> -> <url>`` per signature and exits 0; on
any failure prints ``upload.py: error: <message>`` and exits 1, having stopped at the first failure.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, Optional

import containers_policy as cp

TOKEN_ENV = "CONTAINERS_POLICY_UPLOAD_TOKEN"
USER_ENV = "CONTAINERS_POLICY_UPLOAD_USER"
PASSWORD_ENV = "CONTAINERS_POLICY_UPLOAD_PASSWORD"


class Failure(Exception):
    """A failure to report as `<prog>: error: <message>` (exit 1)."""


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 1 like every other failure of these scripts."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def warn(prog: str, message: str) -> None:
    print(f"{prog}: warning: {message}", file=sys.stderr)


def _env(name: str) -> Optional[str]:
    value = os.environ.get(name)
    return value if value else None


def file_url_path(url: str) -> Optional[Path]:
    """The local path of a `file://` URL, or None for any other scheme."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(urllib.request.url2pathname(parts.path))


def default_staging(registries_d: Optional[str]) -> tuple[Path, str]:
    """The staging store `skopeo copy --sign-by` writes to: `default-docker`'s `lookaside-staging` (or
    `sigstore-staging`, or its `lookaside`) in registries.d, else containers/image's built-in default.
    Returns the directory and a description of where it came from."""
    where = f"registries.d {registries_d}" if registries_d else "the default registries.d"
    registries = cp.RegistriesD.load(registries_d)
    top = registries.default_staging_url()
    path = file_url_path(top)
    if path is None:
        raise Failure(f"the default staging location {top} (from {where}) is not a file:// URL; give --staging DIR")
    return path, f"the default staging store {path} (from {where})"


def nexus_base_url(url: str, repository: str) -> str:
    """`<url>/repository/<name>`, unless `url` already names a repository."""
    url = url.rstrip("/")
    if "/repository/" in urllib.parse.urlsplit(url).path + "/":
        return url
    return f"{url}/repository/{urllib.parse.quote(repository, safe='')}"


def add_upload_arguments(parser: argparse.ArgumentParser) -> None:
    """Credential and connection options shared with sign_and_publish.py."""
    parser.add_argument(
        "-u",
        "--username",
        metavar="USER",
        help=f"user for HTTP Basic authentication (password from ${PASSWORD_ENV}, or asked on a terminal)",
    )
    parser.add_argument(
        "-p",
        "--password",
        metavar="PASSWORD",
        help=f"password (accepted for compatibility; visible to other users: prefer ${PASSWORD_ENV})",
    )
    parser.add_argument(
        "--auth-file",
        metavar="FILE",
        help="file holding the credential: one line, `bearer TOKEN` or `basic USER:PASSWORD`",
    )
    parser.add_argument("--no-verify", action="store_true", help="do not verify the server's TLS certificate")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="timeout of each request")


def credentials(args: argparse.Namespace, prog: str) -> dict[str, str]:
    """The `Uploader` credential keyword arguments: from --auth-file, -u/-p, or the environment."""
    username: Optional[str] = args.username
    password: Optional[str] = args.password
    if password is not None:
        warn(
            prog,
            "a password given with -p/--password is visible to other users of this machine "
            f"(ps, shell history); set {PASSWORD_ENV} or use --auth-file instead",
        )
    if args.auth_file is not None:
        if username is not None or password is not None:
            raise Failure("give either --auth-file or -u/--username (and a password), not both")
        return {"auth_file": args.auth_file}
    if password is not None and username is None:
        username = _env(USER_ENV)
        if username is None:
            raise Failure(f"-p/--password needs a user: give -u/--username or set {USER_ENV}")
    if username is not None:
        if password is None:
            password = _env(PASSWORD_ENV)
        if password is None:
            if not sys.stdin.isatty():
                raise Failure(f"no password for user {username!r}: set {PASSWORD_ENV} or use --auth-file")
            password = getpass.getpass(f"Password for {username}: ")
        return {"username": username, "password": password}
    token, user, password = _env(TOKEN_ENV), _env(USER_ENV), _env(PASSWORD_ENV)
    if token is not None:
        if user is not None:
            raise Failure(f"set either {TOKEN_ENV} or {USER_ENV} and {PASSWORD_ENV}, not both")
        return {"token": token}
    if user is not None or password is not None:
        if user is None:
            raise Failure(f"{PASSWORD_ENV} is set but {USER_ENV} is not")
        if password is None:
            raise Failure(f"{USER_ENV} is set but {PASSWORD_ENV} is not")
        return {"username": user, "password": password}
    return {}


def make_uploader(url: str, *, nexus: bool, args: argparse.Namespace, prog: str) -> cp.Uploader:
    """An `Uploader` for `url` with the credentials and connection options of `args`."""
    if args.no_verify:
        warn(prog, "TLS certificate verification is off (--no-verify): an impostor of the server would receive the credentials")
    creds = credentials(args, prog)
    try:
        return cp.Uploader(
            url,
            nexus=nexus,
            token=creds.get("token"),
            username=creds.get("username"),
            password=creds.get("password"),
            auth_file=creds.get("auth_file"),
            tls_verify=not args.no_verify,
            timeout=args.timeout,
        )
    except ValueError as e:
        raise Failure(str(e)) from None


def report(result: cp.UploadResult, file: str) -> str:
    """The line printed for one upload."""
    where = result.url or result.path
    verb = "uploaded" if result.created else "already present"
    return f"{verb} {file} -> {where}"


def run_main(prog: str, args: argparse.Namespace, run: Callable[[argparse.Namespace], None]) -> int:
    """Runs `run(args)`, turning every failure into `<prog>: error: <message>` and exit status 1."""
    try:
        run(args)
    except OSError as e:
        message = f"{e.filename}: {e.strerror}" if e.filename is not None and e.strerror else str(e)
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 1
    except (Failure, cp.ContainersPolicyError, ValueError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: error: interrupted", file=sys.stderr)
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="upload.py",
        description="Publish staged image signatures to a signature server or a Nexus RAW repository.",
    )
    p.add_argument(
        "-r",
        "--url",
        required=True,
        metavar="URL",
        help="the signature server's upload endpoint (https://host/upload), or with --nexus the Nexus base URL",
    )
    p.add_argument(
        "-a",
        "--artifact",
        nargs="+",
        action="extend",
        default=[],
        metavar="PATH",
        help="signature files inside the staging store (any repository depth); default: all of them",
    )
    p.add_argument("--nexus", action="store_true", help="upload to a Nexus RAW repository (PUT)")
    p.add_argument(
        "-s",
        "--repository",
        metavar="NAME",
        help="the Nexus RAW repository (default: sigstore); not used when the URL has /repository/",
    )
    p.add_argument(
        "--staging",
        metavar="DIR",
        help="root of the staging store (default: default-docker's lookaside-staging in registries.d)",
    )
    p.add_argument("--registries.d", dest="registries_d", metavar="DIR", help="registries.d directory")
    add_upload_arguments(p)
    return p


def upload(args: argparse.Namespace) -> None:
    prog = "upload.py"
    if args.repository is not None and not args.nexus:
        raise Failure("-s/--repository names a Nexus RAW repository: use it with --nexus")
    hint = "pass --staging DIR, the directory skopeo's lookaside-staging (sigstore-staging) points to"
    if args.staging is not None:
        staging = Path(args.staging)
        origin, note = f"the staging store {staging}", ""
    else:
        staging, origin = default_staging(args.registries_d)
        note = f" ({origin})"
    if not staging.is_dir():
        raise Failure(f"{origin} is not a directory; {hint}")
    # Check every file before sending anything.
    files: list[str] = []
    if args.artifact:
        for artifact in args.artifact:
            try:
                cp.SignatureLocation.locate(staging, artifact)
            except cp.LookasideError as e:
                raise Failure(f"{e}{note}; {hint}") from None
            files.append(artifact)
    else:
        # (str(): the binding returns pathlib.Path here, although its stub says str.)
        files = [str(path) for _, path in cp.SignatureLocation.walk(staging)]
        if not files:
            raise Failure(f"no signatures in {origin}")
    url = nexus_base_url(args.url, args.repository or "sigstore") if args.nexus else args.url
    uploader = make_uploader(url, nexus=args.nexus, args=args, prog=prog)
    for file in files:
        try:
            result = uploader.upload_file(staging, file)
        except cp.ContainersPolicyError as e:
            raise Failure(f"{file}: {e}") from None
        print(report(result, file), flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    return run_main("upload.py", args, upload)


if __name__ == "__main__":
    sys.exit(main())
