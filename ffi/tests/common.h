/* Shared helpers for the C tests of libcontainers_policy: checks, file reading and the cases file.
 * Header-only (static functions) so that each test is one `cc` invocation. */
#ifndef CONTAINERS_POLICY_TEST_COMMON_H
#define CONTAINERS_POLICY_TEST_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containers_policy.h"

/* ---- checks ---- */

static int failures = 0;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);       \
      failures++;                                                                    \
    }                                                                                \
  } while (0)

#define CHECK_STR(actual, expected)                                                  \
  do {                                                                               \
    const char *a_ = (actual);                                                       \
    const char *e_ = (expected);                                                     \
    if (a_ == NULL || strcmp(a_, e_) != 0) {                                         \
      fprintf(stderr, "%s:%d: %s:\n  got      %s%s%s\n  expected \"%s\"\n", __FILE__, \
              __LINE__, #actual, a_ ? "\"" : "", a_ ? a_ : "NULL", a_ ? "\"" : "", e_); \
      failures++;                                                                    \
    }                                                                                \
  } while (0)

/* Runs a call returning `containers_policy_error *` that must succeed. */
#define CHECK_OK(call)                                                               \
  do {                                                                               \
    containers_policy_error *e_ = (call);                                            \
    if (e_ != NULL) {                                                                \
      fprintf(stderr, "%s:%d: %s failed: code %d: %s\n", __FILE__, __LINE__, #call,  \
              (int)containers_policy_error_code(e_), containers_policy_error_message(e_)); \
      failures++;                                                                    \
      containers_policy_error_free(e_);                                              \
    }                                                                                \
  } while (0)

/* Runs a call that must fail with `code` and a non-empty message; frees the error. */
#define CHECK_ERR(call, code)                                                        \
  do {                                                                               \
    containers_policy_error *e_ = (call);                                            \
    if (e_ == NULL) {                                                                \
      fprintf(stderr, "%s:%d: %s succeeded, expected code %d\n", __FILE__, __LINE__,  \
              #call, (int)(code));                                                   \
      failures++;                                                                    \
    } else {                                                                         \
      const char *m_ = containers_policy_error_message(e_);                          \
      if (containers_policy_error_code(e_) != (code) || m_ == NULL || m_[0] == '\0') { \
        fprintf(stderr, "%s:%d: %s: got code %d (%s), expected code %d\n", __FILE__,  \
                __LINE__, #call, (int)containers_policy_error_code(e_), m_ ? m_ : "NULL", \
                (int)(code));                                                        \
        failures++;                                                                  \
      }                                                                              \
      containers_policy_error_free(e_);                                              \
    }                                                                                \
  } while (0)

static inline void die(const char *fmt, const char *arg) {
  fprintf(stderr, "FATAL: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n");
  exit(2);
}

static inline void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) die("out of memory%s", "");
  return p;
}

static inline char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = xmalloc(n);
  memcpy(p, s, n);
  return p;
}

static inline char *xstrndup(const char *s, size_t n) {
  char *p = xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* Reads a whole file; exits on failure. *len receives its size; the buffer is NUL-terminated. */
static inline unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) die("cannot open %s", path);
  size_t cap = 4096, n = 0;
  unsigned char *buf = xmalloc(cap);
  for (;;) {
    if (n + 1 >= cap) {
      cap *= 2;
      unsigned char *nb = realloc(buf, cap);
      if (nb == NULL) die("out of memory reading %s", path);
      buf = nb;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) die("cannot read %s", path);
  fclose(f);
  buf[n] = '\0';
  *len = n;
  return buf;
}

static inline void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) die("cannot create %s", path);
  if (fputs(text, f) < 0 || fclose(f) != 0) die("cannot write %s", path);
}

/* ---- the cases file ---- */

typedef struct test_case {
  char *name;
  char *policy_path;
  char *reference;
  char *manifest_path;
  char **signature_paths;
  size_t signatures_len;
  int allowed;
  int code;
  char *message; /* unescaped */
  /* loaded by load_case_data() */
  unsigned char *manifest;
  size_t manifest_len;
  unsigned char **signature_data;
  containers_policy_slice *signatures;
} test_case;

typedef struct case_file {
  test_case *cases;
  size_t len;         /* cases used (after CONTAINERS_POLICY_FFI_CASES_LIMIT) */
  size_t total;       /* cases in the file */
  char *fixtures_dir; /* from the "# fixtures: DIR" comment, or NULL */
} case_file;

/* Splits `line` at TABs in place; returns the number of fields (at most max). */
static inline size_t split_tabs(char *line, char **fields, size_t max) {
  size_t n = 0;
  char *p = line;
  while (n < max) {
    fields[n++] = p;
    char *t = strchr(p, '\t');
    if (t == NULL) break;
    *t = '\0';
    p = t + 1;
  }
  return n;
}

static inline char *unescape(const char *s, const char *where) {
  size_t n = strlen(s);
  char *out = xmalloc(n + 1), *o = out;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '\\') {
      *o++ = s[i];
      continue;
    }
    i++;
    switch (s[i]) {
      case '\\': *o++ = '\\'; break;
      case 't': *o++ = '\t'; break;
      case 'n': *o++ = '\n'; break;
      default: die("bad escape in message of case %s", where);
    }
  }
  *o = '\0';
  return out;
}

