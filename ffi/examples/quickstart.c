/* quickstart: may this image run?
 *
 *   quickstart POLICY.json IMAGE-REFERENCE DIR
 *
 * DIR is an image in the layout `skopeo copy … dir:DIR` writes: DIR/manifest.json and DIR/signature-1,
 * DIR/signature-2, … IMAGE-REFERENCE is the name the image is evaluated as, e.g. docker://quay.io/ns/app:1.0.
 * Exit status: 0 allowed, 1 refused, 2 error. */
#include <stdio.h>
#include <stdlib.h>

#include <containers_policy.h>

#define MAX_SIGNATURES 64

/* Reads a whole file into a malloc'd buffer; NULL if it cannot be opened. */
static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t cap = 1 << 16, n = 0, got;
  uint8_t *buf = malloc(cap);
  while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      uint8_t *bigger = realloc(buf, cap *= 2);
      if (bigger == NULL) free(buf);
      buf = bigger;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

/* Prints and frees an error; returns exit status 2. */
static int fail(const char *what, containers_policy_error *err) {
  fprintf(stderr, "%s: %s (code %d)\n", what, containers_policy_error_message(err),
          (int)containers_policy_error_code(err));
  containers_policy_error_free(err);
  return 2;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s POLICY.json IMAGE-REFERENCE DIR\n", argv[0]);
    return 2;
  }
  printf("libcontainers_policy %s\n", containers_policy_version());

  /* 1. Load the policy and compile it into a context (share one context between threads). */
  containers_policy_policy *policy = NULL;
  containers_policy_error *err = containers_policy_policy_from_file(argv[1], &policy);
  if (err != NULL) return fail("loading the policy", err);
  containers_policy_context *ctx = NULL;
  err = containers_policy_context_new(policy, &ctx);
  containers_policy_policy_free(policy); /* the context keeps what it needs */
  if (err != NULL) return fail("compiling the policy", err);

  /* 2. Read the image: its manifest and signatures signature-1, signature-2, … up to the first missing. */
  char path[4096];
  size_t manifest_len = 0;
  snprintf(path, sizeof path, "%s/manifest.json", argv[3]);
  uint8_t *manifest = read_file(path, &manifest_len);
  if (manifest == NULL) {
    fprintf(stderr, "cannot read %s\n", path);
    containers_policy_context_free(ctx);
    return 2;
  }
  containers_policy_slice signatures[MAX_SIGNATURES];
  size_t n = 0;
  for (; n < MAX_SIGNATURES; n++) {
    snprintf(path, sizeof path, "%s/signature-%zu", argv[3], n + 1);
    uint8_t *data = read_file(path, &signatures[n].len);
    if (data == NULL) break;
    signatures[n].data = data;
  }

  /* 3. Evaluate. An error means unusable inputs; a refusal is a decision. */
  containers_policy_decision *decision = NULL;
  err = containers_policy_evaluate(ctx, argv[2], manifest, manifest_len, signatures, n, &decision);
  int status;
  if (err != NULL) {
    status = fail("evaluating", err);
  } else if (containers_policy_decision_allowed(decision)) {
    printf("allowed: %s (scope %s, %zu signature(s))\n", argv[2], containers_policy_decision_scope(decision), n);
    status = 0;
  } else {
    const containers_policy_error *reason = containers_policy_decision_reason(decision);
    printf("refused: %s (code %d)\n", containers_policy_error_message(reason),
           (int)containers_policy_error_code(reason));
    status = 1;
  }

  /* 4. Free everything we own; the library retained none of our buffers. */
  containers_policy_decision_free(decision);
  containers_policy_context_free(ctx);
  for (size_t i = 0; i < n; i++) free((void *)signatures[i].data);
  free(manifest);
  return status;
}
