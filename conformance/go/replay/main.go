// Command replay asks containers/image — the version pinned in ../go.mod (go.podman.io/image/v5), built
// with its default GPGME backend as skopeo and podman ship it — what each command recorded in
// conformance/fixtures/cases.jsonl (by Debian's skopeo 1.9.3, containers/image 5.23.1) decides today, and
// writes the answers, in the recording's own form, to conformance/fixtures/expected-current.jsonl. The
// conformance runner compares the SDK with these answers where a version difference makes the recording
// unusable (`Mapping::NotDerivable`), and checks every other case's mapped expectation against them.
//
// Run it with ../record-current. Each case is replayed as the skopeo command in its argv runs it, with the
// fixtures directory as working directory:
//
//   - `skopeo copy` (policy parsing cases included): signature.NewPolicyFromFile + NewPolicyContext
//     (`Error loading trust policy: …`), then what copy.Image does up to its policy check (the source
//     reference opened with the registries.conf and the registries.d of the argv — a copy with @FIXTURES@
//     substituted — and TLS verification off; the manifest's MIME type; IsRunningImageAllowed). docker://
//     references are served by a small in-process registry on 127.0.0.1:55000 (where the recording's
//     registry ran) holding the case's dir: image manifest; containers/image itself then reads
//     registries.conf, registries.d and the lookaside store (file://…/lookaside) and evaluates the policy.
//     An image the policy allows is recorded as allowed (the real copy went on to copy the layers, which
//     the fixtures do not commit).
//   - `skopeo standalone-verify`: signature.VerifyImageManifestSignatureUsingKeyIdentityList with the
//     case's keyring (the keys of the GNUPGHOME skopeo used) in an ephemeral GPGME mechanism.
//   - `skopeo standalone-sign` failures: signature.SignDockerManifest with an empty GNUPGHOME. Successful
//     signings (they need the secret keys, which are not committed) and `podman push` are not replayed.
//
// Messages are turned into the recording's form exactly as conformance/generate/cases.py does (skopeo's
// prefixes removed, the fixtures directory written @FIXTURES@, the registries.d copy named as in argv).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	digest "github.com/opencontainers/go-digest"
	"github.com/proglottis/gpgme"
	"github.com/sirupsen/logrus"
	"go.podman.io/image/v5/image"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/transports"
	"go.podman.io/image/v5/transports/alltransports"
	"go.podman.io/image/v5/types"
)

const (
	fixturesPlaceholder = "@FIXTURES@"
	// Where the recording's registry listened; the fixtures' references and registries.conf name it.
	registryAddr = "127.0.0.1:55000"
	rejected     = "Source image rejected: "
	policyPrefix = "Error loading trust policy: "
)

// invalidPolicyRE is the generator's INVALID_RE: `invalid policy in "<file>": ` (the file %q-quoted).
var invalidPolicyRE = regexp.MustCompile(`^invalid policy in "(?:[^"\\]|\\.)*": `)

// fixtureCase is the part of a cases.jsonl line the replay needs.
type fixtureCase struct {
	ID          string          `json:"id"`
	Tool        string          `json:"tool"`
	Image       string          `json:"image"`
	Reference   string          `json:"reference"`
	Argv        []string        `json:"argv"`
	Keyring     string          `json:"keyring"`
	Expected    json.RawMessage `json:"expected"`
	VersionDiff string          `json:"version_difference"`
}

// outcome is an expectation in the form of cases.jsonl's `expected`.
type outcome struct {
	Allowed         *bool   `json:"allowed,omitempty"`
	OK              *bool   `json:"ok,omitempty"`
	Message         *string `json:"message"`
	Fingerprint     *string `json:"fingerprint,omitempty"`
	DockerReference *string `json:"docker_reference,omitempty"`
	Digest          *string `json:"digest,omitempty"`
}

// record is one line of expected-current.jsonl.
type record struct {
	ID          string   `json:"id"`
	Expected    *outcome `json:"expected,omitempty"`
	NotReplayed string   `json:"not_replayed,omitempty"`
	Note        string   `json:"note,omitempty"`
}

