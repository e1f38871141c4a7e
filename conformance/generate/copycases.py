"""The `skopeo copy` matrix: policies x images (signatures, keys, identities, scopes, lookaside, cli)."""

from __future__ import annotations

import json
from typing import Any, Optional

import predict
from cases import Case, Expect, Recorder
from common import FIXTURES, REGISTRY, Env, GenerationError, b64
from images import LOOKASIDE, Image, Images
from keys import Keys
from model import Ref, docker_transport_ref, lookaside_for, scope_for
from predict import NO_SIGNATURE, Sig

REG = REGISTRY
ACCEPT = {"type": "insecureAcceptAnything"}
REJECT = {"type": "reject"}
ROOT = "file://@FIXTURES@/lookaside"
VALID_KEYS = ["rsa2048", "rsa4096", "ed25519", "ecdsa-p256", "primary-signs"]
TRUSTED_KEYS = VALID_KEYS + ["subkey", "revoked-subkey", "expired", "sig-expired", "wrong"]


def kp(name: str) -> str:
    return f"keys/{name}.pub.asc"


def signed_by(key: Optional[str] = None, *, identity: Optional[dict] = None, key_type: str = "GPGKeys",
              **sources: Any) -> dict:
    r: dict[str, Any] = {"type": "signedBy", "keyType": key_type}
    if key:
        r["keyPath"] = kp(key)
    for k, v in sources.items():
        r[{"path": "keyPath", "paths": "keyPaths", "data": "keyData"}[k]] = v
    if identity is not None:
        r["signedIdentity"] = identity
    return r


def registries_conf() -> str:
    return (
        "# registries.conf for the conformance fixtures (CONTAINERS_REGISTRIES_CONF): logical names that are\n"
        "# served by the local registry. Nothing here ever reaches the network.\n"
        "unqualified-search-registries = []\n\n"
        '[[registry]]\nprefix = "registry.example.com"\nlocation = "127.0.0.1:55000"\ninsecure = true\n\n'
        '[[registry]]\nprefix = "a.b.example.com"\nlocation = "127.0.0.1:55000"\ninsecure = true\n\n'
        '[[registry]]\nprefix = "docker.io"\nlocation = "127.0.0.1:55000/hub"\ninsecure = true\n\n'
        '[[registry]]\nlocation = "127.0.0.1:55000"\ninsecure = true\n'
    )


