/* Replays the cases file ($CONTAINERS_POLICY_FFI_CASES, verdicts computed by the Rust API) through the C API:
 *  1. per case, from scratch: containers_policy_policy_from_file, _context_new, read manifest and signatures,
 *     containers_policy_evaluate; allowed, code and message must equal the Rust verdict exactly, and
 *     containers_policy_is_running_image_allowed must agree;
 *  2. every case again from $CONTAINERS_POLICY_TEST_THREADS threads (default 4) at once, sharing one context
 *     per policy file between all threads.
 * Env: CONTAINERS_POLICY_FFI_CASES_LIMIT=N replays only the first N cases (for valgrind). */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>

#include "common.h"

/* Compares one decision (and the is_running_image_allowed answer) with the expected verdict; returns the
 * number of mismatches, printing each. Thread-safe: writes only to stderr. */
static int compare(const test_case *c, const containers_policy_decision *d, const containers_policy_error *running,
                   const char *pass) {
  int bad = 0;
  bool allowed = containers_policy_decision_allowed(d);
  const containers_policy_error *reason = containers_policy_decision_reason(d);
  int code = (int)containers_policy_error_code(reason);
  const char *message = reason ? containers_policy_error_message(reason) : "";
  if (allowed != (c->allowed != 0) || code != c->code || message == NULL || strcmp(message, c->message) != 0) {
    fprintf(stderr,
            "[%s] case %s: mismatch\n  got      allowed=%d code=%d message=\"%s\"\n"
            "  expected allowed=%d code=%d message=\"%s\"\n",
            pass, c->name, allowed, code, message ? message : "(NULL)", c->allowed, c->code, c->message);
    bad++;
  }
  if (allowed == (reason != NULL)) {
    fprintf(stderr, "[%s] case %s: decision_allowed=%d but decision_reason is %s\n", pass, c->name, allowed,
            reason ? "set" : "NULL");
    bad++;
  }
  int rcode = (int)containers_policy_error_code(running);
  const char *rmessage = running ? containers_policy_error_message(running) : "";
  if (rcode != c->code || rmessage == NULL || strcmp(rmessage, c->message) != 0) {
    fprintf(stderr,
            "[%s] case %s: is_running_image_allowed disagrees\n  got      code=%d message=\"%s\"\n"
            "  expected code=%d message=\"%s\"\n",
            pass, c->name, rcode, rmessage ? rmessage : "(NULL)", c->code, c->message);
    bad++;
  }
  const char *scope = containers_policy_decision_scope(d);
  if (scope == NULL || scope[0] == '\0') {
    fprintf(stderr, "[%s] case %s: decision has no scope\n", pass, c->name);
    bad++;
  }
  /* The requirements list: one entry per requirement evaluated; a refusal is the last one's reason. */
  size_t n = containers_policy_decision_requirements_len(d);
  if (containers_policy_decision_requirement_type(d, n) != NULL ||
      containers_policy_decision_requirement_reason(d, n) != NULL) {
    fprintf(stderr, "[%s] case %s: requirement index %zu (out of range) is not NULL\n", pass, c->name, n);
    bad++;
  }
  for (size_t i = 0; i < n; i++) {
    const char *type = containers_policy_decision_requirement_type(d, i);
    const containers_policy_error *r = containers_policy_decision_requirement_reason(d, i);
    if (type == NULL || type[0] == '\0' || (r != NULL && i + 1 != n) || (i + 1 == n && !allowed && r == NULL)) {
      fprintf(stderr, "[%s] case %s: requirement %zu inconsistent (type %s, reason %s)\n", pass, c->name, i,
              type ? type : "NULL", r ? containers_policy_error_message(r) : "NULL");
      bad++;
    }
  }
  return bad;
}

/* Evaluates one case with a given context; returns the number of mismatches. */
static int run_case(const containers_policy_context *ctx, const test_case *c, const char *pass) {
  containers_policy_decision *d = NULL;
  containers_policy_error *err = containers_policy_evaluate(ctx, c->reference, c->manifest, c->manifest_len,
                                                            c->signatures, c->signatures_len, &d);
  if (err != NULL) {
    fprintf(stderr, "[%s] case %s: containers_policy_evaluate failed: code %d: %s\n", pass, c->name,
            (int)containers_policy_error_code(err), containers_policy_error_message(err));
    containers_policy_error_free(err);
    return 1;
  }
  if (d == NULL) {
    fprintf(stderr, "[%s] case %s: containers_policy_evaluate returned no decision\n", pass, c->name);
    return 1;
  }
  containers_policy_error *running = containers_policy_is_running_image_allowed(
      ctx, c->reference, c->manifest, c->manifest_len, c->signatures, c->signatures_len);
  int bad = compare(c, d, running, pass);
  containers_policy_error_free(running);
  containers_policy_decision_free(d);
  return bad;
}

