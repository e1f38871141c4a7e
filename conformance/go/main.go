// Command conformance-go is the differential harness of containers-policy: it generates random but
// valid (and some deliberately invalid) policies, image references, images with signatures and
// registries.d configurations from a seed, asks containers/image (go.podman.io/image/v5, in-process,
// default GPGME build) and our SDK (through the C ABI libcontainers_policy), and fails on any
// difference in verdict or message. See README.md; run it with ./conformance/go/run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	containerspolicy "example.invalid/containers-policy/ffi/go"
	"github.com/proglottis/gpgme"
	"github.com/sirupsen/logrus"
)

type environment struct {
	work       string // working directory of the process (relative key paths resolve here)
	paths      string // files and directories for dir:/oci:/… references
	images     string // per-case dir: images read by containers/image
	registries string // per-case registries.d directories
	repro      string // where reproducers of disagreements go
}

func main() {
	os.Exit(run())
}

func run() int {
	var (
		cases      = flag.Int("cases", 10000, "number of cases")
		seed       = flag.Uint64("seed", 20261122, "seed (the cases are a pure function of seed and case number)")
		soak       = flag.Bool("soak", false, "run many more cases (--cases 200000 unless --cases is given)")
		only       = flag.Int("only", -1, "run only case N (as numbered by a run with the same seed)")
		first      = flag.Int("first", 0, "number of the first case")
		jobs       = flag.Int("jobs", 0, "parallel workers (default 2 per CPU)")
		upstream   = flag.String("upstream", "", "upstream fixtures (…/signature/fixtures)")
		fixtures   = flag.String("fixtures", "", "conformance/fixtures (optional; used when present)")
		work       = flag.String("work", "", "work directory (default: a new temporary directory, removed at the end)")
		reproDir   = flag.String("repro", "", "directory for reproducers (default: reproducers/ in the work directory)")
		maxReport  = flag.Int("max-report", 20, "print at most this many disagreements in full")
		verbose    = flag.Bool("v", false, "print every case")
		summaryOut = flag.String("summary-json", "", "also write the summary as JSON to this file")
	)
	flag.Parse()
	casesSet := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "cases" {
			casesSet = true
		}
	})
	if *soak && !casesSet {
		*cases = 200000
	}
	if os.Getenv("TZ") != "UTC" {
		fmt.Fprintln(os.Stderr, "conformance-go: run with TZ=UTC (GPGME messages print times in the local zone; ./conformance/go/run sets it)")
		return 2
	}
	if *upstream == "" {
		fmt.Fprintln(os.Stderr, "conformance-go: --upstream is required")
		return 2
	}
	if *jobs <= 0 {
		*jobs = 2 * runtime.NumCPU()
	}
	start := time.Now()
	// containers/image logs "signedBaseLayer not implemented yet!" at error level; the verdict is compared.
	logrus.SetLevel(logrus.FatalLevel)

	env, cleanup, err := setupEnvironment(*work)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance-go:", err)
		return 2
	}
	keepWork := false
	defer func() {
		if !keepWork {
			cleanup()
		}
	}()
	env.repro = *reproDir
	if env.repro == "" {
		// Inside the work directory, which is kept when there are disagreements (the policies of the
		// reproducers refer to files in it) and removed otherwise.
		env.repro = filepath.Join(env.work, "reproducers")
	}
	// Our temporary files (and GPGME's ephemeral homes) go into the work directory.
	_ = os.Setenv("TMPDIR", filepath.Join(env.work, "tmp"))

	upstreamDir, _ := filepath.Abs(*upstream)
	fixturesDir := ""
	if *fixtures != "" {
		if st, err := os.Stat(filepath.Join(*fixtures, "images")); err == nil && st.IsDir() {
			fixturesDir, _ = filepath.Abs(*fixtures)
		}
	}
	c, err := loadCorpus(upstreamDir, fixturesDir, env.work, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance-go: loading the corpus:", err)
		return 2
	}
	if err := selfTest(context.Background(), env, c); err != nil {
		fmt.Fprintln(os.Stderr, "conformance-go:", err)
		return 2
	}
	setup := time.Since(start)

	fmt.Printf("conformance-go: containers/image %s (GPGME %s, %s), libcontainers_policy %s, %s\n",
		moduleVersion("go.podman.io/image/v5"), gpgme.Version, gpgVersion(), containerspolicy.Version(), runtime.Version())
	fmt.Printf("corpus: %d keyrings, %d manifests, %d signatures (%d made with gpg, %d with containers_policy_sign), %d repositories; fixtures: %s\n",
		len(c.keys), len(c.manifests), len(c.sigs), c.craftedN, c.sdkSignedN, len(c.repos), orNone(fixturesDir))

	numbers := make(chan int)
	results := make(chan *result)
	var wg sync.WaitGroup
	ctx := context.Background()
	var done atomic.Int64
	for range *jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range numbers {
				tc := generate(c, env, *seed, n)
				res := runCase(ctx, env, tc)
				results <- res
				done.Add(1)
			}
		}()
	}
	go func() {
		if *only >= 0 {
			numbers <- *only
		} else {
			for n := *first; n < *first+*cases; n++ {
				numbers <- n
			}
		}
		close(numbers)
		wg.Wait()
		close(results)
	}()

	s := newSummary()
	reported := 0
	lastProgress := time.Now()
	total := *cases
	if *only >= 0 {
		total = 1
	}
	for res := range results {
		s.add(res)
		bad := !res.agree && res.known == ""
		if res.accepted && !res.accAgree {
			bad = true
		}
		if *verbose || *only >= 0 {
			printCase(*seed, res, bad)
		}
		if bad {
			dir := writeReproducer(env, *seed, res)
			if reported < *maxReport && !*verbose && *only < 0 {
				printCase(*seed, res, true)
			}
			reported++
			fmt.Printf("  reproducer: %s\n", dir)
		}
		if res.imageDir != "" && !bad {
			_ = os.RemoveAll(res.imageDir)
		}
		if time.Since(lastProgress) > 15*time.Second {
			lastProgress = time.Now()
			fmt.Printf("  … %d/%d cases, %s\n", done.Load(), total, time.Since(start).Round(time.Second))
		}
	}
	elapsed := time.Since(start)
	s.print(*seed, elapsed, setup)
	if *summaryOut != "" {
		if err := s.writeJSON(*summaryOut, *seed, elapsed, c); err != nil {
			fmt.Fprintln(os.Stderr, "conformance-go:", err)
		}
	}
	if s.disagreements > 0 {
		if *work == "" {
			keepWork = true // the policies of the reproducers refer to files in it
			fmt.Printf("work directory kept (reproducers refer to it): %s\n", env.work)
		}
		fmt.Printf("FAIL: %d disagreement(s); reproducers in %s\n", s.disagreements, env.repro)
		return 1
	}
	if s.total == 0 {
		fmt.Println("FAIL: no cases ran")
		return 1
	}
	fmt.Println("PASS")
	return 0
}

