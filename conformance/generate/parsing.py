"""A few hundred policy.json texts (valid and invalid) and skopeo's parse verdict for each.

skopeo loads the policy before it even parses the source name, so `skopeo --policy P copy dir:<missing>
dir:<tmp>` either fails with `Error loading trust policy: …` or (policy fine) with `Invalid source name …`."""

from __future__ import annotations

import json
from typing import Any, Optional, Union

from cases import Case, Expect, Recorder
from common import FIXTURES

OK = True
HEX64 = "0123456789abcdef" * 4
DIGEST = "sha256:" + HEX64
SOURCE = "dir:/nonexistent/conformance-parse-source"

A = {"type": "insecureAcceptAnything"}
R = {"type": "reject"}
SB = {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "keys/rsa2048.pub.asc"}
SBL = {"type": "signedBaseLayer", "baseLayerIdentity": {"type": "matchRepository"}}
SS = {"type": "sigstoreSigned", "keyPath": "keys/sigstore-p256.pub.pem"}

EMPTY_LIST = "List of verification policy requirements must not be empty"
JSON_OBJ = ("prefix", "JSON object expected, got ")
NONE_PRESENT = "Exactly one of keyPath, keyPaths and keyData must be specified, none of them present"
MORE_PRESENT = "Exactly one of keyPath, keyPaths and keyData must be specified, more than one present"
EXACTLY_ONE = "exactly one of keyPath, keyPaths and keyData must be specified"


class Builder:
    def __init__(self, rec: Recorder):
        self.rec = rec
        self.n = 0

    def add(self, label: str, policy: Union[str, bytes, dict, list, Any], expect: Expect, notes: str = "",
            version_difference: Optional[str] = None) -> None:
        if isinstance(policy, bytes):
            data = policy
        elif isinstance(policy, str):
            data = policy.encode()
        else:
            data = (json.dumps(policy, indent=2, ensure_ascii=False) + "\n").encode()
        path = FIXTURES / "policies" / "parse" / f"{label}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            raise ValueError(f"duplicate parse case {label}")
        path.write_bytes(data)
        rel = f"policies/parse/{label}.json"
        argv = ["skopeo", "--policy", rel, "copy", SOURCE, "dir:@OUT@"]
        self.rec.add(Case(f"parse/{label}", "parsing", "parse", argv, {"policy": rel}, expect, notes,
                          version_difference=version_difference))
        self.n += 1


def files(b: Builder) -> None:
    """Policy paths that are not readable policy files (the message is then not an `invalid policy` one)."""
    for label, path, exp, notes in [
        ("file-missing", "policies/parse/does-not-exist.json",
         "open policies/parse/does-not-exist.json: no such file or directory", "the policy file does not exist"),
        ("file-is-directory", "policies/parse", "read policies/parse: is a directory",
         "the policy path is a directory"),
    ]:
        argv = ["skopeo", "--policy", path, "copy", SOURCE, "dir:@OUT@"]
        b.rec.add(Case(f"parse/{label}", "parsing", "parse", argv, {"policy": path}, exp, notes))
        b.n += 1


def top(*reqs: dict, **transports: Any) -> dict:
    p: dict[str, Any] = {"default": list(reqs) or [R]}
    if transports:
        p["transports"] = transports
    return p


def in_docker(*reqs: Any) -> dict:
    return {"default": [R], "transports": {"docker": {"example.com": list(reqs)}}}


def req(r: Any) -> dict:
    """A policy whose default is the single requirement `r`."""
    return {"default": [r]}


def build(rec: Recorder) -> None:
    b = Builder(rec)
    files(b)
    toplevel(b)
    requirement_types(b)
    signed_by(b)
    identities(b)
    base_layer_and_sigstore(b)
    scopes(b)
    real_world(b)


# --- top level / JSON syntax ---------------------------------------------------------------------------


