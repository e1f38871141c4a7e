"""What the generator expects skopeo 1.9.3 (containers/image 5.23, GPGME) to say, from what it knows about
each image's signatures. Used only to flag surprising recorded verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from common import REGISTRY
from model import Ref, identity_matches

INVALID_GPG = "Invalid GPG signature: gpgme.Signature{"
NO_SIGNATURE = "A signature was required, but no signature exists"
NONE_ACCEPTED = "None of the signatures were accepted, reasons: "
UNUSABLE_KEYS = {"expired", "sig-expired", "revoked-subkey"}  # GPGME refuses these signatures


@dataclass(frozen=True)
class Sig:
    signer: str
    identity: str
    digest: Optional[str] = None  # the signed digest when it is not the image's own
    broken: str = ""  # cryptographically broken (corrupted, truncated): what GPGME says (a prefix)


def sig_outcome(sig: Sig, keyring: set[str], prm: Optional[dict], img: Optional[Ref],
                subkeys: dict[str, str], key_error: Optional[str]):
    """(accepted, message or ("prefix", text)) of one signature."""
    if key_error is not None:
        return False, key_error
    if not keyring:
        return False, "No public keys imported"
    if sig.broken:
        return False, ("prefix", sig.broken)
    if sig.signer not in keyring or sig.signer in UNUSABLE_KEYS:
        return False, ("prefix", INVALID_GPG)
    if sig.signer in subkeys:
        return False, f"Signature by key {subkeys[sig.signer]} is not accepted"
    if sig.digest is not None:
        return False, f"Signature for digest {sig.digest} does not match"
    if not identity_matches(prm, sig.identity, img):
        return False, f"Signature for identity {sig.identity} is not accepted"
    return True, None


def signed_by(sigs: Optional[list[Sig]], keyring: set[str], prm: Optional[dict], img: Optional[Ref],
              subkeys: dict[str, str], key_error: Optional[str] = None):
    """Expectation for one signedBy requirement (None when the generator cannot tell)."""
    if sigs is None:
        return ("denied",)
    if not sigs:
        return NO_SIGNATURE
    outcomes = [sig_outcome(s, keyring, prm, img, subkeys, key_error) for s in sigs]
    if any(ok for ok, _ in outcomes):
        return True
    if len(outcomes) == 1:
        msg = outcomes[0][1]
        return msg
    if all(isinstance(m, str) for _, m in outcomes):
        return NONE_ACCEPTED + "; ".join(m for _, m in outcomes)
    return ("prefix", NONE_ACCEPTED)


def familiar(ref: Ref) -> str:
    s = ref.string()
    if s.startswith("docker.io/"):
        s = s[len("docker.io/"):]
        if s.startswith("library/") and "/" not in s[len("library/"):].split(":")[0].split("@")[0]:
            s = s[len("library/"):]
    return s


def rejected_by_policy(ref: Ref) -> str:
    return f"Running image docker://{familiar(ref)} is rejected by policy."


def registry_ref(repo: str, tag: str) -> str:
    return f"{REGISTRY}/{repo}:{tag}"
