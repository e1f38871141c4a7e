"""One evaluation through the Python binding, on the case benches/ffi-compare measures for every front end
(the upstream dir-img-valid image, one RSA signature, signedBy). A benchmark, not a test.

    python bench_evaluate.py POLICY MANIFEST SIGNATURE [ITERATIONS [REFERENCE]]

(REFERENCE defaults to the upstream image's docker://docker.io/testing/manifest:latest.)

Prints `python: <µs> us/evaluation (<n> evaluations, best of 5 rounds)` and, with two threads sharing one
context (the GIL is released during verification), the throughput ratio against one thread.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

import containers_policy as cp

REFERENCE = "docker://docker.io/testing/manifest:latest"


def main() -> None:
    policy_path, manifest_path, signature_path = sys.argv[1:4]
    iterations = int(sys.argv[4]) if len(sys.argv) > 4 else 20000
    reference = sys.argv[5] if len(sys.argv) > 5 else REFERENCE
    ctx = cp.PolicyContext(cp.Policy.from_file(policy_path))
    with open(manifest_path, "rb") as f:
        manifest = f.read()
    with open(signature_path, "rb") as f:
        signatures = [f.read()]
    decision = ctx.evaluate(reference, manifest, signatures)
    if not decision.allowed:
        sys.exit(f"bench_evaluate.py: the benchmark image is refused: {decision.reason}")

    def run(n: int) -> None:
        evaluate = ctx.evaluate
        for _ in range(n):
            evaluate(reference, manifest, signatures)

    run(min(iterations, 1000))  # warm-up
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        run(iterations)
        best = min(best, time.perf_counter() - start)
    per_eval_us = best / iterations * 1e6
    print(f"python: {per_eval_us:.1f} us/evaluation ({iterations} evaluations, best of 5 rounds)")

    with ThreadPoolExecutor(max_workers=2) as pool:
        start = time.perf_counter()
        list(pool.map(run, [iterations, iterations]))
        two = time.perf_counter() - start
    print(f"python, 2 threads: {2 * iterations / two:.0f} evaluations/s ({best / two * 2:.2f}x one thread)")


if __name__ == "__main__":
    main()