def toplevel(b: Builder) -> None:
    r = json.dumps(R)
    b.add("top-minimal-reject", top(R), OK)
    b.add("top-minimal-accept", top(A), OK)
    b.add("top-empty-file", "", "unexpected end of JSON input")
    b.add("top-whitespace-only", "  \n\t\n", "unexpected end of JSON input")
    b.add("top-empty-object", "{}", "Default policy is missing")
    b.add("top-null", "null", JSON_OBJ)
    b.add("top-array", "[]", JSON_OBJ)
    b.add("top-array-of-policy", f'[{{"default": [{r}]}}]', JSON_OBJ)
    b.add("top-string", '"default"', JSON_OBJ)
    b.add("top-number", "1", JSON_OBJ)
    b.add("top-true", "true", JSON_OBJ)
    b.add("top-default-null", '{"default": null}', EMPTY_LIST)
    b.add("top-default-empty-list", '{"default": []}', EMPTY_LIST)
    b.add("top-default-object", '{"default": {}}', ("prefix", "json: cannot unmarshal object into Go value"))
    b.add("top-default-string", '{"default": "reject"}', ("prefix", "json: cannot unmarshal string into Go value"))
    b.add("top-default-number", '{"default": 0}', ("prefix", "json: cannot unmarshal number into Go value"))
    b.add("top-default-bool", '{"default": false}', ("prefix", "json: cannot unmarshal bool into Go value"))
    b.add("top-default-object-requirement", f'{{"default": {r}}}', ("prefix", "json: cannot unmarshal object"))
    b.add("top-unknown-key", {"default": [R], "extra": 1}, 'Unknown key "extra"')
    b.add("top-unknown-key-first", '{"extra": 1, "default": [' + r + ']}', 'Unknown key "extra"')
    b.add("top-unknown-key-null", {"default": [R], "comment": None}, 'Unknown key "comment"')
    b.add("top-capitalized-default", {"Default": [R]}, 'Unknown key "Default"')
    b.add("top-uppercase-transports", {"default": [R], "TRANSPORTS": {}}, 'Unknown key "TRANSPORTS"')
    b.add("top-duplicate-default", '{"default": [' + r + '], "default": [' + r + ']}', 'Duplicate key "default"')
    b.add("top-duplicate-default-after-error-free", '{"default": [' + r + '], "transports": {}, "default": []}',
          'Duplicate key "default"')
    b.add("top-duplicate-transports", '{"default": [' + r + '], "transports": {}, "transports": {}}',
          'Duplicate key "transports"')
    b.add("top-escaped-key-default", '{"def\\u0061ult": [' + r + ']}', OK,
          "keys are compared after JSON unescaping")
    b.add("top-escaped-duplicate", '{"default": [' + r + '], "\\u0064efault": [' + r + ']}', 'Duplicate key "default"')
    b.add("top-key-with-quote", '{"default": [' + r + '], "a\\"b": 1}', ("prefix", "Unknown key "))
    b.add("top-key-with-backslash", '{"default": [' + r + '], "a\\\\b": 1}', ("prefix", "Unknown key "))
    b.add("top-key-with-newline", '{"default": [' + r + '], "a\\nb": 1}', ("prefix", "Unknown key "))
    b.add("top-key-with-tab", '{"default": [' + r + '], "a\\tb": 1}', ("prefix", "Unknown key "))
    b.add("top-key-unicode", {"default": [R], "défaut": 1}, 'Unknown key "défaut"')
    b.add("top-key-empty", {"default": [R], "": 1}, 'Unknown key ""')
    b.add("top-transports-null", {"default": [R], "transports": None}, JSON_OBJ)
    b.add("top-transports-list", {"default": [R], "transports": []}, JSON_OBJ)
    b.add("top-transports-string", {"default": [R], "transports": "docker"}, JSON_OBJ)
    b.add("top-transports-number", {"default": [R], "transports": 1}, JSON_OBJ)
    b.add("top-transports-empty", {"default": [R], "transports": {}}, OK)
    b.add("top-transports-only", {"transports": {}}, "Default policy is missing")
    b.add("top-transports-before-default", '{"transports": {"docker": {}}, "default": [' + r + ']}', OK)
    b.add("top-trailing-garbage", '{"default": [' + r + ']} x', "invalid character 'x' after top-level value")
    b.add("top-trailing-brace", '{"default": [' + r + ']}}', "invalid character '}' after top-level value")
    b.add("top-two-objects", '{"default": [' + r + ']} {}', "invalid character '{' after top-level value")
    b.add("top-trailing-newlines", '{"default": [' + r + ']}\n\n\n', OK)
    b.add("top-trailing-comma-object", '{"default": [' + r + '],}', ("prefix", "invalid character '}'"))
    b.add("top-trailing-comma-list", '{"default": [' + r + ',]}', ("prefix", "invalid character ']'"))
    b.add("top-single-quotes", "{'default': []}", ("prefix", "invalid character '\\''"))
    b.add("top-unterminated", '{"default": [' + r + ']', "unexpected end of JSON input")
    b.add("top-unterminated-string", '{"default', "unexpected end of JSON input")
    b.add("top-comment", '// policy\n{"default": [' + r + ']}', ("prefix", "invalid character '/'"))
    b.add("top-hash-comment", '# policy\n{"default": [' + r + ']}', ("prefix", "invalid character '#'"))
    b.add("top-bom", b'\xef\xbb\xbf{"default": [' + r.encode() + b']}', ("prefix", "invalid character"))
    b.add("top-unquoted-key", '{default: []}', ("prefix", "invalid character 'd'"))
    b.add("top-missing-colon", '{"default" []}', ("prefix", "invalid character '['"))
    b.add("top-missing-comma", '{"default": [] "transports": {}}', ("prefix", "invalid character '\"'"))
    b.add("top-nan", '{"default": [' + r + '], "transports": NaN}', ("prefix", "invalid character 'N'"))
    b.add("top-crlf", '{\r\n  "default": [' + r + ']\r\n}\r\n', OK)
    b.add("top-deep-requirement-list", {"default": [R] * 50}, OK)
    b.add("top-default-null-element", {"default": [None]}, 'Unknown policy requirement type ""')
    b.add("top-default-list-of-list", {"default": [[R]]}, ("prefix", "json: cannot unmarshal array into Go value"))
    b.add("top-default-string-element", {"default": ["reject"]}, ("prefix", "json: cannot unmarshal string"))
    b.add("top-default-number-element", {"default": [1]}, ("prefix", "json: cannot unmarshal number"))
    b.add("top-default-bool-element", {"default": [True]}, ("prefix", "json: cannot unmarshal bool"))
    b.add("top-default-second-element-bad", {"default": [R, {"type": "nope"}]}, 'Unknown policy requirement type "nope"')
    b.add("top-default-ok-transport-bad", {"default": [R], "transports": {"docker": {"": []}}}, EMPTY_LIST)
    b.add("top-transport-null", {"default": [R], "transports": {"docker": None}}, JSON_OBJ)
    b.add("top-transport-list", {"default": [R], "transports": {"docker": []}}, JSON_OBJ)
    b.add("top-transport-string", {"default": [R], "transports": {"docker": "x"}}, JSON_OBJ)
    b.add("top-transport-empty", {"default": [R], "transports": {"docker": {}}}, OK)
    b.add("top-scope-null", {"default": [R], "transports": {"docker": {"": None}}}, EMPTY_LIST)
    b.add("top-scope-object", {"default": [R], "transports": {"docker": {"": R}}},
          ("prefix", "json: cannot unmarshal object"))
    b.add("top-scope-string", {"default": [R], "transports": {"docker": {"": "reject"}}},
          ("prefix", "json: cannot unmarshal string"))
    b.add("top-duplicate-transport", '{"default": [' + r + '], "transports": {"docker": {}, "docker": {}}}',
          'Duplicate key "docker"')
    b.add("top-duplicate-scope", '{"default": [' + r + '], "transports": {"docker": {"a.com": [' + r + '], '
          '"a.com": [' + r + ']}}}', 'Duplicate key "a.com"')
    b.add("top-duplicate-empty-scope", '{"default": [' + r + '], "transports": {"docker": {"": [' + r + '], '
          '"": [' + r + ']}}}', 'Duplicate key ""')
    b.add("top-all-transports-empty-sections", {"default": [R], "transports": {
        t: {} for t in ["docker", "atomic", "containers-storage", "dir", "docker-archive", "docker-daemon", "oci",
                        "oci-archive", "ostree", "sif", "tarball"]}}, OK)
    b.add("top-all-transports-default-scope", {"default": [R], "transports": {
        t: {"": [A]} for t in ["docker", "atomic", "containers-storage", "dir", "docker-archive", "docker-daemon",
                               "oci", "oci-archive", "ostree", "sif", "tarball"]}}, OK)
    b.add("top-unknown-transport", {"default": [R], "transports": {"foo": {"anything at all": [A]}}}, OK)
    b.add("top-unknown-transport-bad-reqs", {"default": [R], "transports": {"foo": {"x": []}}}, EMPTY_LIST)
    b.add("top-uppercase-transport", {"default": [R], "transports": {"Docker": {"whatever": [A]}}}, OK,
          "transport names are not validated; an unknown name never matches")
    b.add("top-large-number", '{"default": [' + r + '], "transports": 1e400}', None)


