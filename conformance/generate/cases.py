"""Recording cases: run the real tool with cwd = fixtures, extract the verdict and the message, compare with
the generator's own expectation, and collect the JSON Lines records."""

from __future__ import annotations

import json
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from common import FIXTURES, Env, GenerationError, fatal_message, parallel, run, scrub

REJECTED = "Source image rejected: "
POLICY_PREFIX = "Error loading trust policy: "
INVALID_RE = re.compile(r'^invalid policy in "((?:[^"\\]|\\.)*)": ', re.S)

# An expectation: True (allowed), a str (the exact rejection message), ("prefix", s), ("contains", s),
# ("denied",) (any refusal), or None (not checked).
Expect = Union[None, bool, str, tuple]


@dataclass
class Case:
    id: str
    area: str
    tool: str
    argv: list[str]
    fields: dict[str, Any] = field(default_factory=dict)  # policy, registries_d, image, reference, ...
    expect: Expect = None
    notes: str = ""
    version_difference: Optional[str] = None
    surprising: Optional[str] = None  # a note saying why a different verdict than `expect` is fine
    env: dict[str, str] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    problem: Optional[str] = None


class Recorder:
    def __init__(self, env: Env):
        self.env = env
        self.cases: list[Case] = []
        self.ids: set[str] = set()
        self.lock = threading.Lock()

    def add(self, case: Case) -> Case:
        if case.id in self.ids:
            raise GenerationError(f"duplicate case id {case.id}")
        self.ids.add(case.id)
        self.cases.append(case)
        return case

    # --- running ---------------------------------------------------------------------------------

    def run_all(self, cases: list[Case]) -> None:
        parallel(self._run_one, [c for c in cases if c.argv and not c.record])

    def recheck(self, cases: list[Case]) -> None:
        """Runs the cases again; a case whose verdict or message changes is a problem (e.g. Go map order)."""
        def again(c: Case) -> None:
            if c.problem or not c.argv:
                return
            first = (dict(c.record), c.notes, c.problem)
            self._run_one(c)
            if c.record.get("expected") != first[0].get("expected"):
                c.problem = (f"not deterministic: {first[0].get('expected')} then {c.record.get('expected')}")
            c.notes = first[1]
            c.record = first[0]
        parallel(again, cases)

    def _run_one(self, c: Case) -> None:
        try:
            self._run_one_inner(c)
        except GenerationError as e:
            c.problem = str(e)

    def _run_one_inner(self, c: Case) -> None:
        out_dir = self.env.fresh_dir("out")
        argv = [a.replace("@OUT@", str(out_dir)) for a in c.argv]
        env = self.env.base(c.env)
        proc = run(argv, env=env, cwd=FIXTURES, timeout=300, what=c.id)
        shutil.rmtree(out_dir, ignore_errors=True)
        stdout = proc.stdout.decode(errors="replace")
        stderr = scrub(proc.stderr.decode(errors="replace"), self.env).strip()
        rec: dict[str, Any] = {"id": c.id, "area": c.area, "tool": c.tool}
        rec.update(c.fields)
        rec["argv"] = [a.replace("@OUT@", "@TMPDIR@/out") for a in c.argv]
        if c.env:
            rec["env"] = {k: scrub(v, self.env) for k, v in c.env.items()}
        rec["exit"] = proc.returncode
        rec["stderr"] = stderr
        if c.tool in ("skopeo copy", "podman push"):
            rec["expected"] = self._copy_verdict(c, proc.returncode, stderr)
        elif c.tool == "parse":
            rec["tool"] = "skopeo copy"
            rec["expected"] = self._parse_verdict(c, proc.returncode, stderr)
        elif c.tool == "skopeo standalone-verify":
            rec["stdout"] = stdout.strip()
            rec["expected"] = self._verify_verdict(c, proc.returncode, stdout, stderr, env)
        elif c.tool == "skopeo standalone-sign":
            rec["stdout"] = stdout.strip()
            msg = None if proc.returncode == 0 else (fatal_message(stderr) or stderr)
            rec["expected"] = {"ok": proc.returncode == 0, "message": msg}
            self._check_ok(c, proc.returncode == 0, msg)
        else:
            raise GenerationError(f"{c.id}: unknown tool {c.tool}")
        if c.version_difference:
            rec["version_difference"] = c.version_difference
        rec["notes"] = c.notes
        c.record = rec

    def _copy_verdict(self, c: Case, code: int, stderr: str) -> dict[str, Any]:
        if code == 0:
            allowed, message = True, None
        else:
            msg = fatal_message(stderr)
            if msg is None:
                raise GenerationError(f"{c.id}: exit {code} but no fatal message in:\n{stderr}")
            allowed = False
            if ("dial tcp" in msg or "lookup " in msg) and "127.0.0.1:55000" not in msg.split("dial tcp")[-1]:
                raise GenerationError(f"{c.id}: the tool tried to reach something other than 127.0.0.1:55000: {msg}")
            if msg.startswith(REJECTED):
                message = msg[len(REJECTED):]
            elif c.fields.get("reference", "").startswith("dir:") and msg.startswith("reading blob "):
                # The policy allowed the image; copying then needed a layer blob the fixtures do not commit.
                allowed, message = True, None
                note = ("the policy allowed the image; skopeo then failed reading a layer blob, which the fixtures "
                        "do not commit (exit status and stderr show it)")
                c.notes = f"{c.notes}; {note}" if c.notes else note
            else:
                message = msg
                note = "not a policy verdict: the tool failed before evaluating the policy (message kept whole)"
                c.notes = f"{c.notes}; {note}" if c.notes else note
        self._check_copy(c, allowed, message)
        return {"allowed": allowed, "message": message}

    def _check_copy(self, c: Case, allowed: bool, message: Optional[str]) -> None:
        e = c.expect
        ok = True
        if e is None:
            return
        if e is True:
            ok = allowed
        elif isinstance(e, str):
            ok = not allowed and message == e
        elif isinstance(e, tuple):
            kind = e[0]
            if kind == "denied":
                ok = not allowed
            elif kind == "prefix":
                ok = not allowed and message is not None and message.startswith(e[1])
            elif kind == "contains":
                ok = not allowed and message is not None and e[1] in message
            else:
                raise GenerationError(f"bad expectation {e}")
        if not ok:
            self._surprise(c, f"expected {e!r}, got allowed={allowed} message={message!r}")

    def _surprise(self, c: Case, what: str) -> None:
        if c.surprising:
            return
        c.problem = what

    def _parse_verdict(self, c: Case, code: int, stderr: str) -> dict[str, Any]:
        msg = fatal_message(stderr) or ""
        if msg.startswith(POLICY_PREFIX):
            rest = msg[len(POLICY_PREFIX):]
            m = INVALID_RE.match(rest)
            if m:
                out = {"ok": False, "message": rest[m.end():]}
            else:
                out = {"ok": False, "message": rest}
                note = "error outside the policy text: message is the text after `Error loading trust policy: `"
                c.notes = f"{c.notes}; {note}" if c.notes else note
        else:
            if code == 0 or "Invalid source name" in msg or "Error initializing source" in msg:
                out = {"ok": True, "message": None}
            else:
                raise GenerationError(f"{c.id}: cannot tell whether the policy parsed:\n{stderr}")
        self._check_ok(c, out["ok"], out["message"])
        return out

    def _payload(self, c: Case, env: dict[str, str]) -> dict[str, Any]:
        """The signed payload of a verified signature (read back with gpg, which prints the literal data)."""
        sig = FIXTURES / c.argv[5]
        out = run(["gpg", "--batch", "--decrypt", str(sig)], env=env, what=f"{c.id}: gpg --decrypt")
        try:
            return json.loads(out.stdout)
        except ValueError as e:
            raise GenerationError(f"{c.id}: cannot read the signed payload: {out.stderr!r}") from e

    def _check_ok(self, c: Case, ok: bool, message: Optional[str]) -> None:
        e = c.expect
        if e is None:
            return
        if e is True:
            good = ok
        elif isinstance(e, str):
            good = not ok and message == e
        elif isinstance(e, tuple) and e[0] == "prefix":
            good = not ok and message is not None and message.startswith(e[1])
        elif isinstance(e, tuple) and e[0] == "contains":
            good = not ok and message is not None and e[1] in message
        elif isinstance(e, tuple) and e[0] == "denied":
            good = not ok
        else:
            raise GenerationError(f"bad expectation {e}")
        if not good:
            self._surprise(c, f"expected {e!r}, got ok={ok} message={message!r}")

    def _verify_verdict(self, c: Case, code: int, stdout: str, stderr: str, env: dict[str, str]) -> dict[str, Any]:
        if code == 0:
            m = re.search(r"Signature verified(?: using fingerprint (\S+))?, digest (\S+)", stdout)
            if not m:
                raise GenerationError(f"{c.id}: unexpected standalone-verify output {stdout!r}")
            # skopeo 1.9.3 does not print the fingerprint: it is the one the command required (argv).
            out = {"ok": True, "message": None, "fingerprint": m.group(1) or c.argv[4], "docker_reference": None,
                   "digest": m.group(2)}
            payload = self._payload(c, env)
            out["docker_reference"] = payload["critical"]["identity"]["docker-reference"]
            if payload["critical"]["image"]["docker-manifest-digest"] != out["digest"]:
                raise GenerationError(f"{c.id}: printed digest differs from the signed one")
            hint = c.fields.pop("verified_reference", None)
            if hint is not None and hint != out["docker_reference"]:
                raise GenerationError(f"{c.id}: signed identity {out['docker_reference']!r}, expected {hint!r}")
        else:
            msg = fatal_message(stderr) or stderr
            for prefix in ("Error verifying signature: ",):
                if msg.startswith(prefix):
                    msg = msg[len(prefix):]
            c.fields.pop("verified_reference", None)
            out = {"ok": False, "message": msg, "fingerprint": None, "docker_reference": None, "digest": None}
        self._check_ok(c, out["ok"], out["message"])
        return out

    # --- output --------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        return [f"{c.id}: {c.problem}\n    stderr: {c.record.get('stderr', '')[-600:]}\n    notes: {c.notes}"
                for c in self.cases if c.problem]

    def write(self, path: Path) -> None:
        with path.open("w") as f:
            for c in self.cases:
                f.write(json.dumps(c.record, ensure_ascii=False, separators=(", ", ": ")) + "\n")
