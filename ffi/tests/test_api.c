/* Every function of the C API: NULL and invalid UTF-8 arguments give CONTAINERS_POLICY_INVALID_ARGUMENT errors
 * (never crashes), `_free(NULL)` is a no-op, out-parameters are left untouched on failure, and the successful
 * paths return what the Rust API returns (policy JSON round trip, manifest digests, decisions and accepted
 * signatures on containers/image's fixtures, lookaside URLs, sign → evaluate).
 * Env: CONTAINERS_POLICY_FFI_CASES (its "# fixtures:" line locates the upstream fixtures, and its digest
 * references give expected manifest digests), or CONTAINERS_POLICY_UPSTREAM_FIXTURES. */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

/* A pointer value no successful call returns: out-parameters are pre-set to it and must still hold it after a
 * failed call. */
static char sentinel_storage;
#define SENTINEL(T) ((T *)(void *)&sentinel_storage)

static const char BAD_UTF8[] = "docker://\xff\xfe/x:1";
static const char KEY_FPR[] = "08CD26E446E2E95249B7A405E932F44B23E8DD43";    /* public-key.gpg */
static const char KEY2_FPR[] = "F2B501009F78B0B340221A12A3CD242DA6028093";   /* public-key-2.gpg */
static const char IMAGE_DIGEST[] = "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55";
static const char EMPTY_DIGEST[] = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static char fixtures[4096];
static char tmpdir[4096];

static char *path_in(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = xmalloc(n);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static unsigned char *fixture(const char *name, size_t *len) {
  char *p = path_in(fixtures, name);
  unsigned char *data = read_file(p, len);
  free(p);
  return data;
}

/* A policy from JSON text with %s replaced by the fixtures directory (at most twice). */
static containers_policy_context *context_from(const char *json_fmt) {
  size_t n = strlen(json_fmt) + 2 * strlen(fixtures) + 1;
  char *json = xmalloc(n);
  snprintf(json, n, json_fmt, fixtures, fixtures);
  containers_policy_policy *policy = NULL;
  containers_policy_context *ctx = NULL;
  CHECK_OK(containers_policy_policy_from_bytes((const uint8_t *)json, strlen(json), &policy));
  if (policy == NULL) die("cannot build policy %s", json);
  CHECK_OK(containers_policy_context_new(policy, &ctx));
  containers_policy_policy_free(policy);
  free(json);
  if (ctx == NULL) die("cannot build context for %s", json_fmt);
  return ctx;
}

static const char SIGNED_BY_FMT[] =
    "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"%s/public-key.gpg\","
    "\"signedIdentity\":{\"type\":\"matchExact\"}}]}";

static int is_digest(const char *s) {
  if (s == NULL || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64) return 0;
  for (const char *p = s + 7; *p; p++)
    if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p)) return 0;
  return 1;
}

/* ---- version, errors, buffers, frees ---- */

static void test_version_and_frees(void) {
  const char *v = containers_policy_version();
  CHECK(v != NULL && isdigit((unsigned char)v[0]) && strchr(v, '.') != NULL);
  CHECK(containers_policy_version() == v || strcmp(containers_policy_version(), v) == 0);
  CHECK(containers_policy_abi_version() == CONTAINERS_POLICY_ABI_VERSION);

  CHECK(containers_policy_error_code(NULL) == CONTAINERS_POLICY_OK);
  CHECK_STR(containers_policy_error_message(NULL), "");
  CHECK(containers_policy_buffer_data(NULL) == NULL);
  CHECK(containers_policy_buffer_len(NULL) == 0);

  containers_policy_error_free(NULL);
  containers_policy_string_free(NULL);
  containers_policy_buffer_free(NULL);
  containers_policy_policy_free(NULL);
  containers_policy_context_free(NULL);
  containers_policy_decision_free(NULL);
  containers_policy_accepted_free(NULL);
  containers_policy_registries_d_free(NULL);
  containers_policy_remote_free(NULL);
}

/* ---- policy.json ---- */