# --- requirement objects ---------------------------------------------------------------------------------


def requirement_types(b: Builder) -> None:
    types = {"insecureAcceptAnything": A, "reject": R, "signedBy": SB, "signedBaseLayer": SBL, "sigstoreSigned": SS}
    for t, base in types.items():
        b.add(f"req-{t}-valid", req(base), OK)
        b.add(f"req-{t}-unknown-key", req({**base, "extra": True}), 'Unknown key "extra"')
        b.add(f"req-{t}-unknown-key-null", req({**base, "comment": None}), 'Unknown key "comment"')
        dup = json.dumps(base)[:-1] + ', "type": "' + t + '"}'
        b.add(f"req-{t}-duplicate-type", '{"default": [' + dup + ']}', 'Duplicate key "type"')
        b.add(f"req-{t}-uppercase-type-key", req({"TYPE": t, **{k: v for k, v in base.items() if k != "type"}}),
              'Unknown key "TYPE"', "the requirement type is first read case-insensitively, then strictly")
        b.add(f"req-{t}-capitalized-value", req({**base, "type": t[0].upper() + t[1:]}),
              f'Unknown policy requirement type "{t[0].upper() + t[1:]}"')
        b.add(f"req-{t}-in-scope", in_docker(base), OK)
        b.add(f"req-{t}-twice", req(base) | {"default": [base, base]}, OK)
        b.add(f"req-{t}-as-string", req(t), ("prefix", "json: cannot unmarshal string"))
        b.add(f"req-{t}-type-last", '{"default": [' + json.dumps({k: v for k, v in base.items() if k != "type"})[:-1]
              + (", " if len(base) > 1 else "") + '"type": "' + t + '"}]}', OK)
    b.add("req-accept-with-keyPath", req({**A, "keyPath": "x"}), 'Unknown key "keyPath"')
    b.add("req-reject-with-signedIdentity", req({**R, "signedIdentity": {"type": "matchExact"}}),
          'Unknown key "signedIdentity"')
    b.add("req-type-missing", req({}), 'Unknown policy requirement type ""')
    b.add("req-type-missing-other-keys", req({"keyPath": "x"}), 'Unknown policy requirement type ""')
    b.add("req-type-empty", req({"type": ""}), 'Unknown policy requirement type ""')
    b.add("req-type-null", req({"type": None}), 'Unknown policy requirement type ""')
    b.add("req-type-number", req({"type": 1}), ("prefix", "json: cannot unmarshal number into Go struct field"))
    b.add("req-type-bool", req({"type": True}), ("prefix", "json: cannot unmarshal bool into Go struct field"))
    b.add("req-type-list", req({"type": ["reject"]}), ("prefix", "json: cannot unmarshal array into Go struct field"))
    b.add("req-type-object", req({"type": {}}), ("prefix", "json: cannot unmarshal object into Go struct field"))
    b.add("req-type-unknown", req({"type": "acceptAnything"}), 'Unknown policy requirement type "acceptAnything"')
    b.add("req-type-whitespace", req({"type": " reject"}), 'Unknown policy requirement type " reject"')
    b.add("req-type-with-quote", req({"type": 'rej"ect'}), ("prefix", "Unknown policy requirement type "))
    b.add("req-type-with-newline", req({"type": "reject\n"}), ("prefix", "Unknown policy requirement type "))
    b.add("req-type-unicode", req({"type": "réject"}), 'Unknown policy requirement type "réject"')
    b.add("req-type-prm-name", req({"type": "matchExact"}), 'Unknown policy requirement type "matchExact"')
    b.add("req-capitalized-type-key", req({"Type": "reject"}), 'Unknown key "Type"')
    b.add("req-duplicate-type-different-values", '{"default": [{"type": "reject", "type": "insecureAcceptAnything"}]}',
          'Duplicate key "type"', "the lenient first pass sees the last value, the strict pass the duplicate")
    b.add("req-duplicate-type-unknown-then-known", '{"default": [{"type": "nope", "type": "reject"}]}',
          'Duplicate key "type"')
    b.add("req-duplicate-type-known-then-unknown", '{"default": [{"type": "reject", "type": "nope"}]}',
          'Unknown policy requirement type "nope"')
    b.add("req-case-insensitive-duplicate", '{"default": [{"type": "reject", "TYPE": "reject"}]}', 'Unknown key "TYPE"')


# --- signedBy ----------------------------------------------------------------------------------------------


