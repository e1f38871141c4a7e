"""A small model of containers/image's docker reference rules (../../../shared/spec.md §1.4, §1.6, §5, §6.3),
used only to predict verdicts so that the generator notices when a recorded verdict is surprising. It covers the
well-formed references the generator itself uses; the recorded expectations always come from the real tools."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Ref:
    name: str  # domain/path, normalized
    tag: Optional[str] = None
    digest: Optional[str] = None

    @property
    def domain(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def path(self) -> str:
        return self.name.split("/", 1)[1]

    def string(self) -> str:
        s = self.name
        if self.tag:
            s += ":" + self.tag
        if self.digest:
            s += "@" + self.digest
        return s

    @property
    def name_only(self) -> bool:
        return self.tag is None and self.digest is None


def parse(s: str) -> Optional[Ref]:
    """ParseNormalizedNamed for well-formed input (None if obviously invalid)."""
    digest = None
    if "@" in s:
        s, digest = s.split("@", 1)
        if not _DIGEST.match(digest):
            return None
    tag = None
    last = s.rsplit("/", 1)[-1]
    if ":" in last:
        s, tag = s.rsplit(":", 1)
    first, _, rest = s.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        domain, path = first, rest
    else:
        domain, path = "docker.io", s
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in path:
        path = "library/" + path
    if path != path.lower() or not path:
        return None
    return Ref(f"{domain}/{path}", tag, digest)


def docker_transport_ref(s: str) -> Ref:
    """What `docker://s` evaluates as: tag `latest` when neither a tag nor a digest is given."""
    r = parse(s)
    assert r is not None, s
    if r.name_only:
        r = Ref(r.name, "latest", None)
    return r


def policy_identity(r: Ref) -> str:
    return r.string()


def namespaces(r: Ref) -> list[str]:
    """PolicyConfigurationNamespaces of a docker reference: repo, parents, host[:port], then *.wildcards."""
    out = []
    parts = r.name.split("/")
    for i in range(len(parts), 0, -1):
        out.append("/".join(parts[:i]))
    host = r.domain.split(":", 1)[0]
    labels = host.split(".")
    for i in range(1, len(labels)):
        out.append("*." + ".".join(labels[i:]))
    return out


def scope_for(scopes: list[str], r: Ref) -> Optional[str]:
    """The scope key of a docker transport section that applies to `r` ("" = transport default, None = none)."""
    ident = policy_identity(r)
    if ident in scopes:
        return ident
    for ns in namespaces(r):
        if ns in scopes:
            return ns
    if "" in scopes:
        return ""
    return None


def identity_matches(prm: Optional[dict], sig: str, img: Optional[Ref]) -> bool:
    """signedIdentity rule of §1.6 (prm None = the default matchRepoDigestOrExact)."""
    prm = prm or {"type": "matchRepoDigestOrExact"}
    t = prm["type"]
    s = parse(sig)
    if s is None:
        return False
    if t == "matchExact":
        return img is not None and not img.name_only and not s.name_only and s.string() == img.string()
    if t == "matchRepoDigestOrExact":
        return _repo_digest_or_exact(s, img)
    if t == "matchRepository":
        return img is not None and s.name == img.name
    if t == "exactReference":
        e = parse(prm["dockerReference"])
        return e is not None and not e.name_only and not s.name_only and e.string() == s.string()
    if t == "exactRepository":
        e = parse(prm["dockerRepository"])
        return e is not None and e.name == s.name
    if t == "remapIdentity":
        if img is None:
            return False
        prefix, signed = prm["prefix"], prm["signedPrefix"]
        if img.name == prefix or img.name.startswith(prefix + "/"):
            new = img.string().replace(prefix, signed, 1)
            r = parse(new)
            if r is None or r.string() != new:
                return False
            img = r
        return _repo_digest_or_exact(s, img)
    raise ValueError(t)


def _repo_digest_or_exact(s: Ref, img: Optional[Ref]) -> bool:
    if img is None or s.name_only:
        return False
    if img.tag is not None:
        return s.string() == img.string()
    if img.digest is not None:
        return s.name == img.name
    return False


# --- registries.d (lookaside) -------------------------------------------------------------------------


def lookaside_for(config: dict, physical: Ref) -> Optional[str]:
    """The lookaside (read) URL registries.d gives a physical reference; None = the built-in default."""
    docker = config.get("docker") or {}

    def url(section: Optional[dict]) -> Optional[str]:
        if not section:
            return None
        return section.get("lookaside") or section.get("sigstore") or None

    for key in [policy_identity(physical), *namespaces(physical)]:
        if key in docker and url(docker[key]):
            return url(docker[key])
    return url(config.get("default-docker"))