// header is the first line of expected-current.jsonl.
type header struct {
	ContainersImage string `json:"containers_image"`
	GPGME           string `json:"gpgme"`
	GPG             string `json:"gpg"`
	Go              string `json:"go"`
	Cases           int    `json:"cases"`
	Replayed        int    `json:"replayed"`
	NotReplayed     int    `json:"not_replayed"`
	How             string `json:"how"`
}

type replayer struct {
	fixtures string // absolute, symlinks resolved
	work     string
	regD     *registriesDCopies
	registry *fakeRegistry
	copyMu   sync.Mutex // docker:// copies are served one at a time by the registry
	n        atomic.Int64
}

func main() {
	os.Exit(run())
}

func run() int {
	var (
		fixtures = flag.String("fixtures", "", "conformance/fixtures (cases.jsonl and everything it names)")
		out      = flag.String("write", "", "write the expectations here (default: stdout)")
		only     = flag.String("only", "", "replay only the cases whose id contains this text, printing them")
		jobs     = flag.Int("jobs", runtime.NumCPU(), "parallel workers (docker:// copies run one at a time)")
	)
	flag.Parse()
	if os.Getenv("TZ") != "UTC" {
		fmt.Fprintln(os.Stderr, "replay: run with TZ=UTC (GPGME texts print times in the local zone); ../record-current sets it")
		return 2
	}
	if *fixtures == "" {
		fmt.Fprintln(os.Stderr, "replay: --fixtures is required")
		return 2
	}
	// containers/image logs "signedBaseLayer not implemented yet!" and the like; skopeo's verdict is the error.
	logrus.SetLevel(logrus.FatalLevel)

	r, cleanup, err := setup(*fixtures)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		return 2
	}
	defer cleanup()

	cases, err := loadCases(filepath.Join(r.fixtures, "cases.jsonl"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		return 2
	}
	if *only != "" {
		var sel []fixtureCase
		for _, c := range cases {
			if strings.Contains(c.ID, *only) {
				sel = append(sel, c)
			}
		}
		cases = sel
	}

	records := make([]record, len(cases))
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range max(*jobs, 1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cases) {
					return
				}
				records[i] = r.replay(&cases[i])
				if d := r.n.Add(1); d%200 == 0 {
					fmt.Fprintf(os.Stderr, "  … %d/%d cases\n", d, len(cases))
				}
			}
		})
	}
	wg.Wait()

	h := header{
		ContainersImage: moduleVersion("go.podman.io/image/v5"),
		GPGME:           gpgme.Version,
		GPG:             gpgVersion(),
		Go:              runtime.Version(),
		Cases:           len(records),
		How:             "conformance/go/record-current (conformance/go/replay): each recorded skopeo command asked of containers/image in-process, GPGME build, TZ=UTC",
	}
	for _, rec := range records {
		if rec.Expected != nil {
			h.Replayed++
		} else {
			h.NotReplayed++
		}
	}
	var w io.Writer = os.Stdout
	if *out != "" && *only == "" {
		f, err := os.Create(*out + ".new")
		if err != nil {
			fmt.Fprintln(os.Stderr, "replay:", err)
			return 2
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		return 2
	}
	for _, rec := range records {
		if err := enc.Encode(rec); err != nil {
			fmt.Fprintln(os.Stderr, "replay:", err)
			return 2
		}
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		return 2
	}
	if *out != "" && *only == "" {
		if err := os.Rename(*out+".new", *out); err != nil {
			fmt.Fprintln(os.Stderr, "replay:", err)
			return 2
		}
		fmt.Fprintf(os.Stderr, "replay: %d cases, %d replayed, %d not replayed; wrote %s\n", h.Cases, h.Replayed, h.NotReplayed, *out)
	}
	return 0
}

