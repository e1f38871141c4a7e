"""Policy, Requirement and SignedIdentity: parsing policy.json as strictly as containers/image, building and
"editing" immutable values, JSON and repr round trips.

Every expected error text comes from containers/image: the upstream corpus (`expected-verdicts.jsonl`,
`signature/fixtures/policy.json`), the differential golden cases of `policy/tests/policy_json_golden.rs` (each
answer recorded from containers/image v5.39.2), or the Rust tests that port upstream's own assertions.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

import containers_policy as cp
from containers_policy import (
    ContainersPolicyError,
    FileAccessError,
    InvalidPolicyError,
    Policy,
    Requirement,
    SignedIdentity,
)

REPO = Path(__file__).resolve().parents[2]

EMPTY_LIST = "List of verification policy requirements must not be empty"
EXACTLY_ONE_SIGNED_BY = "exactly one of keyPath, keyPaths and keyData must be specified"
EXACTLY_ONE_SIGSTORE = "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified"

REJECT_ONLY_JSON = (
    '{\n    "default": [\n        {\n            "type": "reject"\n        }\n    ],\n    "transports": {}\n}\n'
)


def parse_error(data: str | bytes) -> str:
    """The InvalidPolicyError text Policy.from_json gives for `data` (fails if it parses)."""
    with pytest.raises(InvalidPolicyError) as info:
        Policy.from_json(data)
    assert type(info.value) is InvalidPolicyError
    return str(info.value)


def corpus_case(upstream: Path, name: str) -> dict[str, Any]:
    for line in (upstream / "expected-verdicts.jsonl").read_text().splitlines():
        if line.strip():
            case = json.loads(line)
            if case["case"] == name:
                return case
    raise AssertionError(f"case {name} not in the corpus")


# --- policy.json parsing ------------------------------------------------------------------------------------


def test_upstream_fixture_policy_from_file_bytes_and_str_agree(upstream: Path) -> None:
    path = upstream / "signature/fixtures/policy.json"
    from_file = Policy.from_file(path)
    assert Policy.from_file(str(path)) == from_file
    assert Policy.from_json(path.read_bytes()) == from_file
    assert Policy.from_json(path.read_text()) == from_file
    assert Policy.from_json(bytearray(path.read_bytes())) == from_file
    # The corpus records what upstream parses policy.json to (`policyFixtureContents`).
    want = corpus_case(upstream, "parse.fixtures-policy.json")["policy"]
    assert from_file == Policy.from_json(json.dumps(want))
    # Our serialization parses back to the same policy.
    assert Policy.from_json(from_file.to_json()) == from_file


def test_upstream_fixture_policy_contents(upstream: Path) -> None:
    p = Policy.from_file(upstream / "signature/fixtures/policy.json")
    assert p.default == [Requirement.reject()]
    assert sorted(p.transports) == ["dir", "docker"]
    assert p.transports["dir"] == {"": [Requirement.insecure_accept_anything()]}
    assert p.scope("dir", "") == [Requirement.insecure_accept_anything()]
    assert p.scope("docker", "example.com/playground") == [Requirement.insecure_accept_anything()]
    beta = p.scope("docker", "registry.redhat.io/beta")
    assert beta is not None and len(beta) == 1
    assert beta[0].type == "signedBy"
    assert beta[0].key_paths == [
        "/keys/RH-production-signing-key-gpg-keyring",
        "/keys/RH-beta-signing-key-gpg-keyring",
    ]
    mirror = p.scope("docker", "private-mirror:5000/vendor-mirror")
    assert mirror is not None
    assert mirror[0].signed_identity == SignedIdentity.remap_identity(
        "private-mirror:5000/vendor-mirror", "vendor.example.com"
    )
    hardened = p.scope("docker", "example.com/hardened")
    assert hardened is not None
    assert [r.type for r in hardened] == ["signedBy", "signedBy", "signedBaseLayer"]
    assert hardened[2].signed_identity == SignedIdentity.exact_repository("registry.access.redhat.com/rhel7/rhel")
    key_data = p.scope("docker", "bogus/key-data-example")
    assert key_data is not None and key_data[0].key_data == b"nonsense"
    sigstore = p.scope("docker", "example.com/sigstore/key-path-example")
    assert sigstore is not None
    assert (sigstore[0].type, sigstore[0].key_path) == ("sigstoreSigned", "/keys/public-key")
    assert sigstore[0].signed_identity == SignedIdentity.match_repository()
    assert p.scope("docker", "example.com/not-there") is None
    assert p.scope("oci", "") is None


def test_to_json_shape() -> None:
    # Four-space indent, final newline, empty transports written out (policy_json_api.rs `to_json_shape`).
    assert Policy([Requirement.reject()]).to_json() == REJECT_ONLY_JSON
    assert Policy.from_json('{"default": [{"type": "reject"}]}').to_json() == REJECT_ONLY_JSON


def test_to_json_escapes_like_go_and_round_trips() -> None:
    req = Requirement.signed_by(key_data=b"\x00\xffkey", signed_identity=SignedIdentity.match_exact())
    p = Policy([Requirement.reject()]).with_scope("some-transport", "a<b>&c\u2028", [req])
    text = p.to_json()
    assert '"a\\u003cb\\u003e\\u0026c\\u2028": [' in text
    assert '"keyData": "AP9rZXk="' in text
    back = Policy.from_json(text)
    assert back == p
    assert back.scope("some-transport", "a<b>&c\u2028") == [req]


def test_round_trip_of_every_requirement_kind() -> None:
    reqs = [
        Requirement.insecure_accept_anything(),
        Requirement.reject(),
        Requirement.signed_by(key_path="/k"),
        Requirement.signed_by(key_paths=[], signed_identity=SignedIdentity.match_exact()),
        Requirement.signed_by(key_data=b"", signed_identity=SignedIdentity.match_repository()),
        Requirement.from_json('{"type": "signedBaseLayer", "baseLayerIdentity": {"type": "matchExact"}}'),
        Requirement.sigstore_signed(key_path="/cosign.pub", signed_identity=SignedIdentity.match_repository()),
        Requirement.sigstore_signed(key_data=b"pem"),
        Requirement.from_json(
            '{"type": "sigstoreSigned", "fulcio": {"caData": "", "oidcIssuer": "https://issuer",'
            ' "subjectEmail": "a@b"}, "rekorPublicKeyPaths": ["/r1", "/r2"]}'
        ),
    ]
    p = Policy(reqs).with_scope("x-transport", "", reqs)
    assert Policy.from_json(p.to_json()) == p
    for r in reqs:
        assert Requirement.from_json(r.to_json()) == r


def go_golden_cases() -> list[tuple[str, str, str, list[str]]]:
    """The policy.json cases of policy/tests/policy_json_golden.rs: (group, label, input, containers/image answers)."""
    src = (REPO / "policy/tests/policy_json_golden.rs").read_text()
    pattern = re.compile(
        r'Case \{ group: r#"(.*?)"#, label: r#"(.*?)"#, kind: Kind::(\w+), input: r#"(.*?)"#, go: &\[(.*?)\] \}',
        re.S,
    )
    out = []
    for group, label, kind, text, answers in pattern.findall(src):
        if kind == "Policy":
            out.append((group, label, text, re.findall(r'r#"(.*?)"#', answers)))
    return out


def test_every_golden_policy_case_matches_containers_image() -> None:
    """Each input was run through containers/image's NewPolicyFromBytes; the binding must answer the same."""
    cases = go_golden_cases()
    assert len(cases) >= 400, f"only {len(cases)} golden cases found: has the file format changed?"
    failures = []
    for group, label, text, answers in cases:
        for data in (text, text.encode()):
            try:
                p = Policy.from_json(data)
            except InvalidPolicyError as e:
                got = f"ERR {e}"
            except Exception as e:  # noqa: BLE001 - any other exception class is a mismatch
                got = f"{type(e).__name__} {e}"
            else:
                got = "OK" if Policy.from_json(p.to_json()) == p else f"ROUND TRIP {p.to_json()}"
            if got not in answers:
                failures.append(f"[{group}] {label} ({type(data).__name__}): got {got!r}, containers/image {answers!r}")
    assert not failures, "\n".join(failures)
    assert any(a == ["OK"] for *_, a in cases) and any(a[0].startswith("ERR ") for *_, a in cases)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # Unknown keys, at every level.
        ('{"default": [{"type": "reject"}], "unexpected": 1}', 'Unknown key "unexpected"'),
        ('{"default": [{"type": "reject", "unknown": 1}]}', 'Unknown key "unknown"'),
        (
            '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k",'
            ' "signedIdentity": {"type": "matchExact", "unknown": 1}}]}',
            'Unknown key "unknown"',
        ),
        ('{"default": [{"TYPE": "reject"}]}', 'Unknown key "TYPE"'),
        # Duplicate keys.
        ('{"default": [{"type": "reject"}], "default": [{"type": "reject"}]}', 'Duplicate key "default"'),
        ('{"default": [{"type": "reject", "type": "reject"}]}', 'Duplicate key "type"'),
        (
            '{"default": [{"type": "reject"}], "transports": {"docker": {"a": [{"type": "reject"}],'
            ' "a": [{"type": "reject"}]}}}',
            'Duplicate key "a"',
        ),
        # Missing default, empty requirement lists.
        ('{"transports": {}}', "Default policy is missing"),
        ("{}", "Default policy is missing"),
        ('{"default": []}', EMPTY_LIST),
        ('{"default": [{"type": "reject"}], "transports": {"docker": {"x": []}}}', EMPTY_LIST),
        ('{"default": [{"type": "reject"}], "transports": {"docker": {"x": null}}}', EMPTY_LIST),
        # Not JSON, not objects.
        ("&", "invalid character '&' looking for beginning of value"),
        ("1", "JSON object expected, got 1"),
        ("", "unexpected end of JSON input"),
        ('{"default": [{"type": "reject"}], "transports": {"docker": 1}}', "JSON object expected, got 1"),
        # Requirements.
        ('{"default": [{"type": "this is invalid"}]}', 'Unknown policy requirement type "this is invalid"'),
        (
            '{"default": [{"type": "signedBy", "keyType": "this is invalid", "keyPath": "/k"}]}',
            'Unrecognized keyType value "this is invalid"',
        ),
        (
            '{"default": [{"type": "signedBy", "keyType": "GPGKeys"}]}',
            "Exactly one of keyPath, keyPaths and keyData must be specified, none of them present",
        ),
        (
            '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/a", "keyData": "YWJj"}]}',
            "Exactly one of keyPath, keyPaths and keyData must be specified, more than one present",
        ),
        ('{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": ""}]}', EXACTLY_ONE_SIGNED_BY),
        (
            '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyData": "YW"}]}',
            "illegal base64 data at input byte 0",
        ),
        ('{"default": [{"type": "signedBaseLayer"}]}', 'Key "baseLayerIdentity" missing in a JSON object'),
        # Bad identities.
        (
            '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k",'
            ' "signedIdentity": {"type": "this is invalid"}}]}',
            'Unknown policy reference match type "this is invalid"',
        ),
        (
            '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k",'
            ' "signedIdentity": {"type": "exactReference", "dockerReference": "library/busybox"}}]}',
            'dockerReference "library/busybox" contains neither a tag nor digest',
        ),
        (
            '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k",'
            ' "signedIdentity": {"type": "exactRepository", "dockerRepository": "INVALIDUPPERCASE"}}]}',
            'Invalid format of dockerRepository "INVALIDUPPERCASE": invalid reference format: '
            "repository name must be lowercase",
        ),
        (
            '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k",'
            ' "signedIdentity": {"type": "remapIdentity", "prefix": "example.com/", "signedPrefix": "a.com"}}]}',
            'prefix "example.com/" is not valid',
        ),
        # Scopes a transport refuses are reported as unknown keys (policy.json parsing).
        ('{"default": [{"type": "reject"}], "transports": {"dir": {"relative": [{"type": "reject"}]}}}', 'Unknown key "relative"'),
        ('{"default": [{"type": "reject"}], "transports": {"atomic": {"a/b/c/d": [{"type": "reject"}]}}}', 'Unknown key "a/b/c/d"'),
    ],
)
def test_strict_parse_errors(data: str, message: str) -> None:
    assert parse_error(data) == message
    assert parse_error(data.encode()) == message


