"""Known, documented differences between the recorded tool (skopeo 1.9.3 = containers/image 5.23) and the
containers/image release the SDK follows (v5.39). A case whose recorded text differs for one of these reasons
carries `"version_difference": "<id>"`; `version-differences.json` describes each id."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Optional

from cases import Recorder
from common import GenerationError, write_json
from keys import Keys

DIFFERENCES = [
    {
        "id": "identity-quoting-v5.31",
        "since": "v5.31.0",
        "description": "The signed identity in `Signature for identity <identity> is not accepted` is Go-quoted "
                       "(%q) from v5.31 on; older releases print it bare. Applies wherever the text appears, "
                       "including inside `None of the signatures were accepted, reasons: …`.",
        "recorded": "Signature for identity 127.0.0.1:55000/conf/signed/rsa2048:v1 is not accepted",
        "v5.39": "Signature for identity \"127.0.0.1:55000/conf/signed/rsa2048:v1\" is not accepted",
    },
    {
        "id": "subkey-signatures-v5.37",
        "since": "v5.37.0",
        "description": "A signature made by a signing subkey of a trusted primary key: up to v5.36 signedBy refuses "
                       "it with the PolicyRequirementError `Signature by key <SUBKEY FINGERPRINT> is not accepted`; "
                       "from v5.37 the subkey is mapped to its primary key, which is trusted, so the signature is "
                       "accepted (and the rest of the checks — digest, identity — apply). A subkey of an untrusted "
                       "key is refused from v5.37 with `signature by key <SUBKEY> of <PRIMARY> is not accepted`. In "
                       "standalone-verify (5.23) the text is `Signature by <SUBKEY> does not match expected "
                       "fingerprint <PRIMARY>`; v5.39 verifies it against the primary key.",
        "recorded": "Signature by key 0123…SUBKEY is not accepted",
        "v5.39": "(accepted)",
    },
    {
        "id": "standalone-key-mismatch-v5.25",
        "since": "v5.25.0 / v5.37.0",
        "description": "standalone-verify of a signature made by a known key other than the expected one: 5.23 says "
                       "`Signature by <FPR> does not match expected fingerprint <EXPECTED>`; v5.25–v5.36 say "
                       "`Signature by key <FPR> is not accepted`; v5.37+ with GPGME (which looks up the primary "
                       "key of every signing key) say `signature by key <FPR> of <PRIMARY> is not accepted`, "
                       "i.e. `signature by key <FPR> of <FPR> …` for a primary key (`signature by key <FPR> is "
                       "not accepted` only in builds without that lookup: openpgp, Sequoia). Checked against "
                       "containers/image v5.42 by conformance/go/record-current.",
        "recorded": "Signature by AAAA… does not match expected fingerprint BBBB…",
        "v5.39": "signature by key AAAA… of AAAA… is not accepted",
    },
    {
        "id": "standalone-reference-quoting-v5.31",
        "since": "v5.31.0",
        "description": "standalone-verify texts `Docker reference <signed> does not match <expected>` and `Invalid "
                       "docker reference <x> in signature` Go-quote (%q) both references from v5.31 on.",
        "recorded": "Docker reference 127.0.0.1:55000/a:v1 does not match 127.0.0.1:55000/a:v2",
        "v5.39": "Docker reference \"127.0.0.1:55000/a:v1\" does not match \"127.0.0.1:55000/a:v2\"",
    },
    {
        "id": "json-object-expected-v5.31",
        "since": "v5.31.0",
        "description": "`JSON object expected, got …`: up to v5.30 the first JSON token is formatted with \"%s\" "
                       "inside quotes (`got \"%!s(<nil>)\"`, `got \"[\"`, `got \"%!s(float64=1)\"`, "
                       "`got \"%!s(bool=true)\"`, `got \"abc\"`); from v5.31 with %#v (`got <nil>`, `got 91`, "
                       "`got 1`, `got true`, `got \"abc\"`).",
        "recorded": "JSON object expected, got \"%!s(<nil>)\"",
        "v5.39": "JSON object expected, got <nil>",
    },
    {
        "id": "json-key-quoting-v5.31",
        "since": "v5.31.0",
        "description": "Texts that interpolate a key or type name between double quotes (`Unknown key \"k\"`, "
                       "`Duplicate key \"k\"`, `Key \"k\" missing in a JSON object`, `Unknown policy requirement "
                       "type \"t\"`, `Unexpected policy requirement type \"t\"`, `Unknown policy reference match type "
                       "\"t\"`, `invalid keyType \"t\"`, `Unrecognized keyType value \"t\"`) use \"%s\" up to v5.30 "
                       "and %q from v5.31: they differ only when the value contains a double quote, a backslash "
                       "or a character Go does not print (control characters, …).",
        "recorded": "Unknown key \"a\"b\"",
        "v5.39": "Unknown key \"a\\\"b\"",
    },
    {
        "id": "reference-quoting-v5.31",
        "since": "v5.31.0",
        "description": "`Invalid format of dockerReference <x>: …`, `dockerReference <x> contains neither a tag "
                       "nor digest` and `Invalid format of dockerRepository <x>: …` Go-quote (%q) the value from "
                       "v5.31 on; up to v5.30 it is printed bare.",
        "recorded": "dockerReference busybox contains neither a tag nor digest",
        "v5.39": "dockerReference \"busybox\" contains neither a tag nor digest",
    },
    {
        "id": "sigstore-fields-v5.24",
        "since": "v5.24.0 (fulcio, rekorPublicKeyPath/Data), v5.33.0 (keyPaths, keyDatas, rekorPublicKeyPaths/Datas), "
                 "v5.35.0 (pki)",
        "description": "sigstoreSigned in 5.23 knows only keyPath, keyData and signedIdentity: newer fields are "
                       "`Unknown key \"<field>\"`, and its key-source errors are `keyPath and keyData cannot be "
                       "used simultaneously` / `At least one of keyPath and keyData must be specified` (v5.24+: "
                       "`exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified` "
                       "in its latest wording). An empty keyPath/keyData was accepted by 5.23.",
        "recorded": "Unknown key \"fulcio\"",
        "v5.39": "(parses, or the newer key-source message)",
    },
    {
        "id": "atomic-transport-not-built",
        "since": "(build option, not a release)",
        "description": "Debian's skopeo 1.9.3 is built without the `atomic:` (OpenShift) transport, so policy scopes "
                       "under `transports.atomic` are not validated and every scope string parses. containers/image "
                       "with the transport (v5.39 included) validates them (`^[^/]*(/[^:/]*(/[^:/]*(:[^:/]*)?)?)?$`) "
                       "and reports an invalid one as `Unknown key \"<scope>\"`.",
        "recorded": "(parses)",
        "v5.39": "Unknown key \"example.com/ns/stream/extra\"",
    },
    {
        "id": "registries-d-yaml-v5.25",
        "since": "v5.25.0",
        "description": "registries.d files were parsed with ghodss/yaml (YAML → JSON → encoding/json, keys "
                       "matched case-insensitively) up to v5.24 and with yaml.v3 (case-sensitive, unknown keys "
                       "ignored) from v5.25: `Lookaside:` is read by 5.23 but ignored by v5.25+ (which then uses "
                       "the built-in default lookaside location).",
        "recorded": "(signatures found through `Lookaside:`)",
        "v5.39": "(the section has no lookaside; the default location is used)",
    },
]
DIFFERENCES += [
    {
        "id": "registries-d-file-order-v5.42",
        "since": "v5.42.0",
        "description": "registries.d files are read in directory order (os.File.Readdirnames, unsorted) up to "
                       "v5.39 (docker/registries_d.go loadAndMergeConfig), so `… defined both in %q and %q` names the "
                       "earlier-listed file first and depends on the filesystem (here b.yaml was listed before "
                       "a.yaml). v5.42 reads drop-in files sorted by name (go.podman.io/storage pkg/configfile), as "
                       "the SDK does; the message then names the file sorting first.",
        "recorded": "\"default-docker\" defined both in \"registries.d/x/b.yaml\" and \"registries.d/x/a.yaml\"",
        "v5.39": "\"default-docker\" defined both in \"registries.d/x/a.yaml\" and \"registries.d/x/b.yaml\"",
    },
    {
        "id": "registries-d-yaml-error-text",
        "since": "v5.25.0",
        "description": "The text of a YAML syntax error in registries.d: containers/image 5.23 (ghodss/yaml) says "
                       "`error converting YAML to JSON: yaml: line N: <problem>`, v5.25+ (yaml.v3) `yaml: line N: "
                       "<problem>`, as the SDK does (sigstore-lookaside decodes registries.d as yaml.v3 does). Both "
                       "refuse the file with the same `parsing <file>: ` prefix.",
        "recorded": "parsing registries.d/x/a.yaml: error converting YAML to JSON: yaml: line 2: did not find expected ',' or ']'",
        "v5.39": "parsing registries.d/x/a.yaml: yaml: line N: did not find expected ',' or ']'",
    },
]
IDS = {d["id"] for d in DIFFERENCES}


def _go_quote_differs(s: str) -> bool:
    for ch in s:
        if ch in '"\\':
            return True
        if ch == " ":
            continue
        if unicodedata.category(ch)[0] not in "LMNPS":
            return True
    return False


_QUOTED = re.compile(
    r'(Unknown key|Duplicate key|Key|Unknown policy requirement type|Unexpected policy requirement type|'
    r'Unknown policy reference match type|invalid keyType|Unrecognized keyType value) "(.*)"', re.S)


def classify_message(area: str, tool: str, msg: Optional[str], subkeys: set[str]) -> list[str]:
    if not msg:
        return []
    out = []
    if re.search(r"Signature for identity (?!\")", msg):
        out.append("identity-quoting-v5.31")
    for sub in subkeys:
        if f"Signature by key {sub} is not accepted" in msg or f"Signature by {sub} does not match" in msg:
            out.append("subkey-signatures-v5.37")
    if "subkey-signatures-v5.37" not in out and re.search(r"Signature by [0-9A-F]+ does not match expected", msg):
        out.append("standalone-key-mismatch-v5.25")
    if re.search(r"^Docker reference .* does not match |^Invalid docker reference .* in signature", msg):
        out.append("standalone-reference-quoting-v5.31")
    m = re.match(r'^JSON object expected, got "(.*)"$', msg, re.S)
    if m and (m.group(1) == "[" or "%!" in m.group(1)):
        # a Delim token (`[`) or a non-string token (nil, number, bool); a string token reads the same in both
        out.append("json-object-expected-v5.31")
    m = _QUOTED.match(msg)
    if m and _go_quote_differs(m.group(2).rsplit('"', 1)[0] if m.group(1) == "Key" else m.group(2)):
        out.append("json-key-quoting-v5.31")
    if re.match(r"^(Invalid format of docker(Reference|Repository) (?!\")|dockerReference (?!\").* contains neither)",
                msg):
        out.append("reference-quoting-v5.31")
    if re.search(r'defined both in "[^"]*/b\.yaml" and "[^"]*/a\.yaml"', msg):
        out.append("registries-d-file-order-v5.42")
    if "error converting YAML to JSON: yaml: " in msg:
        out.append("registries-d-yaml-error-text")
    if area == "parsing" and (
            re.match(r'^Unknown key "(fulcio|rekorPublicKeyPath|rekorPublicKeyData|keyPaths|keyDatas|'
                     r'rekorPublicKeyPaths|rekorPublicKeyDatas|pki)"$', msg)
            or msg in ("keyPath and keyData cannot be used simultaneously",
                       "At least one of keyPath and keyData must be specified")):
        out.append("sigstore-fields-v5.24")
    return out


def classify(rec: Recorder, keys: Keys) -> None:
    subkeys = {k.signing_fingerprint for k in keys.keys.values() if k.signing_fingerprint != k.fingerprint}
    for c in rec.cases:
        r = c.record
        msg = (r.get("expected") or {}).get("message")
        found = classify_message(r["area"], r["tool"], msg, subkeys)
        if c.version_difference:
            found = [c.version_difference] + [f for f in found if f != c.version_difference]
        if r["area"] == "parsing" and r["expected"]["ok"] and "sigstoreSigned" in r["id"] and any(
                s in r["id"] for s in ("keyPath-empty", "keyData-empty", "keyPath-null", "keyData-null")):
            found.append("sigstore-fields-v5.24")
        found = list(dict.fromkeys(found))
        if len(found) > 1:
            raise GenerationError(f"{r['id']}: several version differences apply: {found} ({msg!r})")
        for f in found:
            if f not in IDS:
                raise GenerationError(f"{r['id']}: unknown version difference {f}")
        if found:
            r.pop("notes", None)
            r["version_difference"] = found[0]
            r["notes"] = c.notes


def write(path: Path) -> None:
    write_json(path, DIFFERENCES)