static void test_policy(void) {
  containers_policy_policy *p = SENTINEL(containers_policy_policy);
  CHECK_ERR(containers_policy_policy_from_file(NULL, &p), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK(p == SENTINEL(containers_policy_policy));
  CHECK_ERR(containers_policy_policy_from_file("\xff\xfe.json", &p), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK(p == SENTINEL(containers_policy_policy));
  char *policy_path = path_in(fixtures, "policy.json");
  CHECK_ERR(containers_policy_policy_from_file(policy_path, NULL), CONTAINERS_POLICY_INVALID_ARGUMENT);

  /* A missing file: an error naming the file, output untouched. */
  char *missing = path_in(tmpdir, "no-such-policy.json");
  containers_policy_error *err = containers_policy_policy_from_file(missing, &p);
  CHECK(err != NULL && containers_policy_error_code(err) != CONTAINERS_POLICY_OK &&
        strstr(containers_policy_error_message(err), missing) != NULL);
  containers_policy_error_free(err);
  CHECK(p == SENTINEL(containers_policy_policy));
  free(missing);

  /* Bytes: NULL with length 0 is an empty input (invalid JSON), NULL with a length is an invalid argument. */
  CHECK_ERR(containers_policy_policy_from_bytes(NULL, 0, &p), CONTAINERS_POLICY_INVALID_POLICY);
  CHECK_ERR(containers_policy_policy_from_bytes(NULL, 3, &p), CONTAINERS_POLICY_INVALID_ARGUMENT);
  const char bad[] = "{\"default\":[{\"type\":\"noSuchType\"}]}";
  CHECK_ERR(containers_policy_policy_from_bytes((const uint8_t *)bad, strlen(bad), &p),
            CONTAINERS_POLICY_INVALID_POLICY);
  const char ok[] = "{\"default\":[{\"type\":\"reject\"}]}";
  CHECK_ERR(containers_policy_policy_from_bytes((const uint8_t *)ok, strlen(ok), NULL),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK(p == SENTINEL(containers_policy_policy));

  /* to_json round trip on upstream's parser fixture: from_file → to_json → from_bytes → to_json. */
  p = NULL;
  CHECK_OK(containers_policy_policy_from_file(policy_path, &p));
  CHECK(p != NULL);
  char *json1 = (char *)SENTINEL(char), *json2 = NULL;
  CHECK_ERR(containers_policy_policy_to_json(NULL, &json1), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK(json1 == SENTINEL(char));
  CHECK_ERR(containers_policy_policy_to_json(p, NULL), CONTAINERS_POLICY_INVALID_ARGUMENT);
  json1 = NULL;
  CHECK_OK(containers_policy_policy_to_json(p, &json1));
  CHECK(json1 != NULL && strstr(json1, "example.com/hardened") != NULL);
  containers_policy_policy *p2 = NULL;
  if (json1 != NULL) CHECK_OK(containers_policy_policy_from_bytes((const uint8_t *)json1, strlen(json1), &p2));
  if (p2 != NULL) CHECK_OK(containers_policy_policy_to_json(p2, &json2));
  CHECK(json1 != NULL && json2 != NULL && strcmp(json1, json2) == 0);
  containers_policy_string_free(json1);
  containers_policy_string_free(json2);
  containers_policy_policy_free(p2);

  /* Contexts: NULL arguments; a context outlives its policy handle. */
  containers_policy_context *ctx = SENTINEL(containers_policy_context);
  CHECK_ERR(containers_policy_context_new(NULL, &ctx), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK(ctx == SENTINEL(containers_policy_context));
  CHECK_ERR(containers_policy_context_new(p, NULL), CONTAINERS_POLICY_INVALID_ARGUMENT);
  ctx = NULL;
  CHECK_OK(containers_policy_context_new(p, &ctx));
  containers_policy_policy_free(p);
  containers_policy_decision *d = NULL;
  /* policy.json: "dir" transport default is insecureAcceptAnything; the global default rejects. */
  CHECK_OK(containers_policy_evaluate(ctx, "dir:/tmp", NULL, 0, NULL, 0, &d));
  CHECK(d != NULL && containers_policy_decision_allowed(d));
  containers_policy_decision_free(d);
  d = NULL;
  CHECK_OK(containers_policy_evaluate(ctx, "docker://quay.io/x/y:1", NULL, 0, NULL, 0, &d));
  CHECK(d != NULL && !containers_policy_decision_allowed(d));
  CHECK_STR(containers_policy_decision_scope(d), "default");
  containers_policy_decision_free(d);
  containers_policy_context_free(ctx);
  free(policy_path);
}

/* ---- evaluation ---- */

static void test_evaluate(void) {
  size_t mlen, slen;
  unsigned char *manifest = fixture("image.manifest.json", &mlen);
  unsigned char *sig = fixture("dir-img-valid/signature-1", &slen);
  containers_policy_slice sigs[1] = {{sig, slen}};
  const char *ref = "docker://testing/manifest:latest";
  containers_policy_context *ctx = context_from(SIGNED_BY_FMT);

  /* Argument errors, outputs untouched. */
  containers_policy_decision *d = SENTINEL(containers_policy_decision);
  CHECK_ERR(containers_policy_evaluate(NULL, ref, manifest, mlen, sigs, 1, &d), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_evaluate(ctx, NULL, manifest, mlen, sigs, 1, &d), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_evaluate(ctx, ref, manifest, mlen, sigs, 1, NULL), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_evaluate(ctx, ref, NULL, 5, sigs, 1, &d), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_evaluate(ctx, ref, manifest, mlen, NULL, 1, &d), CONTAINERS_POLICY_INVALID_ARGUMENT);
  containers_policy_slice null_sig[1] = {{NULL, 4}};
  CHECK_ERR(containers_policy_evaluate(ctx, ref, manifest, mlen, null_sig, 1, &d),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_evaluate(ctx, BAD_UTF8, manifest, mlen, sigs, 1, &d),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_evaluate(ctx, "docker://UPPERCASE/x:1", manifest, mlen, sigs, 1, &d),
            CONTAINERS_POLICY_INVALID_REFERENCE);
  /* No transport: containers/image's plain error (alltransports.ParseImageName), classified OTHER as the Rust
   * API classifies it. */
  containers_policy_error *perr = containers_policy_evaluate(ctx, "no-transport-here", manifest, mlen, sigs, 1, &d);
  CHECK(containers_policy_error_code(perr) == CONTAINERS_POLICY_OTHER);
  CHECK_STR(containers_policy_error_message(perr),
            "Invalid image name \"no-transport-here\", expected colon-separated transport:reference");
  containers_policy_error_free(perr);
  CHECK(d == SENTINEL(containers_policy_decision));

  /* Accepted: dir-img-valid signed by public-key.gpg for testing/manifest:latest. */
  d = NULL;
  CHECK_OK(containers_policy_evaluate(ctx, ref, manifest, mlen, sigs, 1, &d));
  CHECK(d != NULL && containers_policy_decision_allowed(d));
  CHECK(containers_policy_decision_reason(d) == NULL);
  CHECK_STR(containers_policy_decision_scope(d), "default");
  CHECK(containers_policy_decision_requirements_len(d) == 1);
  CHECK_STR(containers_policy_decision_requirement_type(d, 0), "signedBy");
  CHECK(containers_policy_decision_requirement_reason(d, 0) == NULL);
  CHECK(containers_policy_decision_requirement_type(d, 1) == NULL);
  CHECK(containers_policy_decision_requirement_type(d, (size_t)-1) == NULL);
  containers_policy_decision_free(d);
  CHECK_OK(containers_policy_is_running_image_allowed(ctx, ref, manifest, mlen, sigs, 1));

  /* Refused: no signatures (NULL, 0 is an empty list). */
  const char *no_sig = "A signature was required, but no signature exists";
  d = NULL;
  CHECK_OK(containers_policy_evaluate(ctx, ref, manifest, mlen, NULL, 0, &d));
  CHECK(d != NULL && !containers_policy_decision_allowed(d));
  const containers_policy_error *reason = containers_policy_decision_reason(d);
  CHECK(containers_policy_error_code(reason) == CONTAINERS_POLICY_POLICY_REQUIREMENT);
  CHECK_STR(containers_policy_error_message(reason), no_sig);
  CHECK(containers_policy_decision_requirements_len(d) == 1);
  CHECK_STR(containers_policy_error_message(containers_policy_decision_requirement_reason(d, 0)), no_sig);
  containers_policy_decision_free(d);
  containers_policy_error *err = containers_policy_is_running_image_allowed(ctx, ref, manifest, mlen, NULL, 0);
  CHECK(containers_policy_error_code(err) == CONTAINERS_POLICY_POLICY_REQUIREMENT);
  CHECK_STR(containers_policy_error_message(err), no_sig);
  containers_policy_error_free(err);

  /* is_running_image_allowed argument errors. */
  CHECK_ERR(containers_policy_is_running_image_allowed(NULL, ref, manifest, mlen, sigs, 1),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_is_running_image_allowed(ctx, NULL, manifest, mlen, sigs, 1),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_is_running_image_allowed(ctx, BAD_UTF8, manifest, mlen, sigs, 1),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_is_running_image_allowed(ctx, ref, NULL, 1, sigs, 1),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_is_running_image_allowed(ctx, ref, manifest, mlen, NULL, 2),
            CONTAINERS_POLICY_INVALID_ARGUMENT);

  /* Decision getters on NULL. */
  CHECK(!containers_policy_decision_allowed(NULL));
  CHECK(containers_policy_decision_reason(NULL) == NULL);
  CHECK(containers_policy_decision_requirements_len(NULL) == 0);
  CHECK(containers_policy_decision_requirement_type(NULL, 0) == NULL);
  CHECK(containers_policy_decision_requirement_reason(NULL, 0) == NULL);
  CHECK_STR(containers_policy_decision_scope(NULL), "");

  /* A scoped policy reports its scope. */
  containers_policy_context *scoped = context_from(
      "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"docker.io/testing\":"
      "[{\"type\":\"insecureAcceptAnything\"}]}}}");
  d = NULL;
  CHECK_OK(containers_policy_evaluate(scoped, ref, manifest, mlen, NULL, 0, &d));
  CHECK(containers_policy_decision_allowed(d));
  CHECK_STR(containers_policy_decision_scope(d), "docker:docker.io/testing");
  CHECK_STR(containers_policy_decision_requirement_type(d, 0), "insecureAcceptAnything");
  containers_policy_decision_free(d);
  containers_policy_context_free(scoped);

  /* Accepted signatures. */
  containers_policy_accepted *a = SENTINEL(containers_policy_accepted);
  CHECK_ERR(containers_policy_signatures_with_accepted_author(NULL, ref, manifest, mlen, sigs, 1, &a),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_signatures_with_accepted_author(ctx, NULL, manifest, mlen, sigs, 1, &a),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_signatures_with_accepted_author(ctx, BAD_UTF8, manifest, mlen, sigs, 1, &a),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_signatures_with_accepted_author(ctx, ref, NULL, 9, sigs, 1, &a),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_signatures_with_accepted_author(ctx, ref, manifest, mlen, null_sig, 1, &a),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_signatures_with_accepted_author(ctx, ref, manifest, mlen, sigs, 1, NULL),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK(a == SENTINEL(containers_policy_accepted));
  CHECK(containers_policy_accepted_len(NULL) == 0);
  CHECK(containers_policy_accepted_docker_reference(NULL, 0) == NULL);
  CHECK(containers_policy_accepted_manifest_digest(NULL, 0) == NULL);
  CHECK(containers_policy_accepted_signer(NULL, 0) == NULL);

  /* Inputs are copied: the caller's buffers are scribbled over and freed before the result is read. */
  unsigned char *mcopy = xmalloc(mlen), *scopy = xmalloc(slen);
  memcpy(mcopy, manifest, mlen);
  memcpy(scopy, sig, slen);
  containers_policy_slice copies[2] = {{scopy, slen}, {scopy, slen}};
  a = NULL;
  CHECK_OK(containers_policy_signatures_with_accepted_author(ctx, ref, mcopy, mlen, copies, 2, &a));
  memset(mcopy, 'x', mlen);
  memset(scopy, 'x', slen);
  free(mcopy);
  free(scopy);
  CHECK(containers_policy_accepted_len(a) == 2);
  for (size_t i = 0; i < 2; i++) {
    CHECK_STR(containers_policy_accepted_docker_reference(a, i), "testing/manifest:latest");
    CHECK_STR(containers_policy_accepted_manifest_digest(a, i), IMAGE_DIGEST);
    CHECK_STR(containers_policy_accepted_signer(a, i), KEY_FPR);
  }
  CHECK(containers_policy_accepted_docker_reference(a, 2) == NULL);
  CHECK(containers_policy_accepted_manifest_digest(a, 2) == NULL);
  CHECK(containers_policy_accepted_signer(a, 2) == NULL);
  containers_policy_accepted_free(a);
  /* A context accepting no author: an empty list, not an error. */
  containers_policy_context *wrong = context_from(
      "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"%s/public-key-2.gpg\"}]}");
  a = NULL;
  CHECK_OK(containers_policy_signatures_with_accepted_author(wrong, ref, manifest, mlen, sigs, 1, &a));
  CHECK(a != NULL && containers_policy_accepted_len(a) == 0);
  containers_policy_accepted_free(a);
  containers_policy_context_free(wrong);

  containers_policy_context_free(ctx);
  free(manifest);
  free(sig);
}

/* ---- manifests ---- */

static void test_manifest_digest(const case_file *cf) {
  char *out = SENTINEL(char);
  CHECK_ERR(containers_policy_manifest_digest(NULL, 3, &out), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_manifest_digest((const uint8_t *)"{}", 2, NULL), CONTAINERS_POLICY_INVALID_ARGUMENT);
  size_t len;
  unsigned char *bad = fixture("v2s1-invalid-signatures.manifest.json", &len);
  CHECK_ERR(containers_policy_manifest_digest(bad, len, &out), CONTAINERS_POLICY_MANIFEST);
  free(bad);
  CHECK(out == SENTINEL(char));

  out = NULL;
  CHECK_OK(containers_policy_manifest_digest(NULL, 0, &out));
  CHECK_STR(out, EMPTY_DIGEST);
  containers_policy_string_free(out);

  unsigned char *m = fixture("image.manifest.json", &len);
  char *d1 = NULL, *d2 = NULL;
  CHECK_OK(containers_policy_manifest_digest(m, len, &d1));
  CHECK_OK(containers_policy_manifest_digest(m, len, &d2));
  CHECK_STR(d1, IMAGE_DIGEST);
  CHECK(is_digest(d1) && d1 != d2 && d2 != NULL && strcmp(d1, d2) == 0);
  containers_policy_string_free(d1);
  containers_policy_string_free(d2);
  free(m);

  /* Every "docker://…@sha256:…" case names the digest the Rust API computed for its manifest. */
  size_t checked = 0;
  for (size_t i = 0; i < cf->total; i++) {
    const test_case *c = &cf->cases[i];
    const char *at = strchr(c->reference, '@');
    if (strncmp(c->reference, "docker://", 9) != 0 || at == NULL) continue;
    unsigned char *data = read_file(c->manifest_path, &len);
    char *d = NULL;
    CHECK_OK(containers_policy_manifest_digest(data, len, &d));
    if (d == NULL || strcmp(d, at + 1) != 0) {
      fprintf(stderr, "manifest_digest(%s) = %s, the Rust API says %s\n", c->manifest_path, d ? d : "NULL", at + 1);
      failures++;
    }
    containers_policy_string_free(d);
    free(data);
    checked++;
  }
  CHECK(checked > 0);
  printf("manifest_digest: %zu digests from the cases file agree\n", checked);
}

/* ---- signing ---- */

static void test_sign(void) {
  size_t mlen, klen;
  unsigned char *manifest = fixture("image.manifest.json", &mlen);
  unsigned char *secring = fixture("secring.gpg", &klen);
  const char *dref = "testing/manifest:latest";
  containers_policy_buffer *b = SENTINEL(containers_policy_buffer);

  CHECK_ERR(containers_policy_sign(NULL, 4, dref, secring, klen, KEY_FPR, NULL, &b), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_sign(manifest, mlen, NULL, secring, klen, KEY_FPR, NULL, &b),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_sign(manifest, mlen, BAD_UTF8, secring, klen, KEY_FPR, NULL, &b),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_sign(manifest, mlen, dref, NULL, 7, KEY_FPR, NULL, &b), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_sign(manifest, mlen, dref, secring, klen, "\xff", NULL, &b),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_sign(manifest, mlen, dref, secring, klen, KEY2_FPR, "\xff", &b),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_sign(manifest, mlen, dref, secring, klen, KEY_FPR, NULL, NULL),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  /* Failures that are not argument errors: still errors, output untouched. */
  containers_policy_error *err;
  err = containers_policy_sign(manifest, mlen, dref, secring, klen, NULL, NULL, &b); /* two keys: ambiguous */
  CHECK(err != NULL && containers_policy_error_code(err) != CONTAINERS_POLICY_INVALID_ARGUMENT);
  containers_policy_error_free(err);
  err = containers_policy_sign(manifest, mlen, dref, secring, klen, KEY2_FPR, "wrong passphrase", &b);
  CHECK(err != NULL);
  containers_policy_error_free(err);
  err = containers_policy_sign(manifest, mlen, dref, NULL, 0, NULL, NULL, &b); /* no key at all */
  CHECK(err != NULL);
  containers_policy_error_free(err);
  CHECK(b == SENTINEL(containers_policy_buffer));

  /* sign → evaluate, with each secret key of secring.gpg (F2B5… is passphrase-protected). */
  struct {
    const char *fpr, *passphrase, *public_key;
  } keys[2] = {{KEY_FPR, NULL, "public-key.gpg"}, {KEY2_FPR, "WithPassphrase123", "public-key-2.gpg"}};
  for (size_t k = 0; k < 2; k++) {
    b = NULL;
    CHECK_OK(containers_policy_sign(manifest, mlen, dref, secring, klen, keys[k].fpr, keys[k].passphrase, &b));
    if (b == NULL) continue;
    CHECK(containers_policy_buffer_len(b) > 0 && containers_policy_buffer_data(b) != NULL);
    containers_policy_slice sig = {containers_policy_buffer_data(b), containers_policy_buffer_len(b)};
    char fmt[512];
    snprintf(fmt, sizeof fmt,
             "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"%%s/%s\","
             "\"signedIdentity\":{\"type\":\"matchExact\"}}]}",
             keys[k].public_key);
    containers_policy_context *ctx = context_from(fmt);
    CHECK_OK(containers_policy_is_running_image_allowed(ctx, "docker://testing/manifest:latest", manifest, mlen, &sig, 1));
    err = containers_policy_is_running_image_allowed(ctx, "docker://testing/manifest:other", manifest, mlen, &sig, 1);
    CHECK(containers_policy_error_code(err) == CONTAINERS_POLICY_POLICY_REQUIREMENT);
    containers_policy_error_free(err);
    containers_policy_accepted *a = NULL;
    CHECK_OK(containers_policy_signatures_with_accepted_author(ctx, "docker://testing/manifest:latest", manifest, mlen,
                                                               &sig, 1, &a));
    CHECK(containers_policy_accepted_len(a) == 1);
    CHECK_STR(containers_policy_accepted_signer(a, 0), keys[k].fpr);
    CHECK_STR(containers_policy_accepted_docker_reference(a, 0), dref);
    CHECK_STR(containers_policy_accepted_manifest_digest(a, 0), IMAGE_DIGEST);
    containers_policy_accepted_free(a);
    containers_policy_context_free(ctx);
    containers_policy_buffer_free(b);
  }
  free(manifest);
  free(secring);
}

/* ---- registries.d, lookaside, remote ---- */

static void test_registries_d(void) {
  char *yaml = path_in(tmpdir, "test.yaml");
  write_file(yaml,
             "default-docker:\n"
             "  lookaside: file:///var/lib/sigs\n"
             "docker:\n"
             "  example.com/ns:\n"
             "    lookaside: https://sigs.example.com/ns-sigs\n"
             "    lookaside-staging: file:///srv/staging\n");
  containers_policy_registries_d *r = SENTINEL(containers_policy_registries_d);
  CHECK_ERR(containers_policy_registries_d_load(BAD_UTF8, &r), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_registries_d_load(tmpdir, NULL), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK(r == SENTINEL(containers_policy_registries_d));
  r = NULL;
  CHECK_OK(containers_policy_registries_d_load(tmpdir, &r));
  if (r == NULL) die("registries.d load failed for %s", tmpdir);

  const char *hex = IMAGE_DIGEST + 7;
  char expected[512];
  char *url = SENTINEL(char);
  CHECK_ERR(containers_policy_lookaside_url(NULL, "example.com/ns/app:1.0", IMAGE_DIGEST, 1, false, &url),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_lookaside_url(r, NULL, IMAGE_DIGEST, 1, false, &url), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_lookaside_url(r, BAD_UTF8, IMAGE_DIGEST, 1, false, &url),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_lookaside_url(r, "example.com/ns/app:1.0", NULL, 1, false, &url),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_lookaside_url(r, "example.com/ns/app:1.0", "\xff", 1, false, &url),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_lookaside_url(r, "example.com/ns/app:1.0", IMAGE_DIGEST, 1, false, NULL),
            CONTAINERS_POLICY_INVALID_ARGUMENT);
  containers_policy_error *err =
      containers_policy_lookaside_url(r, "example.com/ns/app:1.0", IMAGE_DIGEST, 0, false, &url); /* 1-based */
  CHECK(err != NULL);
  containers_policy_error_free(err);
  err = containers_policy_lookaside_url(r, "example.com/ns/app:1.0", "sha256:nothex", 1, false, &url);
  CHECK(err != NULL);
  containers_policy_error_free(err);
  err = containers_policy_lookaside_url(r, "UPPER/case", IMAGE_DIGEST, 1, false, &url);
  CHECK(err != NULL);
  containers_policy_error_free(err);
  CHECK(url == SENTINEL(char));

  url = NULL;
  CHECK_OK(containers_policy_lookaside_url(r, "example.com/ns/app:1.0", IMAGE_DIGEST, 1, false, &url));
  snprintf(expected, sizeof expected, "https://sigs.example.com/ns-sigs/ns/app@sha256=%s/signature-1", hex);
  CHECK_STR(url, expected);
  containers_policy_string_free(url);
  url = NULL;
  CHECK_OK(containers_policy_lookaside_url(r, "example.com/ns/app:1.0", IMAGE_DIGEST, 3, true, &url));
  snprintf(expected, sizeof expected, "file:///srv/staging/ns/app@sha256=%s/signature-3", hex);
  CHECK_STR(url, expected);
  containers_policy_string_free(url);
  url = NULL;
  CHECK_OK(containers_policy_lookaside_url(r, "quay.io/other/img@" "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55",
                                           IMAGE_DIGEST, 2, false, &url));
  snprintf(expected, sizeof expected, "file:///var/lib/sigs/other/img@sha256=%s/signature-2", hex);
  CHECK_STR(url, expected);
  containers_policy_string_free(url);

  /* Invalid YAML: a configuration error naming the file. */
  char *bad_dir = path_in(tmpdir, "bad.d");
  if (mkdir(bad_dir, 0700) != 0) die("cannot create %s", bad_dir);
  char *bad_yaml = path_in(bad_dir, "bad.yaml");
  write_file(bad_yaml, "docker: [this is: not: valid\n");
  containers_policy_registries_d *r2 = SENTINEL(containers_policy_registries_d);
  err = containers_policy_registries_d_load(bad_dir, &r2);
  CHECK(containers_policy_error_code(err) == CONTAINERS_POLICY_CONFIG &&
        strstr(containers_policy_error_message(err), "bad.yaml") != NULL);
  containers_policy_error_free(err);
  CHECK(r2 == SENTINEL(containers_policy_registries_d));
  unlink(bad_yaml);
  rmdir(bad_dir);
  free(bad_yaml);
  free(bad_dir);

  /* The default directory: loading it must not crash; whether it exists depends on the machine. */
  r2 = NULL;
  err = containers_policy_registries_d_load(NULL, &r2);
  CHECK((err == NULL) != (r2 == NULL));
  containers_policy_error_free(err);
  containers_policy_registries_d_free(r2);

  /* Remote: argument errors; r is copied (freed before use); an unreachable registry on 127.0.0.1 is an error. */
  containers_policy_remote *remote = SENTINEL(containers_policy_remote);
  CHECK_ERR(containers_policy_remote_new(NULL, true, NULL, &remote), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_remote_new(r, true, BAD_UTF8, &remote), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK_ERR(containers_policy_remote_new(r, true, NULL, NULL), CONTAINERS_POLICY_INVALID_ARGUMENT);
  CHECK(remote == SENTINEL(containers_policy_remote));
  remote = NULL;
  CHECK_OK(containers_policy_remote_new(r, false, NULL, &remote));
  containers_policy_registries_d_free(r);
  if (remote != NULL) {
    containers_policy_context *ctx =
        context_from("{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
    containers_policy_decision *d = SENTINEL(containers_policy_decision);
    const char *unreachable = "docker://127.0.0.1:1/ns/app:1.0";
    CHECK_ERR(containers_policy_evaluate_remote(NULL, remote, unreachable, &d), CONTAINERS_POLICY_INVALID_ARGUMENT);
    CHECK_ERR(containers_policy_evaluate_remote(ctx, NULL, unreachable, &d), CONTAINERS_POLICY_INVALID_ARGUMENT);
    CHECK_ERR(containers_policy_evaluate_remote(ctx, remote, NULL, &d), CONTAINERS_POLICY_INVALID_ARGUMENT);
    CHECK_ERR(containers_policy_evaluate_remote(ctx, remote, BAD_UTF8, &d), CONTAINERS_POLICY_INVALID_ARGUMENT);
    CHECK_ERR(containers_policy_evaluate_remote(ctx, remote, unreachable, NULL), CONTAINERS_POLICY_INVALID_ARGUMENT);
    CHECK_ERR(containers_policy_evaluate_remote(ctx, remote, unreachable, &d), CONTAINERS_POLICY_REGISTRY);
    CHECK(d == SENTINEL(containers_policy_decision));
    containers_policy_context_free(ctx);
  }
  containers_policy_remote_free(remote);
  unlink(yaml);
  free(yaml);
}

static char *find_fixtures(const case_file *cf) {
  const char *up = getenv("CONTAINERS_POLICY_UPSTREAM_FIXTURES");
  if (up != NULL && up[0] != '\0') return path_in(up, "signature/fixtures");
  if (cf->fixtures_dir != NULL) return xstrdup(cf->fixtures_dir);
  die("no fixtures: set CONTAINERS_POLICY_UPSTREAM_FIXTURES%s", "");
  return NULL;
}

int main(void) {
  case_file cf;
  if (!load_cases(&cf)) return 0;
  char *fx = find_fixtures(&cf);
  if (strlen(fx) >= sizeof fixtures) die("path too long: %s", fx);
  strcpy(fixtures, fx);
  free(fx);
  const char *tmp = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/cp-test-api-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  if (mkdtemp(tmpdir) == NULL) die("mkdtemp failed in %s", tmpdir);

  test_version_and_frees();
  test_policy();
  test_evaluate();
  test_manifest_digest(&cf);
  test_sign();
  test_registries_d();

  rmdir(tmpdir);
  free_cases(&cf);
  if (failures != 0) {
    printf("test_api: FAILED (%d failures)\n", failures);
    return 1;
  }
  printf("test_api: OK\n");
  return 0;
}