def test_parse_error_is_a_containers_policy_error_with_code() -> None:
    with pytest.raises(ContainersPolicyError) as info:
        Policy.from_json("{}")
    assert isinstance(info.value, InvalidPolicyError)
    assert info.value.code == "invalid_policy"
    assert InvalidPolicyError.code == "invalid_policy"


def test_corpus_parse_cases(upstream: Path) -> None:
    # parse.empty-bytes / parse.dev-null / parse.missing-file (InvalidPolicyFormatError for the first two).
    assert corpus_case(upstream, "parse.empty-bytes")["error_type"] == "InvalidPolicyFormatError"
    assert parse_error(b"") == "unexpected end of JSON input"
    with pytest.raises(InvalidPolicyError) as info:
        Policy.from_file("/dev/null")
    assert str(info.value) == 'invalid policy in "/dev/null": unexpected end of JSON input'
    with pytest.raises(FileAccessError) as missing:
        Policy.from_file("/this/does/not/exist")
    assert str(missing.value) == "open /this/does/not/exist: no such file or directory"
    assert not isinstance(missing.value, InvalidPolicyError)


def test_from_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(FileAccessError) as info:
        Policy.from_file(missing)
    assert str(info.value) == f"open {missing}: no such file or directory"
    assert info.value.code == "file_access"

    with pytest.raises(FileAccessError) as info:
        Policy.from_file(tmp_path)
    assert str(info.value) == f"read {tmp_path}: is a directory"

    bad = tmp_path / "policy.json"
    bad.write_bytes(b'{"default": [{"type": "reject"}], "transports": {"docker": null}}')
    with pytest.raises(InvalidPolicyError) as info:
        Policy.from_file(bad)
    assert str(info.value) == f'invalid policy in "{bad}": JSON object expected, got <nil>'
    # The same text through a str path and an os.PathLike.
    with pytest.raises(InvalidPolicyError) as info:
        Policy.from_file(str(bad))
    assert str(info.value) == f'invalid policy in "{bad}": JSON object expected, got <nil>'

    bad.write_bytes(b'{"default": []}')
    with pytest.raises(InvalidPolicyError) as info:
        Policy.from_file(bad)
    assert str(info.value) == f'invalid policy in "{bad}": {EMPTY_LIST}'

    bad.write_bytes(b'{"default": [{"type": "insecureAcceptAnything"}]}')
    assert Policy.from_file(bad) == Policy([Requirement.insecure_accept_anything()])