def signed_by(b: Builder) -> None:
    kp = "keys/rsa2048.pub.asc"
    sources: list[tuple[str, dict, Expect]] = [
        ("none", {}, NONE_PRESENT),
        ("keyPath", {"keyPath": kp}, OK),
        ("keyPaths", {"keyPaths": [kp, "keys/ed25519.pub.asc"]}, OK),
        ("keyData", {"keyData": "AAAA"}, OK),
        ("keyPath-keyPaths", {"keyPath": kp, "keyPaths": [kp]}, MORE_PRESENT),
        ("keyPath-keyData", {"keyPath": kp, "keyData": "AAAA"}, MORE_PRESENT),
        ("keyPaths-keyData", {"keyPaths": [kp], "keyData": "AAAA"}, MORE_PRESENT),
        ("all-three", {"keyPath": kp, "keyPaths": [kp], "keyData": "AAAA"}, MORE_PRESENT),
        ("keyPath-empty", {"keyPath": ""}, EXACTLY_ONE),
        ("keyPath-null", {"keyPath": None}, EXACTLY_ONE),
        ("keyPaths-null", {"keyPaths": None}, EXACTLY_ONE),
        ("keyData-null", {"keyData": None}, EXACTLY_ONE),
        ("keyPath-null-keyData", {"keyPath": None, "keyData": "AAAA"}, MORE_PRESENT),
        ("keyPaths-empty", {"keyPaths": []}, OK),
        ("keyData-empty", {"keyData": ""}, OK),
        ("keyPaths-empty-string", {"keyPaths": [""]}, OK),
        ("keyPath-number", {"keyPath": 1}, ("prefix", "json: cannot unmarshal number into Go value of type string")),
        ("keyPath-list", {"keyPath": [kp]}, ("prefix", "json: cannot unmarshal array into Go value of type string")),
        ("keyPaths-string", {"keyPaths": kp}, ("prefix", "json: cannot unmarshal string into Go value of type []string")),
        ("keyPaths-numbers", {"keyPaths": [1]}, ("prefix", "json: cannot unmarshal number into Go value of type string")),
        ("keyPaths-null-element", {"keyPaths": [None]}, OK),
        ("keyData-number", {"keyData": 1}, ("prefix", "json: cannot unmarshal number")),
        ("keyData-list", {"keyData": ["AAAA"]}, "json: cannot unmarshal string into Go value of type uint8"),
        ("keyData-bad-base64", {"keyData": "!!!!"}, "illegal base64 data at input byte 0"),
        ("keyData-unpadded", {"keyData": "QUJD RA"}, ("prefix", "illegal base64 data at input byte")),
        ("keyData-missing-padding", {"keyData": "QUJDRA"}, "illegal base64 data at input byte 4"),
        ("keyData-url-alphabet", {"keyData": "-_-_"}, "illegal base64 data at input byte 0"),
        ("keyData-with-newlines", {"keyData": "QUJD\nRA==\n"}, OK),
        ("keyData-with-crlf", {"keyData": "QUJD\r\nRA==\r\n"}, OK),
        ("keyData-with-space", {"keyData": "QUJD RA=="}, ("prefix", "illegal base64 data at input byte")),
        ("keyData-extra-padding", {"keyData": "QUJDRA==="}, ("prefix", "illegal base64 data at input byte")),
    ]
    key_types: list[tuple[str, Any, Expect]] = [
        ("GPGKeys", "GPGKeys", None),
        ("signedByGPGKeys", "signedByGPGKeys", None),
        ("X509Certificates", "X509Certificates", None),
        ("signedByX509CAs", "signedByX509CAs", None),
        ("absent", None, None),
        ("invalid", "gpgkeys", 'Unrecognized keyType value "gpgkeys"'),
        ("empty", "", 'Unrecognized keyType value ""'),
        ("null", "null", 'Unrecognized keyType value ""'),
        ("number", 1, ("prefix", "json: cannot unmarshal number into Go value of type string")),
    ]
    for kt_label, kt, kt_err in key_types:
        for s_label, src, s_exp in sources:
            body: dict[str, Any] = {"type": "signedBy"}
            if kt_label == "null":
                body["keyType"] = None
            elif kt is not None:
                body["keyType"] = kt
            body.update(src)
            exp: Expect
            if kt_err is not None:  # the keyType value is checked while it is decoded (it comes first)
                exp = kt_err
            elif isinstance(s_exp, tuple) or isinstance(s_exp, str) and s_exp.startswith(("illegal", "json:")):
                exp = s_exp  # a decoding error of the source field
            elif s_exp in (NONE_PRESENT, MORE_PRESENT):
                exp = s_exp  # presence is checked before the keyType
            elif kt_label == "absent":
                exp = 'invalid keyType ""'
            else:
                exp = s_exp
            b.add(f"signedBy-keyType-{kt_label}-{s_label}", req(body), exp)
    for label, ident, exp in [
        ("absent", None, OK),
        ("null", "null", 'Unknown policy reference match type ""'),
        ("matchExact", {"type": "matchExact"}, OK),
        ("string", "matchExact", ("prefix", "json: cannot unmarshal string")),
        ("list", [], ("prefix", "json: cannot unmarshal array")),
        ("empty-object", {}, 'Unknown policy reference match type ""'),
        ("bad-then-keys-missing", {"type": "nope"}, 'Unknown policy reference match type "nope"'),
    ]:
        body = {"type": "signedBy", "keyType": "GPGKeys", "keyPath": kp}
        if ident == "null":
            body["signedIdentity"] = None
        elif ident is not None:
            body["signedIdentity"] = ident
        b.add(f"signedBy-signedIdentity-{label}", req(body), exp)
    # Order of the checks: keyType value (while decoding), type, signedIdentity, key sources.
    b.add("signedBy-order-bad-identity-no-keys", req({"type": "signedBy", "keyType": "GPGKeys",
                                                       "signedIdentity": {"type": "nope"}}),
          'Unknown policy reference match type "nope"')
    b.add("signedBy-order-bad-keyType-bad-identity", req({"type": "signedBy", "keyType": "x",
                                                           "signedIdentity": {"type": "nope"}}),
          'Unrecognized keyType value "x"')
    b.add("signedBy-order-bad-identity-first-bad-keyType", req({"signedIdentity": {"type": "nope"}, "keyType": "x",
                                                                 "type": "signedBy"}), None)
    b.add("signedBy-order-two-keys-bad-keyType", req({"type": "signedBy", "keyType": "x", "keyPath": kp,
                                                      "keyData": ""}), 'Unrecognized keyType value "x"')
    b.add("signedBy-order-unknown-key-before-bad-keyType", req({"type": "signedBy", "extra": 1, "keyType": "x"}),
          'Unknown key "extra"')
    b.add("signedBy-order-bad-keyType-before-unknown-key", req({"type": "signedBy", "keyType": "x", "extra": 1}),
          'Unrecognized keyType value "x"')
    b.add("signedBy-duplicate-keyPath", '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "a", '
          '"keyPath": "b"}]}', 'Duplicate key "keyPath"')
    b.add("signedBy-keyPath-nonexistent", req({"type": "signedBy", "keyType": "GPGKeys",
                                               "keyPath": "/nonexistent/key.gpg"}), OK,
          "key files are read when a signature is verified, not when the policy is parsed")
    b.add("signedBy-keyPath-relative", req({"type": "signedBy", "keyType": "GPGKeys", "keyPath": "key.gpg"}), OK)
    b.add("signedBy-keyData-real-key", req({"type": "signedBy", "keyType": "GPGKeys",
                                            "keyData": "LS0tLS1CRUdJTiBQR1AgUFVCTElDIEtFWSBCTE9DSy0tLS0tCg=="}), OK)


