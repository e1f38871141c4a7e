package main

// The material cases are made of: public keyrings, manifests and signature blobs, read from the
// upstream containers/image corpus, from conformance/fixtures (when present), and made at start-up
// (signatures by gpg over payloads of our choosing, and signatures by our C ABI's signer).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	containerspolicy "example.invalid/containers-policy/ffi/go"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/signature"
)

// keyEntry is a public keyring usable as keyPath / keyPaths / keyData.
type keyEntry struct {
	name    string
	path    string          // absolute path of the file
	data    []byte          // its contents
	keyIDs  map[string]bool // 16-hex-digit IDs of every primary key and subkey (upper case)
	hasKeys bool            // gpg finds at least one key in it
}

// manifestEntry is a manifest; digest is "" when containers/image cannot digest it.
type manifestEntry struct {
	name   string
	data   []byte
	digest string
}

// sigEntry is a signature blob with what it claims (read without verification, for steering the
// generator only; never used to decide anything).
type sigEntry struct {
	name     string
	blob     []byte
	identity string // claimed docker-reference, "" if unknown
	digest   string // claimed manifest digest, "" if unknown
	keyID    string // issuer key ID (16 upper-case hex), "" if unknown
	simple   bool   // FromBlob classifies it as a simple signing signature (OpenPGP packet tag)
}

type corpus struct {
	upstream  string // …/signature/fixtures
	fixtures  string // conformance/fixtures, "" when absent
	keys      []*keyEntry
	manifests []*manifestEntry
	sigs      []*sigEntry
	// repositories that signatures claim or that fixtures use, fully normalized ("docker.io/testing/manifest")
	repos []string
	// secret keys for signing at run time
	secret     []byte
	signers    []signer
	gpgHome    string
	fakedTime  string
	craftedN   int
	sdkSignedN int
}

type signer struct {
	fingerprint string
	passphrase  string
}

const (
	fprTesting    = "08CD26E446E2E95249B7A405E932F44B23E8DD43" // upstream "skopeo testing key"
	fprPassphrase = "F2B501009F78B0B340221A12A3CD242DA6028093" // upstream "With Passphrase", WithPassphrase123
)

// readFollowing reads an upstream fixture file; a small file holding a relative path ("../x") is a
// symlink stored as text, so it is followed.
func readFollowing(path string) ([]byte, error) {
	data, _, err := readFollowingPath(path)
	return data, err
}

// readFollowingPath is readFollowing, also returning the path finally read.
func readFollowingPath(path string) ([]byte, string, error) {
	for range 8 {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, "", err
		}
		s := strings.TrimSpace(string(data))
		if len(data) < 256 && !strings.ContainsAny(s, "\n{") && (strings.HasPrefix(s, "../") || strings.HasPrefix(s, "./")) {
			target := filepath.Join(filepath.Dir(path), s)
			if _, err := os.Stat(target); err == nil {
				path = target
				continue
			}
		}
		return data, path, nil
	}
	return nil, "", fmt.Errorf("too many links at %s", path)
}