/* ---- pass 1: everything from scratch, case by case ---- */

static void sequential(case_file *cf) {
  size_t bad_cases = 0;
  for (size_t i = 0; i < cf->len; i++) {
    test_case *c = &cf->cases[i];
    load_case_data(c);
    containers_policy_policy *policy = NULL;
    containers_policy_context *ctx = NULL;
    containers_policy_error *err = containers_policy_policy_from_file(c->policy_path, &policy);
    if (err == NULL) err = containers_policy_context_new(policy, &ctx);
    if (err != NULL) {
      fprintf(stderr, "case %s: loading %s: code %d: %s\n", c->name, c->policy_path,
              (int)containers_policy_error_code(err), containers_policy_error_message(err));
      containers_policy_error_free(err);
      bad_cases++;
    } else {
      if (run_case(ctx, c, "sequential") != 0) bad_cases++;
    }
    containers_policy_context_free(ctx);
    containers_policy_policy_free(policy);
  }
  failures += (int)bad_cases;
  printf("sequential: %zu/%zu cases match the Rust verdicts\n", cf->len - bad_cases, cf->len);
}

/* ---- pass 2: all cases from several threads sharing contexts ---- */

typedef struct shared {
  case_file *cf;
  const containers_policy_context **ctx_of_case; /* borrowed from `contexts` */
  size_t threads;
} shared;

typedef struct worker {
  shared *s;
  size_t index;
  int bad;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  size_t n = w->s->cf->len;
  /* Each thread starts at a different offset so that threads evaluate different cases at the same moment. */
  size_t start = n * w->index / w->s->threads;
  for (size_t k = 0; k < n; k++) {
    size_t i = (start + k) % n;
    w->bad += run_case(w->s->ctx_of_case[i], &w->s->cf->cases[i], "threads") != 0;
  }
  return NULL;
}

static void concurrent(case_file *cf, size_t threads) {
  /* One context per distinct policy file, shared by every thread. */
  containers_policy_context **contexts = xmalloc(cf->len * sizeof *contexts);
  const char **paths = xmalloc(cf->len * sizeof *paths);
  size_t ncontexts = 0;
  shared s = {cf, xmalloc(cf->len * sizeof(containers_policy_context *)), threads};
  for (size_t i = 0; i < cf->len; i++) {
    size_t j = 0;
    while (j < ncontexts && strcmp(paths[j], cf->cases[i].policy_path) != 0) j++;
    if (j == ncontexts) {
      containers_policy_policy *policy = NULL;
      CHECK_OK(containers_policy_policy_from_file(cf->cases[i].policy_path, &policy));
      contexts[j] = NULL;
      CHECK_OK(containers_policy_context_new(policy, &contexts[j]));
      /* The context must not depend on the policy handle: free it at once. */
      containers_policy_policy_free(policy);
      if (contexts[j] == NULL) die("no context for %s", cf->cases[i].policy_path);
      paths[j] = cf->cases[i].policy_path;
      ncontexts++;
    }
    s.ctx_of_case[i] = contexts[j];
  }
  pthread_t *tids = xmalloc(threads * sizeof *tids);
  worker *workers = xmalloc(threads * sizeof *workers);
  for (size_t t = 0; t < threads; t++) {
    workers[t] = (worker){&s, t, 0};
    if (pthread_create(&tids[t], NULL, work, &workers[t]) != 0) die("pthread_create failed%s", "");
  }
  int bad = 0;
  for (size_t t = 0; t < threads; t++) {
    if (pthread_join(tids[t], NULL) != 0) die("pthread_join failed%s", "");
    bad += workers[t].bad;
  }
  failures += bad;
  printf("threads: %zu threads x %zu cases over %zu shared contexts: %d mismatches\n", threads, cf->len, ncontexts,
         bad);
  for (size_t j = 0; j < ncontexts; j++) containers_policy_context_free(contexts[j]);
  free(contexts);
  free(paths);
  free(s.ctx_of_case);
  free(tids);
  free(workers);
}

int main(void) {
  case_file cf;
  if (!load_cases(&cf)) return 0;
  printf("test_evaluate: %zu of %zu cases\n", cf.len, cf.total);
  sequential(&cf);
  size_t threads = env_size("CONTAINERS_POLICY_TEST_THREADS", 4);
  if (threads > 0) concurrent(&cf, threads);
  free_cases(&cf);
  if (failures != 0) {
    printf("test_evaluate: FAILED (%d failures)\n", failures);
    return 1;
  }
  printf("test_evaluate: OK\n");
  return 0;
}
