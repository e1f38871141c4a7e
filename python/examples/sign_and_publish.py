#!/usr/bin/env python3
"""Sign an image manifest, file the signature in a local staging store, and optionally publish it.

What ``skopeo copy --sign-by`` does for the signature, without gpg and without copying the image: the
manifest is signed with ``containers_policy.sign`` (a simple-signing signature, as ``skopeo
standalone-sign`` makes), and the signature is written where skopeo would write it,
``<staging>/<repository>@sha256=<hex>/signature-<N>``, at the first free ``N``. An existing signature is
never replaced: the file is written under a temporary name in the same folder and then hard-linked to
``signature-<N>``, which fails instead of overwriting when another writer took that index first.

Usage::

    # Sign a manifest file; the staging store comes from registries.d (lookaside-staging), as for skopeo:
    export CONTAINERS_POLICY_SIGNING_PASSPHRASE=...      # only for a passphrase-protected key
    sign_and_publish.py manifest.json registry.example.com/team/app:1.0 --key signer.sec.asc

    # An image copied with `skopeo copy … dir:./app`, into an explicit staging store, then published to a
    # signature server (credentials as for upload.py: CONTAINERS_POLICY_UPLOAD_TOKEN, …, or --auth-file):
    sign_and_publish.py dir:./app registry.example.com/team/app:1.0 --key signer.sec.asc \\
        --staging /tmp/sigstore --to https://sigserver.example.com/upload

    # ... or to a Nexus RAW repository ("sigstore" unless -s NAME or the URL names one):
    sign_and_publish.py dir:./app registry.example.com/team/app:1.0 --key signer.sec.asc \\
        --staging /tmp/sigstore --nexus https://nexus.example.com -u ci-uploader

``--key`` is an OpenPGP secret key (armored or binary, e.g. ``gpg --armor --export-secret-keys``);
``--key-id`` picks one key when the file holds several. Prints ``signed <reference> (<digest>) -> <file>``
and, when publishing, ``uploaded <file> -> <url>``; exits 0. On any failure prints
``sign_and_publish.py: error: <message>`` and exits 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import containers_policy as cp
from upload import Failure, Parser, add_upload_arguments, file_url_path, make_uploader, nexus_base_url, report, run_main

PROG = "sign_and_publish.py"
PASSPHRASE_ENV = "CONTAINERS_POLICY_SIGNING_PASSPHRASE"
# containers/image reads at most this many signatures of an image (signature-1 … signature-127).
MAX_SIGNATURES = 127


def read_manifest(source: str) -> bytes:
    """The manifest bytes of a manifest file, a directory in the `dir:` layout, or `dir:PATH`."""
    path = Path(source[len("dir:") :] if source.startswith("dir:") else source)
    if source.startswith("dir:") or path.is_dir():
        path = path / "manifest.json"
    return path.read_bytes()


def image_folder(args: argparse.Namespace, reference: str, repository: str, digest: str) -> Path:
    """The staging folder of the image's signatures, `<staging>/<repository>@sha256=<hex>`."""
    if args.staging is not None:
        return Path(args.staging) / cp.SignatureLocation(repository, digest, 1).image_dir
    registries = cp.RegistriesD.load(args.registries_d)
    url = registries.signature_url(reference, digest, 1, write=True)
    path = file_url_path(url)
    if path is None:
        raise Failure(f"the staging location for {reference} in registries.d, {url}, is not a file:// URL; give --staging DIR")
    return path.parent


def write_signature(folder: Path, blob: bytes) -> Path:
    """Writes `blob` as the first free `signature-<N>` of `folder`, never replacing a file."""
    folder.mkdir(parents=True, exist_ok=True)
    # A hidden name: readers and `SignatureLocation.walk` skip it.
    fd, tmp = tempfile.mkstemp(prefix=".signature-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o644)
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        for index in range(1, MAX_SIGNATURES + 1):
            target = folder / f"signature-{index}"
            try:
                os.link(tmp, target)
            except FileExistsError:
                continue
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
            return target
        raise Failure(f"{folder} already has {MAX_SIGNATURES} signatures, the most containers/image reads")
    finally:
        os.unlink(tmp)


def sign_and_publish(args: argparse.Namespace) -> None:
    reference: str = args.reference
    if reference.startswith("docker://"):
        reference = reference[len("docker://") :]
    if args.repository is not None and args.nexus is None:
        raise Failure("-s/--repository names a Nexus RAW repository: use it with --nexus")
    manifest = read_manifest(args.manifest)
    digest = cp.manifest_digest(manifest)
    # The repository path the lookaside layout files the image under (`library/busybox` for `busybox`).
    repository = cp.SignatureLocation.for_reference(reference, digest).repository
    key = Path(args.key).read_bytes()
    passphrase = os.environ.get(PASSPHRASE_ENV) or None
    # Build the uploader (and so check its options) before anything is written.
    uploader: Optional[cp.Uploader] = None
    if args.to is not None:
        uploader = make_uploader(args.to, nexus=False, args=args, prog=PROG)
    elif args.nexus is not None:
        url = nexus_base_url(args.nexus, args.repository or "sigstore")
        uploader = make_uploader(url, nexus=True, args=args, prog=PROG)
    try:
        blob = cp.sign(manifest, reference, key, key_id=args.key_id, passphrase=passphrase)
    except cp.ContainersPolicyError as e:
        # The binding's messages are its own; these only say which option of this script answers them.
        hint = ""
        if passphrase is None and "passphrase" in str(e).lower():
            hint = f" (set {PASSPHRASE_ENV})"
        elif args.key_id is None and "more than one secret key" in str(e):
            hint = " (pick one with --key-id)"
        raise Failure(f"signing with {args.key}: {e}{hint}") from None
    file = write_signature(image_folder(args, reference, repository, digest), blob)
    print(f"signed {reference} ({digest}) -> {file}", flush=True)
    if uploader is not None:
        try:
            result = uploader.upload(repository, digest, blob)
        except cp.ContainersPolicyError as e:
            raise Failure(f"{e} (the signature stays staged at {file}; publish it later with upload.py)") from None
        print(report(result, str(file)), flush=True)


def parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description="Sign an image manifest into a staging store and optionally publish it.")
    p.add_argument("manifest", metavar="MANIFEST", help="manifest file, or an image directory (dir:PATH or PATH)")
    p.add_argument("reference", metavar="REFERENCE", help="the docker reference to sign for, e.g. host/team/app:1.0")
    p.add_argument("--key", required=True, metavar="FILE", help="OpenPGP secret key file (armored or binary)")
    p.add_argument("--key-id", metavar="ID", help="fingerprint or key ID, when the key file holds several keys")
    p.add_argument("--staging", metavar="DIR", help="root of the staging store (default: from registries.d)")
    p.add_argument("--registries.d", dest="registries_d", metavar="DIR", help="registries.d directory")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--to", metavar="URL", help="also upload to this signature server endpoint (…/upload)")
    target.add_argument("--nexus", metavar="URL", help="also upload to this Nexus (base URL or …/repository/NAME)")
    p.add_argument("-s", "--repository", metavar="NAME", help="the Nexus RAW repository (default: sigstore)")
    add_upload_arguments(p)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    return run_main(PROG, args, sign_and_publish)


if __name__ == "__main__":
    sys.exit(main())
