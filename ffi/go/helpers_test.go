package containerspolicy_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	cp "example.invalid/containers-policy/ffi/go"
)

// upstreamFixtures returns the containers/image signature fixtures directory:
// $CONTAINERS_POLICY_UPSTREAM_FIXTURES/signature/fixtures, else ../shared/upstream-fixtures beside
// the repository (as the Rust tests do). Tests needing it skip, saying why, when it is absent.
func upstreamFixtures(t testing.TB) string {
	t.Helper()
	root := os.Getenv("CONTAINERS_POLICY_UPSTREAM_FIXTURES")
	if root == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			t.Fatal("cannot locate the test source file")
		}
		root = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "upstream-fixtures")
	}
	dir := filepath.Join(root, "signature", "fixtures")
	if _, err := os.Stat(filepath.Join(dir, "image.manifest.json")); err != nil {
		t.Skipf("upstream fixtures not found at %s (set CONTAINERS_POLICY_UPSTREAM_FIXTURES): %v", dir, err)
	}
	return dir
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readFixture reads a file of the shared upstream fixtures, following the small text files that stand in for
// symbolic links there (their content is a relative path such as "../image.manifest.json").
func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	for i := 0; i < 4; i++ {
		b := readFile(t, path)
		if len(b) < 200 && strings.HasPrefix(string(b), "../") {
			path = filepath.Join(filepath.Dir(path), strings.TrimSpace(string(b)))
			continue
		}
		return b
	}
	t.Fatalf("too many links at %s", path)
	return nil
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// asError asserts err is an *cp.Error with the given code and a usable message, and returns it.
func asError(t testing.TB, err error, code cp.Code) *cp.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("expected an error with code %v, got nil", code)
	}
	var e *cp.Error
	if !errors.As(err, &e) {
		t.Fatalf("expected *containerspolicy.Error, got %T: %v", err, err)
	}
	if e.Code != code {
		t.Fatalf("expected code %v, got %v (message %q)", code, e.Code, e.Message)
	}
	if e.Message == "" || strings.IndexByte(e.Message, 0) >= 0 {
		t.Fatalf("bad message %q", e.Message)
	}
	if err.Error() != e.Message {
		t.Fatalf("Error() = %q, Message = %q", err.Error(), e.Message)
	}
	return e
}

func mustPolicyContext(t testing.TB, policyJSON string) *cp.PolicyContext {
	t.Helper()
	p, err := cp.NewPolicyFromBytes([]byte(policyJSON))
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	defer p.Close()
	pc, err := cp.NewPolicyContext(p)
	if err != nil {
		t.Fatalf("policy context: %v", err)
	}
	t.Cleanup(pc.Close)
	return pc
}