def test_from_file_accepts_pathlike_objects(tmp_path: Path) -> None:
    class Where(os.PathLike):  # type: ignore[type-arg]
        def __fspath__(self) -> str:
            return str(tmp_path / "p.json")

    (tmp_path / "p.json").write_text('{"default": [{"type": "reject"}]}')
    assert Policy.from_file(Where()) == Policy([Requirement.reject()])


def test_from_json_type_errors() -> None:
    for bad in (1, None, ["{}"], {"default": []}):
        with pytest.raises(TypeError):
            Policy.from_json(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Requirement.from_json(1)  # type: ignore[arg-type]


# --- building and editing -----------------------------------------------------------------------------------


def test_policy_constructor() -> None:
    p = Policy([Requirement.reject(), Requirement.insecure_accept_anything()])
    assert p.default == [Requirement.reject(), Requirement.insecure_accept_anything()]
    assert p.transports == {}
    assert Policy((Requirement.reject(),)) == Policy([Requirement.reject()])
    with pytest.raises(InvalidPolicyError) as info:
        Policy([])
    assert str(info.value) == EMPTY_LIST
    with pytest.raises(TypeError):
        Policy([Requirement.reject(), "reject"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        Policy(Requirement.reject())  # type: ignore[arg-type]


def test_with_scope_returns_a_changed_copy() -> None:
    base = Policy([Requirement.reject()])
    edited = base.with_scope("docker", "example.com/ns", [Requirement.insecure_accept_anything()])
    assert base.transports == {}
    assert base == Policy([Requirement.reject()])
    assert edited != base
    assert edited.transports == {"docker": {"example.com/ns": [Requirement.insecure_accept_anything()]}}
    assert edited.scope("docker", "example.com/ns") == [Requirement.insecure_accept_anything()]
    # Replacing a scope.
    replaced = edited.with_scope("docker", "example.com/ns", [Requirement.reject()])
    assert replaced.scope("docker", "example.com/ns") == [Requirement.reject()]
    assert edited.scope("docker", "example.com/ns") == [Requirement.insecure_accept_anything()]
    # The transport default "" is always a valid scope.
    for transport in ("dir", "docker-archive", "tarball", "atomic", "containers-storage"):
        assert base.with_scope(transport, "", [Requirement.reject()]).scope(transport, "") == [Requirement.reject()]
    # What with_scope builds is what the equivalent policy.json parses to.
    assert edited == Policy.from_json(
        '{"default": [{"type": "reject"}], "transports": {"docker": {"example.com/ns": '
        '[{"type": "insecureAcceptAnything"}]}}}'
    )


@pytest.mark.parametrize(
    ("transport", "scope", "message"),
    [
        # Texts of containers/image's ValidatePolicyConfigurationScope (policy/src/transports tests).
        ("dir", "a", "Invalid scope a: Must be an absolute path"),
        ("dir", "/", 'Invalid scope "/": Use the generic default scope ""'),
        ("dir", "/a/../b", "Invalid scope /a/../b: Uses non-canonical format, perhaps try /b"),
        ("dir", "/a/", "Invalid scope /a/: Uses non-canonical format, perhaps try /a"),
        ("sif", "a", "Invalid scope a: Must be an absolute path"),
        ("oci", "a", "Invalid scope a: must be an absolute path"),
        ("oci", "//a", "Invalid scope //a: Uses non-canonical path format, perhaps try with path /a"),
        ("oci-archive", "/", 'Invalid scope "/": Use the generic default scope ""'),
        ("atomic", "host/ns/stream/x", "Invalid scope name host/ns/stream/x"),
        ("atomic", "host/ns:x/stream", "Invalid scope name host/ns:x/stream"),
        ("docker-archive", "/x", 'docker-archive: does not support any scopes except the default "" one'),
        ("tarball", "/x", 'tarball: does not support any scopes except the default "" one'),
    ],
)
def test_with_scope_validates_the_scope_for_its_transport(transport: str, scope: str, message: str) -> None:
    base = Policy([Requirement.reject()])
    with pytest.raises(InvalidPolicyError) as info:
        base.with_scope(transport, scope, [Requirement.reject()])
    assert str(info.value) == message
    assert base.transports == {}


def test_with_scope_accepts_what_transports_accept() -> None:
    base = Policy([Requirement.reject()])
    for transport, scope in [
        ("docker", "*.example.com"),
        ("docker", "x"),
        ("dir", "/a/b"),
        ("oci", "/a/b"),
        ("atomic", "host/ns/stream:tag"),
        ("docker-daemon", "docker.io/library/busybox"),
        ("containers-storage", "[overlay@/var/lib/containers/storage]docker.io/library/busybox"),
        ("unknown-transport", "whatever here"),
    ]:
        p = base.with_scope(transport, scope, [Requirement.insecure_accept_anything()])
        assert p.scope(transport, scope) == [Requirement.insecure_accept_anything()]
        assert Policy.from_json(p.to_json()) == p


def test_with_scope_refuses_an_empty_requirement_list() -> None:
    with pytest.raises(InvalidPolicyError) as info:
        Policy([Requirement.reject()]).with_scope("docker", "example.com", [])
    assert str(info.value) == EMPTY_LIST


def test_without_scope() -> None:
    p = Policy.from_json(
        '{"default": [{"type": "reject"}], "transports": {"docker": {"a.com": [{"type": "reject"}],'
        ' "b.com": [{"type": "insecureAcceptAnything"}]}}}'
    )
    q = p.without_scope("docker", "a.com")
    assert q.transports == {"docker": {"b.com": [Requirement.insecure_accept_anything()]}}
    assert p.scope("docker", "a.com") == [Requirement.reject()]
    # Removing the last scope of a transport removes the transport.
    assert q.without_scope("docker", "b.com") == Policy([Requirement.reject()])
    with pytest.raises(KeyError) as info:
        p.without_scope("docker", "c.com")
    assert info.value.args == ("no scope 'c.com' in transport 'docker'",)
    with pytest.raises(KeyError):
        p.without_scope("dir", "")


def test_with_default() -> None:
    p = Policy([Requirement.reject()]).with_scope("docker", "a.com", [Requirement.reject()])
    q = p.with_default([Requirement.insecure_accept_anything()])
    assert q.default == [Requirement.insecure_accept_anything()]
    assert q.transports == p.transports
    assert p.default == [Requirement.reject()]
    with pytest.raises(InvalidPolicyError) as info:
        p.with_default([])
    assert str(info.value) == EMPTY_LIST


def test_getters_return_copies() -> None:
    p = Policy([Requirement.reject()]).with_scope("docker", "a.com", [Requirement.reject()])
    t = p.transports
    t["docker"]["b.com"] = []
    t["dir"] = {}
    d = p.default
    d.append(Requirement.insecure_accept_anything())
    assert p.transports == {"docker": {"a.com": [Requirement.reject()]}}
    assert p.default == [Requirement.reject()]


# --- Requirement -------------------------------------------------------------------------------------------------


def test_requirement_simple_constructors() -> None:
    for r, kind, text in [
        (Requirement.reject(), "reject", '{\n    "type": "reject"\n}'),
        (Requirement.insecure_accept_anything(), "insecureAcceptAnything", '{\n    "type": "insecureAcceptAnything"\n}'),
    ]:
        assert r.type == kind
        assert r.to_json() == text
        assert (r.key_path, r.key_paths, r.key_data, r.signed_identity) == (None, None, None, None)
        assert Requirement.from_json(text) == r
        assert Requirement.from_json(text.encode()) == r


def test_signed_by_constructors_and_accessors(tmp_path: Path) -> None:
    r = Requirement.signed_by(key_path="/keys/a.gpg")
    assert (r.type, r.key_path, r.key_paths, r.key_data) == ("signedBy", "/keys/a.gpg", None, None)
    assert r.signed_identity == SignedIdentity.match_repo_digest_or_exact()
    assert json.loads(r.to_json()) == {
        "type": "signedBy",
        "keyType": "GPGKeys",
        "keyPath": "/keys/a.gpg",
        "signedIdentity": {"type": "matchRepoDigestOrExact"},
    }
    # Paths may be os.PathLike.
    assert Requirement.signed_by(key_path=tmp_path / "k.gpg").key_path == str(tmp_path / "k.gpg")
    r = Requirement.signed_by(key_paths=["/a", tmp_path / "b"], signed_identity=SignedIdentity.match_repository())
    assert (r.key_path, r.key_paths, r.key_data) == (None, ["/a", str(tmp_path / "b")], None)
    assert r.signed_identity == SignedIdentity.match_repository()
    r = Requirement.signed_by(key_data=b"\x00\xffkey", signed_identity=SignedIdentity.match_exact())
    assert (r.key_path, r.key_paths, r.key_data) == (None, None, b"\x00\xffkey")
    assert json.loads(r.to_json())["keyData"] == "AP9rZXk="
    assert Requirement.signed_by(key_data=bytearray(b"k")).key_data == b"k"
    # Built requirements equal their policy.json form.
    assert r == Requirement.from_json(
        '{"type": "signedBy", "keyType": "GPGKeys", "keyData": "AP9rZXk=", "signedIdentity": {"type": "matchExact"}}'
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"key_path": ""},
        {"key_path": "/a", "key_paths": ["/b"]},
        {"key_path": "/a", "key_data": b"k"},
        {"key_paths": ["/a"], "key_data": b"k"},
    ],
)
def test_signed_by_needs_exactly_one_key_source(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidPolicyError) as info:
        Requirement.signed_by(**kwargs)
    assert str(info.value) == EXACTLY_ONE_SIGNED_BY


def test_signed_by_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Requirement.signed_by("/a")  # type: ignore[misc]
    with pytest.raises(TypeError):
        Requirement.signed_by(key_path="/a", signed_identity="matchExact")  # type: ignore[arg-type]


def test_sigstore_signed_constructors_and_errors() -> None:
    r = Requirement.sigstore_signed(key_path="/cosign.pub", signed_identity=SignedIdentity.match_repository())
    assert (r.type, r.key_path, r.key_paths, r.key_data) == ("sigstoreSigned", "/cosign.pub", None, None)
    assert r.signed_identity == SignedIdentity.match_repository()
    assert json.loads(r.to_json()) == {
        "type": "sigstoreSigned",
        "keyPath": "/cosign.pub",
        "signedIdentity": {"type": "matchRepository"},
    }
    r = Requirement.sigstore_signed(key_data=b"pem")
    assert r.key_data == b"pem"
    assert json.loads(r.to_json())["keyData"] == "cGVt"
    assert Requirement.sigstore_signed(key_paths=["/a", "/b"]).key_paths == ["/a", "/b"]
    for kwargs in ({}, {"key_path": ""}, {"key_path": "/a", "key_data": b"k"}):
        with pytest.raises(InvalidPolicyError) as info:
            Requirement.sigstore_signed(**kwargs)  # type: ignore[arg-type]
        assert str(info.value) == EXACTLY_ONE_SIGSTORE
    with pytest.raises(InvalidPolicyError) as info:
        Requirement.sigstore_signed(key_paths=[])
    assert str(info.value) == '"keyPaths" contains no entries'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"type": "reject", "unknown": 1}', 'Unknown key "unknown"'),
        ('{"type": "reject", "type": "reject"}', 'Duplicate key "type"'),
        ("1", "json: cannot unmarshal number into Go value of type signature.prCommon"),
        ("{}", 'Unknown policy requirement type ""'),
        ('{"type": "this is invalid"}', 'Unknown policy requirement type "this is invalid"'),
        (
            '{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/a", "keyData": "YWJj"}',
            "Exactly one of keyPath, keyPaths and keyData must be specified, more than one present",
        ),
        ('{"type": "signedBy", "keyType": "gpgkeys", "keyPath": "/a"}', 'Unrecognized keyType value "gpgkeys"'),
        ('{"type": "sigstoreSigned", "keyPaths": []}', '"keyPaths" contains no entries'),
    ],
)
def test_requirement_from_json_errors(data: str, message: str) -> None:
    with pytest.raises(InvalidPolicyError) as info:
        Requirement.from_json(data)
    assert str(info.value) == message