func unixWritable(dir string) bool {
	f, err := os.CreateTemp(dir, ".probe-")
	if err != nil {
		return false
	}
	name := f.Name()
	f.Close()
	return os.Remove(name) == nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				if d.Replace != nil {
					return d.Version + " => " + d.Replace.Path + " " + d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "(unknown)"
}

func gpgVersion() string {
	out, err := exec.Command("gpg", "--version").Output()
	if err != nil {
		return "gpg ?"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return line
}

func setupEnvironment(work string) (*environment, func(), error) {
	var err error
	cleanup := func() {}
	if work == "" {
		// GPGME creates a GnuPG home per signature check; on a tmpfs that is several times faster.
		base := ""
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() && unixWritable("/dev/shm") {
			base = "/dev/shm"
		}
		work, err = os.MkdirTemp(base, "containers-policy-go-")
		if err != nil {
			return nil, nil, err
		}
		w := work
		cleanup = func() { _ = os.RemoveAll(w) }
	}
	work, err = filepath.Abs(work)
	if err != nil {
		return nil, nil, err
	}
	// Resolve symlinks (e.g. /tmp) so that the paths we write are the ones transports resolve to.
	if resolved, err := filepath.EvalSymlinks(work); err == nil {
		work = resolved
	}
	env := &environment{
		work:       work,
		paths:      filepath.Join(work, "paths"),
		images:     filepath.Join(work, "images"),
		registries: filepath.Join(work, "registries.d"),
	}
	for _, d := range []string{env.paths + "/a/b", env.paths + "/a b", env.images, env.registries, work + "/tmp"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, nil, err
		}
	}
	_ = os.Symlink("a", env.paths+"/link")
	for _, f := range []string{env.paths + "/img.tar", env.paths + "/a/img.sif"} {
		if err := os.WriteFile(f, []byte("not really an archive\n"), 0o644); err != nil {
			return nil, nil, err
		}
	}
	if err := os.Chdir(work); err != nil {
		return nil, nil, err
	}
	return env, cleanup, nil
}

// ---------------------------------------------------------------------------------------------

func printCase(seed uint64, res *result, bad bool) {
	tc := res.tc
	status := "agree"
	if bad {
		status = "DISAGREE"
	} else if res.known != "" {
		status = "agree (known difference " + res.known + ")"
	}
	fmt.Printf("case %d (seed %d) %s/%s: %s\n", tc.n, seed, res.kind, tc.scenario, status)
	if bad && len(tc.features) > 0 {
		fmt.Printf("  case features: %s\n", strings.Join(tc.features, "; "))
	}
	if tc.kind == "lookaside" {
		fmt.Printf("  lookaside: ref=%q digest=%q index=%d write=%v\n", tc.lookRef, tc.lookDigest, tc.lookIndex, tc.lookWrite)
		for _, f := range tc.regFiles {
			if f.isDir {
				fmt.Printf("  registries.d/%s/ (a directory)\n", f.name)
			} else {
				fmt.Printf("  registries.d/%s:\n%s\n", f.name, indent(f.content))
			}
		}
	} else {
		fmt.Printf("  policy: %s\n", tc.policy)
		fmt.Printf("  reference: %s\n", tc.ref)
		fmt.Printf("  manifest: %s (%s)\n", tc.manifest.name, orNone(tc.manifest.digest))
		for i, s := range tc.sigs {
			fmt.Printf("  signature-%d: %s (claims %q %s, key %s)\n", i+1, s.name, s.identity, s.digest, s.keyID)
		}
	}
	fmt.Printf("  containers/image: %s\n", res.cimage)
	fmt.Printf("  containers-policy: %s\n", res.ours)
	if res.accepted {
		fmt.Printf("  accepted-author containers/image: %s\n", res.accCimage)
		fmt.Printf("  accepted-author containers-policy: %s\n", res.accOurs)
	}
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// writeReproducer saves everything needed to replay a disagreement by hand.
func writeReproducer(env *environment, seed uint64, res *result) string {
	tc := res.tc
	dir := filepath.Join(env.repro, fmt.Sprintf("case-%d", tc.n))
	_ = os.RemoveAll(dir)
	_ = os.MkdirAll(dir, 0o755)
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d, case %d, kind %s, scenario %s\n", seed, tc.n, res.kind, tc.scenario)
	if len(tc.features) > 0 {
		fmt.Fprintf(&b, "case features: %s\n", strings.Join(tc.features, "; "))
	}
	fmt.Fprintf(&b, "re-run: ./conformance/go/run --seed %d --only %d\n", seed, tc.n)
	fmt.Fprintf(&b, "work directory of the run: %s (key paths and dir:/oci: paths in the policy point there or to the fixtures)\n\n", env.work)
	if tc.kind == "lookaside" {
		fmt.Fprintf(&b, "docker reference: %s\ndigest: %s\nindex: %d\nwrite: %v\n", tc.lookRef, tc.lookDigest, tc.lookIndex, tc.lookWrite)
		rd := filepath.Join(dir, "registries.d")
		_ = os.MkdirAll(rd, 0o755)
		for _, f := range tc.regFiles {
			if f.isDir {
				_ = os.MkdirAll(filepath.Join(rd, f.name), 0o755)
			} else {
				_ = os.WriteFile(filepath.Join(rd, f.name), []byte(f.content), 0o644)
			}
		}
		fmt.Fprintf(&b, "registries.d: %s (containers/image read it at %s; messages quote that path)\n", rd, res.imageDir)
	} else {
		_ = os.WriteFile(filepath.Join(dir, "policy.json"), tc.policy, 0o644)
		_ = os.WriteFile(filepath.Join(dir, "manifest.json"), tc.manifest.data, 0o644)
		fmt.Fprintf(&b, "reference: %s\nmanifest: %s\n", tc.ref, tc.manifest.name)
		for i, s := range tc.sigs {
			_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("signature-%d", i+1)), s.blob, 0o644)
			fmt.Fprintf(&b, "signature-%d: %s\n", i+1, s.name)
		}
		for _, k := range tc.keyFiles {
			fmt.Fprintf(&b, "key file: %s\n", k)
		}
		if res.imageDir != "" {
			fmt.Fprintf(&b, "containers/image read the image (this manifest.json and signature-N) from %s\n", res.imageDir)
		}
	}
	fmt.Fprintf(&b, "\ncontainers/image: %s\ncontainers-policy: %s\n", res.cimage, res.ours)
	if res.accepted {
		fmt.Fprintf(&b, "accepted-author containers/image: %s\naccepted-author containers-policy: %s\n", res.accCimage, res.accOurs)
	}
	_ = os.WriteFile(filepath.Join(dir, "case.txt"), []byte(b.String()), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "containers-image.txt"), []byte(res.cimage.msg+res.cimage.out+"\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "containers-policy.txt"), []byte(res.ours.msg+res.ours.out+"\n"), 0o644)
	return dir
}

// ---------------------------------------------------------------------------------------------

type summary struct {
	total, disagreements int
	byKind               map[string]int
	byScenario           map[string]int
	known                map[string]int
	verified, sigBlobs   int
	accepted             int
	failuresByKind       map[string]int
	cimageTime, oursTime time.Duration
	cimageVerifyTime     time.Duration
	classes              map[string]*class
}

// class groups disagreements whose texts differ in the same way.
type class struct {
	count    int
	examples []int
}

var (
	reHex    = regexp.MustCompile(`[0-9a-fA-F]{16,}`)
	rePath   = regexp.MustCompile(`/[^\s"':;,]+`)
	reNumber = regexp.MustCompile(`\d+`)
)

func normalize(msg string) string {
	msg = reHex.ReplaceAllString(msg, "<hex>")
	msg = rePath.ReplaceAllString(msg, "<path>")
	msg = reNumber.ReplaceAllString(msg, "N")
	if len(msg) > 160 {
		msg = msg[:160] + "…"
	}
	return msg
}

func newSummary() *summary {
	return &summary{byKind: map[string]int{}, byScenario: map[string]int{}, known: map[string]int{}, failuresByKind: map[string]int{}, classes: map[string]*class{}}
}

func (s *summary) add(res *result) {
	s.total++
	kind := res.kind
	if kind == "" {
		kind = "harness-error(" + res.stage + ")"
	}
	s.byKind[kind]++
	scen := res.tc.scenario
	if i := strings.Index(scen, "/"); i >= 0 {
		scen = scen[:i]
	}
	s.byScenario[scen]++
	if res.known != "" {
		s.known[res.known]++
	}
	if (!res.agree && res.known == "") || (res.accepted && !res.accAgree) {
		s.disagreements++
		s.failuresByKind[kind]++
		c, o := res.cimage, res.ours
		if res.agree {
			c, o = res.accCimage, res.accOurs
			kind += "/accepted-author"
		}
		features := "none"
		if len(res.tc.features) > 0 {
			f := slices.Clone(res.tc.features)
			sort.Strings(f)
			features = strings.Join(f, "; ")
		}
		key := fmt.Sprintf("%s (case features: %s)\n      containers/image:  ok=%v %s\n      containers-policy: ok=%v %s", kind, features, c.ok, normalize(c.msg+c.out), o.ok, normalize(o.msg+o.out))
		cl := s.classes[key]
		if cl == nil {
			cl = &class{}
			s.classes[key] = cl
		}
		cl.count++
		if len(cl.examples) < 5 {
			cl.examples = append(cl.examples, res.tc.n)
		}
	}
	if res.verified {
		s.verified++
		s.sigBlobs += res.sigBlobs
	}
	if res.accepted {
		s.accepted++
	}
	s.cimageTime += res.cimageTime
	s.oursTime += res.oursTime
	if res.verified {
		s.cimageVerifyTime += res.cimageTime
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *summary) print(seed uint64, elapsed, setup time.Duration) {
	fmt.Printf("\nsummary (seed %d): %d cases in %s (corpus set-up %s)\n", seed, s.total, elapsed.Round(time.Millisecond), setup.Round(time.Millisecond))
	fmt.Println("  by kind:")
	for _, k := range sortedKeys(s.byKind) {
		fmt.Printf("    %-22s %6d", k, s.byKind[k])
		if f := s.failuresByKind[k]; f > 0 {
			fmt.Printf("   (%d disagreeing)", f)
		}
		fmt.Println()
	}
	fmt.Println("  by scenario:")
	for _, k := range sortedKeys(s.byScenario) {
		fmt.Printf("    %-22s %6d\n", k, s.byScenario[k])
	}
	fmt.Printf("  time in IsRunningImageAllowed: containers/image %s (%s of it in the verification cases), containers-policy (C ABI, evaluate) %s (summed over workers)\n",
		s.cimageTime.Round(time.Millisecond), s.cimageVerifyTime.Round(time.Millisecond), s.oursTime.Round(time.Millisecond))
	fmt.Printf("  GetSignaturesWithAcceptedAuthor also compared: %d cases\n", s.accepted)
	fmt.Printf("  real signature verification (GPGME) in containers/image: %d cases, %d signature blobs\n", s.verified, s.sigBlobs)
	if len(s.known) > 0 {
		fmt.Println("  known intended differences (texts compared modulo the documented rule):")
		for _, k := range sortedKeys(s.known) {
			fmt.Printf("    %-22s %6d\n", k, s.known[k])
		}
	}
	fmt.Printf("  disagreements: %d\n", s.disagreements)
	if len(s.classes) > 0 {
		fmt.Println("  disagreement classes (texts normalized: <hex>, <path>, N):")
		keys := make([]string, 0, len(s.classes))
		for k := range s.classes {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if s.classes[keys[i]].count != s.classes[keys[j]].count {
				return s.classes[keys[i]].count > s.classes[keys[j]].count
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			sort.Ints(s.classes[k].examples)
			fmt.Printf("    %d× %s\n      e.g. cases %v\n", s.classes[k].count, k, s.classes[k].examples)
		}
	}
}

func (s *summary) writeJSON(path string, seed uint64, elapsed time.Duration, c *corpus) error {
	var b strings.Builder
	fmt.Fprintf(&b, "{\n  \"seed\": %d,\n  \"cases\": %d,\n  \"disagreements\": %d,\n  \"seconds\": %.1f,\n", seed, s.total, s.disagreements, elapsed.Seconds())
	fmt.Fprintf(&b, "  \"containers_image\": %s,\n  \"verified_cases\": %d,\n  \"verified_signature_blobs\": %d,\n", quote(moduleVersion("go.podman.io/image/v5")), s.verified, s.sigBlobs)
	writeMap := func(name string, m map[string]int, last bool) {
		fmt.Fprintf(&b, "  %s: {", quote(name))
		for i, k := range sortedKeys(m) {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s: %d", quote(k), m[k])
		}
		b.WriteString("}")
		if !last {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	writeMap("by_kind", s.byKind, false)
	writeMap("by_scenario", s.byScenario, false)
	writeMap("known_differences", s.known, true)
	b.WriteString("}\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
