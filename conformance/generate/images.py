"""Tiny images written as OCI layouts (no network), pushed to the local registry with `skopeo copy --sign-by`
(signatures land in a lookaside staging store that is the fixtures' `lookaside/` tree), then altered where a
case needs it (moved, retagged, corrupted, foreign signatures, ...). `images/<name>/` receives each image's
manifest and the signatures the lookaside holds for it."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from common import FIXTURES, REGISTRY, Env, GenerationError, Registry, run, sha256_hex, write_json
from keys import Keys

LOOKASIDE = FIXTURES / "lookaside"


def write_oci_image(layout: Path, label: str) -> str:
    """A one-layer OCI image layout (tag `latest`) whose config carries `label`; returns the manifest digest."""
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def put(data: bytes) -> tuple[str, int]:
        h = sha256_hex(data)
        (blobs / h).write_bytes(data)
        return "sha256:" + h, len(data)

    tar = bytes(1024)  # an empty tar archive
    # gzip-compressed (mtime 0) so that pushing keeps the manifest as written (c/image would compress it)
    layer_digest, layer_size = put(gzip.compress(tar, mtime=0))
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Labels": {"conformance": label}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256_hex(tar)]},
    }, sort_keys=True, separators=(",", ":")).encode()
    config_digest, config_size = put(config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                   "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest,
                    "size": layer_size}],
    }, sort_keys=True, separators=(",", ":")).encode()
    manifest_digest, manifest_size = put(manifest)
    (layout / "index.json").write_text(json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
                       "size": manifest_size, "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
    }))
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return manifest_digest


@dataclass
class Image:
    name: str
    repo: str  # repository path on REGISTRY (the lookaside path)
    tag: str
    signers: list[str] = field(default_factory=list)
    notes: str = ""
    identity: Optional[str] = None  # --sign-identity (default: the push reference)
    fmt: Optional[str] = None  # --format for the push
    digest: str = ""
    manifest: bytes = b""
    pull_tag: str = ""  # the tag cases pull (default: tag)
    logical: str = ""  # the name cases use (registries.conf rewrites it to REGISTRY/repo)
    pushed_by: str = "skopeo copy --sign-by"

    @property
    def ref(self) -> str:
        """docker reference (without transport) cases use by tag."""
        return f"{self.logical or REGISTRY + '/' + self.repo}:{self.pull_tag or self.tag}"

    @property
    def digest_ref(self) -> str:
        return f"{self.logical or REGISTRY + '/' + self.repo}@{self.digest}"

    @property
    def lookaside_dir(self) -> Path:
        return LOOKASIDE / f"{self.repo}@{self.digest.replace(':', '=')}"

    def signatures(self, root: Path = LOOKASIDE) -> list[bytes]:
        d = root / f"{self.repo}@{self.digest.replace(':', '=')}"
        out = []
        i = 1
        while (d / f"signature-{i}").exists():
            out.append((d / f"signature-{i}").read_bytes())
            i += 1
        return out


def image_plan() -> list[Image]:
    keys = ["rsa2048", "rsa4096", "ed25519", "ecdsa-p256", "primary-signs", "subkey", "revoked-subkey",
            "expired", "sig-expired", "wrong", "unknown"]
    plan = [Image(f"signed-{k}", f"conf/signed/{k}", "v1", [k], f"signed by key {k} with skopeo copy --sign-by")
            for k in keys]
    plan += [
        Image("unsigned", "conf/unsigned", "v1", [], "pushed without a signature"),
        Image("multi-good-good", "conf/multi/good-good", "v1", ["rsa2048", "ed25519"],
              "two valid signatures, by rsa2048 then ed25519 (the second added by a second skopeo copy --sign-by)"),
        Image("multi-bad-good", "conf/multi/bad-good", "v1", ["wrong", "rsa2048"],
              "signature-1 by key wrong, signature-2 by rsa2048"),
        Image("multi-good-bad", "conf/multi/good-bad", "v1", ["rsa2048", "wrong"],
              "signature-1 by rsa2048, signature-2 by key wrong"),
        Image("multi-bad-bad", "conf/multi/bad-bad", "v1", ["wrong", "unknown"],
              "signature-1 by key wrong, signature-2 by key unknown"),
        Image("multi-three", "conf/multi/three", "v1", ["wrong", "subkey", "ed25519"],
              "three signatures: by wrong, by the signing subkey of subkey, by ed25519"),
        Image("corrupted", "conf/broken/corrupted", "v1", ["rsa2048"],
              "signed by rsa2048 with gpg compress-level 0 (no compression packet), then the last byte of the "
              "signature packet's MPI flipped (xor 0x01)"),
        Image("truncated", "conf/broken/truncated", "v1", ["rsa2048"],
              "signed by rsa2048, then the signature file truncated to half its length"),
        Image("garbage", "conf/broken/garbage", "v1", ["rsa2048"],
              "signed by rsa2048, then signature-1 replaced by text that is not a signature"),
        Image("empty-signature", "conf/broken/empty", "v1", ["rsa2048"],
              "signed by rsa2048, then signature-1 truncated to zero bytes"),
        Image("other-digest", "conf/broken/other-digest", "v1", ["rsa2048"],
              "signature-1 replaced by an rsa2048 signature claiming this image's reference but another image's "
              "digest (image other-digest-source)"),
        Image("other-digest-source", "conf/broken/other-digest", "src", ["rsa2048"],
              "helper: signed with --sign-identity 127.0.0.1:55000/conf/broken/other-digest:v1",
              identity=f"{REGISTRY}/conf/broken/other-digest:v1"),
        Image("foreign-signature", "conf/broken/foreign", "v1", [],
              "unsigned push; signature-1 is a copy of signed-rsa2048's signature (another repository and digest)"),
        Image("moved", "conf/moved/app", "v1", [],
              "signed-rsa2048 copied by skopeo (with its signature) to another repository"),
        Image("retagged", "conf/retagged", "a", ["rsa2048"],
              "signed by rsa2048 as tag a, then copied to tag b of the same repository; cases pull tag b",
              pull_tag="b"),
        Image("signed-v2s2", "conf/formats/v2s2", "v1", ["rsa2048"],
              "pushed with --format v2s2 (Docker schema 2 manifest), signed by rsa2048", fmt="v2s2"),
        Image("signed-digest-identity", "conf/digestid/app", "v1", ["rsa2048"],
              "signed by rsa2048 with --sign-identity <repository>@<digest> (an identity with a digest, no tag)"),
        Image("named-example", "conf/named/app", "v1", ["rsa2048"],
              "signed by rsa2048 for registry.example.com/conf/named/app:v1; registries.conf rewrites "
              "registry.example.com to 127.0.0.1:55000", identity="registry.example.com/conf/named/app:v1",
              logical="registry.example.com/conf/named/app"),
        Image("named-deep", "conf/named/deep", "v1", ["rsa2048"],
              "signed by rsa2048 for a.b.example.com/conf/named/deep:v1; registries.conf rewrites a.b.example.com "
              "to 127.0.0.1:55000", identity="a.b.example.com/conf/named/deep:v1",
              logical="a.b.example.com/conf/named/deep"),
        Image("busybox", "hub/library/busybox", "latest", ["rsa2048"],
              "signed by rsa2048 for docker.io/library/busybox:latest; registries.conf rewrites docker.io to "
              "127.0.0.1:55000/hub (cases pull docker://busybox)", identity="docker.io/library/busybox:latest",
              logical="docker.io/library/busybox"),
        Image("scopes", "conf/deep/a/b/app", "v1", [], "unsigned, in a deep repository (scope matching cases)"),
    ]
    return plan


class Images:
    def __init__(self, env: Env, keys: Keys, registry: Registry):
        self.env = env
        self.keys = keys
        self.registry = registry
        self.plan = image_plan()
        self.by_name = {i.name: i for i in self.plan}
        self.push_d = env.work / "push.d"
        self.push_d.mkdir(parents=True, exist_ok=True)
        (self.push_d / "push.yaml").write_text(
            f"default-docker:\n  lookaside: file://{LOOKASIDE}\n  lookaside-staging: file://{LOOKASIDE}\n")
        self.alt_d = env.work / "push-alt.d"
        self.alt_d.mkdir(parents=True, exist_ok=True)
        (self.alt_d / "push.yaml").write_text(
            f"default-docker:\n  lookaside: file://{LOOKASIDE}/alt\n  lookaside-staging: file://{LOOKASIDE}/alt\n")
        self.permissive = env.work / "permissive.json"
        self.permissive.write_text('{"default":[{"type":"insecureAcceptAnything"}]}\n')
        self.views: dict[str, tuple[Image, list[bytes], str]] = {}

    def __getitem__(self, name: str) -> Image:
        return self.by_name[name]

    def skopeo(self, *args: str, gnupg: Optional[Path] = None, regd: Optional[Path] = None, what: str = "") -> None:
        env = self.env.base({"GNUPGHOME": str(gnupg or self.keys.main.home)})
        argv = ["skopeo", "--registries-conf", str(FIXTURES / "registries.conf"), "--policy", str(self.permissive),
                "--registries.d", str(regd or self.push_d), *args]
        run(argv, env=env, check=True, what=what or "skopeo " + " ".join(args))

    def push_all(self) -> None:
        LOOKASIDE.mkdir(parents=True, exist_ok=True)
        for img in self.plan:
            if img.name in ("moved",):
                continue
            layout = self.env.work / "oci" / img.name
            expected = write_oci_image(layout, img.name)
            if img.name == "signed-digest-identity":
                img.identity = f"{REGISTRY}/{img.repo}@{expected}"
            dest = f"docker://{REGISTRY}/{img.repo}:{img.tag}"
            first, rest = (img.signers[0], img.signers[1:]) if img.signers else (None, [])
            args = ["copy", "--dest-tls-verify=false"]
            if img.fmt:
                args += ["--format", img.fmt]
            gnupg = None
            if first:
                k = self.keys[first]
                gnupg = self.keys.gpg_for(first).home
                args += ["--sign-by", k.fingerprint]
                if img.identity:
                    args += ["--sign-identity", img.identity]
            if img.name == "corrupted":  # uncompressed, so that the flipped byte is in the signature MPI
                self.keys.main.set_conf("compress-level 0\n")
            try:
                self.skopeo(*args, f"oci:{layout}:latest", dest, gnupg=gnupg, what=f"push {img.name}")
            finally:
                self.keys.main.set_conf("")
            for signer in rest:
                k = self.keys[signer]
                self.skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--sign-by", k.fingerprint,
                            dest, dest, gnupg=self.keys.gpg_for(signer).home, what=f"add {signer} to {img.name}")
            img.manifest, img.digest = self.registry.manifest(img.repo, img.tag)
            if not img.fmt and img.digest != expected:
                raise GenerationError(f"{img.name}: pushed digest {img.digest} differs from the layout's {expected}")
            got = len(img.signatures())
            if got != len(img.signers):
                raise GenerationError(f"{img.name}: {got} signatures in the lookaside, expected {len(img.signers)}")
        # moved: the signed image copied (with its signature) to another repository.
        src = self["signed-rsa2048"]
        moved = self["moved"]
        self.skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", f"docker://{REGISTRY}/{src.repo}:v1",
                    f"docker://{REGISTRY}/{moved.repo}:{moved.tag}", what="copy signed-rsa2048 to moved")
        moved.manifest, moved.digest = self.registry.manifest(moved.repo, moved.tag)
        if moved.digest != src.digest or moved.signatures() != src.signatures():
            raise GenerationError("moved: skopeo copy did not keep the digest and the signature")
        # retagged: tag a copied to tag b (same repository, same digest, same lookaside entry).
        rt = self["retagged"]
        self.skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", f"docker://{REGISTRY}/{rt.repo}:a",
                    f"docker://{REGISTRY}/{rt.repo}:b", what="retag")
        if self.registry.manifest(rt.repo, "b")[1] != rt.digest or len(rt.signatures()) != 1:
            raise GenerationError("retagged: tag b differs from tag a")
        self._alter()
        self._alt_lookaside()

    def _alter(self) -> None:
        def sig(name: str, n: int = 1) -> Path:
            return self[name].lookaside_dir / f"signature-{n}"

        p = sig("corrupted")
        b = bytearray(p.read_bytes())
        if b[0] in (0xA0, 0xA1, 0xA2, 0xA3, 0xC8):
            raise GenerationError("corrupted: gpg still compressed the signature")
        b[-1] ^= 0x01
        p.write_bytes(bytes(b))
        p = sig("truncated")
        p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])
        sig("garbage").write_bytes(b"This is not a signature.\n")
        sig("empty-signature").write_bytes(b"")
        sig("other-digest").write_bytes(sig("other-digest-source").read_bytes())
        fs = self["foreign-signature"]
        fs.lookaside_dir.mkdir(parents=True, exist_ok=True)
        (fs.lookaside_dir / "signature-1").write_bytes(sig("signed-rsa2048").read_bytes())

    def _alt_lookaside(self) -> None:
        """lookaside/alt: a second store where signed-rsa2048 carries a signature by key `wrong` instead."""
        src = self["signed-rsa2048"]
        ref = f"docker://{REGISTRY}/{src.repo}:v1"
        self.skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--remove-signatures",
                    "--sign-by", self.keys["wrong"].fingerprint, ref, ref, regd=self.alt_d,
                    what="sign signed-rsa2048 into lookaside/alt")
        if len(src.signatures(LOOKASIDE / "alt")) != 1 or len(src.signatures()) != 1:
            raise GenerationError("lookaside/alt: unexpected signature count")
        (LOOKASIDE / "empty").mkdir(parents=True, exist_ok=True)
        (LOOKASIDE / "empty" / ".keep").write_text("")

    def view(self, name: str, view: str, sigs: list[bytes], notes: str) -> str:
        """An extra images/ entry: image `name` with another signature list (what skopeo saw through another
        lookaside). Returns its path relative to the fixtures."""
        key = f"{name}.{view}"
        self.views[key] = (self[name], sigs, notes)
        return f"images/{key}"

    def export(self) -> list[dict[str, str]]:
        out = []
        d = FIXTURES / "images"
        entries = [(img.name, img, img.signatures(), img.notes) for img in self.plan]
        entries += [(k, img, sigs, notes) for k, (img, sigs, notes) in self.views.items()]
        for name, img, sigs, notes in entries:
            idir = d / name
            idir.mkdir(parents=True, exist_ok=True)
            (idir / "manifest.json").write_bytes(img.manifest)
            for i, s in enumerate(sigs, 1):
                (idir / f"signature-{i}").write_bytes(s)
            entry = {"name": name, "digest": img.digest, "repository": f"{REGISTRY}/{img.repo}", "notes": notes}
            if img.logical:
                entry["notes"] += f" (logical name {img.logical})"
            out.append(entry)
        write_json(d / "index.json", out)
        return out