# --- signedIdentity objects ---------------------------------------------------------------------------


def identities(b: Builder) -> None:
    def sb(ident: Any) -> dict:
        return req({"type": "signedBy", "keyType": "GPGKeys", "keyPath": "k", "signedIdentity": ident})

    for t in ["matchExact", "matchRepoDigestOrExact", "matchRepository"]:
        b.add(f"identity-{t}-valid", sb({"type": t}), OK)
        b.add(f"identity-{t}-unknown-key", sb({"type": t, "extra": 1}), 'Unknown key "extra"')
        b.add(f"identity-{t}-dockerReference", sb({"type": t, "dockerReference": "busybox:latest"}),
              'Unknown key "dockerReference"')
        b.add(f"identity-{t}-duplicate-type", '{"default": [{"type": "signedBy", "keyType": "GPGKeys", '
              f'"keyPath": "k", "signedIdentity": {{"type": "{t}", "type": "{t}"}}}}]}}', 'Duplicate key "type"')
        b.add(f"identity-{t}-lowercase", sb({"type": t.lower()}), f'Unknown policy reference match type "{t.lower()}"')
    b.add("identity-type-missing", sb({}), 'Unknown policy reference match type ""')
    b.add("identity-type-null", sb({"type": None}), 'Unknown policy reference match type ""')
    b.add("identity-type-number", sb({"type": 3}), ("prefix", "json: cannot unmarshal number into Go struct field"))
    b.add("identity-type-requirement-name", sb({"type": "reject"}), 'Unknown policy reference match type "reject"')
    b.add("identity-type-uppercase-key", sb({"TYPE": "matchExact"}), 'Unknown key "TYPE"')
    refs_ok = ["busybox:latest", "busybox@" + DIGEST, "busybox:latest@" + DIGEST, "docker.io/library/busybox:1",
               "example.com:5000/ns/repo:tag", "localhost/repo:tag", "127.0.0.1:55000/conf/app:v1",
               "example.com/" + "a" * 200 + ":t", "example.com/repo:" + "t" * 128, "Example.com/repo:tag",
               "example.com/a__b/c.d-e:tag"]
    refs_bad = ["", "busybox", "docker.io/library/busybox", "UPPERCASE:tag", "example.com/UPPER:tag",
                "busybox:", "busybox:tag:tag", "busybox@sha256:abc", "busybox@sha256:" + HEX64.upper(),
                "busybox@md5:" + HEX64[:32], HEX64, "example.com/repo:" + "t" * 129,
                "example.com/" + "a" * 260 + ":t", ":tag", "@" + DIGEST, "example.com/repo/:tag",
                "example.com/-repo:tag", " busybox:latest", "busybox :latest", "example.com:port/repo:tag",
                "http://example.com/repo:tag", "example.com//repo:tag"]
    for i, r in enumerate(refs_ok):
        b.add(f"identity-exactReference-ok-{i:02d}", sb({"type": "exactReference", "dockerReference": r}), OK,
              f"dockerReference {r!r}")
    for i, r in enumerate(refs_bad):
        b.add(f"identity-exactReference-bad-{i:02d}", sb({"type": "exactReference", "dockerReference": r}),
              ("denied",), f"dockerReference {r!r}")
    repos_ok = ["busybox", "docker.io/library/busybox", "example.com:5000/ns/repo", "busybox:latest",
                "busybox@" + DIGEST, "localhost/repo", "example.com/" + "a" * 200]
    repos_bad = ["", "UPPERCASE", "example.com/UPPER", HEX64, "busybox@sha256:abc", "example.com/repo/",
                 "example.com/" + "a" * 260, "http://example.com/repo"]
    for i, r in enumerate(repos_ok):
        b.add(f"identity-exactRepository-ok-{i:02d}", sb({"type": "exactRepository", "dockerRepository": r}), OK,
              f"dockerRepository {r!r}")
    for i, r in enumerate(repos_bad):
        b.add(f"identity-exactRepository-bad-{i:02d}", sb({"type": "exactRepository", "dockerRepository": r}),
              ("denied",), f"dockerRepository {r!r}")
    for t, field in [("exactReference", "dockerReference"), ("exactRepository", "dockerRepository")]:
        b.add(f"identity-{t}-missing-field", sb({"type": t}), f'Key "{field}" missing in a JSON object')
        b.add(f"identity-{t}-null-field", sb({"type": t, field: None}), ("denied",))
        b.add(f"identity-{t}-number-field", sb({"type": t, field: 5}),
              ("prefix", "json: cannot unmarshal number into Go value of type string"))
        b.add(f"identity-{t}-extra-key", sb({"type": t, field: "busybox:latest", "x": 1}), 'Unknown key "x"')
        b.add(f"identity-{t}-wrong-field", sb({"type": t, "dockerRepository" if field == "dockerReference" else
                                               "dockerReference": "busybox:latest"}), None)
    prefixes_ok = ["localhost", "example.com", "example.com:80", "example.com/repo",
                   "example.com/ns1/ns2/ns3/repo.with.dots-dashes_underscores",
                   "example.com:80/ns1/ns2/ns3/repo.with.dots-dashes_underscores", "shortname", "ns/shortname",
                   "127.0.0.1:55000", "docker.io", "docker.io/library"]
    prefixes_bad = ["", "repo_with_underscores", "example.com/", "example.com/UPPERCASEISINVALID", "example.com/repo/",
                    "example.com/repo:tag", "example.com/repo@" + DIGEST, "example.com/repo:tag@" + DIGEST,
                    "http://example.com", "example.com:", "-example.com", "example.com/re po"]
    for i, p in enumerate(prefixes_ok):
        b.add(f"identity-remapIdentity-prefix-ok-{i:02d}", sb({"type": "remapIdentity", "prefix": p,
                                                              "signedPrefix": "example.com"}), OK, f"prefix {p!r}")
        b.add(f"identity-remapIdentity-signedPrefix-ok-{i:02d}", sb({"type": "remapIdentity", "prefix": "example.com",
                                                                    "signedPrefix": p}), OK, f"signedPrefix {p!r}")
    for i, p in enumerate(prefixes_bad):
        msg = f"prefix {json.dumps(p)} is not valid"
        b.add(f"identity-remapIdentity-prefix-bad-{i:02d}", sb({"type": "remapIdentity", "prefix": p,
                                                               "signedPrefix": "example.com"}), msg, f"prefix {p!r}")
        b.add(f"identity-remapIdentity-signedPrefix-bad-{i:02d}", sb({"type": "remapIdentity",
                                                                     "prefix": "example.com", "signedPrefix": p}),
              msg, f"signedPrefix {p!r}")
    b.add("identity-remapIdentity-both-bad", sb({"type": "remapIdentity", "prefix": "A", "signedPrefix": "B/"}),
          'prefix "B/" is not valid', "prefix `A` is a valid domain; signedPrefix is checked second")
    b.add("identity-remapIdentity-missing-signedPrefix", sb({"type": "remapIdentity", "prefix": "example.com"}),
          'Key "signedPrefix" missing in a JSON object')
    b.add("identity-remapIdentity-missing-prefix", sb({"type": "remapIdentity", "signedPrefix": "example.com"}),
          'Key "prefix" missing in a JSON object')
    b.add("identity-remapIdentity-extra", sb({"type": "remapIdentity", "prefix": "a.com", "signedPrefix": "b.com",
                                              "x": None}), 'Unknown key "x"')
    b.add("identity-remapIdentity-null-prefix", sb({"type": "remapIdentity", "prefix": None,
                                                    "signedPrefix": "b.com"}), 'prefix "" is not valid')
    # (At most one exact field may be missing: with several, Go reports whichever its map iteration meets first.)
    for t, extra in [("matchExact", {}), ("exactReference", {}), ("remapIdentity", {"prefix": "example.com"})]:
        body = {"type": "sigstoreSigned", "keyPath": "k", "signedIdentity": {"type": t, **extra}}
        b.add(f"identity-in-sigstoreSigned-{t}-incomplete", req(body),
              OK if t == "matchExact" else ("prefix", "Key "))