static inline char **split_bars(const char *s, size_t *count) {
  *count = 0;
  if (s[0] == '\0') return NULL;
  size_t n = 1;
  for (const char *p = s; *p; p++) n += (*p == '|');
  char **out = xmalloc(n * sizeof *out);
  const char *start = s;
  for (size_t i = 0; i < n; i++) {
    const char *end = strchr(start, '|');
    if (end == NULL) end = start + strlen(start);
    out[i] = xstrndup(start, (size_t)(end - start));
    start = end + 1;
  }
  *count = n;
  return out;
}

static inline size_t env_size(const char *name, size_t dflt) {
  const char *v = getenv(name);
  if (v == NULL || v[0] == '\0') return dflt;
  char *end;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno != 0 || *end != '\0') die("bad number in %s", name);
  return (size_t)n;
}

/* Loads $CONTAINERS_POLICY_FFI_CASES. Returns 0 (after printing SKIPPED) when the variable is unset;
 * exits with an error when the file is unusable or holds fewer than 50 cases. */
static inline int load_cases(case_file *cf) {
  memset(cf, 0, sizeof *cf);
  const char *path = getenv("CONTAINERS_POLICY_FFI_CASES");
  if (path == NULL || path[0] == '\0') {
    printf("SKIPPED: CONTAINERS_POLICY_FFI_CASES not set\n");
    return 0;
  }
  size_t len;
  char *text = (char *)read_file(path, &len);
  size_t cap = 256;
  cf->cases = xmalloc(cap * sizeof *cf->cases);
  char *save = text;
  while (save != NULL && *save != '\0') {
    char *line = save;
    char *nl = strchr(line, '\n');
    if (nl != NULL) {
      *nl = '\0';
      save = nl + 1;
    } else {
      save = NULL;
    }
    if (line[0] == '\0') continue;
    if (line[0] == '#') {
      const char *key = "# fixtures: ";
      if (strncmp(line, key, strlen(key)) == 0 && cf->fixtures_dir == NULL)
        cf->fixtures_dir = xstrdup(line + strlen(key));
      continue;
    }
    char *f[8];
    if (split_tabs(line, f, 8) != 8) die("malformed line in cases file: %s", line);
    if (cf->total == cap) {
      cap *= 2;
      test_case *nc = realloc(cf->cases, cap * sizeof *nc);
      if (nc == NULL) die("out of memory%s", "");
      cf->cases = nc;
    }
    test_case *c = &cf->cases[cf->total++];
    memset(c, 0, sizeof *c);
    c->name = xstrdup(f[0]);
    c->policy_path = xstrdup(f[1]);
    c->reference = xstrdup(f[2]);
    c->manifest_path = xstrdup(f[3]);
    c->signature_paths = split_bars(f[4], &c->signatures_len);
    if (strcmp(f[5], "1") != 0 && strcmp(f[5], "0") != 0) die("bad allowed field in case %s", f[0]);
    c->allowed = f[5][0] == '1';
    c->code = atoi(f[6]);
    c->message = unescape(f[7], f[0]);
    if (c->allowed != (c->code == 0)) die("inconsistent allowed/code in case %s", f[0]);
  }
  free(text);
  if (cf->total < 50) {
    fprintf(stderr, "FATAL: %s holds %zu cases; at least 50 are required\n", path, cf->total);
    exit(2);
  }
  cf->len = env_size("CONTAINERS_POLICY_FFI_CASES_LIMIT", cf->total);
  if (cf->len > cf->total) cf->len = cf->total;
  return 1;
}

static inline void load_case_data(test_case *c) {
  c->manifest = read_file(c->manifest_path, &c->manifest_len);
  c->signature_data = xmalloc((c->signatures_len ? c->signatures_len : 1) * sizeof *c->signature_data);
  c->signatures = xmalloc((c->signatures_len ? c->signatures_len : 1) * sizeof *c->signatures);
  for (size_t i = 0; i < c->signatures_len; i++) {
    size_t n;
    c->signature_data[i] = read_file(c->signature_paths[i], &n);
    c->signatures[i].data = c->signature_data[i];
    c->signatures[i].len = n;
  }
}

static inline void free_case_data(test_case *c) {
  free(c->manifest);
  c->manifest = NULL;
  for (size_t i = 0; i < c->signatures_len && c->signature_data; i++) free(c->signature_data[i]);
  free(c->signature_data);
  free(c->signatures);
  c->signature_data = NULL;
  c->signatures = NULL;
}

static inline void free_cases(case_file *cf) {
  for (size_t i = 0; i < cf->total; i++) {
    test_case *c = &cf->cases[i];
    free_case_data(c);
    free(c->name);
    free(c->policy_path);
    free(c->reference);
    free(c->manifest_path);
    for (size_t j = 0; j < c->signatures_len; j++) free(c->signature_paths[j]);
    free(c->signature_paths);
    free(c->message);
  }
  free(cf->cases);
  free(cf->fixtures_dir);
  memset(cf, 0, sizeof *cf);
}

#endif
