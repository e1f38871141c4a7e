#!/usr/bin/env python3
"""Regenerates conformance/fixtures/ from scratch with the real tools (skopeo, podman, gpg, docker-registry),
offline, on 127.0.0.1:55000 only. Run it through `conformance/generate/run`."""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import FINAL_FIXTURES, REGISTRY, Env, GenerationError, Registry, tool_version, write_json  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--keep-work", action="store_true", help="keep the temporary work directory")
    args = ap.parse_args()
    started = time.time()
    work = Path(tempfile.mkdtemp(prefix="conformance-gen-"))
    # Generate into the work directory; the committed tree is replaced only at the end, if all went well.
    common.FIXTURES = work / "fixtures"
    global FIXTURES
    FIXTURES = common.FIXTURES
    import copycases
    import parsing
    import podman
    import standalone
    import versiondiff
    from cases import Recorder
    from images import Images
    from keys import Keys

    env = Env(work)
    registry = Registry(env)
    keys = Keys(env)
    try:
        FIXTURES.mkdir(parents=True)
        (FIXTURES / "registries.conf").write_text(copycases.registries_conf())
        registry.start()
        step("keys", started)
        keys.create()
        step("images", started)
        images = Images(env, keys, registry)
        images.push_all()
        keys.revoke_subkey("revoked-subkey")
        keys.export()
        step("podman", started)
        pod = podman.Podman(env, keys, images)
        pod.push_all()
        rec = Recorder(env)
        matrix = copycases.Matrix(env, keys, images, rec)
        matrix.build()
        pod.cases(matrix)
        parsing.build(rec)
        images.export()
        step("standalone signatures", started)
        sa = standalone.Standalone(env, keys, images, rec)
        sa.build()
        step(f"running {len(rec.cases)} cases", started)
        rec.run_all(rec.cases)
        step("running the parse cases again (determinism)", started)
        rec.recheck([c for c in rec.cases if c.id.startswith("parse/")])
        pod.finish(rec)
        versiondiff.classify(rec, keys)
        problems = rec.problems()
        if problems:
            (work / "problems.txt").write_text("\n".join(problems) + "\n")
            rec.write(work / "cases-with-problems.jsonl")
            raise GenerationError(f"{len(problems)} surprising verdicts:\n" + "\n".join(problems[:60]))
        matrix.finalize_registries_d()
        rec.write(FIXTURES / "cases.jsonl")
        versiondiff.write(FIXTURES / "version-differences.json")
        versions = {
            "skopeo": tool_version(["skopeo", "--version"], env.base()),
            "podman": tool_version(["podman", "--version"], env.base()),
            "gpg": tool_version(["gpg", "--version"], env.base()),
            "docker-registry": tool_version(["docker-registry", "--version"], env.base()),
            "containers_image": containers_image_version(env),
            "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "registry": REGISTRY,
            "podman_status": pod.status,
        }
        write_json(FIXTURES / "VERSIONS.json", versions)
        registry.stop()
        keys.kill_agents()
        if FINAL_FIXTURES.exists():
            shutil.rmtree(FINAL_FIXTURES)
        shutil.copytree(FIXTURES, FINAL_FIXTURES, symlinks=True)
        summary(rec, versions, time.time() - started)
        return 0
    finally:
        registry.stop()
        keys.kill_agents()
        if args.keep_work:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


FIXTURES = common.FIXTURES


def containers_image_version(env: Env) -> str:
    """containers/image's version as skopeo reports it in the `creator` of a signature it made."""
    for sig in sorted((FIXTURES / "images" / "signed-rsa2048").glob("signature-*")):
        import subprocess
        out = subprocess.run(["gpg", "--batch", "--decrypt"], input=sig.read_bytes(), capture_output=True,
                             env=env.base({"GNUPGHOME": str(env.work / "gnupg")}))
        try:
            creator = json.loads(out.stdout)["optional"]["creator"]
        except (ValueError, KeyError):
            continue
        return f"{creator.split(' ', 1)[-1]} (from skopeo's signature creator {creator!r})"
    return "unknown"


def step(what: str, started: float) -> None:
    print(f"[{time.time() - started:6.1f}s] {what}", file=sys.stderr, flush=True)


def summary(rec, versions: dict, elapsed: float) -> None:
    by_area = collections.Counter(c.record["area"] for c in rec.cases)
    by_tool = collections.Counter(c.record["tool"] for c in rec.cases)
    vd = collections.Counter(c.record.get("version_difference") for c in rec.cases if
                             c.record.get("version_difference"))
    size = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    print(f"conformance fixtures written to {FINAL_FIXTURES} in {elapsed:.0f}s ({size / 1024:.0f} KiB)")
    print(f"  tools: {versions['skopeo']}; {versions['podman']}; {versions['gpg']}; "
          f"docker-registry {versions['docker-registry']}; containers/image {versions['containers_image']}")
    print(f"  podman: {versions['podman_status']}")
    print(f"  {len(rec.cases)} cases")
    for area, n in sorted(by_area.items()):
        print(f"    area {area:<12} {n:5}")
    for tool, n in sorted(by_tool.items()):
        print(f"    tool {tool:<26} {n:5}")
    for d, n in sorted(vd.items()):
        print(f"    version difference {d}: {n}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GenerationError as e:
        print(f"generation failed: {e}", file=sys.stderr)
        sys.exit(1)