# --- signedBaseLayer / sigstoreSigned (5.23 feature set) -------------------------------------------------


def base_layer_and_sigstore(b: Builder) -> None:
    b.add("signedBaseLayer-missing-identity", req({"type": "signedBaseLayer"}),
          'Key "baseLayerIdentity" missing in a JSON object')
    b.add("signedBaseLayer-null-identity", req({"type": "signedBaseLayer", "baseLayerIdentity": None}),
          'Unknown policy reference match type ""')
    b.add("signedBaseLayer-bad-identity", req({"type": "signedBaseLayer", "baseLayerIdentity": {"type": "x"}}),
          'Unknown policy reference match type "x"')
    for t in ["matchExact", "matchRepoDigestOrExact", "matchRepository"]:
        b.add(f"signedBaseLayer-{t}", req({"type": "signedBaseLayer", "baseLayerIdentity": {"type": t}}), OK)
    b.add("signedBaseLayer-exactReference", req({"type": "signedBaseLayer", "baseLayerIdentity": {
        "type": "exactReference", "dockerReference": "busybox:latest"}}), OK)
    b.add("signedBaseLayer-signedIdentity-key", req({"type": "signedBaseLayer", "baseLayerIdentity": {
        "type": "matchExact"}, "signedIdentity": {"type": "matchExact"}}), 'Unknown key "signedIdentity"')
    pem = "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0K"
    cases: list[tuple[str, dict, Expect, str]] = [
        ("keyPath", {"keyPath": "k.pub"}, OK, ""),
        ("keyData", {"keyData": pem}, OK, ""),
        ("none", {}, None, "5.23: `At least one of keyPath and keyData must be specified`"),
        ("both", {"keyPath": "k.pub", "keyData": pem}, None, ""),
        ("keyPath-empty", {"keyPath": ""}, None, ""),
        ("keyData-empty", {"keyData": ""}, None, ""),
        ("keyPath-null", {"keyPath": None}, None, ""),
        ("keyData-null", {"keyData": None}, None, ""),
        ("keyData-bad-base64", {"keyData": "%%%%"}, "illegal base64 data at input byte 0", ""),
        ("keyPath-number", {"keyPath": 7}, ("prefix", "json: cannot unmarshal number"), ""),
        ("keyType", {"keyPath": "k.pub", "keyType": "GPGKeys"}, 'Unknown key "keyType"', ""),
        ("keyPaths", {"keyPaths": ["k.pub"]}, None, "keyPaths: v5.33"),
        ("keyDatas", {"keyDatas": [pem]}, None, "keyDatas: v5.33"),
        ("fulcio", {"fulcio": {"caPath": "ca.pem", "oidcIssuer": "https://issuer", "subjectEmail": "a@b"},
                    "rekorPublicKeyPath": "rekor.pub"}, None, "fulcio/rekor: v5.24"),
        ("rekorPublicKeyPath", {"keyPath": "k.pub", "rekorPublicKeyPath": "rekor.pub"}, None, "v5.24"),
        ("rekorPublicKeyData", {"keyPath": "k.pub", "rekorPublicKeyData": pem}, None, "v5.24"),
        ("rekorPublicKeyPaths", {"keyPath": "k.pub", "rekorPublicKeyPaths": ["r.pub"]}, None, "v5.33"),
        ("pki", {"pki": {"caRootsPath": "roots.pem", "subjectEmail": "a@b"}}, None, "pki: v5.35"),
        ("signedIdentity-matchRepository", {"keyPath": "k.pub", "signedIdentity": {"type": "matchRepository"}},
         OK, ""),
        ("signedIdentity-null", {"keyPath": "k.pub", "signedIdentity": None},
         'Unknown policy reference match type ""', ""),
        ("signedIdentity-bad", {"keyPath": "k.pub", "signedIdentity": {"type": "nope"}},
         'Unknown policy reference match type "nope"', ""),
        ("unknown-key", {"keyPath": "k.pub", "x": 1}, 'Unknown key "x"', ""),
    ]
    for label, body, exp, notes in cases:
        b.add(f"sigstoreSigned-{label}", req({"type": "sigstoreSigned", **body}), exp, notes)