func setup(fixtures string) (*replayer, func(), error) {
	abs, err := filepath.Abs(fixtures)
	if err != nil {
		return nil, nil, err
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, nil, err
	}
	work, err := os.MkdirTemp("", "conformance-replay-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { _ = os.RemoveAll(work) }
	fail := func(err error) (*replayer, func(), error) {
		cleanup()
		return nil, nil, err
	}
	// GPGME's ephemeral homes and other temporary files go into the work directory; HOME and GNUPGHOME
	// are empty directories (no auth files, no user lookaside store, no keys for standalone-sign).
	for _, d := range []string{"tmp", "home", "gnupg"} {
		if err := os.Mkdir(filepath.Join(work, d), 0o700); err != nil {
			return fail(err)
		}
	}
	for k, v := range map[string]string{
		"TMPDIR":    filepath.Join(work, "tmp"),
		"HOME":      filepath.Join(work, "home"),
		"GNUPGHOME": filepath.Join(work, "gnupg"),
	} {
		if err := os.Setenv(k, v); err != nil {
			return fail(err)
		}
	}
	for _, k := range []string{"REGISTRY_AUTH_FILE", "CONTAINERS_REGISTRIES_CONF", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG"} {
		_ = os.Unsetenv(k)
	}
	// skopeo ran in the fixtures directory: policies name keys relative to it.
	if err := os.Chdir(abs); err != nil {
		return fail(err)
	}
	reg, err := startRegistry()
	if err != nil {
		return fail(fmt.Errorf("starting the registry on %s: %w", registryAddr, err))
	}
	r := &replayer{
		fixtures: abs,
		work:     work,
		regD:     &registriesDCopies{fixtures: abs, root: filepath.Join(work, "registries.d"), made: map[string]string{}},
		registry: reg,
	}
	return r, func() { reg.close(); cleanup() }, nil
}

func loadCases(path string) ([]fixtureCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []fixtureCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c fixtureCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

func (r *replayer) replay(c *fixtureCase) record {
	var rec record
	switch {
	case c.Tool == "skopeo standalone-verify":
		rec = r.standaloneVerify(c)
	case c.Tool == "skopeo standalone-sign":
		rec = r.standaloneSign(c)
	case c.Tool == "skopeo copy":
		var e struct {
			Allowed *bool `json:"allowed"`
			OK      *bool `json:"ok"`
		}
		_ = json.Unmarshal(c.Expected, &e)
		switch {
		case e.OK != nil:
			rec = r.parse(c)
		case e.Allowed != nil:
			rec = r.copy(c)
		default:
			rec = record{NotReplayed: "the recorded expectation has neither `allowed` nor `ok`"}
		}
	case c.Tool == "podman push":
		rec = record{NotReplayed: "podman push signs with a secret key, which is not committed; its evaluation is of containers-storage"}
	default:
		rec = record{NotReplayed: fmt.Sprintf("unknown tool %q", c.Tool)}
	}
	rec.ID = c.ID
	if rec.Expected != nil && rec.Expected.Message != nil {
		m := r.scrub(*rec.Expected.Message)
		rec.Expected.Message = &m
	}
	return rec
}

// copyArgs are the options of a recorded `skopeo [global options] copy [options] SRC DST`.
type copyArgs struct {
	policy, registriesConf, registriesD string
	srcTLSVerifyOff, removeSignatures   bool
	positional                          []string
}

func parseCopyArgs(argv []string) (copyArgs, error) {
	var a copyArgs
	seenCopy := false
	for i := 1; i < len(argv); i++ {
		arg := argv[i]
		value := func() (string, error) {
			if k, v, ok := strings.Cut(arg, "="); ok && strings.HasPrefix(k, "--") {
				return v, nil
			}
			if i+1 >= len(argv) {
				return "", fmt.Errorf("%s without a value", arg)
			}
			i++
			return argv[i], nil
		}
		name, _, _ := strings.Cut(arg, "=")
		var err error
		switch {
		case arg == "copy":
			seenCopy = true
		case name == "--policy":
			a.policy, err = value()
		case name == "--registries-conf":
			a.registriesConf, err = value()
		case name == "--registries.d":
			a.registriesD, err = value()
		case arg == "--src-tls-verify=false":
			a.srcTLSVerifyOff = true
		case arg == "--remove-signatures":
			a.removeSignatures = true
		case strings.HasPrefix(arg, "-"):
			return a, fmt.Errorf("unknown option %s", arg)
		case seenCopy:
			a.positional = append(a.positional, arg)
		default:
			return a, fmt.Errorf("unexpected argument %s", arg)
		}
		if err != nil {
			return a, err
		}
	}
	if !seenCopy || len(a.positional) != 2 {
		return a, fmt.Errorf("not `skopeo … copy SRC DST`: %q", argv)
	}
	return a, nil
}

// policyContext is skopeo's getPolicyContext for --policy.
func policyContext(path string) (*signature.PolicyContext, error) {
	var policy *signature.Policy
	var err error
	if path == "" {
		policy, err = signature.DefaultPolicy(nil)
	} else {
		policy, err = signature.NewPolicyFromFile(path)
	}
	if err != nil {
		return nil, err
	}
	return signature.NewPolicyContext(policy)
}

// stubbedScopes says why a policy cannot be replayed here: scopes of the containers-storage transport,
// which this build stubs (containers_image_storage_stub: the real transport needs modules the module proxy
// does not serve, see ../README.md), so they are not validated as skopeo validates them. "" otherwise
// (also when the policy cannot be read or parsed: NewPolicyFromFile then reports that).
func stubbedScopes(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var p struct {
		Transports map[string]map[string]json.RawMessage `json:"transports"`
	}
	if json.Unmarshal(b, &p) != nil {
		return ""
	}
	for scope := range p.Transports["containers-storage"] {
		if scope != "" {
			return "the policy has containers-storage scopes, which this build of containers/image does not validate (containers_image_storage_stub)"
		}
	}
	return ""
}

// parse: `skopeo --policy P copy dir:/nonexistent/… dir:…`, which fails at the policy or (policy fine) at
// the source; the generator's _parse_verdict.
func (r *replayer) parse(c *fixtureCase) record {
	a, err := parseCopyArgs(c.Argv)
	if err != nil {
		return record{NotReplayed: err.Error()}
	}
	if why := stubbedScopes(a.policy); why != "" {
		return record{NotReplayed: why}
	}
	pc, err := policyContext(a.policy)
	if err != nil {
		msg := err.Error()
		if m := invalidPolicyRE.FindStringIndex(msg); m != nil {
			msg = msg[m[1]:]
		}
		return record{Expected: &outcome{OK: ptr(false), Message: &msg}}
	}
	_ = pc.Destroy()
	return record{Expected: &outcome{OK: ptr(true)}}
}

// copy: `skopeo … copy --src-tls-verify=false --remove-signatures SRC dir:OUT`; the generator's
// _copy_verdict.
func (r *replayer) copy(c *fixtureCase) record {
	a, err := parseCopyArgs(c.Argv)
	if err != nil {
		return record{NotReplayed: err.Error()}
	}
	if why := stubbedScopes(a.policy); why != "" {
		return record{NotReplayed: why}
	}
	msg, err := r.skopeoCopy(c, a, a.positional[0])
	if err != nil {
		return record{NotReplayed: err.Error()}
	}
	switch {
	case msg == "":
		return record{Expected: &outcome{Allowed: ptr(true)}}
	case strings.HasPrefix(msg, rejected):
		m := strings.TrimPrefix(msg, rejected)
		return record{Expected: &outcome{Allowed: ptr(false), Message: &m}}
	default:
		return record{Expected: &outcome{Allowed: ptr(false), Message: &msg},
			Note: "not a policy verdict: the copy failed before evaluating the policy (message kept whole)"}
	}
}

// skopeoCopy does what skopeo copy does up to and including the policy check, and returns its error text
// ("" when the policy allows the image). An error return is a replay problem.
//
// skopeo: getPolicyContext (`Error loading trust policy: %v`), alltransports.ParseImageName(SRC) (`Invalid
// source name %s: %v`), then copy.Image. copy.Image (copy/copy.go, copy/single.go of the pinned version)
// creates the destination (a new dir: directory, which cannot fail here), the source (`initializing source
// %s: %w`), reads the manifest's MIME type (`determining manifest MIME type for %s: %w`, twice: in Image
// and in copySingleImage) and checks the policy (`Source image rejected: %w`) before reading anything else.
// The copy package itself is not linked: one of its progress-bar dependencies is not served by the module
// proxy at the version v5.42.0 requires.
func (r *replayer) skopeoCopy(c *fixtureCase, a copyArgs, src string) (string, error) {
	pc, err := policyContext(a.policy)
	if err != nil {
		return policyPrefix + err.Error(), nil
	}
	defer func() { _ = pc.Destroy() }()
	srcRef, err := alltransports.ParseImageName(src)
	if err != nil {
		return fmt.Sprintf("Invalid source name %s: %v", src, err), nil
	}
	sys := &types.SystemContext{}
	if a.registriesConf != "" {
		sys.SystemRegistriesConfPath = filepath.Join(r.fixtures, a.registriesConf)
	} else {
		// The generator runs every skopeo copy with CONTAINERS_REGISTRIES_CONF=registries.conf.
		sys.SystemRegistriesConfPath = filepath.Join(r.fixtures, "registries.conf")
	}
	// Drop-in registries.conf.d files of the machine are not part of the fixtures (and only hold short-name
	// aliases on Debian, which docker:// references never use).
	sys.SystemRegistriesConfDirPath = filepath.Join(r.work, "registries.conf.d")
	if a.registriesD != "" {
		dir, err := r.regD.get(a.registriesD)
		if err != nil {
			return "", err
		}
		sys.RegistriesDirPath = dir
	}
	if a.srcTLSVerifyOff {
		sys.DockerInsecureSkipTLSVerify = types.OptionalBoolTrue
	}
	if strings.HasPrefix(src, "docker://") {
		if c.Image == "" {
			return "", errors.New("a docker:// copy case without its image")
		}
		r.copyMu.Lock()
		defer r.copyMu.Unlock()
		if err := r.registry.serve(filepath.Join(r.fixtures, c.Image)); err != nil {
			return "", err
		}
	}
	ctx := context.Background()
	rawSource, err := srcRef.NewImageSource(ctx, sys)
	if err != nil {
		return fmt.Errorf("initializing source %s: %w", transports.ImageName(srcRef), err).Error(), nil
	}
	defer rawSource.Close()
	unparsed := image.UnparsedInstance(rawSource, nil)
	_, mt, err := unparsed.Manifest(ctx)
	if err != nil {
		return fmt.Errorf("determining manifest MIME type for %s: %w", transports.ImageName(srcRef), err).Error(), nil
	}
	if manifest.MIMETypeIsMultiImage(mt) {
		return "", fmt.Errorf("%s is a manifest list (not replayed)", src)
	}
	if allowed, err := pc.IsRunningImageAllowed(ctx, unparsed); !allowed || err != nil {
		return fmt.Errorf("Source image rejected: %w", err).Error(), nil
	}
	return "", nil
}

// standaloneVerify: `skopeo standalone-verify MANIFEST REFERENCE FINGERPRINTS SIGNATURE` with the keys of
// the case's keyring.
func (r *replayer) standaloneVerify(c *fixtureCase) record {
	args, err := standaloneArgs(c.Argv, "standalone-verify")
	if err != nil || len(args) != 4 {
		return record{NotReplayed: fmt.Sprintf("unexpected arguments %q (%v)", c.Argv, err)}
	}
	manifestPath, ref, fingerprints, sigPath := args[0], args[1], args[2], args[3]
	fail := func(msg string) record {
		msg = strings.TrimPrefix(msg, "Error verifying signature: ")
		return record{Expected: &outcome{OK: ptr(false), Message: &msg}}
	}
	m, err := os.ReadFile(manifestPath)
	if err != nil {
		return fail(fmt.Sprintf("Error reading manifest from %s: %v", manifestPath, err))
	}
	sig, err := os.ReadFile(sigPath)
	if err != nil {
		return fail(fmt.Sprintf("Error reading signature from %s: %v", sigPath, err))
	}
	if c.Keyring == "" {
		return record{NotReplayed: "the case names no keyring"}
	}
	keys, err := os.ReadFile(c.Keyring)
	if err != nil {
		return record{NotReplayed: err.Error()}
	}
	mech, _, err := signature.NewEphemeralGPGSigningMechanism(keys)
	if err != nil {
		return record{NotReplayed: fmt.Sprintf("importing %s: %v", c.Keyring, err)}
	}
	defer mech.Close()
	s, identity, err := signature.VerifyImageManifestSignatureUsingKeyIdentityList(sig, m, ref, mech, strings.Split(fingerprints, ","))
	if err != nil {
		return fail(fmt.Errorf("Error verifying signature: %w", err).Error())
	}
	d := s.DockerManifestDigest.String()
	return record{Expected: &outcome{OK: ptr(true), Fingerprint: &identity, DockerReference: &s.DockerReference, Digest: &d}}
}

// standaloneSign: failures only (a success needs the secret key, which is not committed).
func (r *replayer) standaloneSign(c *fixtureCase) record {
	var e struct {
		OK *bool `json:"ok"`
	}
	_ = json.Unmarshal(c.Expected, &e)
	if e.OK == nil || *e.OK {
		return record{NotReplayed: "a successful signing needs the secret key, which is not committed (the runner verifies the recorded signature)"}
	}
	args, err := standaloneArgs(c.Argv, "standalone-sign")
	if err != nil || len(args) != 3 {
		return record{NotReplayed: fmt.Sprintf("unexpected arguments %q (%v)", c.Argv, err)}
	}
	manifestPath, ref, fingerprint := args[0], args[1], args[2]
	fail := func(msg string) record { return record{Expected: &outcome{OK: ptr(false), Message: &msg}} }
	m, err := os.ReadFile(manifestPath)
	if err != nil {
		return fail(fmt.Sprintf("Error reading %s: %v", manifestPath, err))
	}
	mech, err := signature.NewGPGSigningMechanism()
	if err != nil {
		return fail(fmt.Sprintf("Error initializing GPG: %v", err))
	}
	defer mech.Close()
	if _, err := signature.SignDockerManifest(m, ref, mech, fingerprint); err != nil {
		return fail(fmt.Errorf("Error creating signature: %w", err).Error())
	}
	return record{NotReplayed: fmt.Sprintf("signing by %s succeeded with an empty GNUPGHOME", fingerprint)}
}

// standaloneArgs: the positional arguments after `sub` (options with values skipped).
func standaloneArgs(argv []string, sub string) ([]string, error) {
	i := 0
	for i < len(argv) && argv[i] != sub {
		i++
	}
	if i == len(argv) {
		return nil, fmt.Errorf("no %s in argv", sub)
	}
	var out []string
	for j := i + 1; j < len(argv); j++ {
		switch a := argv[j]; {
		case a == "-o" || a == "--output" || a == "--passphrase-file" || a == "--public-key-file":
			j++
		case strings.HasPrefix(a, "--") && strings.Contains(a, "="):
		case strings.HasPrefix(a, "-") && len(a) > 1:
			return nil, fmt.Errorf("unknown option %s", a)
		default:
			out = append(out, a)
		}
	}
	return out, nil
}

// scrub writes machine-specific paths as the recording does: registries.d copies as the relative path
// skopeo was given, the fixtures directory as @FIXTURES@, the work directory as @WORK@.
func (r *replayer) scrub(s string) string {
	s = r.regD.unmap(s)
	s = strings.ReplaceAll(s, r.fixtures, fixturesPlaceholder)
	return strings.ReplaceAll(s, r.work, "@WORK@")
}

func ptr[T any](v T) *T { return &v }

// registriesDCopies: the fixtures' registries.d directories with @FIXTURES@ substituted, made once each.
type registriesDCopies struct {
	fixtures, root string
	mu             sync.Mutex
	made           map[string]string // relative path → copy
}

func (d *registriesDCopies) get(rel string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, ok := d.made[rel]; ok {
		return p, nil
	}
	dst := filepath.Join(d.root, fmt.Sprintf("%d", len(d.made)))
	if err := copySubstituted(filepath.Join(d.fixtures, rel), dst, d.fixtures); err != nil {
		return "", err
	}
	d.made[rel] = dst
	return dst, nil
}

func (d *registriesDCopies) unmap(s string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	for rel, p := range d.made {
		s = strings.ReplaceAll(s, p+"/", rel+"/")
		if strings.HasSuffix(s, p) || strings.Contains(s, p+`"`) || strings.Contains(s, p+":") {
			s = strings.ReplaceAll(s, p, rel)
		}
	}
	return s
}

func copySubstituted(src, dst, fixtures string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if e.IsDir() {
			if err := copySubstituted(from, to, fixtures); err != nil {
				return err
			}
			continue
		}
		b, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		b = []byte(strings.ReplaceAll(string(b), fixturesPlaceholder, fixtures))
		if err := os.WriteFile(to, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// fakeRegistry is the registry the recording pushed the fixture images to, reduced to what a pull of one
// image needs: /v2/, the manifest of the image being replayed (under any repository and tag, or its
// digest), and 404 for blobs (the fixtures commit none) and anything else.
type fakeRegistry struct {
	srv *http.Server
	mu  sync.Mutex
	// the image being replayed
	manifest []byte
	mimeType string
	digest   digest.Digest
}

func startRegistry() (*fakeRegistry, error) {
	l, err := net.Listen("tcp", registryAddr)
	if err != nil {
		return nil, err
	}
	r := &fakeRegistry{}
	r.srv = &http.Server{Handler: r}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

func (r *fakeRegistry) close() { _ = r.srv.Close() }

func (r *fakeRegistry) serve(imageDir string) error {
	m, err := os.ReadFile(filepath.Join(imageDir, "manifest.json"))
	if err != nil {
		return err
	}
	d, err := manifest.Digest(m)
	if err != nil {
		return fmt.Errorf("digest of %s: %w", imageDir, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.manifest, r.mimeType, r.digest = m, manifest.GuessMIMEType(m), d
	return nil
}

func registryError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": code, "message": message}}})
}

func (r *fakeRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	p := req.URL.Path
	if p == "/v2/" || p == "/v2" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
		return
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		http.NotFound(w, req)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := strings.LastIndex(rest, "/blobs/"); i >= 0 {
		registryError(w, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown to registry")
		return
	}
	i := strings.LastIndex(rest, "/manifests/")
	if i < 0 || r.manifest == nil {
		registryError(w, http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry")
		return
	}
	ref := rest[i+len("/manifests/"):]
	if d, err := digest.Parse(ref); err == nil {
		if d != r.digest {
			registryError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown")
			return
		}
	} else if strings.HasPrefix(ref, "sha256-") {
		// sigstore attachment tags: the recording's registry held none.
		registryError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown")
		return
	}
	w.Header().Set("Content-Type", r.mimeType)
	w.Header().Set("Docker-Content-Digest", r.digest.String())
	w.Header().Set("Content-Length", fmt.Sprintf("%d", len(r.manifest)))
	if req.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(r.manifest)
}

func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == path {
				if m.Replace != nil {
					return m.Replace.Version
				}
				return m.Version
			}
		}
	}
	return "unknown"
}

func gpgVersion() string {
	out, err := exec.Command("gpg", "--version").Output()
	if err != nil {
		return "unknown"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return first
}