def test_signed_base_layer_accessors() -> None:
    r = Requirement.from_json('{"type": "signedBaseLayer", "baseLayerIdentity": {"type": "matchRepository"}}')
    assert r.type == "signedBaseLayer"
    assert r.signed_identity == SignedIdentity.match_repository()
    assert (r.key_path, r.key_paths, r.key_data) == (None, None, None)


# --- SignedIdentity ----------------------------------------------------------------------------------------------


def test_signed_identity_constructors_and_accessors() -> None:
    cases = [
        (SignedIdentity.match_exact(), "matchExact", None, None, None, None),
        (SignedIdentity.match_repo_digest_or_exact(), "matchRepoDigestOrExact", None, None, None, None),
        (SignedIdentity.match_repository(), "matchRepository", None, None, None, None),
        (SignedIdentity.exact_reference("example.com/ns/app:1.0"), "exactReference", "example.com/ns/app:1.0", None, None, None),
        (SignedIdentity.exact_repository("example.com/ns/app"), "exactRepository", None, "example.com/ns/app", None, None),
        (
            SignedIdentity.remap_identity("private-mirror:5000/vendor-mirror", "vendor.example.com"),
            "remapIdentity",
            None,
            None,
            "private-mirror:5000/vendor-mirror",
            "vendor.example.com",
        ),
    ]
    for identity, kind, ref, repo, prefix, signed_prefix in cases:
        assert identity.type == kind
        assert identity.docker_reference == ref
        assert identity.docker_repository == repo
        assert identity.prefix == prefix
        assert identity.signed_prefix == signed_prefix
        # The identity inside a requirement is what policy.json spells.
        req = Requirement.signed_by(key_path="/k", signed_identity=identity)
        assert req.signed_identity == identity
        assert json.loads(req.to_json())["signedIdentity"]["type"] == kind
        assert Requirement.from_json(req.to_json()) == req


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SignedIdentity.exact_reference(""), 'Invalid format of dockerReference "": invalid reference format'),
        (
            lambda: SignedIdentity.exact_reference("INVALIDUPPERCASE:latest"),
            'Invalid format of dockerReference "INVALIDUPPERCASE:latest": invalid reference format: '
            "repository name must be lowercase",
        ),
        (
            lambda: SignedIdentity.exact_reference("library/busybox"),
            'dockerReference "library/busybox" contains neither a tag nor digest',
        ),
        (lambda: SignedIdentity.exact_repository(""), 'Invalid format of dockerRepository "": invalid reference format'),
        (
            lambda: SignedIdentity.exact_repository("INVALIDUPPERCASE"),
            'Invalid format of dockerRepository "INVALIDUPPERCASE": invalid reference format: '
            "repository name must be lowercase",
        ),
        (lambda: SignedIdentity.remap_identity("", "example.com"), 'prefix "" is not valid'),
        (
            lambda: SignedIdentity.remap_identity("example.com/UPPERCASEISINVALID", "example.com"),
            'prefix "example.com/UPPERCASEISINVALID" is not valid',
        ),
        (lambda: SignedIdentity.remap_identity("example.com", ""), 'prefix "" is not valid'),
        (lambda: SignedIdentity.remap_identity("example.com/repo:tag", "a.com"), 'prefix "example.com/repo:tag" is not valid'),
        (lambda: SignedIdentity.remap_identity("example.com/", "a.com"), 'prefix "example.com/" is not valid'),
        (lambda: SignedIdentity.remap_identity("repo_with_underscores", "a.com"), 'prefix "repo_with_underscores" is not valid'),
    ],
)
def test_signed_identity_validation_errors(make: Any, message: str) -> None:
    with pytest.raises(InvalidPolicyError) as info:
        make()
    assert str(info.value) == message