# --- scopes per transport ----------------------------------------------------------------------------------


def scopes(b: Builder) -> None:
    per: dict[str, tuple[list[str], list[str]]] = {
        "docker": (["example.com", "example.com:5000", "example.com/ns", "example.com/ns/repo:tag",
                    "example.com/ns/repo@" + DIGEST, "*.example.com", "*", "UPPER/CASE", "with space",
                    "example*.*.com", "docker.io/library/busybox", "busybox", "http://example.com",
                    "a" * 300], []),
        "atomic": (["example.com", "example.com/ns", "example.com/ns/stream", "example.com/ns/stream:tag",
                    "*.example.com", "example.com:5000/ns/stream:tag"],
                   # (`example.com/ns/stream@<digest>` matches the atomic scope grammar: not a bad scope.)
                   ["example.com/ns/stream/extra", "example.com/ns:tag", "example.com/ns/stream:tag:x"]),
        "docker-daemon": (["busybox:latest", "docker.io/library/busybox", "example.com/ns", "anything at all"],
                          [DIGEST, "sha512:" + HEX64 * 2]),
        "docker-archive": ([], ["/tmp/archive.tar", "archive.tar", "x"]),
        "containers-storage": (["[overlay@/var/lib/containers/storage]", "[/var/lib/containers/storage]",
                                "[overlay@/var/lib/containers/storage]docker.io/library/busybox",
                                "[overlay@/var/lib/containers/storage]docker.io/library/busybox:latest",
                                "[overlay@/var/lib/containers/storage]docker.io/library",
                                "[overlay@/var/lib/containers/storage]busybox@" + DIGEST,
                                "[vfs@/run/storage]docker.io/library/busybox:latest@" + HEX64,
                                "[overlay@/var/lib/containers/storage]UPPERCASE",
                                "[overlay@/var/lib/containers/storage]" + HEX64],
                               ["overlay@/var/lib/containers/storage", "[overlay@relative]busybox",
                                "[relative]", "[overlay@/var/lib/containers/storage", "busybox",
                                "[overlay@/var/lib/containers/storage]busybox@sha256:abc", "[]"]),
        "dir": (["/var/lib/images", "/a", "/a/b/c"], ["relative/path", "/", "/a/../b", "/a/b/", "//a", "/a/./b", ""]),
        "oci": (["/var/lib/oci", "/a/b/c"], ["relative", "/", "/a/b/", "/a/../b"]),
        "oci-archive": (["/var/lib/oci.tar", "/a/b"], ["relative.tar", "/", "/a/b/"]),
        "sif": (["/var/lib/image.sif"], ["image.sif", "/"]),
        "tarball": ([], ["/tmp/x.tar", "x"]),
        "ostree": (["/ostree/repo", "anything", "relative"], []),
        "unknown-transport": (["anything", "/abs", "relative", "[x]"], []),
    }
    for transport, (good, bad) in per.items():
        name = "nosuchtransport" if transport == "unknown-transport" else transport
        for i, s in enumerate(good):
            b.add(f"scope-{transport}-ok-{i:02d}", {"default": [R], "transports": {name: {s: [A]}}}, None,
                  f"scope {s!r}")
        for i, s in enumerate(bad):
            if s == "":
                continue
            if transport == "atomic":
                b.add(f"scope-{transport}-bad-{i:02d}", {"default": [R], "transports": {name: {s: [A]}}}, OK,
                      f"scope {s!r}: invalid for the atomic transport, which Debian's skopeo 1.9.3 is built without "
                      "(so its scopes are not validated)", version_difference="atomic-transport-not-built")
                continue
            b.add(f"scope-{transport}-bad-{i:02d}", {"default": [R], "transports": {name: {s: [A]}}},
                  f"Unknown key {json.dumps(s)}", f"scope {s!r} (the transport's validation error is reported "
                                                  "as an unknown key)")
        b.add(f"scope-{transport}-empty-scope", {"default": [R], "transports": {name: {"": [A]}}}, OK)


