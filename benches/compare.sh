#!/usr/bin/env bash
# containers-policy against skopeo and containers/image, in one run on one machine (a benchmark, not a
# test; see benches/README.md for the figures and how to read them).
#
#   benches/compare.sh            # everything (about 10 minutes on 2 cores, most of it building)
#   benches/compare.sh --quick    # fewer iterations, no criterion run and no crypto-backend builds
#
# The case is the same everywhere: conformance/fixtures/images/signed-rsa2048 (a manifest and one
# signature made by skopeo with the real gpg: RSA-2048, SHA-512, ZIP-compressed), a policy requiring
# conformance/fixtures/keys/rsa2048.pub.asc (signedBy, keyPath) for its repository, evaluated as the
# reference the signature claims. Measured:
#   1. process per call: `containers-policy verify` vs `skopeo standalone-verify` (hyperfine if installed,
#      else a loop timed with date +%s%N);
#   2. in-process evaluation (one context, the image read once, evaluated repeatedly; 1 and 2 threads):
#      `containers-policy bench` vs benches/go (containers/image v5.42.0 IsRunningImageAllowed) built with
#      the default GPGME mechanism and with -tags containers_image_openpgp; the C ABI (benches/c) and the
#      Python binding (benches/python) on the same case;
#   3. the raw RSA-2048 / RSA-4096 / Ed25519 verification of each sequoia crypto backend (nettle, OpenSSL,
#      RustCrypto): the criterion `crypto/` benchmarks built with each backend feature;
#   4. the criterion suite (cargo bench -p containers-policy-benches).
# Environment: ITERATIONS (in-process evaluations, default 20000), RUNS (processes per command, 100),
# GO (the go command), RUST_BACKTRACE is measured both unset and set to 1 for our in-process figure.
set -euo pipefail
quick=false
[[ ${1:-} == --quick ]] && quick=true
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
iterations=${ITERATIONS:-$($quick && echo 3000 || echo 20000)}
runs=${RUNS:-$($quick && echo 20 || echo 100)}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
work=$(mktemp -d)
cleanup() {
    gpgconf --homedir "$work/gnupg" --kill all >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
unset RUST_BACKTRACE
results=$work/results.txt
: > "$results"
record() { echo "$1=$2" >> "$results"; }

echo "== machine"
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
echo "nproc:   $(nproc)"
echo "cpu:     $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)$(grep -qw sha_ni /proc/cpuinfo && echo ' (SHA-NI)')"
echo "kernel:  $(uname -r)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start"
echo "tools:   $(rustc --version), $("$GO" version | cut -d' ' -f3), skopeo $(skopeo --version | awk '{print $3}'), gpg $(gpg --version | head -1 | awk '{print $3}')"

img=$root/conformance/fixtures/images/signed-rsa2048
key=$root/conformance/fixtures/keys/rsa2048.pub.asc
mkdir -m 700 "$work/gnupg"
export GNUPGHOME=$work/gnupg
gpg --batch --quiet --import "$key" 2>/dev/null
fpr=$(gpg --batch --with-colons --list-keys | awk -F: '/^fpr/ {print $10; exit}')
claimed=$(gpg --batch --quiet --decrypt "$img/signature-1" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["critical"]["identity"]["docker-reference"])')
repository=${claimed%:*}
reference=docker://$claimed
printf '{"default":[{"type":"reject"}],"transports":{"docker":{"%s":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s"}]}}}\n' \
    "$repository" "$key" > "$work/policy.json"
echo "case:    $reference, key $fpr, $(stat -c %s "$img/signature-1")-byte signature"

echo "== building (release)"
cargo build -q --release --locked -p containers-policy-cli -p containers-policy-ffi
bin=$root/target/release/containers-policy
lib=$root/target/release
ln -sf libcontainers_policy.so "$lib/libcontainers_policy.so.1"
cc -std=c11 -O2 -Wall -Wextra -Werror -I"$root/ffi/include" benches/c/bench_evaluate.c \
    -L"$lib" -lcontainers_policy -Wl,-rpath,"$lib" -o "$work/bench_evaluate"
(
    cd benches/go
    export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=1
    # containers_image_storage_stub as conformance/go/run: the storage transport needs a module version the
    # proxy does not serve.
    "$GO" build -tags containers_image_storage_stub -o "$work/bench-go-gpgme" .
    "$GO" build -tags containers_image_storage_stub,containers_image_openpgp -o "$work/bench-go-openpgp" .
)

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
inproc() { # NAME COMMAND…: runs a bench command printing the JSON report, records evals/s and p50
    local name=$1
    shift
    local out
    out=$("$@")
    [[ $(json_field allowed <<< "$out") == True ]] || { echo "$name: image not allowed: $out" >&2; exit 1; }
    local eps p50 p99 cpu
    eps=$(json_field evals_per_sec <<< "$out")
    p50=$(json_field p50_us <<< "$out")
    p99=$(json_field p99_us <<< "$out")
    cpu=$(json_field cpu_us_per_eval <<< "$out")
    printf '%-24s %8.0f evaluations/s   p50 %8.1f us   p99 %8.1f us   CPU %7.1f us/evaluation\n' \
        "$name" "$eps" "$p50" "$p99" "$cpu"
    record "$name.eps" "$eps"
    record "$name.p50" "$p50"
    record "$name.cpu" "$cpu"
}

echo "== in-process evaluation ($iterations evaluations; load $(cut -d' ' -f1 /proc/loadavg))"
args=(--policy "$work/policy.json" --dir "$img" --reference "$reference")
inproc rust-1t "$bin" bench "${args[@]}" --iterations "$iterations" --json
inproc rust-1t-backtrace env RUST_BACKTRACE=1 "$bin" bench "${args[@]}" --iterations "$iterations" --json
inproc rust-2t "$bin" bench "${args[@]}" --iterations "$((iterations * 2))" --threads 2 --json
goargs=(-policy "$work/policy.json" -dir "$img" -reference "$reference")
inproc go-openpgp-1t "$work/bench-go-openpgp" "${goargs[@]}" -iterations "$((iterations / 4))"
inproc go-openpgp-2t "$work/bench-go-openpgp" "${goargs[@]}" -iterations "$((iterations / 2))" -threads 2
inproc go-gpgme-1t "$work/bench-go-gpgme" "${goargs[@]}" -iterations "$($quick && echo 10 || echo 50)"

echo "== front ends, same case: Rust API, C ABI (C program), Python (best of 5 means each, 3 rounds interleaved)"
venv=$root/target/py-bench-venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "$(grep '^maturin==' python/requirements-test.txt)"
(cd python && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" maturin develop --release --locked -q) >/dev/null 2>&1
rust_us=1e9 c_us=1e9 py_us=1e9
best_of_5() { # COMMAND…: the smallest of 5 runs' outputs (each a number)
    local best=1e9 v
    for _ in 1 2 3 4 5; do
        v=$("$@")
        best=$(awk -v a="$best" -v b="$v" 'BEGIN {print (b < a) ? b : a}')
    done
    echo "$best"
}
rust_mean() { "$bin" bench "${args[@]}" --iterations "$((iterations / 5))" --json | json_field mean_us; }
c_mean() {
    "$work/bench_evaluate" "$work/policy.json" "$img/manifest.json" "$img/signature-1" "$((iterations / 5))" "$reference" \
        | awk '{print $2 / 1000}'
}
# Each figure is the best of 5 rounds' mean, as the Python script reports its own.
for round in 1 2 3; do
    r=$(best_of_5 rust_mean)
    c=$(best_of_5 c_mean)
    py_out=$("$venv/bin/python" benches/python/bench_evaluate.py "$work/policy.json" "$img/manifest.json" \
        "$img/signature-1" "$iterations" "$reference")
    p=$(sed -nE 's/^python: ([0-9.]+) us.*/\1/p' <<< "$py_out")
    printf 'round %s (load %s): Rust %.1f us, C ABI %.1f us, Python %.1f us per evaluation (%s)\n' \
        "$round" "$(cut -d' ' -f1 /proc/loadavg)" "$r" "$c" "$p" "$(tail -1 <<< "$py_out")"
    rust_us=$(awk -v a="$rust_us" -v b="$r" 'BEGIN {print (b < a) ? b : a}')
    c_us=$(awk -v a="$c_us" -v b="$c" 'BEGIN {print (b < a) ? b : a}')
    py_us=$(awk -v a="$py_us" -v b="$p" 'BEGIN {print (b < a) ? b : a}')
done
record rust.us "$rust_us"
record c-abi.us "$c_us"
record python.us "$py_us"

echo "== process per call ($runs runs each; load $(cut -d' ' -f1 /proc/loadavg))"
ours=("$bin" verify --public-key-file "$key" "$img/manifest.json" "$claimed" "$fpr" "$img/signature-1")
theirs=(skopeo standalone-verify "$img/manifest.json" "$claimed" "$fpr" "$img/signature-1")
"${ours[@]}" >/dev/null
"${theirs[@]}" >/dev/null
per_call_ms() { # COMMAND…: mean wall time per run, ms
    if command -v hyperfine >/dev/null; then
        hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/hf.json" "$(printf '%q ' "$@")" >/dev/null 2>&1
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"] * 1000)' "$work/hf.json"
    else
        local start end
        for _ in 1 2 3; do "$@" >/dev/null 2>&1; done
        start=$(date +%s%N)
        for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1; done
        end=$(date +%s%N)
        awk -v s="$start" -v e="$end" -v n="$runs" 'BEGIN {print (e - s) / n / 1e6}'
    fi
}
ours_ms=$(per_call_ms "${ours[@]}")
theirs_ms=$(per_call_ms "${theirs[@]}")
printf '%-40s %8.2f ms per process\n' "containers-policy verify" "$ours_ms" "skopeo standalone-verify" "$theirs_ms"
record verify.ms "$ours_ms"
record skopeo.ms "$theirs_ms"

if ! $quick; then
    echo "== crypto backends (criterion crypto/ benchmarks, --profile release; load $(cut -d' ' -f1 /proc/loadavg))"
    for backend in nettle openssl rust; do
        cargo bench -q --locked --profile release -p containers-policy-benches --no-default-features \
            --features "crypto-$backend" --bench evaluate -- '^crypto/' --warm-up-time 1 --measurement-time 3 \
            2>/dev/null | grep -E '^crypto/|time:' | tee -a "$work/crypto.txt"
    done
    echo "== criterion suite (load $(cut -d' ' -f1 /proc/loadavg))"
    cargo bench -q --locked -p containers-policy-benches --bench evaluate -- --warm-up-time 1 --measurement-time 3 \
        2>/dev/null | grep -E '^[a-z]+/|time:|skipped' | tee "$work/criterion.txt"
fi

echo "== ratios (load $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
python3 - "$results" "$ours_ms" "$theirs_ms" <<'PY'
import sys
r = {}
for line in open(sys.argv[1]):
    k, v = line.strip().split("=", 1)
    r[k] = float(v)
def show(label, value, target=None):
    print(f"{label:58} {value:8.2f}x" + (f"   (target {target})" if target else ""))
show("in-process, 1 thread: Rust / containers/image pure-Go OpenPGP", r["rust-1t.eps"] / r["go-openpgp-1t.eps"], ">= 3x")
show("in-process, 1 thread: Rust / containers/image GPGME", r["rust-1t.eps"] / r["go-gpgme-1t.eps"])
show("Rust, 2 threads / 1 thread", r["rust-2t.eps"] / r["rust-1t.eps"], ">= 1.8x")
show("containers/image pure-Go, 2 threads / 1 thread", r["go-openpgp-2t.eps"] / r["go-openpgp-1t.eps"])
show("RUST_BACKTRACE=1 / unset (evaluations/s)", r["rust-1t-backtrace.eps"] / r["rust-1t.eps"])
show("Rust, CPU per evaluation: 1 thread / 2 threads (scaling with 2 free cores)", r["rust-1t.cpu"] / r["rust-2t.cpu"] * 2)
show("C ABI (C program) / Rust, time per evaluation", r["c-abi.us"] / r["rust.us"], "<= 1.10x")
show("Python / Rust, time per evaluation", r["python.us"] / r["rust.us"], "<= 2x")
show("process per call: skopeo standalone-verify / containers-policy verify", r["skopeo.ms"] / r["verify.ms"], ">= 10x")
print(f"{'Rust, 1 thread: evaluations/s':58} {r['rust-1t.eps']:8.0f}    (target >= 25000; {1e6 / r['rust-1t.cpu']:.0f}/s by CPU time)")
PY
