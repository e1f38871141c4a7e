#!/usr/bin/env python3
"""Decide whether an image may run, exactly as podman, skopeo and CRI-O decide it, and say why.

The same decision as ``containers-policy eval``, through ``containers_policy.PolicyContext``: the scope
of policy.json that applied, each requirement's verdict and each signature's fate, with containers/image's
messages.

Usage::

    # An image in a registry; its signatures are read from the lookaside store registries.d names:
    verify.py --policy /etc/containers/policy.json --registries.d /etc/containers/registries.d \\
        docker://registry.example.com/team/app:1.0

    # A test registry over plain HTTP, with registry credentials:
    verify.py --policy policy.json --tls-verify=false --authfile auth.json docker://127.0.0.1:5000/app:1

    # An image copied with `skopeo copy … dir:DIR` (manifest.json, signature-1, …), judged as the image it
    # was copied from:
    verify.py --policy policy.json --dir ./app-dir --reference docker://registry.example.com/team/app:1.0

    # For scripts: one JSON object, {"allowed": true|false, "reason": "<message>"|null}
    verify.py --policy policy.json --json docker://registry.example.com/team/app:1.0

Exit status: 0 allowed, 1 denied, 2 when the image or the configuration could not be read (the message
goes to stderr; with ``--json`` stdout also gets ``{"allowed": false, "reason": null, "error": "…"}``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import containers_policy as cp

EXIT_ALLOWED, EXIT_DENIED, EXIT_ERROR = 0, 1, 2


class Failure(Exception):
    """The image or the configuration could not be read (exit 2)."""


def parse_bool(value: str) -> bool:
    """`true`/`false` (as Go's flag package spells them, plus yes/no/1/0)."""
    v = value.strip().lower()
    if v in ("true", "t", "1", "yes"):
        return True
    if v in ("false", "f", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value {value!r}")


def describe(requirement: cp.Requirement) -> str:
    """The keys and identity rule of a signature requirement, for the explanation."""
    if requirement.type not in ("signedBy", "sigstoreSigned"):
        return ""
    if requirement.key_path is not None:
        keys = f"keyPath {requirement.key_path}"
    elif requirement.key_paths is not None:
        keys = f"keyPaths {', '.join(requirement.key_paths)}"
    elif requirement.key_data is not None:
        keys = f"keyData ({len(requirement.key_data)} bytes)"
    else:
        keys = "keys"
    identity = requirement.signed_identity
    rule = identity.type if identity is not None else "matchRepoDigestOrExact"
    return f" ({keys}; signedIdentity {rule})"


def explain(
    decision: cp.Decision,
    policy: cp.Policy,
    policy_path: Path,
    image: str,
    source: str,
) -> str:
    """A readable account of `decision`, in the shape `containers-policy eval` prints."""
    lines = [f"Image:    {image}", source, f"Policy:   {policy_path}"]
    if decision.transport is None or decision.scope is None:
        label = "default (no transport scope matched)"
        requirements = policy.default
    else:
        t, s = decision.transport, decision.scope
        if s == "":
            label = f'transports.{t}[""] (default for the {t} transport)'
        else:
            label = f"transports.{t}[{json.dumps(s)}]"
        requirements = policy.scope(t, s) or []
    lines.append(f"Scope:    {label}")
    for result in decision.requirements:
        detail = describe(requirements[result.index]) if result.index < len(requirements) else ""
        verdict = "satisfied" if result.allowed else f"denied: {result.reason}"
        lines.append(f"Requirement {result.index + 1}: {result.type}{detail} -> {verdict}")
        for sig in result.signatures:
            if sig.accepted:
                lines.append(
                    f"    signature {sig.index}: accepted, signed by {sig.signer} "
                    f"for {sig.docker_reference} ({sig.docker_manifest_digest})"
                )
            else:
                lines.append(f"    signature {sig.index}: rejected: {sig.reason}")
    lines.append("Verdict:  ALLOWED" if decision.allowed else f"Verdict:  DENIED: {decision.reason}")
    return "\n".join(line for line in lines if line) + "\n"


def evaluate(args: argparse.Namespace) -> tuple[cp.Decision, cp.Policy, Path, str, str]:
    """Loads the policy, reads or fetches the image, and decides."""
    policy_path = Path(args.policy) if args.policy else Path(cp.default_policy_path())
    policy = cp.Policy.from_file(policy_path)
    ctx = cp.PolicyContext(policy)
    reference: Optional[str] = args.image or args.reference
    if args.dir is not None:
        directory = Path(args.dir)
        if not directory.is_dir():
            raise Failure(f"{directory}: not a directory")
        decision = ctx.evaluate_dir(directory, reference)
        shown = reference or f"dir:{directory}"
        return decision, policy, policy_path, f"{shown} (read from {directory})", ""
    if reference is None:
        raise Failure("nothing to evaluate: give an image (docker://HOST/REPO:TAG) or --dir DIR")
    if not reference.startswith("docker://"):
        raise Failure(f"{reference}: only docker:// images can be fetched; use --dir for an image copied with skopeo")
    registries = cp.RegistriesD.load(args.registries_d)
    docker_reference = reference[len("docker://") :]
    if registries.use_sigstore_attachments(docker_reference):
        where = "the registry (sigstore attachments)"
    else:
        where = registries.lookaside_url(docker_reference)
    source = cp.RemoteSource(registries, tls_verify=args.tls_verify, auth_file=args.authfile, timeout=args.timeout)
    decision = ctx.evaluate_remote(reference, source)
    return decision, policy, policy_path, reference, f"Signatures looked up in: {where}"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="verify.py",
        description="Evaluate an image against a policy.json as podman, skopeo and CRI-O do.",
    )
    p.add_argument(
        "image",
        nargs="?",
        metavar="IMAGE",
        help="docker://HOST/REPO:TAG to fetch, or with --dir the reference to judge the directory as",
    )
    p.add_argument("--policy", metavar="FILE", help="policy.json (default: as containers/image finds it)")
    p.add_argument("--registries.d", dest="registries_d", metavar="DIR", help="registries.d directory")
    p.add_argument("--dir", metavar="DIR", help="read the image from a `skopeo copy … dir:DIR` layout")
    p.add_argument("--reference", metavar="REF", help="with --dir: the reference to judge it as (default dir:DIR)")
    p.add_argument(
        "--tls-verify",
        type=parse_bool,
        default=True,
        metavar="BOOL",
        help="verify the registry's TLS certificate (false also allows plain HTTP)",
    )
    p.add_argument("--authfile", metavar="FILE", help="registry credentials (auth.json)")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="timeout of each request")
    p.add_argument("--json", action="store_true", help='print {"allowed": bool, "reason": str|null}')
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.image is not None and args.reference is not None:
        p.error("give the reference either as IMAGE or with --reference, not both")
    try:
        decision, policy, policy_path, image, source = evaluate(args)
    except (Failure, cp.ContainersPolicyError, OSError, ValueError) as e:
        print(f"verify.py: error: {e}", file=sys.stderr)
        if args.json:
            print(json.dumps({"allowed": False, "reason": None, "error": str(e)}))
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("verify.py: error: interrupted", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps({"allowed": decision.allowed, "reason": decision.reason}))
    else:
        sys.stdout.write(explain(decision, policy, policy_path, image, source))
    return EXIT_ALLOWED if decision.allowed else EXIT_DENIED


if __name__ == "__main__":
    sys.exit(main())