# --- real-world policies ---------------------------------------------------------------------------------


def real_world(b: Builder) -> None:
    b.add("real-fedora-default", {"default": [A], "transports": {"docker-daemon": {"": [A]}}}, OK)
    b.add("real-rhel-style", {
        "default": [A],
        "transports": {
            "docker": {
                "registry.access.redhat.com": [{"type": "signedBy", "keyType": "GPGKeys",
                                                "keyPath": "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"}],
                "registry.redhat.io": [{"type": "signedBy", "keyType": "GPGKeys",
                                        "keyPath": "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"}],
            },
            "docker-daemon": {"": [A]},
        },
    }, OK)
    b.add("real-man-page-example", {
        "default": [R],
        "transports": {
            "docker": {
                "": [A],
                "hostname:5000/myns/official": [{"type": "signedBy", "keyType": "GPGKeys",
                                                 "keyPath": "/path/to/official-pubkey.gpg"}],
                "docker.io/library/busybox": [{"type": "signedBy", "keyType": "GPGKeys",
                                               "keyPath": "/path/to/busybox-pubkey.gpg",
                                               "signedIdentity": {"type": "matchRepository"}}],
                "*.example.com": [{"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/a.gpg", "/b.gpg"]}],
                "privateregistry.example.com/mirror": [{"type": "signedBy", "keyType": "GPGKeys",
                                                        "keyData": "AAAA", "signedIdentity": {
                                                            "type": "remapIdentity",
                                                            "prefix": "privateregistry.example.com/mirror",
                                                            "signedPrefix": "docker.io"}}],
            },
            "atomic": {"hostname:5000/myns/official": [A]},
            "dir": {"": [R]},
            "oci": {"/var/lib/oci": [A]},
            "containers-storage": {"[overlay@/var/lib/containers/storage]": [A]},
        },
    }, OK)
    b.add("real-sigstore-key", {"default": [R], "transports": {"docker": {"quay.io/ns": [
        {"type": "sigstoreSigned", "keyPath": "/etc/containers/cosign.pub",
         "signedIdentity": {"type": "matchRepository"}}]}}}, OK)
    b.add("real-upstream-fixture-shape", {
        "default": [R],
        "transports": {
            "dir": {"": [A]},
            "docker": {
                "example.com/playground": [A],
                "example.com/production": [{"type": "signedBy", "keyType": "GPGKeys",
                                            "keyPath": "/keys/employee-gpg-keyring"}],
                "example.com/hardened": [
                    {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/keys/employee-gpg-keyring",
                     "signedIdentity": {"type": "matchRepository"}},
                    {"type": "signedBy", "keyType": "signedByGPGKeys", "keyPath": "/keys/public-key-signing-gpg-keyring",
                     "signedIdentity": {"type": "matchExact"}},
                    {"type": "signedBaseLayer", "baseLayerIdentity": {"type": "exactRepository",
                                                                      "dockerRepository": "registry.access.redhat.com/rhel7/rhel"}}],
                "example.com/hardened-x509": [
                    {"type": "signedBy", "keyType": "X509Certificates", "keyPath": "/keys/employee-cert-file",
                     "signedIdentity": {"type": "matchRepository"}},
                    {"type": "signedBy", "keyType": "signedByX509CAs", "keyPath": "/keys/public-key-signing-ca-file"}],
                "registry.access.redhat.com": [
                    {"type": "signedBy", "keyType": "signedByGPGKeys", "keyPath": "/keys/RH-key-signing-key-gpg-keyring",
                     "signedIdentity": {"type": "matchRepoDigestOrExact"}}],
                "registry.redhat.io/beta": [
                    {"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/keys/RH-production-signing-key-gpg-keyring",
                                                                            "/keys/RH-beta-signing-key-gpg-keyring"]}],
                "private-mirror:5000/vendor-mirror": [
                    {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/keys/vendor-gpg-keyring",
                     "signedIdentity": {"type": "remapIdentity", "prefix": "private-mirror:5000/vendor-mirror",
                                        "signedPrefix": "vendor.example.com"}}],
                "*.access.redhat.com": [
                    {"type": "signedBy", "keyType": "signedByGPGKeys", "keyPath": "/keys/RH-key-signing-key-gpg-keyring",
                     "signedIdentity": {"type": "matchRepoDigestOrExact"}}],
                "*.redhat.com": [
                    {"type": "signedBy", "keyType": "signedByGPGKeys", "keyPath": "/keys/RH-key-signing-key-gpg-keyring",
                     "signedIdentity": {"type": "matchRepoDigestOrExact"}}],
                "*.com": [
                    {"type": "signedBy", "keyType": "signedByGPGKeys", "keyPath": "/keys/RH-key-signing-key-gpg-keyring",
                     "signedIdentity": {"type": "matchRepoDigestOrExact"}}],
                "bogus/key-data-example": [
                    {"type": "signedBy", "keyType": "signedByGPGKeys", "keyData": "bm9uc2Vuc2U="}],
                "bogus/signed-identity-example": [
                    {"type": "signedBaseLayer", "baseLayerIdentity": {"type": "exactReference",
                                                                      "dockerReference": "registry.access.redhat.com/rhel7/rhel:latest"}}],
                "example.com/sigstore/key-data-example": [
                    {"type": "sigstoreSigned", "keyData": "bm9uc2Vuc2U="}],
                "example.com/sigstore/key-path-example": [
                    {"type": "sigstoreSigned", "keyPath": "/keys/public-key",
                     "signedIdentity": {"type": "matchRepository"}}],
            },
        },
    }, OK)
