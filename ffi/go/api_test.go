package containerspolicy_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	cp "example.invalid/containers-policy/ffi/go"
)

// The upstream fixture key pair (containers/image signature/fixtures): secring.gpg holds it
// unprotected, public-key.gpg is its public key, and image.signature signs image.manifest.json
// for the bare repository testingImageRepo with it.
const (
	fixtureFingerprint = "08CD26E446E2E95249B7A405E932F44B23E8DD43"
	testingImageRepo   = "testing/manifest"
)

func signedByPolicy(keyPath string) string {
	return fmt.Sprintf(`{"default":[{"type":"reject"}],"transports":{"docker":{"":[{"type":"signedBy","keyType":"GPGKeys","keyPath":%q}]}}}`, keyPath)
}

// upstreamPolicy trusts the fixture key for the fixture signature, whose identity is a bare
// repository (so the default matchRepoDigestOrExact would refuse it).
func upstreamPolicy(keyPath string) string {
	return fmt.Sprintf(`{"default":[{"type":"reject"}],"transports":{"docker":{"":[{"type":"signedBy","keyType":"GPGKeys","keyPath":%q,"signedIdentity":{"type":"matchRepository"}}]}}}`, keyPath)
}

// upstreamImageRef is the reference of the upstream fixture image, by digest.
func upstreamImageRef(t testing.TB, manifest []byte) string {
	t.Helper()
	digest, err := cp.ManifestDigest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	return "docker://" + testingImageRepo + "@" + digest
}

func TestVersion(t *testing.T) {
	if v := cp.Version(); v == "" || strings.IndexByte(v, 0) >= 0 {
		t.Fatalf("Version() = %q", v)
	}
	if got := cp.ABIVersion(); got != cp.HeaderABIVersion {
		t.Fatalf("library ABI version %d, header %d", got, cp.HeaderABIVersion)
	}
}

func TestCodeString(t *testing.T) {
	if s := cp.CodeInvalidPolicy.String(); s != "InvalidPolicy" {
		t.Errorf("CodeInvalidPolicy.String() = %q", s)
	}
	if s := cp.Code(999).String(); s != "Code(999)" {
		t.Errorf("Code(999).String() = %q", s)
	}
	if cp.CodeOf(nil) != cp.CodeOK || cp.CodeOf(errors.New("x")) != cp.CodeOther {
		t.Error("CodeOf")
	}
	wrapped := fmt.Errorf("wrapped: %w", &cp.Error{Code: cp.CodeInvalidSignature, Message: "m"})
	if !cp.IsRejection(wrapped) || cp.CodeOf(wrapped) != cp.CodeInvalidSignature {
		t.Error("IsRejection/CodeOf through %w")
	}
	if cp.IsRejection(&cp.Error{Code: cp.CodeInvalidReference, Message: "m"}) || cp.IsRejection(nil) {
		t.Error("IsRejection of a non-rejection")
	}
}

func TestInvalidPolicy(t *testing.T) {
	bad := []byte(`{"default": []`)
	_, err := cp.NewPolicyFromBytes(bad)
	fromBytes := asError(t, err, cp.CodeInvalidPolicy)

	path := filepath.Join(t.TempDir(), "policy.json")
	writeFile(t, path, bad)
	_, err = cp.NewPolicyFromFile(path)
	fromFile := asError(t, err, cp.CodeInvalidPolicy)
	// Both paths report the same parse problem; the file variant may add the path.
	if !strings.Contains(fromFile.Message, fromBytes.Message) && !strings.Contains(fromFile.Message, path) {
		t.Errorf("from file %q vs from bytes %q", fromFile.Message, fromBytes.Message)
	}

	// Semantically invalid: containers/image's text for an empty default.
	_, err = cp.NewPolicyFromBytes([]byte(`{"default": []}`))
	if e := asError(t, err, cp.CodeInvalidPolicy); e.Message != "List of verification policy requirements must not be empty" {
		t.Errorf("empty default: %q", e.Message)
	}

	_, err = cp.NewPolicyFromFile(filepath.Join(t.TempDir(), "missing.json"))
	if err == nil {
		t.Fatal("missing policy file accepted")
	}
	if e := new(cp.Error); !errors.As(err, &e) || e.Message == "" {
		t.Fatalf("missing file: %T %v", err, err)
	}

	_, err = cp.NewPolicyFromFile("policy\x00.json")
	asError(t, err, cp.CodeInvalidArgument)
}

