"""`skopeo standalone-sign` and `skopeo standalone-verify` cases. Signatures are written to `standalone/`.

standalone-verify (skopeo 1.9.3) verifies against the keyring of its GNUPGHOME: that home holds every public
key except `unknown` (`keys/standalone-verify.pub.asc`, named by each case's `keyring` field)."""

from __future__ import annotations

from typing import Optional

from cases import Case, Expect, Recorder
from common import FIXTURES, REGISTRY, Env, GenerationError
from images import Images
from keys import Keys

REF = f"{REGISTRY}/conf/standalone/app:v1"
M1 = "images/unsigned/manifest.json"
M2 = "images/signed-ed25519/manifest.json"
KEYRING = "keys/standalone-verify.pub.asc"


class Standalone:
    def __init__(self, env: Env, keys: Keys, images: Images, rec: Recorder):
        self.env = env
        self.keys = keys
        self.images = images
        self.rec = rec
        (FIXTURES / "standalone").mkdir(parents=True, exist_ok=True)
        self.verify_home = None

    def sign(self, label: str, manifest: str, ref: str, fpr: str, key: Optional[str], expect: Expect,
             notes: str) -> Case:
        out = f"standalone/{label}.sig"
        home = self.keys.gpg_for(key).home if key else self.keys.main.home
        argv = ["skopeo", "standalone-sign", manifest, ref, fpr, "--output", out]
        c = Case(f"standalone-sign/{label}", "standalone", "skopeo standalone-sign", argv,
                 {"image": manifest.rsplit("/", 1)[0], "reference": ref, "signature": out}, expect, notes,
                 env={"GNUPGHOME": str(home)})
        self.rec.add(c)
        self.rec._run_one(c)  # now: the verify cases need the signature
        if c.problem is None and c.record["expected"]["ok"] and not (FIXTURES / out).exists():
            raise GenerationError(f"{c.id}: no signature written")
        return c

    def verify(self, label: str, manifest: str, ref: str, fpr: str, sig: str, expect: Expect, notes: str,
               signed_ref: Optional[str] = None) -> None:
        argv = ["skopeo", "standalone-verify", manifest, ref, fpr, sig]
        fields = {"image": manifest.rsplit("/", 1)[0], "reference": ref, "signature": sig, "keyring": KEYRING}
        if signed_ref:
            fields["verified_reference"] = signed_ref
        c = Case(f"standalone-verify/{label}", "standalone", "skopeo standalone-verify", argv, fields, expect, notes,
                 env={"GNUPGHOME": str(self.verify_home.home)})
        self.rec.add(c)

    def build(self) -> None:
        k = self.keys
        self.verify_home = k.verify_home()
        signers = ["rsa2048", "rsa4096", "ed25519", "ecdsa-p256", "primary-signs", "subkey", "wrong", "unknown",
                   "expired", "sig-expired"]
        for name in signers:
            self.sign(name, M1, REF, k[name].fingerprint, name, True,
                      f"signed by {name} ({k[name].notes})")
        k.main.set_conf("compress-level 0\n")
        try:
            self.sign("rsa2048-uncompressed", M1, REF, k["rsa2048"].fingerprint, "rsa2048", True,
                      "signed by rsa2048 with gpg compress-level 0 (no compression packet)")
        finally:
            k.main.set_conf("")
        m1_digest = self.images["unsigned"].digest
        digest_ref = f"{REGISTRY}/conf/standalone/app@{m1_digest}"
        self.sign("digest-identity", M1, digest_ref, k["rsa2048"].fingerprint, "rsa2048", True,
                  "an identity with a digest")
        self.sign("familiar-reference", M1, "busybox:latest", k["rsa2048"].fingerprint, "rsa2048", None,
                  "a familiar reference")
        self.sign("subkey-by-subkey-fingerprint", M1, REF, k["subkey"].signing_fingerprint, "subkey", True,
                  "--sign-by the signing subkey's fingerprint")
        self.sign("name-only", M1, f"{REGISTRY}/conf/standalone/app", k["rsa2048"].fingerprint, "rsa2048",
                  None, "a reference with neither a tag nor a digest (containers/image 5.23 signs it as given)")
        self.sign("invalid-reference", M1, "UPPERCASE/app:v1", k["rsa2048"].fingerprint, "rsa2048",
                  None, "an invalid reference (containers/image 5.23 signs it as given)")
        self.sign("err-unknown-fingerprint", M1, REF, "0" * 40, None, ("denied",), "no such key")
        self.sign("err-missing-manifest", "images/nonexistent/manifest.json", REF, k["rsa2048"].fingerprint,
                  "rsa2048", ("denied",), "the manifest file does not exist")
        # (Signing with a revoked subkey is not recorded: replaying it needs the throwaway secret key, which is
        # not committed. policy/tests/openpgp_gpg.rs covers signing-key selection against real gpg keys.)
        self.sign("tag-and-digest", M1, f"{REF}@{m1_digest}", k["rsa2048"].fingerprint, "rsa2048", None,
                  "a reference with a tag and a digest")
        # Altered copies of the rsa2048 signature.
        good = (FIXTURES / "standalone" / "rsa2048.sig").read_bytes()
        b = bytearray((FIXTURES / "standalone" / "rsa2048-uncompressed.sig").read_bytes())
        b[-1] ^= 0x01  # the last byte of the signature MPI
        (FIXTURES / "standalone" / "corrupted.sig").write_bytes(bytes(b))
        (FIXTURES / "standalone" / "truncated.sig").write_bytes(good[: len(good) // 2])
        (FIXTURES / "standalone" / "garbage.sig").write_bytes(b"This is not a signature.\n")
        (FIXTURES / "standalone" / "empty.sig").write_bytes(b"")
        (FIXTURES / "standalone" / "armored.sig").write_bytes(
            k.main("--armor", "--enarmor", input=good))
        self._verifies(m1_digest, digest_ref)

    def _verifies(self, m1_digest: str, digest_ref: str) -> None:
        k = self.keys
        ok_signers = ["rsa2048", "rsa4096", "ed25519", "ecdsa-p256", "primary-signs", "wrong"]
        for name in ok_signers:
            self.verify(f"{name}-ok", M1, REF, k[name].fingerprint, f"standalone/{name}.sig", True,
                        f"signed by {name}", REF)
        sub = k["subkey"]
        self.verify("subkey-primary-fingerprint", M1, REF, sub.fingerprint, "standalone/subkey.sig",
                    f"Signature by {sub.signing_fingerprint} does not match expected fingerprint {sub.fingerprint}",
                    "signed by the signing subkey, the primary key's fingerprint expected", REF)
        self.verify("subkey-subkey-fingerprint", M1, REF, sub.signing_fingerprint, "standalone/subkey.sig", True,
                    "signed by the signing subkey, its own fingerprint expected", REF)
        self.verify("subkey-sign-by-subkey-fingerprint", M1, REF, sub.signing_fingerprint,
                    "standalone/subkey-by-subkey-fingerprint.sig", True, "--sign-by the subkey fingerprint", REF)
        rsa = k["rsa2048"].fingerprint
        mism = f"Signature by {rsa} does not match expected fingerprint "
        self.verify("wrong-fingerprint", M1, REF, k["ed25519"].fingerprint, "standalone/rsa2048.sig",
                    mism + k["ed25519"].fingerprint, "another (known) key's fingerprint expected")
        self.verify("unknown-fingerprint", M1, REF, k["unknown"].fingerprint, "standalone/rsa2048.sig",
                    mism + k["unknown"].fingerprint, "the fingerprint of a key not in the keyring")
        self.verify("lowercase-fingerprint", M1, REF, rsa.lower(), "standalone/rsa2048.sig", mism + rsa.lower(),
                    "fingerprints are compared as strings")
        self.verify("short-key-id", M1, REF, rsa[-16:], "standalone/rsa2048.sig", mism + rsa[-16:],
                    "a long key ID is not a fingerprint")
        self.verify("other-tag", M1, f"{REGISTRY}/conf/standalone/app:v2", rsa, "standalone/rsa2048.sig",
                    f"Docker reference {REF} does not match {REGISTRY}/conf/standalone/app:v2", "another tag")
        self.verify("other-repository", M1, f"{REGISTRY}/conf/other/app:v1", rsa, "standalone/rsa2048.sig",
                    f"Docker reference {REF} does not match {REGISTRY}/conf/other/app:v1", "another repository")
        self.verify("digest-reference-for-tag-signature", M1, digest_ref, rsa, "standalone/rsa2048.sig",
                    f"Docker reference {REF} does not match {digest_ref}", "expected reference by digest")
        self.verify("name-only-reference", M1, f"{REGISTRY}/conf/standalone/app", rsa, "standalone/rsa2048.sig",
                    f"Docker reference {REF} does not match {REGISTRY}/conf/standalone/app",
                    "expected reference without tag")
        self.verify("invalid-reference", M1, "UPPERCASE/app:v1", rsa, "standalone/rsa2048.sig", ("denied",),
                    "an invalid expected reference")
        self.verify("digest-identity-ok", M1, digest_ref, rsa, "standalone/digest-identity.sig", True,
                    "signed and verified with an identity by digest", digest_ref)
        self.verify("digest-identity-as-tag", M1, REF, rsa, "standalone/digest-identity.sig",
                    f"Docker reference {digest_ref} does not match {REF}", "digest identity, tag expected")
        for label, ref in [("familiar-as-familiar", "busybox:latest"),
                           ("familiar-as-qualified", "docker.io/library/busybox:latest"),
                           ("familiar-as-index", "index.docker.io/library/busybox:latest"),
                           ("familiar-as-name-only", "busybox")]:
            self.verify(label, M1, ref, rsa, "standalone/familiar-reference.sig", None,
                        "signed as busybox:latest; references are compared after normalization")
        self.verify("tag-and-digest-ok", M1, f"{REF}@{m1_digest}", rsa, "standalone/tag-and-digest.sig", None,
                    "signed with tag and digest")
        self.verify("wrong-manifest", M2, REF, rsa, "standalone/rsa2048.sig",
                    f'Signature for docker digest "{m1_digest}" does not match', "another image's manifest")
        self.verify("rsa2048-uncompressed-ok", M1, REF, rsa, "standalone/rsa2048-uncompressed.sig", True,
                    "a signature without a compression packet", REF)
        for label, why in [("corrupted", "rsa2048-uncompressed.sig with the last byte of its MPI flipped"), ("truncated", "truncated to half"),
                           ("garbage", "not a signature"), ("empty", "empty file"),
                           ("armored", "the signature ASCII-armored (gpg --enarmor); GPGME accepts armor")]:
            exp: Expect = ("denied",)
            if label == "armored":
                exp = None
            elif label == "corrupted":
                exp = ("prefix", "Invalid GPG signature: gpgme.Signature{")
            self.verify(label, M1, REF, rsa, f"standalone/{label}.sig", exp,
                        why, REF if label == "armored" else None)
        self.verify("unknown-key", M1, REF, k["unknown"].fingerprint, "standalone/unknown.sig",
                    ("prefix", "Invalid GPG signature: gpgme.Signature{"), "signed by a key not in the keyring")
        self.verify("expired-key", M1, REF, k["expired"].fingerprint, "standalone/expired.sig",
                    ("prefix", "Invalid GPG signature: gpgme.Signature{"), "signed (in the past) by a key that expired")
        self.verify("expired-signature", M1, REF, k["sig-expired"].fingerprint, "standalone/sig-expired.sig",
                    ("prefix", "Invalid GPG signature: gpgme.Signature{"), "a signature whose lifetime ended")
        self.verify("missing-signature", M1, REF, rsa, "standalone/nonexistent.sig", ("denied",),
                    "the signature file does not exist")
        self.verify("missing-manifest", "images/nonexistent/manifest.json", REF, rsa, "standalone/rsa2048.sig",
                    ("denied",), "the manifest file does not exist")
        # The signatures skopeo copy --sign-by stored for the images (their own manifest and identity).
        for img in self.images.plan:
            if not img.signers or img.name in ("corrupted", "truncated", "garbage", "empty-signature",
                                               "other-digest"):
                continue
            for i, signer in enumerate(img.signers, 1):
                key = k[signer]
                identity = img.identity or f"{REGISTRY}/{img.repo}:{img.tag}"
                exp: Expect = True
                if signer in ("expired", "sig-expired", "revoked-subkey", "unknown"):
                    exp = ("prefix", "Invalid GPG signature: gpgme.Signature{")
                elif signer == "subkey":
                    exp = (f"Signature by {key.signing_fingerprint} does not match expected fingerprint "
                           f"{key.fingerprint}")
                self.verify(f"image-{img.name}-signature-{i}", f"images/{img.name}/manifest.json", identity,
                            key.fingerprint, f"images/{img.name}/signature-{i}", exp,
                            f"signature-{i} of image {img.name} (by {signer}, pushed by {img.pushed_by})", identity)