func sha256Digest(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

// isSimpleSigningBlob is FromBlob's first-byte test for simple signing (internal/signature/signature.go).
func isSimpleSigningBlob(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	switch b[0] {
	case 0xA0, 0xA1, 0xA2, 0xA3, 0xC8, 0x90, 0x91, 0x92, 0x3D, 0xC4, 0x88, 0x89, 0x8A, 0x8B, 0xC2:
		return true
	}
	return false
}

// isSigstoreSignature tells whether FromBlob reads blob as a sigstore signature (a sigstore-json blob
// with the cosign signature MIME type), which sigstoreSigned would have to verify.
func isSigstoreSignature(blob []byte) bool {
	rest, ok := bytes.CutPrefix(blob, []byte("\x00sigstore-json\n"))
	if !ok {
		return false
	}
	var v struct {
		MIMEType string `json:"mimeType"`
	}
	return json.Unmarshal(rest, &v) == nil && v.MIMEType == "application/vnd.dev.cosign.simplesigning.v1+json"
}

func loadCorpus(upstream, fixtures, work string, seed uint64) (*corpus, error) {
	c := &corpus{upstream: upstream, fixtures: fixtures}
	c.gpgHome = filepath.Join(work, "gnupg")
	if err := os.MkdirAll(c.gpgHome, 0o700); err != nil {
		return nil, err
	}

	// Keys.
	for _, n := range []string{"public-key.gpg", "public-key-1.gpg", "public-key-2.gpg", "public-key-with-subkey.gpg",
		"public-key-with-revoked-subkey.gpg", "pubring.gpg"} {
		if err := c.addKey("upstream:"+n, filepath.Join(upstream, n)); err != nil {
			return nil, err
		}
	}
	if fixtures != "" {
		matches, _ := filepath.Glob(filepath.Join(fixtures, "keys", "*"))
		sort.Strings(matches)
		for _, m := range matches {
			if st, err := os.Stat(m); err != nil || !st.Mode().IsRegular() || strings.HasSuffix(m, ".json") {
				continue
			}
			if err := c.addKey("fixtures:keys/"+filepath.Base(m), m); err != nil {
				return nil, err
			}
		}
	}
	// Files that are not OpenPGP keyrings: gpg imports nothing from them ("No public keys imported").
	for _, n := range []string{"cosign.pub", "image.manifest.json"} {
		if err := c.addKey("upstream:"+n, filepath.Join(upstream, n)); err != nil {
			return nil, err
		}
	}

	// Manifests.
	addManifest := func(name string, data []byte) {
		for _, m := range c.manifests {
			if bytes.Equal(m.data, data) {
				return
			}
		}
		d := ""
		if dg, err := manifest.Digest(data); err == nil { // containers/image's digest, to steer the generator
			d = dg.String()
		}
		c.manifests = append(c.manifests, &manifestEntry{name: name, data: data, digest: d})
	}
	for _, n := range []string{"image.manifest.json", "dir-img-modified-manifest/manifest.json",
		"v2s1-invalid-signatures.manifest.json", "dir-img-cosign-valid/manifest.json"} {
		data, err := readFollowing(filepath.Join(upstream, n))
		if err != nil {
			return nil, err
		}
		addManifest("upstream:"+n, data)
	}
	manifestTestdata := filepath.Join(upstream, "..", "..", "internal", "manifest", "testdata")
	for _, n := range []string{"v2s1.manifest.json", "v2s1-unsigned.manifest.json", "v2s2.manifest.json", "ociv1.manifest.json", "v2list.manifest.json"} {
		if data, err := readFollowing(filepath.Join(manifestTestdata, n)); err == nil {
			addManifest("upstream-internal:"+n, data)
		}
	}
	// A few small generated schema 2 manifests (deterministic).
	for i := range 3 {
		m := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"%s"},"layers":[]}`,
			100+i, sha256Digest([]byte(fmt.Sprintf("config %d", i))))
		addManifest(fmt.Sprintf("generated:%d", i), []byte(m))
	}
	addManifest("empty", []byte{})

	// Signatures from the upstream corpus.
	upstreamSigs := []string{
		"dir-img-valid/signature-1", "dir-img-valid-2/signature-2", "image.signature", "no-optional-fields.signature",
		"invalid-reference.signature", "invalid-blob.signature", "invalid-blob.signature-v3", "corrupt.signature",
		"corrupt.signature-v3", "expired.signature", "unknown-key.signature", "unknown-key.signature-v3",
		"subkey.signature", "subkey.signature-v3", "subkey-revoked.signature", "subkey-revoked.signature-v3",
		"unsigned-literal.signature", "unsigned-encrypted.signature", "invalid-cleartext.signature",
		"dir-img-cosign-valid/signature-1", "dir-img-cosign-other-attachment/signature-1",
		"dir-img-cosign-valid-with-tag/signature-1",
	}
	for _, n := range upstreamSigs {
		data, err := readFollowing(filepath.Join(upstream, n))
		if err != nil {
			return nil, err
		}
		c.addSig("upstream:"+n, data)
	}
	for _, m := range []string{"dir-img-cosign-valid/manifest.json", "dir-img-valid/manifest.json"} {
		if data, err := readFollowing(filepath.Join(upstream, m)); err == nil {
			addManifest("upstream:"+m, data)
		}
	}

	// conformance/fixtures images.
	if fixtures != "" {
		dirs, _ := filepath.Glob(filepath.Join(fixtures, "images", "*"))
		sort.Strings(dirs)
		for _, d := range dirs {
			st, err := os.Stat(d)
			if err != nil || !st.IsDir() {
				continue
			}
			name := "fixtures:images/" + filepath.Base(d)
			if m, err := os.ReadFile(filepath.Join(d, "manifest.json")); err == nil {
				addManifest(name+"/manifest.json", m)
			}
			for i := 1; ; i++ {
				b, err := os.ReadFile(filepath.Join(d, fmt.Sprintf("signature-%d", i)))
				if err != nil {
					break
				}
				c.addSig(fmt.Sprintf("%s/signature-%d", name, i), b)
			}
		}
		var index []struct {
			Repository string `json:"repository"`
		}
		if b, err := os.ReadFile(filepath.Join(fixtures, "images", "index.json")); err == nil && json.Unmarshal(b, &index) == nil {
			for _, e := range index {
				c.addRepo(e.Repository)
			}
		}
	}

	// Secret keys for run-time signing.
	secret, err := os.ReadFile(filepath.Join(upstream, "secring.gpg"))
	if err != nil {
		return nil, err
	}
	c.secret = secret
	c.signers = []signer{{fprTesting, ""}, {fprPassphrase, "WithPassphrase123"}}

	c.annotate()
	for _, s := range c.sigs {
		if s.identity != "" {
			c.addRepo(s.identity)
		}
	}
	for _, r := range baseRepos {
		c.addRepo(r)
	}
	sort.Strings(c.repos)

	phase("corpus files")
	if err := c.makeRuntimeSignatures(seed); err != nil {
		return nil, err
	}
	return c, nil
}

// baseRepos are repositories the generator uses besides the ones signatures claim.
var baseRepos = []string{
	"docker.io/library/busybox", "docker.io/testing/manifest", "quay.io/ns/app", "quay.io/ns/sub/app",
	"registry.example.com:5000/team/app", "a.b.example.com/x/y", "localhost/app", "localhost:5000/x/y",
	"127.0.0.1:5000/test/signed", "example.com/ns1/ns2/ns3/repo", "Example.COM/upper/repo",
}

func (c *corpus) addRepo(ref string) {
	name := repoNameOf(ref)
	if name == "" {
		return
	}
	for _, r := range c.repos {
		if r == name {
			return
		}
	}
	c.repos = append(c.repos, name)
}

func (c *corpus) addKey(name, path string) error {
	data, path, err := readFollowingPath(path)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	k := &keyEntry{name: name, path: abs, data: data, keyIDs: map[string]bool{}}
	out, _ := exec.Command("gpg", "--homedir", c.gpgHome, "--batch", "--with-colons", "--show-keys", abs).Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 4 && (f[0] == "pub" || f[0] == "sub") {
			k.keyIDs[strings.ToUpper(f[4])] = true
			if f[0] == "pub" {
				k.hasKeys = true
			}
		}
	}
	c.keys = append(c.keys, k)
	return nil
}

func (c *corpus) addSig(name string, blob []byte) *sigEntry {
	s := &sigEntry{name: name, blob: blob, simple: isSimpleSigningBlob(blob)}
	c.sigs = append(c.sigs, s)
	return s
}

// annotate reads what the signatures without known claims claim (containers/image's
// GetUntrustedSignatureInformationWithoutVerifying; hints for the generator only).
func (c *corpus) annotate() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, s := range c.sigs {
		if !s.simple || s.identity != "" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if info, err := signature.GetUntrustedSignatureInformationWithoutVerifying(s.blob); err == nil {
				s.identity = info.UntrustedDockerReference
				s.digest = info.UntrustedDockerManifestDigest.String()
				s.keyID = strings.ToUpper(info.UntrustedShortKeyIdentifier)
			}
		}()
	}
	wg.Wait()
}

// payloadVariant produces a simple-signing payload for (identity, digest); most variants are valid,
// the rest break one rule of the strict parser.
func payloadVariant(r *rand.Rand, identity, digest string) (string, string) {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	critical := func(typ, img, id string) string {
		return fmt.Sprintf(`{"identity":{"docker-reference":%s},"image":{"docker-manifest-digest":%s},"type":%s}`, id, img, typ)
	}
	std := critical(q("atomic container signature"), q(digest), q(identity))
	opt := `{"creator":"atomic 5.42.0","timestamp":1750000000}`
	if r.IntN(100) < 75 {
		switch r.IntN(4) {
		case 0:
			opt = `{}`
		case 1:
			opt = `{"creator":"conformance","timestamp":1.75e9,"extra":{"x":[1,2]}}`
		}
		return "valid", fmt.Sprintf(`{"critical":%s,"optional":%s}`, std, opt)
	}
	variants := []struct{ name, payload string }{
		{"no-optional", fmt.Sprintf(`{"critical":%s}`, std)},
		{"optional-null", fmt.Sprintf(`{"critical":%s,"optional":null}`, std)},
		{"timestamp-fraction", fmt.Sprintf(`{"critical":%s,"optional":{"timestamp":1.5}}`, std)},
		{"timestamp-string", fmt.Sprintf(`{"critical":%s,"optional":{"timestamp":"1"}}`, std)},
		{"creator-number", fmt.Sprintf(`{"critical":%s,"optional":{"creator":1}}`, std)},
		{"wrong-type", fmt.Sprintf(`{"critical":%s,"optional":%s}`, critical(q("cosign container image signature"), q(digest), q(identity)), opt)},
		{"extra-critical", fmt.Sprintf(`{"critical":{"identity":{"docker-reference":%s},"image":{"docker-manifest-digest":%s},"type":"atomic container signature","x":1},"optional":%s}`, q(identity), q(digest), opt)},
		{"missing-identity", fmt.Sprintf(`{"critical":{"image":{"docker-manifest-digest":%s},"type":"atomic container signature"},"optional":%s}`, q(digest), opt)},
		{"digest-upper", fmt.Sprintf(`{"critical":%s,"optional":%s}`, critical(q("atomic container signature"), q(strings.ToUpper(digest)), q(identity)), opt)},
		{"digest-short", fmt.Sprintf(`{"critical":%s,"optional":%s}`, critical(q("atomic container signature"), q("sha256:0123"), q(identity)), opt)},
		{"digest-md5", fmt.Sprintf(`{"critical":%s,"optional":%s}`, critical(q("atomic container signature"), q("md5:d41d8cd98f00b204e9800998ecf8427e"), q(identity)), opt)},
		{"digest-sha512", fmt.Sprintf(`{"critical":%s,"optional":%s}`, critical(q("atomic container signature"), q("sha512:"+strings.Repeat("ab", 64)), q(identity)), opt)},
		{"identity-null", fmt.Sprintf(`{"critical":%s,"optional":%s}`, critical(q("atomic container signature"), q(digest), "null"), opt)},
		{"duplicate-key", fmt.Sprintf(`{"critical":%s,"critical":%s,"optional":%s}`, std, std, opt)},
		{"not-json", "This is not JSON\n"},
		{"array", `[1,2]`},
		{"trailing", fmt.Sprintf(`{"critical":%s,"optional":%s} x`, std, opt)},
		{"unknown-top", fmt.Sprintf(`{"critical":%s,"optional":%s,"other":1}`, std, opt)},
	}
	v := variants[r.IntN(len(variants))]
	return v.name, v.payload
}

// signatureIdentityFor returns an identity a signature claims, related to repo.
func signatureIdentityFor(r *rand.Rand, repo, digest string) string {
	switch r.IntN(12) {
	case 0, 1, 2, 3:
		return repo + ":latest"
	case 4:
		return repo + ":" + pick(r, tags)
	case 5, 6:
		return repo + "@" + digest
	case 7:
		return repo
	case 8:
		return familiar(repo) + ":latest"
	case 9:
		return repo + ":latest@" + digest
	case 10:
		return strings.ToUpper(repo) + ":latest"
	default:
		return "index.docker.io/" + strings.TrimPrefix(familiar(repo), "library/") + ":1.0"
	}
}

// makeRuntimeSignatures signs payloads of our choosing with gpg (deterministic: fixed keys, faked
// time, payload chosen from the seed) and with our C ABI (containers_policy_sign).
func (c *corpus) makeRuntimeSignatures(seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 0x5167))
	home := filepath.Join(c.gpgHome, "signing")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	c.fakedTime = "20250701T000000!"
	if out, err := exec.Command("gpg", "--homedir", home, "--batch", "--import", filepath.Join(c.upstream, "secring.gpg")).CombinedOutput(); err != nil {
		return fmt.Errorf("gpg --import secring.gpg: %v: %s", err, out)
	}
	defer exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run()
	// Remove the passphrase of the protected key in this throwaway home: unlocking it costs gpg-agent
	// ~0.5 s per signature, and concurrent loopback pinentry requests confuse the agent.
	passwd := exec.Command("gpg", "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--command-fd", "0",
		"--status-fd", "1", "--passwd", fprPassphrase)
	passwd.Stdin = strings.NewReader("WithPassphrase123\n\n\n")
	if out, err := passwd.CombinedOutput(); err != nil || !strings.Contains(string(out), "SUCCESS keyedit.passwd") {
		return fmt.Errorf("gpg --passwd: %v: %s", err, out)
	}

	type job struct {
		name                    string
		payload                 []byte
		args                    []string
		identity, digest, keyID string
	}
	var jobs []job
	goodManifests := []*manifestEntry{}
	for _, m := range c.manifests {
		if m.digest != "" {
			goodManifests = append(goodManifests, m)
		}
	}
	// Our signer (containers_policy_sign), concurrently with gpg: identities of our choosing; the
	// signature bytes carry the signing time, so they differ between runs (the verdicts do not).
	type sdkJob struct {
		name, identity string
		m              *manifestEntry
		s              signer
		blob           []byte
		err            error
	}
	var sdkJobs []*sdkJob
	for i := range 24 {
		m := goodManifests[r.IntN(len(goodManifests))]
		repo := c.repos[r.IntN(len(c.repos))]
		identity := repo + ":" + pick(r, tags)
		if r.IntN(3) == 0 {
			identity = repo + "@" + m.digest
		}
		s := c.signers[0]
		if i%12 == 11 { // the passphrase-protected key is slow to unlock in a debug build
			s = c.signers[1]
		}
		sdkJobs = append(sdkJobs, &sdkJob{name: fmt.Sprintf("sdk-sign:%d/%s", i, shortFpr(s.fingerprint)), identity: identity, m: m, s: s})
	}
	var swg sync.WaitGroup
	for _, j := range sdkJobs {
		swg.Add(1)
		go func() {
			defer swg.Done()
			j.blob, j.err = containerspolicy.Sign(j.m.data, j.identity, c.secret, j.s.fingerprint, j.s.passphrase)
		}()
	}
	for i := range 140 {
		m := goodManifests[r.IntN(len(goodManifests))]
		if r.IntN(3) == 0 {
			m = goodManifests[0] // the upstream image.manifest.json, which most signatures sign
		}
		repo := c.repos[r.IntN(len(c.repos))]
		identity := signatureIdentityFor(r, repo, m.digest)
		variant, payload := payloadVariant(r, identity, m.digest)
		s := c.signers[0]
		if r.IntN(4) == 0 {
			s = c.signers[1]
		}
		args := []string{"--homedir", home, "--batch", "--no-tty", "--yes", "--faked-system-time", c.fakedTime, "-u", s.fingerprint}
		form := "sign"
		switch k := r.IntN(40); {
		case k == 0:
			form = "sign-uncompressed"
			args = append(args, "-z", "0", "--sign")
		case k == 1:
			form = "two-signers"
			other := c.signers[1-indexOfSigner(c.signers, s)]
			args = append(args, "-u", other.fingerprint, "--sign")
		case k == 2:
			form = "detached"
			args = append(args, "--detach-sign")
		case k == 3:
			form = "expired"
			args = append(args, "--default-sig-expire", "1d", "--sign")
		case k == 4:
			form = "sha1"
			args = append(args, "--digest-algo", "SHA1", "--sign")
		case k == 5:
			form = "sha512"
			args = append(args, "--digest-algo", "SHA512", "--sign")
		case k == 6:
			form = "textmode"
			args = append(args, "--textmode", "--sign")
		case k == 7:
			form = "armored"
			args = append(args, "--armor", "--sign")
		default:
			args = append(args, "--sign")
		}
		jobs = append(jobs, job{name: fmt.Sprintf("gpg:%d/%s/%s/%s", i, form, variant, shortFpr(s.fingerprint)), payload: []byte(payload), args: args,
			identity: identity, digest: m.digest, keyID: s.fingerprint[len(s.fingerprint)-16:]})
	}
	phase("gpg import")
	results := make([][]byte, len(jobs))
	errs := make([]error, len(jobs))
	sign := func(i int) {
		j := jobs[i]
		cmd := exec.Command("gpg", j.args...)
		cmd.Stdin = bytes.NewReader(j.payload)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			errs[i] = fmt.Errorf("%s: gpg %v: %v: %s", j.name, j.args, err, stderr.String())
		}
		results[i] = out
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			sign(i)
		}()
	}
	wg.Wait()
	phase("gpg sign")
	for i, j := range jobs {
		if errs[i] != nil {
			return errs[i]
		}
		e := c.addSig(j.name, results[i])
		e.identity, e.digest, e.keyID = j.identity, j.digest, j.keyID
		c.craftedN++
	}

	phase("gpg signatures added")
	swg.Wait()
	for _, j := range sdkJobs {
		if j.err != nil {
			// Our signer refuses some identities (as upstream signers do); that is not what is tested here.
			continue
		}
		e := c.addSig(j.name, j.blob)
		e.identity, e.digest, e.keyID = j.identity, j.m.digest, j.s.fingerprint[len(j.s.fingerprint)-16:]
		c.sdkSignedN++
	}
	phase("containers_policy_sign")
	return nil
}

var phaseStart = time.Now()

// phase prints how long a set-up phase took when CONFORMANCE_GO_TIMING is set.
func phase(name string) {
	if os.Getenv("CONFORMANCE_GO_TIMING") != "" {
		fmt.Fprintf(os.Stderr, "timing: %s: %s\n", name, time.Since(phaseStart))
	}
	phaseStart = time.Now()
}

func indexOfSigner(list []signer, s signer) int {
	for i, x := range list {
		if x.fingerprint == s.fingerprint {
			return i
		}
	}
	return 0
}

func shortFpr(f string) string { return f[len(f)-8:] }