def test_signed_identity_accepts_what_containers_image_accepts() -> None:
    # PRM/extra golden cases answered OK by containers/image.
    assert SignedIdentity.exact_repository("example.com/ns/app@sha256:" + "a" * 64).type == "exactRepository"
    assert SignedIdentity.remap_identity("busybox", "example.com/busybox").prefix == "busybox"
    assert SignedIdentity.remap_identity("localhost:5000/a", "example.com:443/b").signed_prefix == "example.com:443/b"


# --- equality, immutability, repr -----------------------------------------------------------------------------


def test_equality() -> None:
    assert Requirement.reject() == Requirement.reject()
    assert Requirement.reject() != Requirement.insecure_accept_anything()
    assert Requirement.signed_by(key_path="/a") != Requirement.signed_by(key_path="/b")
    assert Requirement.signed_by(key_path="/a") != Requirement.sigstore_signed(key_path="/a")
    assert Requirement.signed_by(key_path="/a") != Requirement.signed_by(
        key_path="/a", signed_identity=SignedIdentity.match_exact()
    )
    assert SignedIdentity.match_exact() == SignedIdentity.match_exact()
    assert SignedIdentity.match_exact() != SignedIdentity.match_repository()
    assert SignedIdentity.exact_reference("a.com/b:1") != SignedIdentity.exact_reference("a.com/b:2")
    assert Policy([Requirement.reject()]) == Policy([Requirement.reject()])
    assert Policy([Requirement.reject()]) != Policy([Requirement.insecure_accept_anything()])
    # Other types compare unequal rather than raising.
    assert Requirement.reject() != "reject"
    assert Policy([Requirement.reject()]) != REJECT_ONLY_JSON
    assert SignedIdentity.match_exact() != None  # noqa: E711
    # Mutable-looking values are not hashable (they define __eq__ without __hash__).
    for value in (Requirement.reject(), Policy([Requirement.reject()]), SignedIdentity.match_exact()):
        with pytest.raises(TypeError):
            hash(value)