class Matrix:
    def __init__(self, env: Env, keys: Keys, images: Images, rec: Recorder):
        self.env = env
        self.keys = keys
        self.images = images
        self.rec = rec
        self.policies: dict[str, str] = {}
        self.regds: dict[str, dict[str, str]] = {}
        self.pending: list[Case] = []
        self.subkeys = {"subkey": keys["subkey"].signing_fingerprint}
        self.real_root = f"file://{LOOKASIDE}"

    # --- files -----------------------------------------------------------------------------------

    def policy(self, name: str, body: dict) -> str:
        text = json.dumps(body, indent=2) + "\n"
        if name in self.policies and self.policies[name] != text:
            raise GenerationError(f"policy name {name} used for two different policies")
        self.policies[name] = text
        path = FIXTURES / "policies" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return f"policies/{name}.json"

    def regd(self, name: str, files: dict[str, str]) -> str:
        """registries.d/<name>/ with the given files (ROOT = the lookaside tree)."""
        if name in self.regds:
            if self.regds[name] != files:
                raise GenerationError(f"registries.d name {name} reused")
            return f"registries.d/{name}"
        self.regds[name] = files
        d = FIXTURES / "registries.d" / name
        d.mkdir(parents=True, exist_ok=True)
        for fname, text in files.items():
            (d / fname).write_text(text.replace(ROOT, self.real_root))
        return f"registries.d/{name}"

    def finalize_registries_d(self) -> None:
        """The committed registries.d files use file://@FIXTURES@/lookaside."""
        for name, files in self.regds.items():
            for fname, text in files.items():
                (FIXTURES / "registries.d" / name / fname).write_text(text)

    # --- images ----------------------------------------------------------------------------------

    def sigs(self, img: Image, root: str = "main") -> Optional[list[Sig]]:
        """What the generator knows about the signatures of `img` in a lookaside root (None: unreadable)."""
        if root in ("empty", "builtin"):
            return []
        if root == "alt":
            if img.name != "signed-rsa2048":
                return []
            return [Sig("wrong", registry_tag(img))]
        n = img.name
        if n in ("garbage", "empty-signature"):
            return None
        if n == "corrupted":
            return [Sig("rsa2048", registry_tag(img), broken="Invalid GPG signature: gpgme.Signature{")]
        if n == "truncated":
            return [Sig("rsa2048", registry_tag(img), broken="Unexpected GPG signature count 0")]
        if n == "other-digest":
            return [Sig("rsa2048", registry_tag(img), digest=self.images["other-digest-source"].digest)]
        if n == "foreign-signature":
            src = self.images["signed-rsa2048"]
            return [Sig("rsa2048", registry_tag(src), digest=src.digest)]
        if n == "moved":
            return [Sig("rsa2048", registry_tag(self.images["signed-rsa2048"]))]
        ident = img.identity or f"{REG}/{img.repo}:{img.tag}"
        return [Sig(s, ident) for s in img.signers]

    def image_path(self, img: Image, root: str = "main") -> str:
        if root == "main":
            return f"images/{img.name}"
        if root in ("empty", "builtin"):
            return self.images.view(img.name, "no-signatures", [],
                                    "the image with no signatures (what skopeo found in an empty lookaside)")
        if root == "alt":
            return self.images.view(img.name, "alt-lookaside", img.signatures(LOOKASIDE / "alt"),
                                    "the image with the signatures of lookaside/alt")
        raise GenerationError(root)

    # --- cases -----------------------------------------------------------------------------------

    def copy(self, id: str, area: str, policy: str, image: str, reference: str, expect: Expect, *,
             regd: str = "registries.d/default", notes: str = "", surprising: Optional[str] = None,
             extra_args: Optional[list[str]] = None) -> Case:
        argv = ["skopeo", "--registries-conf", "registries.conf", "--policy", policy, "--registries.d", regd,
                *(extra_args or []), "copy",
                "--src-tls-verify=false", "--remove-signatures", reference, "dir:@OUT@"]
        fields = {"policy": policy, "registries_d": regd, "image": image, "reference": reference}
        c = Case(f"copy/{id}", area, "skopeo copy", argv, fields, expect, notes, surprising=surprising)
        self.rec.add(c)
        self.pending.append(c)
        return c

    def build(self) -> None:
        self.regd("default", {"default.yaml": f"default-docker:\n  lookaside: {ROOT}\n"})
        self.signatures()
        self.requirements()
        self.key_sources()
        self.identities()
        self.scopes()
        self.lookaside()
        self.cli()

    # signatures: each trusted key x each image ------------------------------------------------------

    def signature_images(self) -> list[Image]:
        names = [f"signed-{k}" for k in TRUSTED_KEYS + ["unknown"]] + [
            "unsigned", "multi-good-good", "multi-bad-good", "multi-good-bad", "multi-bad-bad", "multi-three",
            "corrupted", "truncated", "garbage", "empty-signature", "other-digest", "foreign-signature",
            "signed-v2s2"]
        return [self.images[n] for n in names]

    def signatures(self) -> None:
        for key in TRUSTED_KEYS:
            pol = self.policy(f"signedBy-{key}", {
                "default": [REJECT],
                "transports": {"docker": {REG: [signed_by(key)]}},
            })
            for img in self.signature_images():
                ref = docker_transport_ref(img.ref)
                exp = predict.signed_by(self.sigs(img), {key}, None, ref, self.subkeys)
                self.copy(f"signatures/signedBy-{key}/{img.name}", "signatures", pol, f"images/{img.name}",
                          f"docker://{img.ref}", exp, notes=f"signedBy {key}; image: {img.notes}")

    def requirements(self) -> None:
        pem = (FIXTURES / "keys" / "sigstore-p256.pub.pem").read_bytes()
        rsa = signed_by("rsa2048")
        ed = signed_by("ed25519")
        lists: list[tuple[str, list[dict], str]] = [
            ("insecureAcceptAnything", [ACCEPT], "accepts everything"),
            ("reject", [REJECT], "rejects everything"),
            ("signedBaseLayer", [{"type": "signedBaseLayer", "baseLayerIdentity": {"type": "matchRepository"}}],
             "never implemented: always denied"),
            ("sigstoreSigned-keyPath", [{"type": "sigstoreSigned", "keyPath": "keys/sigstore-p256.pub.pem"}],
             "sigstoreSigned ignores simple signatures"),
            ("sigstoreSigned-keyData", [{"type": "sigstoreSigned", "keyData": b64(pem)}],
             "sigstoreSigned with keyData"),
            ("sigstoreSigned-missing-key", [{"type": "sigstoreSigned", "keyPath": "keys/missing.pub.pem"}],
             "sigstoreSigned with a missing key file (never read: no sigstore signatures)"),
            ("sigstoreSigned-matchRepository", [{"type": "sigstoreSigned", "keyPath": "keys/sigstore-p256.pub.pem",
                                                 "signedIdentity": {"type": "matchRepository"}}],
             "sigstoreSigned with matchRepository"),
            ("signedBy-then-reject", [rsa, REJECT], "all requirements must allow; evaluated in order"),
            ("reject-then-signedBy", [REJECT, rsa], "the first refusal is reported"),
            ("accept-then-signedBy", [ACCEPT, rsa], "insecureAcceptAnything does not short-circuit"),
            ("signedBy-then-accept", [rsa, ACCEPT], "signedBy first"),
            ("signedBy-rsa2048-and-ed25519", [rsa, ed], "both keys must have signed"),
            ("signedBy-ed25519-and-rsa2048", [ed, rsa], "both keys must have signed (other order)"),
            ("signedBy-twice-same-key", [rsa, rsa], "the same requirement twice"),
            ("signedBy-and-sigstoreSigned", [rsa, {"type": "sigstoreSigned", "keyPath": "keys/sigstore-p256.pub.pem"}],
             "a GPG signature and a sigstore signature required"),
            ("signedBy-and-signedBaseLayer", [rsa, {"type": "signedBaseLayer",
                                                    "baseLayerIdentity": {"type": "matchRepoDigestOrExact"}}],
             "signedBaseLayer after a passing signedBy"),
        ]
        names = ["signed-rsa2048", "signed-ed25519", "unsigned", "multi-good-good", "multi-bad-good", "corrupted",
                 "garbage", "moved"]
        for label, reqs, why in lists:
            pol = self.policy(f"requirements-{label}", {"default": [REJECT], "transports": {"docker": {REG: reqs}}})
            for n in names:
                img = self.images[n]
                ref = docker_transport_ref(img.ref)
                exp = self._expect_list(reqs, img, ref)
                self.copy(f"signatures/requirements-{label}/{n}", "signatures", pol, f"images/{n}",
                          f"docker://{img.ref}", exp, notes=f"{why}; image: {img.notes}")

    def _expect_list(self, reqs: list[dict], img: Image, ref: Ref, root: str = "main") -> Expect:
        for r in reqs:
            t = r["type"]
            if t == "insecureAcceptAnything":
                continue
            if t == "reject":
                return predict.rejected_by_policy(ref)
            if t == "signedBaseLayer":
                return "signedBaseLayer not implemented yet!"
            if t == "sigstoreSigned":
                sigs = self.sigs(img, root)
                if sigs is None:
                    return ("denied",)
                if not sigs:
                    return NO_SIGNATURE
                return f"{NO_SIGNATURE} ({len(sigs)} non-sigstore signatures, 0 sigstore non-signature attachments)"
            if t == "signedBy":
                keyring = set()
                if "keyPath" in r:
                    keyring = {r["keyPath"].split("/")[-1].split(".")[0]}
                e = predict.signed_by(self.sigs(img, root), keyring, r.get("signedIdentity"), ref, self.subkeys)
                if e is not True:
                    return e
                continue
            return None
        return True

    # keys: keyPath / keyPaths / keyData / key types ---------------------------------------------------

    def key_sources(self) -> None:
        ring_bin = (FIXTURES / "keys" / "keyring-rsa2048-ed25519.gpg").read_bytes()
        rsa_asc = (FIXTURES / "keys" / "rsa2048.pub.asc").read_bytes()
        both = {"rsa2048", "ed25519"}
        all_but_unknown = set(self.keys.keys) - {"unknown"}
        variants: list[tuple[str, dict, set, Optional[str], str]] = [
            ("keyPath-keyring-binary", {"path": "keys/keyring-rsa2048-ed25519.gpg"}, both, None,
             "binary keyring with two keys"),
            ("keyPath-keyring-armored", {"path": "keys/keyring-rsa2048-ed25519.pub.asc"}, both, None,
             "armored keyring with two keys"),
            ("keyPath-many-armored-blocks", {"path": "keys/standalone-verify.pub.asc"}, all_but_unknown, None,
             "concatenated armored blocks of every key but `unknown`"),
            ("keyPaths-rsa2048-ed25519", {"paths": [kp("rsa2048"), kp("ed25519")]}, both, None, "two key files"),
            ("keyPaths-single", {"paths": [kp("ed25519")]}, {"ed25519"}, None, "one key file in keyPaths"),
            ("keyPaths-duplicate", {"paths": [kp("rsa2048"), kp("rsa2048")]}, {"rsa2048"}, None,
             "the same file twice"),
            ("keyPaths-missing-first", {"paths": ["keys/missing.pub.asc", kp("rsa2048")]}, both,
             "open keys/missing.pub.asc: no such file or directory", "a missing file fails the requirement"),
            ("keyPaths-missing-last", {"paths": [kp("rsa2048"), "keys/missing.pub.asc"]}, both,
             "open keys/missing.pub.asc: no such file or directory", "a missing file fails the requirement"),
            ("keyPaths-empty", {"paths": []}, set(), None, "no key files: nothing imported"),
            ("keyData-keyring", {"data": b64(ring_bin)}, both, None, "base64 of the binary two-key keyring"),
            ("keyData-armored", {"data": b64(rsa_asc)}, {"rsa2048"}, None, "base64 of an armored key"),
            ("keyData-empty", {"data": ""}, set(), None, "empty keyData: nothing imported"),
            ("keyData-not-a-key", {"data": b64(b"This is not an OpenPGP key.\n")}, set(), None,
             "keyData that is not a key: nothing imported"),
            ("keyPath-missing", {"path": "keys/missing.pub.asc"}, set(),
             "open keys/missing.pub.asc: no such file or directory", "missing key file"),
            ("keyPath-not-a-key", {"path": "keys/not-a-key.txt"}, set(), None, "a text file: nothing imported"),
            ("keyPath-directory", {"path": "keys"}, set(), "read keys: is a directory", "a directory"),
            ("keyPath-pem", {"path": "keys/sigstore-p256.pub.pem"}, set(), None,
             "a PEM public key is not an OpenPGP key: nothing imported"),
            ("keyPath-absolute-missing", {"path": "/nonexistent/conformance/key.asc"}, set(),
             "open /nonexistent/conformance/key.asc: no such file or directory", "absolute path, missing"),
        ]
        names = ["signed-rsa2048", "signed-ed25519", "signed-ecdsa-p256", "signed-subkey", "signed-wrong", "unsigned",
                 "multi-good-good", "multi-bad-bad"]
        for label, src, ring, err, why in variants:
            pol = self.policy(f"keys-{label}", {"default": [REJECT],
                                                "transports": {"docker": {REG: [signed_by(**src)]}}})
            for n in names:
                img = self.images[n]
                ref = docker_transport_ref(img.ref)
                exp = predict.signed_by(self.sigs(img), ring, None, ref, self.subkeys, err)
                self.copy(f"keys/{label}/{n}", "keys", pol, f"images/{n}", f"docker://{img.ref}", exp,
                          notes=f"{why}; image: {img.notes}")
        for kt in ["signedByGPGKeys", "X509Certificates", "signedByX509CAs"]:
            pol = self.policy(f"keys-keyType-{kt}", {"default": [REJECT], "transports": {"docker": {
                REG: [signed_by("rsa2048", key_type=kt)]}}})
            for n in ["signed-rsa2048", "unsigned", "multi-good-good"]:
                img = self.images[n]
                sigs = self.sigs(img)
                exp: Expect = NO_SIGNATURE if not sigs else (
                    f'Unimplemented "keyType" value "{kt}"' if len(sigs) == 1 else
                    predict.NONE_ACCEPTED + "; ".join([f'Unimplemented "keyType" value "{kt}"'] * len(sigs)))
                self.copy(f"keys/keyType-{kt}/{n}", "keys", pol, f"images/{n}", f"docker://{img.ref}", exp,
                          notes=f"keyType {kt} parses but is not implemented; image: {img.notes}")

    # identities ---------------------------------------------------------------------------------------

    def identities(self) -> None:
        s = self.images["signed-rsa2048"]
        mv = self.images["moved"]
        rt = self.images["retagged"]
        di = self.images["signed-digest-identity"]
        ne = self.images["named-example"]
        bb = self.images["busybox"]
        s_repo = f"{REG}/{s.repo}"
        prms: list[tuple[str, Optional[dict]]] = [
            ("default", None),
            ("matchExact", {"type": "matchExact"}),
            ("matchRepoDigestOrExact", {"type": "matchRepoDigestOrExact"}),
            ("matchRepository", {"type": "matchRepository"}),
            ("exactReference-signed-tag", {"type": "exactReference", "dockerReference": f"{s_repo}:v1"}),
            ("exactReference-other-tag", {"type": "exactReference", "dockerReference": f"{s_repo}:v2"}),
            ("exactReference-digest", {"type": "exactReference", "dockerReference": f"{s_repo}@{s.digest}"}),
            ("exactReference-digest-identity", {"type": "exactReference",
                                                "dockerReference": f"{REG}/{di.repo}@{di.digest}"}),
            ("exactReference-retagged-a", {"type": "exactReference", "dockerReference": f"{REG}/{rt.repo}:a"}),
            ("exactReference-busybox-familiar", {"type": "exactReference", "dockerReference": "busybox:latest"}),
            ("exactRepository-signed", {"type": "exactRepository", "dockerRepository": s_repo}),
            ("exactRepository-signed-with-tag", {"type": "exactRepository", "dockerRepository": f"{s_repo}:ignored"}),
            ("exactRepository-moved", {"type": "exactRepository", "dockerRepository": f"{REG}/{mv.repo}"}),
            ("exactRepository-busybox-familiar", {"type": "exactRepository", "dockerRepository": "busybox"}),
            ("remapIdentity-moved-to-signed", {"type": "remapIdentity", "prefix": f"{REG}/{mv.repo}",
                                               "signedPrefix": s_repo}),
            ("remapIdentity-registry-to-example", {"type": "remapIdentity", "prefix": REG,
                                                   "signedPrefix": "registry.example.com"}),
            ("remapIdentity-example-to-registry", {"type": "remapIdentity", "prefix": "registry.example.com",
                                                   "signedPrefix": REG}),
            ("remapIdentity-hub-to-docker.io", {"type": "remapIdentity", "prefix": f"{REG}/hub",
                                                "signedPrefix": "docker.io"}),
            ("remapIdentity-docker.io-to-hub", {"type": "remapIdentity", "prefix": "docker.io",
                                                "signedPrefix": f"{REG}/hub"}),
            ("remapIdentity-non-boundary-prefix", {"type": "remapIdentity", "prefix": f"{REG}/conf/mov",
                                                   "signedPrefix": f"{REG}/conf/signed"}),
            ("remapIdentity-namespace", {"type": "remapIdentity", "prefix": f"{REG}/conf/moved",
                                         "signedPrefix": f"{REG}/conf/signed"}),
            ("remapIdentity-to-short-form", {"type": "remapIdentity", "prefix": f"{REG}/conf/moved/app",
                                             "signedPrefix": "notcanonical"}),
        ]
        refs: list[tuple[str, Image, str]] = [
            ("signed-tag", s, s.ref),
            ("signed-digest", s, s.digest_ref),
            ("retagged-b", rt, rt.ref),
            ("retagged-a", rt, f"{REG}/{rt.repo}:a"),
            ("retagged-digest", rt, rt.digest_ref),
            ("moved-tag", mv, mv.ref),
            ("moved-digest", mv, mv.digest_ref),
            ("digest-identity-tag", di, di.ref),
            ("digest-identity-digest", di, di.digest_ref),
            ("named-example-logical", ne, ne.ref),
            ("named-example-physical", ne, f"{REG}/{ne.repo}:{ne.tag}"),
            ("named-example-logical-digest", ne, ne.digest_ref),
            ("busybox-familiar", bb, "busybox"),
            ("busybox-familiar-tag", bb, "busybox:latest"),
            ("busybox-library", bb, "library/busybox:latest"),
            ("busybox-qualified", bb, "docker.io/library/busybox:latest"),
            ("busybox-index", bb, "index.docker.io/library/busybox:latest"),
            ("busybox-digest", bb, f"busybox@{bb.digest}"),
            ("busybox-physical", bb, f"{REG}/{bb.repo}:latest"),
        ]
        for label, prm in prms:
            req = signed_by("rsa2048", identity=prm) if prm is not None else signed_by("rsa2048")
            pol = self.policy(f"identity-{label}", {"default": [req]})
            for rlabel, img, refstr in refs:
                ref = docker_transport_ref(refstr)
                exp = predict.signed_by(self.sigs(img), {"rsa2048"}, prm, ref, self.subkeys)
                self.copy(f"identities/{label}/{rlabel}", "identities", pol, f"images/{img.name}",
                          f"docker://{refstr}", exp,
                          notes=f"signedIdentity {json.dumps(prm) if prm else '(absent: matchRepoDigestOrExact)'}; "
                                f"image: {img.notes}")

    # scopes -------------------------------------------------------------------------------------------

    def scopes(self) -> None:
        sc = self.images["scopes"]
        nd = self.images["named-deep"]
        ne = self.images["named-example"]
        bb = self.images["busybox"]
        srepo = f"{REG}/{sc.repo}"
        refs: list[tuple[str, Image, str]] = [
            ("deep-tag", sc, sc.ref),
            ("deep-digest", sc, sc.digest_ref),
            ("example-deep", nd, nd.ref),
            ("example", ne, ne.ref),
            ("busybox", bb, "busybox"),
        ]
        scopes = [
            ("repo-tag", f"{srepo}:v1"), ("repo-other-tag", f"{srepo}:v2"), ("repo-digest", f"{srepo}@{sc.digest}"),
            ("repo", srepo), ("ns-3", f"{REG}/conf/deep/a/b"), ("ns-2", f"{REG}/conf/deep/a"),
            ("ns-1", f"{REG}/conf/deep"), ("ns-0", f"{REG}/conf"), ("host-port", REG), ("host", "127.0.0.1"),
            ("host-other-port", "127.0.0.1:5000"), ("wildcard-0.0.1", "*.0.0.1"), ("wildcard-0.1", "*.0.1"),
            ("wildcard-1", "*.1"), ("wildcard-with-port", "*.0.0.1:55000"), ("repo-prefix-not-boundary",
                                                                             f"{srepo[:-1]}"),
            ("repo-trailing-slash", f"{srepo}/"), ("transport-default", ""), ("example-host", "a.b.example.com"),
            ("example-wildcard-b", "*.b.example.com"), ("example-wildcard", "*.example.com"),
            ("wildcard-com", "*.com"), ("example-parent-host", "b.example.com"),
            ("example-repo", "a.b.example.com/conf/named/deep"), ("example-ns", "registry.example.com/conf"),
            ("example-repo-tag", "registry.example.com/conf/named/app:v1"), ("docker.io", "docker.io"),
            ("docker.io-library", "docker.io/library"), ("docker.io-busybox", "docker.io/library/busybox"),
            ("docker.io-busybox-latest", "docker.io/library/busybox:latest"), ("familiar-busybox", "busybox"),
            ("familiar-library-busybox", "library/busybox"), ("wildcard-io", "*.io"),
            ("wildcard-docker.io", "*.docker.io"), ("star", "*"), ("uppercase-host", "A.B.EXAMPLE.COM"),
        ]
        for label, scope in scopes:
            pol = self.policy(f"scope-{label}", {"default": [REJECT],
                                                 "transports": {"docker": {scope: [ACCEPT]}}})
            for rlabel, img, refstr in refs:
                ref = docker_transport_ref(refstr)
                exp: Expect = True if scope_for([scope], ref) == scope else predict.rejected_by_policy(ref)
                self.copy(f"scopes/{label}/{rlabel}", "scopes", pol, f"images/{img.name}", f"docker://{refstr}",
                          exp, notes=f"only docker scope {json.dumps(scope)} accepts; everything else is rejected "
                                     "by the default")
        # The inverse: the scope rejects, the default accepts.
        for label, scope in scopes[:12]:
            pol = self.policy(f"scope-reject-{label}", {"default": [ACCEPT],
                                                        "transports": {"docker": {scope: [REJECT]}}})
            for rlabel, img, refstr in refs[:2]:
                ref = docker_transport_ref(refstr)
                exp = predict.rejected_by_policy(ref) if scope_for([scope], ref) == scope else True
                self.copy(f"scopes/reject-{label}/{rlabel}", "scopes", pol, f"images/{img.name}",
                          f"docker://{refstr}", exp, notes=f"docker scope {json.dumps(scope)} rejects; the default "
                                                           "accepts")
        # Precedence: every level present, each with a signedBy whose (missing) key file names the level, so the
        # message tells which scope won. Levels are removed from the most specific down.
        s = self.images["signed-rsa2048"]
        chains: list[tuple[str, Image, str, list[str]]] = [
            ("registry", s, s.ref, [f"{REG}/{s.repo}:v1", f"{REG}/{s.repo}", f"{REG}/conf/signed", f"{REG}/conf",
                                    REG, "*.0.0.1", "*.0.1", "*.1", ""]),
            ("registry-digest", s, s.digest_ref, [f"{REG}/{s.repo}@{s.digest}", f"{REG}/{s.repo}",
                                                  f"{REG}/conf/signed", REG, "*.1", ""]),
            ("example", nd, nd.ref, [f"a.b.example.com/{nd.repo}:v1", f"a.b.example.com/{nd.repo}",
                                     "a.b.example.com/conf/named", "a.b.example.com/conf", "a.b.example.com",
                                     "*.b.example.com", "*.example.com", "*.com", ""]),
            ("busybox", bb, "busybox", ["docker.io/library/busybox:latest", "docker.io/library/busybox",
                                        "docker.io/library", "docker.io", "*.io", ""]),
        ]
        for clabel, img, refstr, levels in chains:
            ref = docker_transport_ref(refstr)
            for i in range(len(levels) + 1):
                present = levels[i:]
                scopes_map = {lv: [signed_by(path=f"keys/scope-{n}.missing")] for n, lv in
                              enumerate(levels) if lv in present}
                name = f"scope-precedence-{clabel}-from-{i}"
                pol = self.policy(name, {"default": [signed_by(path="keys/scope-default.missing")],
                                         "transports": {"docker": scopes_map}})
                won = scope_for(present, ref)
                n = levels.index(won) if won is not None else "default"
                exp = f"open keys/scope-{n}.missing: no such file or directory"
                self.copy(f"scopes/precedence-{clabel}/from-{i}", "scopes", pol, f"images/{img.name}",
                          f"docker://{refstr}", exp,
                          notes="every scope from level " f"{i} on is present, each requiring a signature by a "
                                "missing key file named after it (keys/scope-<level>.missing); the error names the "
                                "scope that applied")
        # Per-transport defaults and other transports' sections.
        variants: list[tuple[str, dict, str]] = [
            ("transport-default-accepts", {"default": [REJECT], "transports": {"docker": {"": [ACCEPT]}}}, "accept"),
            ("transport-default-rejects", {"default": [ACCEPT], "transports": {"docker": {"": [REJECT]}}}, "reject"),
            ("transport-empty-section", {"default": [REJECT], "transports": {"docker": {}}}, "reject"),
            ("other-transport-only", {"default": [REJECT], "transports": {"dir": {"": [ACCEPT]}}}, "reject"),
            ("other-transports-accept", {"default": [REJECT], "transports": {
                "dir": {"": [ACCEPT]}, "oci": {"": [ACCEPT]}, "atomic": {"": [ACCEPT]},
                "docker-daemon": {"": [ACCEPT]}}}, "reject"),
            ("no-transports", {"default": [ACCEPT]}, "accept"),
            ("empty-transports", {"default": [ACCEPT], "transports": {}}, "accept"),
            ("unknown-transport", {"default": [REJECT], "transports": {"dockerx": {"": [ACCEPT]}}}, "reject"),
            ("atomic-same-scope", {"default": [REJECT], "transports": {"atomic": {REG: [ACCEPT]}}}, "reject"),
            ("scope-miss-then-transport-default", {"default": [REJECT], "transports": {"docker": {
                "example.org": [REJECT], "": [ACCEPT]}}}, "accept"),
        ]
        for label, body, what in variants:
            pol = self.policy(f"scope-{label}", body)
            for rlabel, img, refstr in refs:
                ref = docker_transport_ref(refstr)
                exp: Expect = True if what.startswith("accept") else predict.rejected_by_policy(ref)
                self.copy(f"scopes/{label}/{rlabel}", "scopes", pol, f"images/{img.name}", f"docker://{refstr}",
                          exp, notes="per-transport defaults and sections of other transports")

    # lookaside ------------------------------------------------------------------------------------------

    def lookaside(self) -> None:
        pol = self.policy("lookaside-signedBy-rsa2048", {"default": [signed_by("rsa2048")]})
        E = f"{ROOT}/empty"
        A = f"{ROOT}/alt"
        variants: list[tuple[str, dict[str, str], dict, str]] = [
            ("default-docker", {"a.yaml": f"default-docker:\n  lookaside: {ROOT}\n"},
             {"default-docker": {"lookaside": ROOT}}, "default-docker section"),
            ("host-port", {"a.yaml": f"docker:\n  {REG}:\n    lookaside: {ROOT}\n"},
             {"docker": {REG: {"lookaside": ROOT}}}, "per-registry section (host:port)"),
            ("host-without-port", {"a.yaml": f"default-docker:\n  lookaside: {E}\ndocker:\n  127.0.0.1:\n"
                                             f"    lookaside: {ROOT}\n"},
             {"default-docker": {"lookaside": E}, "docker": {"127.0.0.1": {"lookaside": ROOT}}},
             "a host without the port does not match host:port"),
            ("namespace", {"a.yaml": f"default-docker:\n  lookaside: {E}\ndocker:\n  {REG}/conf:\n"
                                     f"    lookaside: {ROOT}\n"},
             {"default-docker": {"lookaside": E}, "docker": {f"{REG}/conf": {"lookaside": ROOT}}},
             "namespace section"),
            ("repository", {"a.yaml": f"default-docker:\n  lookaside: {E}\ndocker:\n  {REG}/conf/signed/rsa2048:\n"
                                      f"    lookaside: {ROOT}\n"},
             {"default-docker": {"lookaside": E}, "docker": {f"{REG}/conf/signed/rsa2048": {"lookaside": ROOT}}},
             "repository section"),
            ("tag", {"a.yaml": f"default-docker:\n  lookaside: {E}\ndocker:\n  {REG}/conf/signed/rsa2048:v1:\n"
                               f"    lookaside: {ROOT}\n"},
             {"default-docker": {"lookaside": E}, "docker": {f"{REG}/conf/signed/rsa2048:v1": {"lookaside": ROOT}}},
             "a section for repository:tag (the identity)"),
            ("wildcard", {"a.yaml": f"default-docker:\n  lookaside: {E}\ndocker:\n  '*.0.0.1':\n"
                                    f"    lookaside: {ROOT}\n"},
             {"default-docker": {"lookaside": E}, "docker": {"*.0.0.1": {"lookaside": ROOT}}}, "wildcard section"),
            ("namespace-beats-host", {"a.yaml": f"docker:\n  {REG}:\n    lookaside: {E}\n  {REG}/conf:\n"
                                                f"    lookaside: {ROOT}\n"},
             {"docker": {REG: {"lookaside": E}, f"{REG}/conf": {"lookaside": ROOT}}},
             "the most specific section wins"),
            ("host-loses-to-namespace", {"a.yaml": f"docker:\n  {REG}:\n    lookaside: {ROOT}\n  {REG}/conf:\n"
                                                   f"    lookaside: {E}\n"},
             {"docker": {REG: {"lookaside": ROOT}, f"{REG}/conf": {"lookaside": E}}},
             "the most specific section wins (empty store)"),
            ("section-without-url-falls-through", {"a.yaml": f"default-docker:\n  lookaside: {ROOT}\ndocker:\n"
                                                             f"  {REG}/conf:\n    lookaside-staging: {E}\n"},
             {"default-docker": {"lookaside": ROOT}, "docker": {f"{REG}/conf": {"lookaside-staging": E}}},
             "a matching section with only lookaside-staging falls through to default-docker"),
            ("sigstore-deprecated-key", {"a.yaml": f"default-docker:\n  sigstore: {ROOT}\n"},
             {"default-docker": {"sigstore": ROOT}}, "the deprecated `sigstore:` key"),
            ("lookaside-beats-sigstore", {"a.yaml": f"default-docker:\n  lookaside: {ROOT}\n  sigstore: {E}\n"},
             {"default-docker": {"lookaside": ROOT, "sigstore": E}}, "lookaside wins over sigstore in one section"),
            ("specific-sigstore-beats-default-lookaside", {"a.yaml": f"default-docker:\n  lookaside: {E}\ndocker:\n"
                                                                     f"  {REG}:\n    sigstore: {ROOT}\n"},
             {"default-docker": {"lookaside": E}, "docker": {REG: {"sigstore": ROOT}}},
             "a specific `sigstore:` beats default-docker's lookaside"),
            ("empty-store", {"a.yaml": f"default-docker:\n  lookaside: {E}\n"},
             {"default-docker": {"lookaside": E}}, "a lookaside with no signatures"),
            ("alt-store", {"a.yaml": f"default-docker:\n  lookaside: {A}\n"},
             {"default-docker": {"lookaside": A}}, "another store (signed-rsa2048 signed by key wrong there)"),
            ("split-files", {"a.yaml": f"default-docker:\n  lookaside: {E}\n",
                             "b.yaml": f"docker:\n  {REG}/conf:\n    lookaside: {ROOT}\n"},
             {"default-docker": {"lookaside": E}, "docker": {f"{REG}/conf": {"lookaside": ROOT}}},
             "configuration split across two files"),
            ("trailing-slash", {"a.yaml": f"default-docker:\n  lookaside: {ROOT}/\n"},
             {"default-docker": {"lookaside": ROOT + "/"}}, "a trailing slash in the URL (path gets //)"),
            ("unknown-keys-ignored", {"a.yaml": f"default-docker:\n  lookaside: {ROOT}\n  frobnicate: yes\n"
                                                "unknown-top-level: 1\n"},
             {"default-docker": {"lookaside": ROOT}}, "unknown keys are ignored"),
            ("yml-extension-ignored", {"a.yaml": f"default-docker:\n  lookaside: {E}\n",
                                       "b.yml": f"docker:\n  {REG}:\n    lookaside: {ROOT}\n"},
             {"default-docker": {"lookaside": E}}, "only *.yaml files are read (b.yml is ignored)"),
            ("logical-name-section-unused", {"a.yaml": f"docker:\n  registry.example.com:\n    lookaside: {E}\n"
                                                       f"  a.b.example.com:\n    lookaside: {E}\n"
                                                       f"  docker.io:\n    lookaside: {E}\n"
                                                       f"  {REG}:\n    lookaside: {ROOT}\n"},
             {"docker": {"registry.example.com": {"lookaside": E}, "a.b.example.com": {"lookaside": E},
                         "docker.io": {"lookaside": E}, REG: {"lookaside": ROOT}}},
             "signatures are looked up for the physical (rewritten) reference, not the logical one"),
            ("use-sigstore-attachments", {"a.yaml": f"default-docker:\n  lookaside: {ROOT}\n"
                                                    "  use-sigstore-attachments: true\n"},
             {"default-docker": {"lookaside": ROOT}},
             "sigstore attachments enabled (the registry has none: 404 for the .sig tag)"),
        ]
        names = ["signed-rsa2048", "unsigned", "multi-good-good", "named-example", "busybox", "moved"]
        for label, files, model_cfg, why in variants:
            regd = self.regd(f"lookaside-{label}", files)
            for n in names:
                img = self.images[n]
                physical = docker_transport_ref(f"{REG}/{img.repo}:{img.pull_tag or img.tag}")
                url = lookaside_for(model_cfg, physical)
                root = {ROOT: "main", ROOT + "/": "main", E: "empty", A: "alt", None: "builtin"}[url]
                if root == "builtin":
                    raise GenerationError(f"lookaside-{label}/{n}: would read the built-in default location")
                ref = docker_transport_ref(img.ref)
                for plabel, p in (("signedBy-rsa2048", pol),):
                    exp = predict.signed_by(self.sigs(img, root), {"rsa2048"}, None, ref, self.subkeys)
                    self.copy(f"lookaside/{label}/{plabel}/{n}", "lookaside", p, self.image_path(img, root),
                              f"docker://{img.ref}", exp, regd=regd, notes=f"{why}; image: {img.notes}")
            if label in ("default-docker", "alt-store", "empty-store", "use-sigstore-attachments"):
                sig_pol = self.policy("lookaside-sigstoreSigned", {"default": [
                    {"type": "sigstoreSigned", "keyPath": "keys/sigstore-p256.pub.pem"}]})
                for n in ["signed-rsa2048", "unsigned", "multi-good-good"]:
                    img = self.images[n]
                    url = lookaside_for(model_cfg, docker_transport_ref(f"{REG}/{img.repo}:{img.tag}"))
                    root = {ROOT: "main", E: "empty", A: "alt"}[url]
                    ref = docker_transport_ref(img.ref)
                    exp = self._expect_list([{"type": "sigstoreSigned"}], img, ref, root)
                    self.copy(f"lookaside/{label}/sigstoreSigned/{n}", "lookaside", sig_pol,
                              self.image_path(img, root), f"docker://{img.ref}", exp, regd=regd,
                              notes=f"{why}; sigstoreSigned counts the simple signatures it skips; image: {img.notes}")
        # Broken registries.d directories: the source cannot be opened (not a policy verdict).
        broken: list[tuple[str, dict[str, str], str]] = [
            ("conflict-default-docker", {"a.yaml": f"default-docker:\n  lookaside: {ROOT}\n",
                                         "b.yaml": f"default-docker:\n  lookaside: {E}\n"},
             "default-docker defined in two files"),
            ("conflict-scope", {"a.yaml": f"docker:\n  {REG}:\n    lookaside: {ROOT}\n",
                                "b.yaml": f"docker:\n  {REG}:\n    lookaside: {E}\n"},
             "the same docker scope in two files"),
            ("yaml-syntax-error", {"a.yaml": "default-docker: [\n  lookaside: nope\n"}, "invalid YAML"),
            ("bad-url", {"a.yaml": "default-docker:\n  lookaside: ':not a url'\n"}, "an unparsable lookaside URL"),
            ("unsupported-scheme", {"a.yaml": "default-docker:\n  lookaside: ftp://127.0.0.1/lookaside\n"},
             "a URL scheme the lookaside reader does not support"),
        ]
        for label, files, why in broken:
            regd = self.regd(f"lookaside-{label}", files)
            for n in ["signed-rsa2048", "unsigned"]:
                img = self.images[n]
                self.copy(f"lookaside/{label}/signedBy-rsa2048/{n}", "lookaside", pol, f"images/{n}",
                          f"docker://{img.ref}", ("denied",), regd=regd, notes=why)
        # A section key spelled with another case: containers/image 5.23 (ghodss/yaml) matches keys
        # case-insensitively; yaml.v3 (5.25+) ignores `Lookaside:`.
        regd = self.regd("lookaside-key-case", {"a.yaml": f"default-docker:\n  Lookaside: {ROOT}\n"})
        for n in ["signed-rsa2048", "unsigned"]:
            img = self.images[n]
            exp = predict.signed_by(self.sigs(img), {"rsa2048"}, None, docker_transport_ref(img.ref), self.subkeys)
            c = self.copy(f"lookaside/key-case/signedBy-rsa2048/{n}", "lookaside", pol, f"images/{n}",
                          f"docker://{img.ref}", exp, regd=regd,
                          notes="`Lookaside:` (capital L): read by containers/image <= 5.24 (ghodss/yaml, keys "
                                "matched case-insensitively); ignored from 5.25 (yaml.v3), which then falls back to "
                                "the built-in default location")
            c.version_difference = "registries-d-yaml-v5.25"

    # cli: other transports, --insecure-policy ---------------------------------------------------------

    def cli(self) -> None:
        s = self.images["signed-rsa2048"]
        sref = f"{REG}/{s.repo}:v1"
        dir_policies: list[tuple[str, dict, str]] = [
            ("dir-transport-default-accepts", {"default": [REJECT], "transports": {"dir": {"": [ACCEPT]}}},
             "dir transport default accepts"),
            ("dir-transport-default-rejects", {"default": [ACCEPT], "transports": {"dir": {"": [REJECT]}}},
             "dir transport default rejects"),
            ("dir-default-rejects", {"default": [REJECT], "transports": {"docker": {"": [ACCEPT]}}},
             "only docker is accepted; dir falls to the default"),
            ("dir-signedBy-default-identity", {"default": [signed_by("rsa2048")]},
             "dir: images have no docker reference, so matchRepoDigestOrExact never matches"),
            ("dir-signedBy-matchExact", {"default": [signed_by("rsa2048", identity={"type": "matchExact"})]},
             "matchExact needs the image's docker reference"),
            ("dir-signedBy-matchRepository", {"default": [signed_by("rsa2048",
                                                                    identity={"type": "matchRepository"})]},
             "matchRepository needs the image's docker reference"),
            ("dir-signedBy-exactReference", {"default": [signed_by("rsa2048", identity={
                "type": "exactReference", "dockerReference": sref})]},
             "exactReference does not consult the image"),
            ("dir-signedBy-exactRepository", {"default": [signed_by("rsa2048", identity={
                "type": "exactRepository", "dockerRepository": f"{REG}/{s.repo}"})]},
             "exactRepository does not consult the image"),
            ("dir-signedBy-remapIdentity", {"default": [signed_by("rsa2048", identity={
                "type": "remapIdentity", "prefix": REG, "signedPrefix": REG})]},
             "remapIdentity needs the image's docker reference"),
            ("dir-signedBy-keyring", {"default": [signed_by(path="keys/keyring-rsa2048-ed25519.gpg", identity={
                "type": "exactRepository", "dockerRepository": f"{REG}/{s.repo}"})]},
             "keyring, exactRepository"),
        ]
        names = ["signed-rsa2048", "signed-ed25519", "unsigned", "multi-good-good", "corrupted", "garbage",
                 "other-digest"]
        for label, body, why in dir_policies:
            pol = self.policy(f"cli-{label}", body)
            for n in names:
                img = self.images[n]
                exp = self._expect_dir(body, img)
                c = self.copy(f"cli/{label}/{n}", "cli", pol, f"images/{n}", f"dir:images/{n}", exp,
                              notes=f"{why}; source is the committed dir: layout (signatures from its "
                                    f"signature-N files); image: {img.notes}")
                c.fields["reference"] = f"dir:images/{n}"
        # A policy that rejects everything. (`skopeo --insecure-policy` is not recorded: it bypasses the policy,
        # so its outcome says nothing about policy evaluation.)
        pol = self.policy("cli-reject-everything", {"default": [REJECT]})
        for n in ["signed-rsa2048", "unsigned"]:
            img = self.images[n]
            self.copy(f"cli/reject-everything/{n}", "cli", pol, f"images/{n}", f"docker://{img.ref}",
                      predict.rejected_by_policy(docker_transport_ref(img.ref)),
                      notes="a policy whose default is reject")

    def _expect_dir(self, body: dict, img: Image) -> Expect:
        tr = body.get("transports", {}).get("dir", {})
        reqs = tr.get("", body["default"])
        path = f"images/{img.name}"
        for r in reqs:
            if r["type"] == "reject":
                return f"Running image dir:{path} is rejected by policy."
            if r["type"] == "signedBy":
                prm = r.get("signedIdentity")
                keyring = {"rsa2048"} if r["keyPath"].endswith("rsa2048.pub.asc") else {"rsa2048", "ed25519"}
                return predict.signed_by(self.sigs(img), keyring, prm, None, self.subkeys)
        return True


def registry_tag(img: Image) -> str:
    return f"{REG}/{img.repo}:{img.tag}"
