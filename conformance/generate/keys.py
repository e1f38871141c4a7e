"""Throwaway OpenPGP keys (gpg, batch mode, no passphrase) and a sigstore-style PEM public key.

Private keys live only in the work directory's GNUPGHOMEs; `keys/` receives the public halves."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from common import FIXTURES, Env, GenerationError, b64, run, write_json

PAST = "20200101T120000"  # the faked gpg clock of the expired-key and expired-signature homes


@dataclass
class Key:
    name: str
    uid: str
    algo: str
    notes: str
    home: Path
    fingerprint: str = ""
    signing_fingerprint: str = ""  # the (sub)key that makes signatures
    subkeys: list[str] = field(default_factory=list)

    @property
    def pub(self) -> str:
        return f"keys/{self.name}.pub.asc"


class Gpg:
    def __init__(self, env: Env, home: Path, conf: str = ""):
        self.env = env
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        os.chmod(home, 0o700)
        (home / "gpg.conf").write_text(conf)
        (home / "gpg-agent.conf").write_text("allow-loopback-pinentry\n")

    def environ(self) -> dict[str, str]:
        return self.env.base({"GNUPGHOME": str(self.home)})

    def __call__(self, *args: str, input: Optional[bytes] = None) -> bytes:
        argv = ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", *args]
        return run(argv, env=self.environ(), input=input, check=True, what=f"gpg {' '.join(args[:2])}").stdout

    def colons(self, selector: str) -> list[list[str]]:
        out = run(["gpg", "--batch", "--with-colons", "--fixed-list-mode", "--list-keys", selector],
                  env=self.environ(), check=True, what="gpg --list-keys").stdout.decode()
        return [line.split(":") for line in out.splitlines()]

    def set_conf(self, conf: str) -> None:
        (self.home / "gpg.conf").write_text(conf)

    def kill_agent(self) -> None:
        run(["gpgconf", "--kill", "all"], env=self.environ())


def _fill(g: Gpg, k: Key) -> None:
    rows = g.colons(k.uid)
    fprs: list[tuple[str, str]] = []  # (kind, fpr)
    kind = ""
    caps: dict[str, str] = {}
    for r in rows:
        if r[0] in ("pub", "sub"):
            kind = r[0]
            last_caps = r[11]
            last_validity = r[1]
        elif r[0] == "fpr" and kind:
            fprs.append((kind, r[9]))
            caps[r[9]] = last_caps + "/" + last_validity
            kind = ""
    k.fingerprint = next(f for kind, f in fprs if kind == "pub")
    k.subkeys = [f for kind, f in fprs if kind == "sub"]
    signing_subs = [f for f in k.subkeys if "s" in caps[f].split("/")[0]]
    k.signing_fingerprint = signing_subs[-1] if signing_subs else k.fingerprint


class Keys:
    """All keys, by name."""

    def __init__(self, env: Env):
        self.env = env
        self.main = Gpg(env, env.work / "gnupg")
        self.past = Gpg(env, env.work / "gnupg-past", f"faked-system-time {PAST}\n")
        self.sigexp = Gpg(env, env.work / "gnupg-sigexp", f"faked-system-time {PAST}\ndefault-sig-expire 1d\n")
        self.keys: dict[str, Key] = {}
        self.pem: dict[str, str] = {}

    def __getitem__(self, name: str) -> Key:
        return self.keys[name]

    def gpg_for(self, name: str) -> Gpg:
        return {"expired": self.past, "sig-expired": self.sigexp}.get(name, self.main)

    def create(self) -> None:
        m = self.main
        specs = [
            ("rsa2048", "rsa2048", "sign", "RSA-2048 primary key that signs (no subkeys)"),
            ("rsa4096", "rsa4096", "sign", "RSA-4096 primary key that signs (no subkeys)"),
            ("ed25519", "ed25519", "sign", "Ed25519 primary key that signs (no subkeys)"),
            ("ecdsa-p256", "nistp256", "sign", "ECDSA NIST P-256 primary key that signs (no subkeys)"),
            ("wrong", "ed25519", "sign", "Ed25519 key no policy trusts except where a case says so"),
            ("unknown", "ed25519", "sign",
             "Ed25519 key whose public half is in no keyring used for verification (it is still exported here)"),
        ]
        for name, algo, usage, notes in specs:
            k = Key(name, f"Conformance {name} <{name}@conformance.test>", algo, notes, m.home)
            m("--quick-gen-key", k.uid, algo, usage, "never")
            _fill(m, k)
            self.keys[name] = k
        # RSA-3072 primary (sign+certify) with an encryption subkey: the primary signs.
        k = Key("primary-signs", "Conformance primary-signs <primary-signs@conformance.test>", "rsa3072",
                "RSA-3072 primary key (sign, certify) with an encryption subkey; the primary key signs", m.home)
        m("--quick-gen-key", k.uid, "rsa3072", "sign,cert", "never")
        _fill(m, k)
        m("--quick-add-key", k.fingerprint, "rsa3072", "encr", "never")
        _fill(m, k)
        self.keys[k.name] = k
        # Certify-only Ed25519 primary with an Ed25519 signing subkey: the subkey signs.
        for name, notes in [
            ("subkey", "Ed25519 certify-only primary key with an Ed25519 signing subkey; the subkey signs"),
            ("revoked-subkey", "Ed25519 certify-only primary key whose Ed25519 signing subkey signed images and "
                               "was then revoked (reason: key compromised)"),
        ]:
            k = Key(name, f"Conformance {name} <{name}@conformance.test>", "ed25519 + ed25519 signing subkey",
                    notes, m.home)
            m("--quick-gen-key", k.uid, "ed25519", "cert", "never")
            _fill(m, k)
            m("--quick-add-key", k.fingerprint, "ed25519", "sign", "never")
            _fill(m, k)
            if k.signing_fingerprint == k.fingerprint:
                raise GenerationError(f"{name}: no signing subkey was created")
            self.keys[name] = k
        # Expired: made on 2020-01-01 with a one-day lifetime; it signs with the same faked clock.
        k = Key("expired", "Conformance expired <expired@conformance.test>", "ed25519",
                f"Ed25519 key created at {PAST} (faked gpg clock) with a 1-day lifetime; its signatures were made "
                "before it expired", self.past.home)
        self.past("--quick-gen-key", k.uid, "ed25519", "sign", "1d")
        _fill(self.past, k)
        self.keys[k.name] = k
        k = Key("sig-expired", "Conformance sig-expired <sig-expired@conformance.test>", "ed25519",
                f"Ed25519 key (no expiry) whose signatures were made at {PAST} (faked gpg clock) with a 1-day "
                "signature lifetime (gpg default-sig-expire 1d), so they have expired", self.sigexp.home)
        self.sigexp("--quick-gen-key", k.uid, "ed25519", "sign", "never")
        _fill(self.sigexp, k)
        self.keys[k.name] = k

    def revoke_subkey(self, name: str) -> None:
        """Revokes the signing subkey of `name` (reason 1: key has been compromised)."""
        k = self.keys[name]
        g = self.gpg_for(name)
        rows = g.colons(k.uid)
        index = 0
        n = 0
        for r in rows:
            if r[0] == "sub":
                n += 1
            if r[0] == "fpr" and r[9] == k.signing_fingerprint:
                index = n
        if not index:
            raise GenerationError(f"{name}: signing subkey not found")
        script = f"key {index}\nrevkey\ny\n1\nconformance fixture\n\ny\nsave\n".encode()
        run(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--command-fd", "0",
             "--status-fd", "2", "--edit-key", k.fingerprint], env=g.environ(), input=script, check=True,
            what=f"revoke subkey of {name}")
        rows = g.colons(k.uid)
        revoked = any(r[0] == "sub" and r[1] == "r" for r in rows)
        if not revoked:
            raise GenerationError(f"{name}: the signing subkey is not marked revoked after --edit-key revkey")

    def export(self) -> list[dict[str, str]]:
        """Writes keys/*.pub.asc, the two-key keyrings, the PEM key and a non-key file; returns keys/index.json."""
        d = FIXTURES / "keys"
        d.mkdir(parents=True, exist_ok=True)
        index = []
        for name, k in self.keys.items():
            data = self.gpg_for(name)("--armor", "--export", k.fingerprint)
            if not data.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"):
                raise GenerationError(f"export of {name} failed")
            (d / f"{name}.pub.asc").write_bytes(data)
            sub = ""
            if k.subkeys:
                sub = "; subkeys " + ", ".join(k.subkeys)
            if k.signing_fingerprint != k.fingerprint:
                sub += f"; signatures are made by subkey {k.signing_fingerprint}"
            index.append({"name": name, "fingerprint": k.fingerprint, "algo": k.algo, "notes": k.notes + sub,
                          "file": f"keys/{name}.pub.asc"})
        a, b = self.keys["rsa2048"], self.keys["ed25519"]
        both_bin = self.main("--export", a.fingerprint, b.fingerprint)
        both_asc = self.main("--armor", "--export", a.fingerprint, b.fingerprint)
        (d / "keyring-rsa2048-ed25519.gpg").write_bytes(both_bin)
        (d / "keyring-rsa2048-ed25519.pub.asc").write_bytes(both_asc)
        (d / "keyring-rsa2048-ed25519.b64").write_text(b64(both_bin) + "\n")
        for suffix, what in [("gpg", "binary keyring (gpg --export)"), ("pub.asc", "one armored block")]:
            index.append({"name": f"keyring-rsa2048-ed25519-{suffix.split('.')[0]}",
                          "fingerprint": f"{a.fingerprint},{b.fingerprint}", "algo": "keyring",
                          "notes": f"rsa2048 and ed25519 public keys in one file, {what}",
                          "file": f"keys/keyring-rsa2048-ed25519.{suffix}"})
        # Every public key skopeo standalone-verify had in its GNUPGHOME (all except `unknown`).
        verify = [k for n, k in self.keys.items() if n != "unknown"]
        chunks = [self.gpg_for(k.name)("--armor", "--export", k.fingerprint) for k in verify]
        (d / "standalone-verify.pub.asc").write_bytes(b"".join(chunks))
        index.append({"name": "standalone-verify", "fingerprint": ",".join(k.fingerprint for k in verify),
                      "algo": "keyring",
                      "notes": "the public keys in the GNUPGHOME of the skopeo standalone-verify cases (every key "
                               "except `unknown`), concatenated armored blocks",
                      "file": "keys/standalone-verify.pub.asc"})
        pem, pem_fpr = p256_public_pem()
        (d / "sigstore-p256.pub.pem").write_text(pem)
        index.append({"name": "sigstore-p256", "fingerprint": pem_fpr, "algo": "ecdsa-p256 PEM (sigstore)",
                      "notes": "PEM SubjectPublicKeyInfo of a throwaway P-256 key for sigstoreSigned policies "
                               "(fingerprint = sha256 of the DER); no image carries a sigstore signature by it",
                      "file": "keys/sigstore-p256.pub.pem"})
        (d / "not-a-key.txt").write_text("This file is not an OpenPGP key.\n")
        write_json(d / "index.json", index)
        return index

    def verify_home(self) -> Gpg:
        """A GNUPGHOME holding the public keys of every key except `unknown` (for standalone-verify)."""
        g = Gpg(self.env, self.env.work / "gnupg-verify")
        g("--import", str(FIXTURES / "keys" / "standalone-verify.pub.asc"))
        return g

    def kill_agents(self) -> None:
        for g in (self.main, self.past, self.sigexp):
            g.kill_agent()


# --- a P-256 public key in PEM, without any crypto library ----------------------------------------

_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A = _P - 3
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
      0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def _add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % _P == 0:
        return None
    if p == q:
        lam = (3 * p[0] * p[0] + _A) * pow(2 * p[1], -1, _P) % _P
    else:
        lam = (q[1] - p[1]) * pow(q[0] - p[0], -1, _P) % _P
    x = (lam * lam - p[0] - q[0]) % _P
    return x, (lam * (p[0] - x) - p[1]) % _P


def _mul(k, p):
    r = None
    while k:
        if k & 1:
            r = _add(r, p)
        p = _add(p, p)
        k >>= 1
    return r


def p256_public_pem() -> tuple[str, str]:
    d = secrets.randbelow(_N - 1) + 1
    x, y = _mul(d, _G)
    point = b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
    # SEQUENCE { SEQUENCE { OID ecPublicKey, OID prime256v1 }, BIT STRING point }
    algo = bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107")
    bits = b"\x03\x42\x00" + point
    der = b"\x30" + bytes([len(algo) + len(bits)]) + algo + bits
    body = b64(der)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    pem = "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"
    return pem, "sha256:" + hashlib.sha256(der).hexdigest()
