"""Images pushed and signed by `podman push --sign-by` (storage in the work dir, vfs driver, configuration from a
throwaway HOME), then verified by `skopeo copy`. If podman cannot run here, the reason is recorded and only these
cases are skipped."""

from __future__ import annotations

from typing import Any, Optional

import predict
from cases import Case, Recorder
from common import FIXTURES, REGISTRY, Env, GenerationError, run, scrub
from images import LOOKASIDE, Image, Images, write_oci_image
from keys import Keys
from model import docker_transport_ref

SIGNERS = ["rsa2048", "ed25519", "ecdsa-p256"]


class Podman:
    def __init__(self, env: Env, keys: Keys, images: Images):
        self.env = env
        self.keys = keys
        self.images = images
        self.status = "not run"
        self.pushes: dict[str, dict[str, Any]] = {}
        self.verifications: dict[str, list[Case]] = {}
        self.home = env.work / "podman-home"
        cfg = self.home / ".config" / "containers"
        (cfg / "registries.d").mkdir(parents=True, exist_ok=True)
        (cfg / "registries.d" / "push.yaml").write_text(
            f"default-docker:\n  lookaside: file://{LOOKASIDE}\n  lookaside-staging: file://{LOOKASIDE}\n")
        (cfg / "policy.json").write_text('{"default":[{"type":"insecureAcceptAnything"}]}\n')
        self.storage = ["--root", str(env.work / "podman" / "root"), "--runroot", str(env.work / "podman" / "run"),
                        "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none"]

    def podman(self, *args: str, gnupg: Optional[str] = None, check: bool = True):
        env = self.env.base({"HOME": str(self.home), "GNUPGHOME": gnupg or str(self.keys.main.home),
                             "CONTAINERS_REGISTRIES_CONF": str(FIXTURES / "registries.conf"),
                             "XDG_RUNTIME_DIR": str(self.env.work / "podman" / "xdg")})
        (self.env.work / "podman" / "xdg").mkdir(parents=True, exist_ok=True)
        return run(["podman", *self.storage, *args], env=env, check=check, timeout=300, what="podman " + args[0])

    def push_all(self) -> None:
        probe = self.podman("images", check=False)
        if probe.returncode != 0:
            self.status = ("skipped: podman cannot run here: "
                           + probe.stderr.decode(errors="replace").strip().splitlines()[-1:][0])
            return
        for k in SIGNERS:
            name = f"podman-{k}"
            layout = self.env.work / "oci" / name
            write_oci_image(layout, name)
            pulled = self.podman("pull", "-q", f"oci:{layout}:latest", check=False)
            if pulled.returncode != 0:
                self.status = "skipped: podman pull from an OCI layout failed: " + \
                              pulled.stderr.decode(errors="replace").strip()[-300:]
                return
            image_id = pulled.stdout.decode().strip().splitlines()[-1]
            repo = f"conf/podman/{k}"
            dest = f"docker://{REGISTRY}/{repo}:v1"
            argv = ["podman", "push", "--tls-verify=false", "--sign-by", self.keys[k].fingerprint, image_id, dest]
            proc = self.podman(*argv[1:], check=False)
            self.pushes[name] = {
                "argv": argv,
                "exit": proc.returncode,
                "stderr": scrub(proc.stderr.decode(errors="replace"), self.env).strip(),
            }
            if proc.returncode != 0:
                raise GenerationError(f"podman push {name} failed: {proc.stderr.decode(errors='replace')}")
            img = Image(name, repo, "v1", [k], f"pushed and signed by podman push --sign-by ({k})",
                        pushed_by="podman push --sign-by")
            img.manifest, img.digest = self.images.registry.manifest(repo, "v1")
            if len(img.signatures()) != 1:
                raise GenerationError(f"{name}: podman push did not store one signature")
            self.images.plan.append(img)
            self.images.by_name[name] = img
        self.status = f"ok: {len(self.pushes)} images pushed and signed by podman push --sign-by"

    def cases(self, matrix) -> None:
        from copycases import TRUSTED_KEYS  # local import: copycases imports nothing from here
        for name in self.pushes:
            img = self.images[name]
            ref = docker_transport_ref(img.ref)
            for key in TRUSTED_KEYS:
                pol = f"policies/signedBy-{key}.json"
                exp = predict.signed_by(matrix.sigs(img), {key}, None, ref, matrix.subkeys)
                c = matrix.copy(f"signatures/signedBy-{key}/{name}", "signatures", pol, f"images/{name}",
                                f"docker://{img.ref}", exp, notes=f"signedBy {key}; image: {img.notes}")
                self.verifications.setdefault(name, []).append(c)
            for label in ("matchExact", "matchRepository", "exactRepository-signed"):
                pol = f"policies/identity-{label}.json"
                # identity-* policies trust rsa2048 only
                body_prm = {"matchExact": {"type": "matchExact"}, "matchRepository": {"type": "matchRepository"},
                            "exactRepository-signed": {"type": "exactRepository",
                                                       "dockerRepository": f"{REGISTRY}/conf/signed/rsa2048"}}[label]
                exp = predict.signed_by(matrix.sigs(img), {"rsa2048"}, body_prm, ref, matrix.subkeys)
                matrix.copy(f"identities/{label}/{name}", "identities", pol, f"images/{name}", f"docker://{img.ref}",
                            exp, notes=f"image: {img.notes}")
        # The podman push records themselves: the push, and the verdict skopeo gave for what it pushed.
        for name, push in self.pushes.items():
            key = name[len("podman-"):]
            img = self.images[name]
            c = Case(f"podman-push/{name}", "cli", "podman push", [], {
                "policy": f"policies/signedBy-{key}.json", "registries_d": "registries.d/default",
                "image": f"images/{name}", "reference": f"docker://{img.ref}"}, None)
            c.record = {}
            self.pushes[name]["case"] = c
            matrix.rec.add(c)

    def finish(self, rec: Recorder) -> None:
        for name, push in self.pushes.items():
            key = name[len("podman-"):]
            verify = next(c for c in self.verifications[name] if c.id.endswith(f"/signedBy-{key}/{name}"))
            v = verify.record
            c: Case = push["case"]
            c.record = {
                "id": c.id, "area": "cli", "tool": "podman push", **c.fields,
                "argv": push["argv"], "exit": push["exit"], "stderr": push["stderr"],
                "expected": v["expected"],
                "verification": {"argv": v["argv"], "exit": v["exit"], "stderr": v["stderr"]},
                "notes": f"argv/exit/stderr are the push (podman --root/--runroot in a work dir, vfs storage, "
                         f"HOME with a registries.d whose lookaside-staging is the lookaside tree); `expected` is "
                         f"the verdict of `verification` (skopeo copy of the pushed image under signedBy {key})",
            }
            if v["expected"]["allowed"] is not True:
                c.problem = f"podman-pushed image {name} was not accepted by signedBy {key}"