func TestPolicyJSONRoundTrip(t *testing.T) {
	src := `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com/ns":[{"type":"insecureAcceptAnything"}]}}}`
	p, err := cp.NewPolicyFromBytes([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var a, b interface{}
	if err := json.Unmarshal([]byte(src), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatalf("JSON() is not JSON: %v: %s", err, out)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("JSON() = %s, want the same document as %s", out, src)
	}
	p2, err := cp.NewPolicyFromBytes(out)
	if err != nil {
		t.Fatalf("re-parsing JSON(): %v", err)
	}
	p2.Close()
}

func TestEvaluateScopesAndRequirements(t *testing.T) {
	pc := mustPolicyContext(t, `{"default":[{"type":"reject"}],"transports":{"docker":{
		"example.com/ok":[{"type":"insecureAcceptAnything"}],
		"example.com/no":[{"type":"insecureAcceptAnything"},{"type":"reject"}]}}}`)
	ctx := context.Background()

	d, err := pc.Evaluate(ctx, "docker://example.com/ok/app:1.0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed || d.Reason != nil || d.Scope != "docker:example.com/ok" ||
		len(d.Requirements) != 1 || d.Requirements[0].Type != "insecureAcceptAnything" || d.Requirements[0].Reason != nil {
		t.Errorf("allowed decision: %+v", d)
	}
	if err := pc.IsRunningImageAllowed(ctx, "docker://example.com/ok/app:1.0", nil, nil); err != nil {
		t.Errorf("IsRunningImageAllowed: %v", err)
	}

	d, err = pc.Evaluate(ctx, "docker://example.com/no/app:1.0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed || d.Scope != "docker:example.com/no" || len(d.Requirements) != 2 {
		t.Fatalf("refused decision: %+v", d)
	}
	reason := asError(t, d.Reason, cp.CodePolicyRequirement)
	if !cp.IsRejection(d.Reason) {
		t.Error("reason is not a rejection")
	}
	if d.Requirements[0].Type != "insecureAcceptAnything" || d.Requirements[0].Reason != nil ||
		d.Requirements[1].Type != "reject" || d.Requirements[1].Reason == nil {
		t.Errorf("requirements: %+v", d.Requirements)
	}
	runErr := pc.IsRunningImageAllowed(ctx, "docker://example.com/no/app:1.0", nil, nil)
	if e := asError(t, runErr, cp.CodePolicyRequirement); e.Message != reason.Message {
		t.Errorf("IsRunningImageAllowed %q, Evaluate %q", e.Message, reason.Message)
	}

	d, err = pc.Evaluate(ctx, "docker://other.example/app:1.0", nil, nil)
	if err != nil || d.Allowed || d.Scope != "default" {
		t.Errorf("default scope: %+v, %v", d, err)
	}
}

func TestBadReference(t *testing.T) {
	pc := mustPolicyContext(t, `{"default":[{"type":"insecureAcceptAnything"}]}`)
	ctx := context.Background()
	for _, ref := range []string{"docker://UPPERCASE/app:1.0", "docker://example.com/app:bad tag"} {
		_, err := pc.Evaluate(ctx, ref, nil, nil)
		asError(t, err, cp.CodeInvalidReference)
		if cp.IsRejection(err) {
			t.Errorf("%q: a bad reference is not a rejection", ref)
		}
		asError(t, pc.IsRunningImageAllowed(ctx, ref, nil, nil), cp.CodeInvalidReference)
	}
	// No transport: refused as an error (containers/image: plain error from ParseImageName), not a rejection.
	if _, err := pc.Evaluate(ctx, "notatransport", nil, nil); err == nil || cp.IsRejection(err) {
		t.Errorf("reference without transport: %v", err)
	}
	_, err := pc.Evaluate(ctx, "docker://example.com/app\x00:1.0", nil, nil)
	asError(t, err, cp.CodeInvalidArgument)
}

func TestCloseAndUseAfterClose(t *testing.T) {
	p, err := cp.NewPolicyFromBytes([]byte(`{"default":[{"type":"insecureAcceptAnything"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := cp.NewPolicyContext(p)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Close()
	if _, err := p.JSON(); !errors.Is(err, cp.ErrClosed) {
		t.Errorf("JSON after Close: %v", err)
	}
	if _, err := cp.NewPolicyContext(p); !errors.Is(err, cp.ErrClosed) {
		t.Errorf("NewPolicyContext of a closed policy: %v", err)
	}
	if _, err := cp.NewPolicyContext(nil); !errors.Is(err, cp.ErrClosed) {
		t.Errorf("NewPolicyContext(nil): %v", err)
	}
	asError(t, cp.ErrClosed, cp.CodeInvalidArgument)

	// The context outlives its (closed) policy.
	ctx := context.Background()
	if d, err := pc.Evaluate(ctx, "docker://example.com/app:1.0", nil, nil); err != nil || !d.Allowed {
		t.Fatalf("evaluate after closing the policy: %+v, %v", d, err)
	}
	pc.Close()
	pc.Close()
	if _, err := pc.Evaluate(ctx, "docker://example.com/app:1.0", nil, nil); !errors.Is(err, cp.ErrClosed) {
		t.Errorf("Evaluate after Close: %v", err)
	}
	if err := pc.IsRunningImageAllowed(ctx, "docker://example.com/app:1.0", nil, nil); !errors.Is(err, cp.ErrClosed) {
		t.Errorf("IsRunningImageAllowed after Close: %v", err)
	}
	if _, err := pc.SignaturesWithAcceptedAuthor(ctx, "docker://example.com/app:1.0", nil, nil); !errors.Is(err, cp.ErrClosed) {
		t.Errorf("SignaturesWithAcceptedAuthor after Close: %v", err)
	}
	var nilPC *cp.PolicyContext
	if _, err := nilPC.Evaluate(ctx, "docker://example.com/app:1.0", nil, nil); !errors.Is(err, cp.ErrClosed) {
		t.Errorf("Evaluate on nil: %v", err)
	}
	nilPC.Close()

	r, err := cp.LoadRegistriesD(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close()
	if _, err := r.LookasideURL("example.com/app:1.0", "sha256:"+strings.Repeat("0", 64), 1, false); !errors.Is(err, cp.ErrClosed) {
		t.Errorf("LookasideURL after Close: %v", err)
	}
	if _, err := cp.NewRemote(r, true, ""); !errors.Is(err, cp.ErrClosed) {
		t.Errorf("NewRemote of closed registries.d: %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	pc := mustPolicyContext(t, `{"default":[{"type":"insecureAcceptAnything"}]}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := pc.Evaluate(ctx, "docker://example.com/app:1.0", nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Evaluate with a cancelled context: %v", err)
	}
	if err := pc.IsRunningImageAllowed(ctx, "docker://example.com/app:1.0", nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("IsRunningImageAllowed with a cancelled context: %v", err)
	}
}

// TestCloseDuringEvaluations closes a shared context while goroutines keep evaluating with it
// (run with -race): every call completes normally until the context is closed, and reports
// ErrClosed from then on.
func TestCloseDuringEvaluations(t *testing.T) {
	pc := mustPolicyContext(t, `{"default":[{"type":"insecureAcceptAnything"}]}`)
	const workers = 8
	var running sync.WaitGroup // each worker has completed one evaluation
	var done sync.WaitGroup
	running.Add(workers)
	results := make([]error, workers)
	for w := 0; w < workers; w++ {
		done.Add(1)
		go func(w int) {
			defer done.Done()
			signalled := false
			signal := func() {
				if !signalled {
					signalled = true
					running.Done()
				}
			}
			defer signal()
			for {
				d, err := pc.Evaluate(context.Background(), "docker://example.com/app:1.0", nil, nil)
				if errors.Is(err, cp.ErrClosed) {
					break
				}
				if err != nil || !d.Allowed {
					results[w] = fmt.Errorf("worker %d: %+v, %v", w, d, err)
					return
				}
				signal()
			}
			// Once closed, it stays closed.
			if _, err := pc.Evaluate(context.Background(), "docker://example.com/app:1.0", nil, nil); !errors.Is(err, cp.ErrClosed) {
				results[w] = fmt.Errorf("worker %d: after ErrClosed: %v", w, err)
			}
		}(w)
	}
	running.Wait()
	pc.Close()
	done.Wait()
	for _, err := range results {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestManifestDigest(t *testing.T) {
	fixtures := upstreamFixtures(t)
	m := readFile(t, filepath.Join(fixtures, "image.manifest.json"))
	sum := sha256.Sum256(m)
	got, err := cp.ManifestDigest(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := "sha256:" + hex.EncodeToString(sum[:]); got != want {
		t.Errorf("ManifestDigest = %q, want %q", got, want)
	}
}

// TestUpstreamSignature accepts the upstream fixture signature with the fixture public key.
func TestUpstreamSignature(t *testing.T) {
	fixtures := upstreamFixtures(t)
	pc := mustPolicyContext(t, upstreamPolicy(filepath.Join(fixtures, "public-key.gpg")))
	m := readFile(t, filepath.Join(fixtures, "image.manifest.json"))
	sig := readFile(t, filepath.Join(fixtures, "image.signature"))
	ref := upstreamImageRef(t, m)
	ctx := context.Background()
	d, err := pc.Evaluate(ctx, ref, m, [][]byte{sig})
	if err != nil || !d.Allowed {
		t.Fatalf("upstream signature: %+v, %v", d, err)
	}
	// Without the signature, or with a manifest that is not the signed one: refused.
	d, err = pc.Evaluate(ctx, ref, m, nil)
	if err != nil || d.Allowed || !cp.IsRejection(d.Reason) {
		t.Errorf("unsigned: %+v, %v", d, err)
	}
	tagged := "docker://" + testingImageRepo + ":latest"
	if d, err := pc.Evaluate(ctx, tagged, m, [][]byte{sig}); err != nil || !d.Allowed {
		t.Errorf("by tag: %+v, %v", d, err)
	}
	tampered := append(append([]byte{}, m...), ' ')
	d, err = pc.Evaluate(ctx, tagged, tampered, [][]byte{sig})
	if err != nil || d.Allowed || !cp.IsRejection(d.Reason) {
		t.Errorf("other manifest: %+v, %v", d, err)
	}
	// A schema 1 manifest with broken signatures cannot even be digested: refused, but not a rejection.
	broken := readFile(t, filepath.Join(fixtures, "v2s1-invalid-signatures.manifest.json"))
	d, err = pc.Evaluate(ctx, tagged, broken, [][]byte{sig})
	if err != nil || d.Allowed || d.Reason == nil || cp.IsRejection(d.Reason) {
		t.Errorf("broken manifest: %+v, %v", d, err)
	}
}

// signingKey returns the secret key material, key ID, passphrase and public key path to sign
// with: $CONTAINERS_POLICY_FFI_SECRET_KEY (a file; with optional _ID and _PASSPHRASE suffixes, and
// _PUBLIC_KEY for the public keyring the policy trusts), else the upstream fixture key.
func signingKey(t *testing.T) (secret []byte, keyID, passphrase, publicKeyPath string) {
	t.Helper()
	if path := os.Getenv("CONTAINERS_POLICY_FFI_SECRET_KEY"); path != "" {
		pub := os.Getenv("CONTAINERS_POLICY_FFI_PUBLIC_KEY")
		if pub == "" {
			t.Fatal("CONTAINERS_POLICY_FFI_SECRET_KEY is set but CONTAINERS_POLICY_FFI_PUBLIC_KEY (its public key) is not")
		}
		return readFile(t, path), os.Getenv("CONTAINERS_POLICY_FFI_SECRET_KEY_ID"),
			os.Getenv("CONTAINERS_POLICY_FFI_SECRET_KEY_PASSPHRASE"), pub
	}
	fixtures := upstreamFixtures(t)
	secring := filepath.Join(fixtures, "secring.gpg")
	if _, err := os.Stat(secring); err != nil {
		t.Skipf("no secret key: %s is missing and CONTAINERS_POLICY_FFI_SECRET_KEY is not set", secring)
	}
	return readFile(t, secring), fixtureFingerprint, "", filepath.Join(fixtures, "public-key.gpg")
}

func TestSignEvaluateRoundTrip(t *testing.T) {
	secret, keyID, passphrase, pub := signingKey(t)
	fixtures := upstreamFixtures(t)
	m := readFile(t, filepath.Join(fixtures, "image.manifest.json"))
	const dockerRef = "example.com/ns/app:1.0"
	sig, err := cp.Sign(m, dockerRef, secret, keyID, passphrase)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if len(sig) == 0 {
		t.Fatal("empty signature")
	}

	pc := mustPolicyContext(t, signedByPolicy(pub))
	ctx := context.Background()
	d, err := pc.Evaluate(ctx, "docker://"+dockerRef, m, [][]byte{sig})
	if err != nil || !d.Allowed {
		t.Fatalf("signed image: %+v, %v", d, err)
	}
	if len(d.Requirements) != 1 || d.Requirements[0].Type != "signedBy" || d.Requirements[0].Reason != nil {
		t.Errorf("requirements: %+v", d.Requirements)
	}

	digest, err := cp.ManifestDigest(m)
	if err != nil {
		t.Fatal(err)
	}
	other := readFile(t, filepath.Join(fixtures, "unknown-key.signature")) // a valid signature by a key the policy does not trust
	accepted, err := pc.SignaturesWithAcceptedAuthor(ctx, "docker://"+dockerRef, m, [][]byte{other, sig})
	if err != nil {
		t.Fatalf("SignaturesWithAcceptedAuthor: %v", err)
	}
	if len(accepted) != 1 || accepted[0].DockerReference != dockerRef || accepted[0].ManifestDigest != digest ||
		accepted[0].Signer == "" || (keyID != "" && !strings.EqualFold(accepted[0].Signer, keyID)) {
		t.Errorf("accepted = %+v (want %s, %s, signer %s)", accepted, dockerRef, digest, keyID)
	}

	if _, err := pc.SignaturesWithAcceptedAuthor(ctx, "docker://"+dockerRef, m, [][]byte{sig, []byte("not a signature")}); err == nil {
		t.Error("SignaturesWithAcceptedAuthor accepted a blob that is not a signature")
	}

	// The signature claims another identity, or covers another manifest: refused.
	d, err = pc.Evaluate(ctx, "docker://example.com/ns/other:1.0", m, [][]byte{sig})
	if err != nil || d.Allowed || !cp.IsRejection(d.Reason) {
		t.Errorf("other identity: %+v, %v", d, err)
	}
	tampered := append(append([]byte{}, m...), '\n')
	d, err = pc.Evaluate(ctx, "docker://"+dockerRef, tampered, [][]byte{sig})
	if err != nil || d.Allowed || !cp.IsRejection(d.Reason) {
		t.Errorf("tampered manifest: %+v, %v", d, err)
	}
	if err := pc.IsRunningImageAllowed(ctx, "docker://"+dockerRef, tampered, [][]byte{sig}); !cp.IsRejection(err) {
		t.Errorf("IsRunningImageAllowed, tampered manifest: %v", err)
	}
	// Trusting another key: refused.
	otherKey := mustPolicyContext(t, signedByPolicy(filepath.Join(fixtures, "public-key-2.gpg")))
	if err := otherKey.IsRunningImageAllowed(ctx, "docker://"+dockerRef, m, [][]byte{sig}); !cp.IsRejection(err) {
		t.Errorf("another key: %v", err)
	}
}

func TestSignErrors(t *testing.T) {
	secret, _, _, _ := signingKey(t)
	m := []byte(`{"schemaVersion":2}`)
	for name, key := range map[string][]byte{"no key material": nil, "garbage key material": []byte("garbage")} {
		if _, err := cp.Sign(m, "example.com/ns/app:1.0", key, "", ""); err == nil {
			t.Errorf("%s: Sign succeeded", name)
		} else if e := new(cp.Error); !errors.As(err, &e) || e.Message == "" || cp.IsRejection(err) {
			t.Errorf("%s: %T %v", name, err, err)
		}
	}
	if _, err := cp.Sign(m, "example.com/ns/app:1.0", secret, strings.Repeat("0", 40), ""); err == nil {
		t.Error("Sign with an unknown key ID succeeded")
	}
	if _, err := cp.Sign(m, "example.com/ns/app:1.0\x00", secret, "", ""); err == nil {
		t.Error("NUL in reference accepted")
	} else {
		asError(t, err, cp.CodeInvalidArgument)
	}
}

func TestLookasideURL(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "default.yaml"), []byte(`default-docker:
  lookaside: file:///var/lib/containers/sigstore
docker:
  example.com/ns:
    lookaside: https://sigs.example.com/base
    lookaside-staging: file:///srv/staging
`))
	r, err := cp.LoadRegistriesD(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	hexDigest := strings.Repeat("ab", 32)
	digest := "sha256:" + hexDigest
	for _, c := range []struct {
		ref   string
		index int
		write bool
		want  string
	}{
		{"example.com/ns/app:1.0", 1, false, "https://sigs.example.com/base/ns/app@sha256=" + hexDigest + "/signature-1"},
		{"example.com/ns/app:1.0", 3, true, "file:///srv/staging/ns/app@sha256=" + hexDigest + "/signature-3"},
		{"other.example/x/y:2", 2, false, "file:///var/lib/containers/sigstore/x/y@sha256=" + hexDigest + "/signature-2"},
	} {
		got, err := r.LookasideURL(c.ref, digest, c.index, c.write)
		if err != nil || got != c.want {
			t.Errorf("LookasideURL(%q, %d, %v) = %q, %v; want %q", c.ref, c.index, c.write, got, err, c.want)
		}
	}
	if _, err := r.LookasideURL("example.com/ns/app:1.0", digest, -1, false); err == nil {
		t.Error("negative index accepted")
	}
	if _, err := r.LookasideURL("example.com/ns/app:1.0", "not-a-digest", 1, false); err == nil {
		t.Error("bad digest accepted")
	}

	writeFile(t, filepath.Join(dir, "bad.yaml"), []byte("docker: [unclosed\n"))
	if _, err := cp.LoadRegistriesD(dir); err == nil {
		t.Error("invalid registries.d YAML accepted")
	} else {
		asError(t, err, cp.CodeConfig)
	}
}

// fakeRegistry serves the manifest of repository/tag on 127.0.0.1 over plain HTTP (Docker
// Registry HTTP API v2, anonymous).
func fakeRegistry(t *testing.T, manifests map[string][]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		m, ok := manifests[r.URL.Path]
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`))
			return
		}
		w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
		if r.Method != http.MethodHead {
			_, _ = w.Write(m)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestEvaluateRemote(t *testing.T) {
	secret, keyID, passphrase, pub := signingKey(t)
	fixtures := upstreamFixtures(t)
	m := readFile(t, filepath.Join(fixtures, "image.manifest.json"))
	srv := fakeRegistry(t, map[string][]byte{
		"/v2/ns/signed/manifests/1.0":   m,
		"/v2/ns/unsigned/manifests/1.0": m,
	})
	host := strings.TrimPrefix(srv.URL, "http://")

	dir := t.TempDir()
	sigstore := filepath.Join(dir, "sigstore")
	writeFile(t, filepath.Join(dir, "registries.d", "local.yaml"),
		[]byte(fmt.Sprintf("docker:\n  %s:\n    lookaside: %s\n", host, (&url.URL{Scheme: "file", Path: sigstore}).String())))
	r, err := cp.LoadRegistriesD(filepath.Join(dir, "registries.d"))
	if err != nil {
		t.Fatal(err)
	}
	remote, err := cp.NewRemote(r, false, "")
	r.Close() // the remote holds its own copy
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()

	// Put a signature where registries.d says it is read from.
	signedRef := host + "/ns/signed:1.0"
	sig, err := cp.Sign(m, signedRef, secret, keyID, passphrase)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := cp.ManifestDigest(m)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := cp.LoadRegistriesD(filepath.Join(dir, "registries.d"))
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	sigURL, err := r2.LookasideURL(signedRef, digest, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(sigURL)
	if err != nil || u.Scheme != "file" || !strings.HasPrefix(u.Path, sigstore+"/") {
		t.Fatalf("lookaside URL %q (%v)", sigURL, err)
	}
	writeFile(t, u.Path, sig)

	pc := mustPolicyContext(t, signedByPolicy(pub))
	ctx := context.Background()
	d, err := pc.EvaluateRemote(ctx, remote, "docker://"+signedRef)
	if err != nil || !d.Allowed {
		t.Fatalf("signed remote image: %+v, %v", d, err)
	}
	d, err = pc.EvaluateRemote(ctx, remote, "docker://"+host+"/ns/unsigned:1.0")
	if err != nil || d.Allowed || !cp.IsRejection(d.Reason) {
		t.Errorf("unsigned remote image: %+v, %v", d, err)
	}
	_, err = pc.EvaluateRemote(ctx, remote, "docker://"+host+"/ns/missing:1.0")
	asError(t, err, cp.CodeRegistry)

	remote.Close()
	if _, err := pc.EvaluateRemote(ctx, remote, "docker://"+signedRef); !errors.Is(err, cp.ErrClosed) {
		t.Errorf("EvaluateRemote with a closed remote: %v", err)
	}
}

// BenchmarkEvaluate evaluates the upstream signed fixture image against a signedBy policy.
// BenchmarkEvaluate is the case benches/evaluate.rs and benches/c/bench_evaluate.c measure: the upstream
// dir-img-valid image (one signature) under a signedBy policy for docker.io/testing/manifest.
func BenchmarkEvaluate(b *testing.B) {
	fixtures := upstreamFixtures(b)
	policy := fmt.Sprintf(`{"default":[{"type":"reject"}],"transports":{"docker":{"docker.io/testing/manifest":[{"type":"signedBy","keyType":"GPGKeys","keyPath":%q}]}}}`, filepath.Join(fixtures, "public-key.gpg"))
	p, err := cp.NewPolicyFromBytes([]byte(policy))
	if err != nil {
		b.Fatal(err)
	}
	pc, err := cp.NewPolicyContext(p)
	p.Close()
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	m := readFixture(b, filepath.Join(fixtures, "dir-img-valid", "manifest.json"))
	sigs := [][]byte{readFixture(b, filepath.Join(fixtures, "dir-img-valid", "signature-1"))}
	ctx := context.Background()
	const ref = "docker://docker.io/testing/manifest:latest"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := pc.Evaluate(ctx, ref, m, sigs)
		if err != nil || !d.Allowed {
			b.Fatalf("%+v, %v", d, err)
		}
	}
}