@pytest.mark.parametrize(
    ("obj", "attribute", "value"),
    [
        (Policy([Requirement.reject()]), "default", []),
        (Policy([Requirement.reject()]), "transports", {}),
        (Policy([Requirement.reject()]), "new_attribute", 1),
        (Requirement.reject(), "type", "insecureAcceptAnything"),
        (Requirement.signed_by(key_path="/a"), "key_path", "/b"),
        (Requirement.signed_by(key_path="/a"), "signed_identity", None),
        (SignedIdentity.exact_reference("a.com/b:1"), "docker_reference", "a.com/b:2"),
        (SignedIdentity.match_exact(), "type", "matchRepository"),
    ],
)
def test_values_are_immutable(obj: object, attribute: str, value: object) -> None:
    before = repr(obj)
    with pytest.raises((AttributeError, TypeError)):
        setattr(obj, attribute, value)
    with pytest.raises((AttributeError, TypeError)):
        delattr(obj, attribute)
    assert repr(obj) == before


REPR_NAMESPACE = {"Policy": Policy, "Requirement": Requirement, "SignedIdentity": SignedIdentity}


@pytest.mark.parametrize(
    "value",
    [
        Policy([Requirement.reject()]),
        Policy([Requirement.reject()]).with_scope(
            "docker", "it's \"quoted\"\\ and\ttabbed\n", [Requirement.signed_by(key_data=b"\x00'\"")]
        ),
        Requirement.reject(),
        Requirement.signed_by(key_paths=["/a'b", '/c"d'], signed_identity=SignedIdentity.match_exact()),
        Requirement.sigstore_signed(key_path="/cosign.pub"),
        SignedIdentity.match_exact(),
        SignedIdentity.match_repo_digest_or_exact(),
        SignedIdentity.match_repository(),
        SignedIdentity.exact_reference("example.com/ns/app:1.0"),
        SignedIdentity.exact_repository("example.com/ns/app"),
        SignedIdentity.remap_identity("example.com/a", "example.org/b"),
    ],
)
def test_repr_round_trips(value: object) -> None:
    text = repr(value)
    assert "\n" not in text
    assert eval(text, dict(REPR_NAMESPACE)) == value  # noqa: S307 - the repr is meant to be evaluable


def test_policy_repr_is_from_json() -> None:
    text = repr(Policy([Requirement.reject()]))
    assert text == "Policy.from_json('{ \"default\": [ { \"type\": \"reject\" } ], \"transports\": {} }')"


def test_repr_of_upstream_fixture_policy(upstream: Path) -> None:
    p = Policy.from_file(upstream / "signature/fixtures/policy.json")
    text = repr(p)
    assert text.startswith("Policy.from_json('")
    assert eval(text, dict(REPR_NAMESPACE)) == p  # noqa: S307


def test_module_exports_the_classes() -> None:
    assert cp.Policy is Policy and cp.Requirement is Requirement and cp.SignedIdentity is SignedIdentity
