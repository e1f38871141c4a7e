/* One evaluation through the C ABI, timed: the case benches/benches/evaluate.rs and the Go
 * BenchmarkEvaluate measure (upstream dir-img-valid, one signature, signedBy for docker.io/testing/manifest).
 * Usage: bench_evaluate POLICY.json MANIFEST SIGNATURE ITERATIONS [REFERENCE]
 * (REFERENCE defaults to docker://docker.io/testing/manifest:latest; benches/compare.sh passes the image
 * of conformance/fixtures it measures). */
#define _POSIX_C_SOURCE 200809L
#include <containers_policy.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  size_t cap = 4096, n = 0;
  unsigned char *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) { cap *= 2; buf = realloc(buf, cap); }
  }
  fclose(f);
  if (!buf) { fputs("out of memory\n", stderr); exit(2); }
  *len = n;
  return buf;
}

static void check(containers_policy_error *e, const char *what) {
  if (e) {
    fprintf(stderr, "%s: %s\n", what, containers_policy_error_message(e));
    containers_policy_error_free(e);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s POLICY MANIFEST SIGNATURE ITERATIONS [REFERENCE]\n", argv[0]);
    return 2;
  }
  long iterations = atol(argv[4]);
  containers_policy_policy *policy = NULL;
  containers_policy_context *ctx = NULL;
  check(containers_policy_policy_from_file(argv[1], &policy), "policy");
  check(containers_policy_context_new(policy, &ctx), "context");
  size_t manifest_len, sig_len;
  unsigned char *manifest = slurp(argv[2], &manifest_len);
  unsigned char *sig = slurp(argv[3], &sig_len);
  containers_policy_slice sigs[1] = {{sig, sig_len}};
  const char *ref = argc == 6 ? argv[5] : "docker://docker.io/testing/manifest:latest";

  struct timespec start, end;
  for (int pass = 0; pass < 2; pass++) { /* pass 0 warms up */
    long n = pass == 0 ? iterations / 10 + 1 : iterations;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < n; i++) {
      containers_policy_decision *d = NULL;
      check(containers_policy_evaluate(ctx, ref, manifest, manifest_len, sigs, 1, &d), "evaluate");
      if (!containers_policy_decision_allowed(d)) {
        fprintf(stderr, "not allowed: %s\n", containers_policy_error_message(containers_policy_decision_reason(d)));
        return 1;
      }
      containers_policy_decision_free(d);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (pass == 1) {
      double ns = (double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec);
      printf("evaluate/c: %.0f ns/op (%ld iterations)\n", ns / (double)n, n);
    }
  }
  free(manifest);
  free(sig);
  containers_policy_context_free(ctx);
  containers_policy_policy_free(policy);
  return 0;
}
