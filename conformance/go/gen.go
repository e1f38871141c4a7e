package main

// Case generation. Every case is a pure function of (seed, case number) and the corpus, so any case
// can be re-run alone (--only N) and runs in any order or in parallel.

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/transports/alltransports"
)

type regFile struct {
	name    string
	content string
	isDir   bool // a directory named like a .yaml file
}

type testCase struct {
	n        int
	kind     string // generation intent: eval | policy | lookaside (the reported kind also depends on outcomes)
	scenario string
	policy   []byte
	ref      string
	manifest *manifestEntry
	sigs     []*sigEntry
	accepted bool // also compare GetSignaturesWithAcceptedAuthor
	keyFiles []string
	// features: inputs known to trigger a reported difference; printed with disagreements to help
	// grouping them (never used to excuse one)
	features []string
	// lookaside
	regFiles   []regFile
	lookRef    string
	lookDigest string
	lookIndex  int
	lookWrite  bool
}

type gen struct {
	c    *corpus
	env  *environment
	r    *rand.Rand
	tc   *testCase
	reqs []*node // requirement objects generated (for mutations)
	ids  []*node // signedIdentity objects generated
	// the signature the case is about (sig scenario)
	focus *sigEntry
	// sigstoreReachable: sigstoreSigned may be placed where the reference reaches it (the image carries
	// no sigstore signature, whose verification the SDK does not implement)
	sigstoreReachable bool
}

var tags = []string{"latest", "1.0", "v2", "tag_x", "stable", "1.0.0-rc.1", "A-Upper", strings.Repeat("t", 128)}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func chance(r *rand.Rand, percent int) bool { return r.IntN(100) < percent }

// repoNameOf returns the normalized repository name of a docker reference string, or "".
func repoNameOf(s string) string {
	n, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return ""
	}
	return n.Name()
}

func familiar(repo string) string {
	n, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return repo
	}
	return reference.FamiliarName(n)
}

func generate(c *corpus, env *environment, seed uint64, n int) *testCase {
	g := &gen{c: c, env: env, r: rand.New(rand.NewPCG(seed, uint64(n)+1)), tc: &testCase{n: n}}
	k := g.r.IntN(100)
	switch {
	case k < 8:
		g.tc.kind = "lookaside"
		g.genLookaside()
	case k < 17:
		g.tc.kind = "policy"
		g.genEval()
		g.mutatePolicy()
	default:
		g.tc.kind = "eval"
		g.genEval()
	}
	return g.tc
}

func (g *gen) feature(f string) {
	if !slices.Contains(g.tc.features, f) {
		g.tc.features = append(g.tc.features, f)
	}
}

// ---------------------------------------------------------------------------------------------
// References

// dockerRefString writes repo with a tag/digest in one of the forms users type.
func (g *gen) dockerName(repo string) string {
	r := g.r
	switch r.IntN(6) {
	case 0:
		return familiar(repo)
	case 1:
		if strings.HasPrefix(repo, "docker.io/") {
			return "index.docker.io/" + strings.TrimPrefix(repo, "docker.io/")
		}
	}
	return repo
}

func (g *gen) randomRepo() string {
	r := g.r
	if chance(r, 70) {
		return pick(r, g.c.repos)
	}
	hosts := []string{"", "docker.io", "quay.io", "registry.example.com", "a.b.example.com", "very.deep.example.com", "localhost",
		"localhost:5000", "127.0.0.1:5000", "example.com:8443", "Example.COM", "xn--bcher-kva.example", "1.2.3.4"}
	comps := []string{"library", "ns", "team", "app", "busybox", "a-b", "a_b", "a.b", "a__b", "x1", "manifest", "testing", "sub"}
	host := pick(r, hosts)
	var parts []string
	for range 1 + r.IntN(4) {
		parts = append(parts, pick(r, comps))
	}
	name := strings.Join(parts, "/")
	if host != "" {
		name = host + "/" + name
	}
	if rn := repoNameOf(name); rn != "" {
		return rn
	}
	return "docker.io/library/busybox"
}

// tagOrDigest picks the tag/digest suffix of a reference.
func (g *gen) tagOrDigest(preferDigest string) string {
	r := g.r
	switch {
	case preferDigest != "" && chance(r, 30):
		return "@" + preferDigest
	case chance(r, 8):
		return "@" + pick(r, g.c.manifests).digestOr(sha256Digest([]byte("x")))
	case chance(r, 10):
		return "" // name-only: the docker transport adds :latest
	case chance(r, 3):
		return "@sha512:" + strings.Repeat("ab", 64)
	case chance(r, 55):
		return ":latest"
	default:
		return ":" + pick(r, tags)
	}
}

func (m *manifestEntry) digestOr(d string) string {
	if m.digest != "" {
		return m.digest
	}
	return d
}

// invalidReference returns a reference string that should fail to parse.
func (g *gen) invalidReference() string {
	d := sha256Digest([]byte("y"))
	return pick(g.r, []string{
		"docker://UPPER/case:1", "docker://busybox:latest@" + d, "docker:busybox", "docker://", "nosuchtransport:foo",
		"no-colon-at-all", "docker://busybox@sha256:0123", "docker://busybox:" + strings.Repeat("t", 129),
		"atomic:ns/stream:tag", "atomic:host/ns/stream", "docker-daemon:" + d[len("sha256:"):], "docker-daemon:busybox",
		"docker-daemon:sha256:0123", "ostree:repo@/ostree", "docker://" + strings.Repeat("a", 64),
		"oci:" + g.env.paths + "/oci-x:UPPER:TAG", "docker-archive:" + g.env.paths + "/a.tar:busybox@" + d,
		"docker://a//b:1", "docker://-a/b:1", "tarball:" + g.env.paths + "/missing.tar",
		"docker://busybox:tag@@unknown-digest@@", "docker://busybox@@unknown-digest@@",
	})
}

// pathTransportReference returns a reference of a non-docker transport.
func (g *gen) otherTransportReference() string {
	r := g.r
	p := g.env.paths
	dirs := []string{p + "/a", p + "/a/b", p + "/link/b", p + "/missing/c", p + "/a/../a/b", p + "/a/b/", p + "/a b"}
	files := []string{p + "/img.tar", p + "/link/b/img.tar", p + "/missing.sif", p + "/a/img.sif"}
	d := sha256Digest([]byte("daemon"))
	switch r.IntN(10) {
	case 0, 1:
		return "dir:" + pick(r, dirs)
	case 2:
		suffix := pick(r, []string{"", ":tag", ":latest", ":@0", ":@3", ":ns/app:1"})
		return "oci:" + pick(r, dirs) + suffix
	case 3:
		return "oci-archive:" + pick(r, files) + pick(r, []string{"", ":tag"})
	case 4:
		return "docker-archive:" + pick(r, files) + pick(r, []string{"", ":busybox:latest", ":quay.io/ns/app:1.0", ":@0", ":@1"})
	case 5:
		return "docker-daemon:" + pick(r, []string{"busybox:latest", "quay.io/ns/app:1.0", d, "busybox@" + d})
	case 6:
		return "atomic:" + pick(r, []string{"registry.example.com/ns/stream:tag", "localhost:8443/ns/img:latest", "host/ns/s:1"})
	case 7:
		return "tarball:" + pick(r, []string{p + "/img.tar", p + "/img.tar:" + p + "/a/img.sif"})
	case 8:
		return "sif:" + pick(r, files)
	default:
		return "dir:" + pick(r, []string{"relative/dir", "./a", p})
	}
}

// ---------------------------------------------------------------------------------------------
// Evaluation cases

func (g *gen) genEval() {
	r, c, tc := g.r, g.c, g.tc
	var simple []*sigEntry
	for _, s := range c.sigs {
		if s.simple {
			simple = append(simple, s)
		}
	}
	switch k := r.IntN(100); {
	case k < 48:
		tc.scenario = "signature"
		g.focus = pick(r, simple)
		if g.focus.identity == "" && chance(r, 60) {
			g.focus = pick(r, simple)
		}
		repo := repoNameOf(g.focus.identity)
		if repo == "" || chance(r, 20) {
			repo = g.randomRepo()
		}
		suffix := g.tagOrDigest(g.focus.digest)
		if chance(r, 45) {
			if n, err := reference.ParseNormalizedNamed(g.focus.identity); err == nil {
				if t, ok := n.(reference.Tagged); ok {
					suffix = ":" + t.Tag()
				}
			}
		}
		tc.ref = "docker://" + g.dockerName(repo) + suffix
	case k < 88:
		tc.scenario = "plain"
		tc.ref = "docker://" + g.dockerName(g.randomRepo()) + g.tagOrDigest("")
	case k < 97:
		tc.scenario = "other-transport"
		tc.ref = g.otherTransportReference()
		if chance(r, 50) {
			g.focus = pick(r, simple)
		}
	default:
		tc.scenario = "invalid-reference"
		tc.ref = g.invalidReference()
	}

	// Manifest.
	tc.manifest = pick(r, c.manifests)
	wantDigest := ""
	if g.focus != nil && chance(r, 75) {
		wantDigest = g.focus.digest
	}
	if i := strings.LastIndex(tc.ref, "@sha256:"); i >= 0 && chance(r, 80) {
		wantDigest = tc.ref[i+1:]
	}
	if wantDigest != "" {
		for _, m := range c.manifests {
			if m.digest == wantDigest {
				tc.manifest = m
			}
		}
	}

	// Signatures.
	if g.focus != nil {
		tc.sigs = append(tc.sigs, g.focus)
	}
	extra := 0
	switch k := r.IntN(100); {
	case k < 55:
	case k < 85:
		extra = 1
	default:
		extra = 2
	}
	if g.focus == nil && chance(r, 40) {
		extra = 0
	}
	for range extra {
		if chance(r, 70) {
			tc.sigs = append(tc.sigs, pick(r, simple))
		} else {
			tc.sigs = append(tc.sigs, pick(r, c.sigs))
		}
	}
	r.Shuffle(len(tc.sigs), func(i, j int) { tc.sigs[i], tc.sigs[j] = tc.sigs[j], tc.sigs[i] })
	if chance(r, 2) {
		tc.sigs = append(tc.sigs, &sigEntry{name: "empty-blob", blob: []byte{}})
	}
	if chance(r, 2) {
		tc.sigs = append(tc.sigs, pick(r, []*sigEntry{
			{name: "format-no-newline", blob: []byte("\x00simple-signing")},
			{name: "format-unknown", blob: []byte("\x00other-format\nxyz")},
			{name: "format-nonascii", blob: []byte("\x00simple\x01signing\nxyz")},
			{name: "format-simple-signing-tagged", blob: append([]byte("\x00simple-signing\n"), c.sigs[0].blob...), simple: false},
			{name: "text", blob: []byte("not a signature")},
		}))
	}

	g.sigstoreReachable = true
	for _, s := range tc.sigs {
		if isSigstoreSignature(s.blob) {
			g.sigstoreReachable = false
		}
	}
	tc.policy = g.genPolicy().render()
	tc.accepted = len(tc.sigs) > 0 && chance(r, 5)
}

// ---------------------------------------------------------------------------------------------
// Policies

func (g *gen) genPolicy() *node {
	r, tc := g.r, g.tc
	root := jobj()
	transports := jobj()

	// Scopes the reference would look up (when it parses).
	var identity string
	var namespaces []string
	transport := ""
	if ref, err := alltransports.ParseImageName(tc.ref); err == nil {
		identity = ref.PolicyConfigurationIdentity()
		namespaces = ref.PolicyConfigurationNamespaces()
		transport = ref.Transport().Name()
	} else if t, _, ok := strings.Cut(tc.ref, ":"); ok {
		transport = t
	}

	focusList := g.focusRequirements()
	// Where the focus list goes.
	candidates := []string{"<default>"}
	if transport != "" {
		candidates = append(candidates, "")
		if identity != "" {
			candidates = append(candidates, identity, identity)
		}
		candidates = append(candidates, namespaces...)
	}
	focusAt := pick(r, candidates)
	if len(namespaces) > 0 && chance(r, 30) {
		focusAt = namespaces[0] // the repository
	}

	// The docker (or other transport) section.
	if transport != "" && (focusAt != "<default>" || chance(r, 60)) {
		scopes := jobj()
		var keys []string
		if focusAt != "<default>" {
			keys = append(keys, focusAt)
		}
		for _, s := range append([]string{identity, ""}, namespaces...) {
			if s != focusAt && chance(r, 25) && !slices.Contains(keys, s) {
				keys = append(keys, s)
			}
		}
		for _, s := range g.nearMissScopes(transport, identity, namespaces) {
			if chance(r, 30) && !slices.Contains(keys, s) {
				keys = append(keys, s)
			}
		}
		r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		for _, k := range keys {
			if k == focusAt {
				scopes.set(k, focusList)
			} else {
				scopes.set(k, g.otherRequirements())
			}
		}
		transports.set(transport, scopes)
	}
	// Sections of other transports (never matched by this reference).
	for _, t := range []string{"docker", "dir", "oci", "atomic", "docker-daemon", "docker-archive", "tarball", "oci-archive", "sif", "nonexistent-transport", "containers-storage"} {
		if t == transport || !chance(r, 12) {
			continue
		}
		scopes := jobj()
		for _, s := range g.validScopesFor(t) {
			if chance(r, 50) {
				scopes.set(s, g.otherRequirementsIncludingSigstore())
			}
		}
		transports.set(t, scopes)
	}

	if focusAt == "<default>" {
		root.set("default", focusList)
	} else {
		root.set("default", g.otherRequirements())
	}
	if len(transports.keys) > 0 || chance(r, 20) {
		root.set("transports", transports)
	}
	if chance(r, 50) {
		// "transports" before "default"
		slices.Reverse(root.keys)
		slices.Reverse(root.vals)
	}
	return root
}

// nearMissScopes are docker scopes that look related but never match.
func (g *gen) nearMissScopes(transport, identity string, namespaces []string) []string {
	if transport != "docker" || identity == "" {
		return g.validScopesFor(transport)
	}
	repo := namespaces[0]
	host, _, _ := strings.Cut(repo, "/")
	bare, _, _ := strings.Cut(host, ":")
	out := []string{
		repo + ":nomatch", repo + "@" + sha256Digest([]byte("other")), repo + "/", repo + "x", "*." + host, "*." + bare,
		bare, host + ":1", strings.ToUpper(repo), "docker.io/library", "*.example.com", "*", "*.",
		strings.TrimPrefix(repo, host+"/"),
	}
	if i := strings.Index(bare, "."); i >= 0 {
		out = append(out, "*"+bare[i:])
	}
	return out
}

// validScopesFor returns scopes valid for a transport's ValidatePolicyConfigurationScope.
func (g *gen) validScopesFor(transport string) []string {
	p := g.env.paths
	switch transport {
	case "docker":
		return []string{"quay.io", "quay.io/ns", "docker.io/library/busybox:latest", "*.example.com", "localhost:5000"}
	case "dir", "sif":
		return []string{"", p, p + "/a", p + "/a/b", "/nonexistent/x"}
	case "oci", "oci-archive":
		return []string{"", p, p + "/a", p + "/img.tar", "/nonexistent/x"}
	case "atomic":
		return []string{"", "registry.example.com", "registry.example.com/ns", "registry.example.com/ns/stream:tag"}
	case "docker-daemon":
		return []string{"", "docker.io/library/busybox:latest", "docker.io/library", "quay.io/ns/app:1.0"}
	case "containers-storage", "docker-archive", "tarball":
		return []string{""}
	default:
		return []string{"", "anything", "x/y"}
	}
}

// focusRequirements is the requirement list the case is about.
func (g *gen) focusRequirements() *node {
	r := g.r
	list := jarr()
	if g.tc.scenario == "signature" || (g.focus != nil && chance(r, 80)) {
		if chance(r, 10) {
			list.items = append(list.items, g.simpleRequirement())
		}
		list.items = append(list.items, g.signedBy(true))
		if chance(r, 15) {
			list.items = append(list.items, g.signedBy(false))
		}
		if chance(r, 8) {
			list.items = append(list.items, g.simpleRequirement())
		}
		if g.sigstoreReachable && chance(r, 4) {
			list.items = append(list.items, g.sigstoreSigned())
		}
		return list
	}
	return g.otherRequirements()
}

func (g *gen) simpleRequirement() *node {
	r := g.r
	var n *node
	switch k := r.IntN(100); {
	case k < 55:
		n = jobj("type", "insecureAcceptAnything")
	case k < 92:
		n = jobj("type", "reject")
	default:
		n = jobj("type", "signedBaseLayer", "baseLayerIdentity", g.signedIdentity(true))
	}
	g.reqs = append(g.reqs, n)
	return n
}

// otherRequirements is a list for scopes the case is not about; signedBy appears, cheaply.
func (g *gen) otherRequirements() *node {
	r := g.r
	list := jarr()
	for range 1 + r.IntN(2) {
		if chance(r, 18) {
			list.items = append(list.items, g.signedBy(false))
		} else if g.sigstoreReachable && chance(r, 4) {
			list.items = append(list.items, g.sigstoreSigned())
		} else {
			list.items = append(list.items, g.simpleRequirement())
		}
	}
	return list
}

func (g *gen) otherRequirementsIncludingSigstore() *node {
	list := g.otherRequirements()
	if chance(g.r, 30) {
		list.items = append(list.items, g.sigstoreSigned())
	}
	return list
}

// keysFor returns keyrings, preferring those holding keyID.
func (g *gen) keysFor(keyID string, preferMatch bool) []*keyEntry {
	r := g.r
	var matching []*keyEntry
	for _, k := range g.c.keys {
		if keyID != "" && k.keyIDs[keyID] {
			matching = append(matching, k)
		}
	}
	var out []*keyEntry
	if preferMatch && len(matching) > 0 && chance(r, 75) {
		out = append(out, pick(r, matching))
	} else {
		out = append(out, pick(r, g.c.keys))
	}
	for chance(r, 25) && len(out) < 3 {
		out = append(out, pick(r, g.c.keys))
	}
	return out
}

func (g *gen) keyPathString(k *keyEntry) string {
	g.tc.keyFiles = append(g.tc.keyFiles, k.path)
	if chance(g.r, 15) {
		if rel, err := filepath.Rel(g.env.work, k.path); err == nil {
			return rel // relative to the process's working directory (the work directory), as upstream reads it
		}
	}
	return k.path
}

func (g *gen) signedBy(focus bool) *node {
	r := g.r
	keyID := ""
	if g.focus != nil {
		keyID = g.focus.keyID
	}
	keys := g.keysFor(keyID, focus)
	n := jobj("type", "signedBy")
	switch k := r.IntN(100); {
	case k < 92:
		n.set("keyType", "GPGKeys")
	case k < 96:
		n.set("keyType", pick(r, []string{"signedByGPGKeys", "X509Certificates", "signedByX509CAs"}))
	default:
		n.set("keyType", "GPGKeys")
	}
	switch k := r.IntN(100); {
	case k < 40:
		n.set("keyPath", g.keyPathString(keys[0]))
	case k < 65:
		arr := jarr()
		for _, key := range keys {
			arr.items = append(arr.items, jstr(g.keyPathString(key)))
		}
		if chance(r, 8) {
			arr.items = append(arr.items, jstr(g.env.work+"/no-such-key.gpg"))
		}
		if chance(r, 4) {
			arr.items = nil
		}
		n.set("keyPaths", arr)
	case k < 95:
		var data []byte
		for _, key := range keys {
			data = append(data, key.data...)
		}
		if len(keys) > 1 && len(keys[0].data) > 0 && keys[0].data[0]&0x80 != 0 {
			g.feature("keyData: a binary keyring followed by more data")
		}
		if chance(r, 3) {
			data = nil // "keyData": "" parses and imports nothing
		}
		enc := base64.StdEncoding.EncodeToString(data)
		if chance(r, 5) && len(enc) > 60 {
			enc = enc[:60] + "\n" + enc[60:] // base64 with a line break (ignored by Go)
		}
		n.set("keyData", enc)
	default:
		p := pick(r, []string{g.env.work + "/no-such-key.gpg", g.env.paths + "/a", "no-such-relative.gpg"})
		if p == g.env.paths+"/a" {
			g.feature("keyPath: a directory")
		}
		n.set("keyPath", p)
	}
	if !chance(r, 25) {
		n.set("signedIdentity", g.signedIdentity(false))
	}
	if chance(r, 30) {
		// key order varies
		r.Shuffle(len(n.keys), func(i, j int) {
			n.keys[i], n.keys[j] = n.keys[j], n.keys[i]
			n.vals[i], n.vals[j] = n.vals[j], n.vals[i]
		})
	}
	g.reqs = append(g.reqs, n)
	return n
}

func (g *gen) sigstoreSigned() *node {
	r := g.r
	n := jobj("type", "sigstoreSigned")
	switch r.IntN(3) {
	case 0:
		n.set("keyPath", filepath.Join(g.c.upstream, "cosign.pub"))
	case 1:
		n.set("keyData", base64.StdEncoding.EncodeToString([]byte("-----BEGIN PUBLIC KEY-----\n")))
	default:
		n.set("keyPaths", jarr(jstr(filepath.Join(g.c.upstream, "cosign.pub")), jstr(filepath.Join(g.c.upstream, "cosign2.pub"))))
	}
	if chance(r, 50) {
		n.set("signedIdentity", g.signedIdentity(false))
	}
	g.reqs = append(g.reqs, n)
	return n
}

// identity material: the focus signature's claim and the reference.
func (g *gen) identityMaterial() (sigRepo, sigRef, refRepo, refRef string) {
	if g.focus != nil {
		sigRef = g.focus.identity
		sigRepo = repoNameOf(sigRef)
	}
	if ref, err := alltransports.ParseImageName(g.tc.ref); err == nil && ref.DockerReference() != nil {
		refRef = ref.DockerReference().String()
		refRepo = ref.DockerReference().Name()
	}
	if sigRepo == "" {
		sigRepo = g.randomRepo()
	}
	if refRepo == "" {
		refRepo = g.randomRepo()
	}
	if sigRef == "" {
		sigRef = sigRepo + ":latest"
	}
	if refRef == "" {
		refRef = refRepo + ":latest"
	}
	return
}

func (g *gen) signedIdentity(baseLayer bool) *node {
	r := g.r
	sigRepo, sigRef, refRepo, refRef := g.identityMaterial()
	var n *node
	switch k := r.IntN(100); {
	case k < 14:
		n = jobj("type", "matchExact")
	case k < 30:
		n = jobj("type", "matchRepoDigestOrExact")
	case k < 46:
		n = jobj("type", "matchRepository")
	case k < 62:
		dr := pick(r, []string{sigRef, sigRef, refRef, sigRepo + ":" + pick(r, tags), refRepo + "@" + g.tc.manifest.digestOr(sha256Digest([]byte("z"))),
			familiar(sigRepo) + ":latest"})
		if n, err := reference.ParseNormalizedNamed(dr); err == nil && reference.IsNameOnly(n) {
			dr += ":latest"
		} else if err != nil && chance(r, 85) {
			dr = refRef // keep most generated policies valid
		}
		n = jobj("type", "exactReference", "dockerReference", dr)
	case k < 76:
		repo := pick(r, []string{sigRepo, sigRepo, refRepo, familiar(sigRepo), sigRef})
		if _, err := reference.ParseNormalizedNamed(repo); err != nil && chance(r, 85) {
			repo = refRepo
		}
		n = jobj("type", "exactRepository", "dockerRepository", repo)
	default:
		prefix, signedPrefix := g.remapPrefixes(sigRepo, refRepo)
		n = jobj("type", "remapIdentity", "prefix", prefix, "signedPrefix", signedPrefix)
	}
	if !baseLayer {
		g.ids = append(g.ids, n)
	}
	return n
}

// remapPrefixes chooses prefix (matching the reference) and signedPrefix (so that the rewrite often
// yields the signature's repository).
func (g *gen) remapPrefixes(sigRepo, refRepo string) (string, string) {
	r := g.r
	rc := strings.Split(refRepo, "/")
	sc := strings.Split(sigRepo, "/")
	// common trailing components
	common := 0
	for common < len(rc)-1 && common < len(sc)-1 && rc[len(rc)-1-common] == sc[len(sc)-1-common] {
		common++
	}
	keep := 0
	if common > 0 {
		keep = r.IntN(common + 1)
	}
	if chance(r, 20) {
		keep = r.IntN(len(rc))
	}
	prefix := strings.Join(rc[:max(1, len(rc)-keep)], "/")
	signedPrefix := strings.Join(sc[:max(1, len(sc)-keep)], "/")
	switch r.IntN(12) {
	case 0:
		signedPrefix = pick(r, []string{"docker.io", "docker.io/library", "quay.io/other", "localhost", "localhost:5000"})
	case 1:
		prefix = pick(r, []string{"docker.io", "docker.io/library", rc[0]})
	}
	return prefix, signedPrefix
}

// ---------------------------------------------------------------------------------------------
// Invalid (or unusual) policies: a generated policy with one mutation.

func (g *gen) mutatePolicy() {
	r := g.r
	// Regenerate the policy tree (same reference and image) and mutate it.
	g.reqs, g.ids, g.tc.features, g.tc.keyFiles = nil, nil, nil, nil
	root := g.genPolicy()
	g.tc.scenario = "policy"
	var what string
	if len(g.reqs) > 0 && chance(r, 45) {
		what = g.mutateRequirement(pick(r, g.reqs))
	} else if len(g.ids) > 0 && chance(r, 30) {
		what = g.mutateIdentity(pick(r, g.ids))
	} else {
		what = g.mutateRoot(root)
	}
	g.tc.scenario = "policy/" + what
	text := root.render()
	switch what {
	case "trailing-garbage":
		text = append(text, []byte(" x")...)
	case "truncated":
		text = text[:r.IntN(len(text))]
	case "empty":
		text = []byte(pick(r, []string{"", "  \n", "null", "[]", `"str"`, "1"}))
	}
	g.tc.policy = text
}

func (g *gen) mutateRoot(root *node) string {
	r := g.r
	p := g.env.paths
	switch r.IntN(22) {
	case 0:
		root.add(pick(r, []string{"Default", "foo", "TRANSPORTS"}), jarr())
		return "unknown-top-key"
	case 1:
		root.add("default", jarr(jobj("type", "reject")))
		return "duplicate-default"
	case 2:
		root.del("default")
		return "missing-default"
	case 3:
		root.set("default", pick(r, []*node{jarr(), jraw("null"), jobj(), jstr("reject"), jraw("1")}))
		return "bad-default"
	case 4:
		root.set("transports", pick(r, []*node{jraw("null"), jarr(), jstr("x"), jraw("true")}))
		return "bad-transports"
	case 5:
		return "trailing-garbage"
	case 6:
		return "truncated"
	case 7:
		return "empty"
	case 8, 9, 10, 11:
		// a scope the transport refuses (reported as Unknown key)
		t := pick(r, []string{"dir", "oci", "oci-archive", "sif", "docker-archive", "tarball", "atomic", "docker-daemon"})
		bad := map[string][]string{
			"dir":            {"relative", "/", p + "/a/../b", p + "/a/", "//x", "/a//b"},
			"oci":            {"rel/x", "/", p + "/./a", p + "/a/"},
			"oci-archive":    {"rel", "/"},
			"sif":            {"rel", "/", "/a/"},
			"docker-archive": {"x", "/abs"},
			"tarball":        {"x", "/abs"},
			"atomic":         {"a/b/c/d", "host/ns/stream:tag:x", "host/ns:x/stream"},
			"docker-daemon":  {sha256Digest([]byte("d")), "sha256:" + strings.Repeat("A", 64)},
		}
		tr := ensureObj(root, "transports")
		sc := ensureObj(tr, t)
		sc.set(pick(r, bad[t]), jarr(jobj("type", "insecureAcceptAnything")))
		return "invalid-scope-" + t
	case 12:
		tr := ensureObj(root, "transports")
		tr.set(pick(r, []string{"docker", "dir", "unknown"}), pick(r, []*node{jraw("null"), jarr(), jstr("x")}))
		return "bad-transport-value"
	case 13:
		tr := ensureObj(root, "transports")
		sc := ensureObj(tr, "docker")
		sc.set(pick(r, []string{"", "quay.io"}), pick(r, []*node{jarr(), jraw("null"), jobj(), jstr("x")}))
		return "bad-scope-value"
	case 14:
		tr := ensureObj(root, "transports")
		sc := ensureObj(tr, "docker")
		sc.add("quay.io", jarr(jobj("type", "reject")))
		sc.add("quay.io", jarr(jobj("type", "reject")))
		return "duplicate-scope"
	case 15:
		root.add(`"def\u0061ult"`, jarr(jobj("type", "reject")))
		return "duplicate-escaped-key"
	case 16:
		tr := ensureObj(root, "transports")
		tr.set("containers-storage", jobj("", jarr(jobj("type", "reject"))))
		tr.set("ostree", jobj("anything at all", jarr(jobj("type", "reject"))))
		return "storage-and-ostree-defaults"
	case 17:
		root.set("default", jarr(g.sigstoreVariant()))
		return "sigstore"
	case 18:
		root.set("default", jarr(jobj("type", "signedBy", "keyType", "GPGKeys", "keyPath", "/k", "signedIdentity",
			jobj("type", "remapIdentity", "prefix", pick(r, []string{"example.com", "example.com/ns", "docker.io/library", "ns/shortname", "shortname", "localhost", "localhost:5000/ns"}),
				"signedPrefix", pick(r, []string{"quay.io", "quay.io/x/y", "Example.com", "example.com:5000", "a_b.example", "example.com/UP"})))))
		return "remap-prefix-forms"
	case 19:
		// the same policy with whitespace and escaped characters
		root.set("default", jarr(jraw(` { "type" : "insecure\u0041cceptAnything" } `)))
		return "escaped-type"
	default:
		root.set("default", jarr(jraw(pick(r, []string{`{"type":"reject",}`, `{"type":"reject"`, `{'type':'reject'}`, `{"type":"reject"}}`, `{"type":"reject" "x":1}`}))))
		return "syntax"
	}
}

func ensureObj(parent *node, key string) *node {
	if v := parent.get(key); v != nil && v.kind == nObj {
		return v
	}
	n := jobj()
	parent.set(key, n)
	return n
}

func (g *gen) sigstoreVariant() *node {
	r := g.r
	up := g.c.upstream
	variants := []*node{
		jobj("type", "sigstoreSigned", "keyPath", up+"/cosign.pub"),
		jobj("type", "sigstoreSigned", "keyPath", up+"/cosign.pub", "keyData", "YQ=="),
		jobj("type", "sigstoreSigned"),
		jobj("type", "sigstoreSigned", "keyPaths", jarr()),
		jobj("type", "sigstoreSigned", "keyDatas", jarr()),
		jobj("type", "sigstoreSigned", "keyPaths", jraw("null")),
		jobj("type", "sigstoreSigned", "fulcio", jobj("caPath", up+"/fulcio_v1.crt.pem", "oidcIssuer", "https://github.com/login/oauth", "subjectEmail", "a@b")),
		jobj("type", "sigstoreSigned", "fulcio", jobj("caPath", up+"/fulcio_v1.crt.pem", "oidcIssuer", "https://github.com/login/oauth", "subjectEmail", "a@b"), "rekorPublicKeyPath", up+"/rekor.pub"),
		jobj("type", "sigstoreSigned", "fulcio", jobj("oidcIssuer", "x", "subjectEmail", "a@b"), "rekorPublicKeyPath", up+"/rekor.pub"),
		jobj("type", "sigstoreSigned", "fulcio", jobj("caPath", "x", "caData", "YQ==", "oidcIssuer", "x", "subjectEmail", "a@b"), "rekorPublicKeyPath", up+"/rekor.pub"),
		jobj("type", "sigstoreSigned", "fulcio", jobj("caPath", "x", "subjectEmail", "a@b"), "rekorPublicKeyPath", up+"/rekor.pub"),
		jobj("type", "sigstoreSigned", "fulcio", jobj("caPath", "x", "oidcIssuer", "x"), "rekorPublicKeyPath", up+"/rekor.pub"),
		jobj("type", "sigstoreSigned", "keyPath", up+"/cosign.pub", "rekorPublicKeyPath", up+"/rekor.pub", "rekorPublicKeyData", "YQ=="),
		jobj("type", "sigstoreSigned", "pki", jobj("caRootsPath", up+"/pki_root_crts.pem", "subjectEmail", "a@b")),
		jobj("type", "sigstoreSigned", "pki", jobj("caRootsPath", "x", "caRootsData", "YQ==", "subjectEmail", "a@b")),
		jobj("type", "sigstoreSigned", "pki", jobj("subjectHostname", "h")),
		jobj("type", "sigstoreSigned", "pki", jobj("caRootsPath", "x")),
		jobj("type", "sigstoreSigned", "pki", jobj("caRootsPath", "x", "caIntermediatesPath", "y", "caIntermediatesData", "YQ==", "subjectEmail", "e")),
		jobj("type", "sigstoreSigned", "pki", jobj("caRootsPath", "x", "subjectEmail", "e"), "rekorPublicKeyPath", "r"),
		jobj("type", "sigstoreSigned", "keyPath", "k", "fulcio", jraw("null")),
		jobj("type", "sigstoreSigned", "keyPath", "k", "signedIdentity", jraw("null")),
		jobj("type", "sigstoreSigned", "keyData", "not base64!"),
		jobj("type", "sigstoreSigned", "keyPath", "k", "unknown", 1),
		jobj("type", "sigstoreSigned", "keyPath", "k", "rekorPublicKeyPaths", jarr()),
		jobj("type", "sigstoreSigned", "keyPath", "k", "rekorPublicKeyDatas", jarr()),
	}
	return pick(r, variants)
}

func (g *gen) mutateRequirement(n *node) string {
	r := g.r
	typ := ""
	if t := n.get("type"); t != nil {
		typ = t.s
	}
	generic := func() string {
		switch r.IntN(9) {
		case 0:
			n.set("type", pick(r, []string{"rejected", "SignedBy", "", "signedby"}))
			return "unknown-type"
		case 1:
			n.del("type")
			return "missing-type"
		case 2:
			n.set("type", pick(r, []*node{jraw("1"), jraw("null"), jarr(), jraw("true")}))
			return "type-not-string"
		case 3:
			n.add(pick(r, []string{"extra", "Type", "keypath"}), jstr("x"))
			return "unknown-key"
		case 4:
			n.add("type", jstr(typ))
			return "duplicate-key"
		case 5:
			n.replaceWith(pick(r, []*node{jstr("reject"), jraw("null"), jarr(), jraw("1")}))
			return "not-object"
		case 6:
			n.add(`"typ\u0065"`, jstr(typ))
			return "duplicate-escaped-key"
		case 7:
			n.set("TYPE", jstr(typ))
			n.del("type")
			return "type-case"
		default:
			n.set("type", jstr("signedBaseLayer"))
			return "retyped-signedBaseLayer"
		}
	}
	if typ != "signedBy" || chance(r, 30) {
		return generic()
	}
	sources := []string{"keyPath", "keyPaths", "keyData"}
	switch r.IntN(16) {
	case 0:
		for _, s := range sources {
			n.del(s)
		}
		return "signedBy-no-key"
	case 1:
		n.set(pick(r, sources), pick(r, []*node{jstr(""), jraw("null")}))
		if n.get("keyPath") == nil && chance(r, 50) {
			n.set("keyPath", jstr("/x"))
		}
		return "signedBy-two-keys"
	case 2:
		for _, s := range sources {
			n.del(s)
		}
		n.set(pick(r, sources), jraw("null"))
		return "signedBy-key-null"
	case 3:
		for _, s := range sources {
			n.del(s)
		}
		n.set("keyPath", jstr(""))
		return "signedBy-keyPath-empty"
	case 4:
		for _, s := range sources {
			n.del(s)
		}
		n.set("keyData", jstr(pick(r, []string{"!!!", "YQ", "YQ=", "Y Q==", "YQ==\r\n", "=", "YWJj\nZA=="})))
		return "signedBy-keyData-base64"
	case 5:
		n.set("keyType", pick(r, []*node{jstr("foo"), jstr(""), jraw("null"), jraw("1")}))
		return "signedBy-keyType"
	case 6:
		n.del("keyType")
		return "signedBy-keyType-missing"
	case 7:
		n.set("signedIdentity", pick(r, []*node{jraw("null"), jobj(), jobj("type", "matchFoo"), jstr("matchExact"), jarr()}))
		return "signedBy-identity"
	case 8:
		for _, s := range sources {
			n.del(s)
		}
		n.set("keyPaths", pick(r, []*node{jstr("x"), jarr(jraw("1")), jarr(jraw("null")), jobj()}))
		return "signedBy-keyPaths-type"
	case 9:
		n.set("keyType", jstr("foo"))
		n.set("type", jstr("reject"))
		return "signedBy-order-keyType-vs-type"
	case 10:
		for _, s := range sources {
			n.del(s)
		}
		n.set("signedIdentity", jobj("type", "matchFoo"))
		return "signedBy-order-identity-vs-keys"
	case 11:
		n.set("keyType", jstr("foo"))
		n.set("signedIdentity", jobj("type", "matchFoo"))
		n.set("keyData", jstr("!!"))
		return "signedBy-order-several"
	default:
		return generic()
	}
}

func (g *gen) mutateIdentity(n *node) string {
	r := g.r
	typ := ""
	if t := n.get("type"); t != nil {
		typ = t.s
	}
	switch r.IntN(12) {
	case 0:
		n.set("type", pick(r, []string{"matchexact", "exact", "", "remap"}))
		return "identity-unknown-type"
	case 1:
		n.add("extra", jstr("x"))
		return "identity-unknown-key"
	case 2:
		n.del("type")
		return "identity-missing-type"
	case 3:
		n.replaceWith(jobj("type", "exactReference", "dockerReference", pick(r, []string{"busybox", "UPPER:1", "docker.io/library/busybox", "", "a@sha256:12", "busybox:latest@" + sha256Digest(nil)})))
		return "exactReference-value"
	case 4:
		n.replaceWith(jobj("type", "exactReference"))
		return "exactReference-missing"
	case 5:
		n.replaceWith(jobj("type", "exactRepository", "dockerRepository", pick(r, []string{"UPPER", "", "busybox:tag", "a@sha256:12", "docker.io/library/busybox@" + sha256Digest(nil)})))
		return "exactRepository-value"
	case 6:
		n.replaceWith(jobj("type", "remapIdentity", "prefix", pick(r, []string{"", "UPPER", "example.com/UP", "ns/shortname", "example.com:", "example.com/", "docker.io", "busybox"}),
			"signedPrefix", pick(r, []string{"quay.io", "", "quay.io/Up", "*.example.com"})))
		return "remapIdentity-value"
	case 7:
		n.replaceWith(jobj("type", "remapIdentity", "prefix", "quay.io"))
		return "remapIdentity-missing"
	case 8:
		n.set("type", jraw("1"))
		return "identity-type-number"
	case 9:
		n.add("type", jstr(typ))
		return "identity-duplicate"
	case 10:
		n.replaceWith(jobj("type", "exactReference", "dockerReference", jraw("null")))
		return "exactReference-null"
	default:
		n.replaceWith(jobj("type", "matchRepository", "dockerRepository", "x"))
		return "identity-extra-field"
	}
}

// ---------------------------------------------------------------------------------------------
// registries.d / lookaside URL cases

func (g *gen) genLookaside() {
	r, tc := g.r, g.tc
	tc.scenario = "lookaside"
	repo := g.randomRepo()
	suffix := ":" + pick(r, tags)
	if chance(r, 30) {
		suffix = "@" + pick(r, g.c.manifests).digestOr(sha256Digest([]byte("q")))
	}
	tc.lookRef = g.dockerName(repo) + suffix
	tc.lookIndex = 1 + r.IntN(4)
	if chance(r, 3) {
		tc.lookIndex = 128 + r.IntN(3)
	}
	tc.lookWrite = chance(r, 35)
	tc.lookDigest = pick(r, g.c.manifests).digestOr(sha256Digest([]byte("m")))
	if chance(r, 10) {
		tc.lookDigest = "sha512:" + strings.Repeat("0f", 64)
	}

	var namespaces []string
	identity := ""
	if ref, err := alltransports.ParseImageName("docker://" + tc.lookRef); err == nil {
		identity = ref.PolicyConfigurationIdentity()
		namespaces = ref.PolicyConfigurationNamespaces()
	}
	scopesPool := append([]string{identity}, namespaces...)
	scopesPool = append(scopesPool, g.nearMissScopes("docker", identity, namespaces)...)

	validURLs := []string{
		"file:///var/lib/sigs", "file:///tmp/a b", "https://sigs.example.com/base", "https://sigs.example.com/base/",
		"http://127.0.0.1:8080/x?query=1&b=2", "https://h.example/p%20q", "https://h.example/p%2Fq", "relative/path",
		"file:/no/authority", "https://user:pass@h.example/x", "http://[::1]:80/x", "https://h.example", "https://h.example/ünï",
		"https://h.example/x#frag", "FILE:///upper", "https://h.example/a;b=c", "s3://bucket/x", "file://host/share",
	}
	invalidURLs := []string{":emptyscheme", "%zz", "http://[::1/x", "http://h.example:port/x", "1http://x", "http://h.example/%zz"}
	anyInvalid := false
	url := func() string {
		if chance(r, 5) {
			anyInvalid = true
			return pick(r, invalidURLs)
		}
		return pick(r, validURLs)
	}
	section := func() string {
		var lines []string
		for _, k := range []string{"lookaside", "lookaside-staging", "sigstore", "sigstore-staging"} {
			if chance(r, 35) {
				lines = append(lines, fmt.Sprintf("%s: %s", k, yamlScalar(r, url())))
			}
		}
		if chance(r, 15) {
			lines = append(lines, "use-sigstore-attachments: "+pick(r, []string{"true", "false"}))
		}
		if chance(r, 5) {
			lines = append(lines, "unknown-key: 1")
		}
		if len(lines) == 0 {
			return " {}"
		}
		return "\n    " + strings.Join(lines, "\n    ")
	}
	names := []string{"a.yaml", "b.yaml", "default.yaml", "z-extra.yaml", "registry.yaml"}
	nfiles := r.IntN(4)
	used := map[string]bool{}
	for i := range nfiles {
		name := names[i]
		var b strings.Builder
		if chance(r, 45) {
			b.WriteString("default-docker:")
			if chance(r, 10) {
				b.WriteString(" ~\n")
			} else {
				b.WriteString(strings.ReplaceAll(section(), "\n    ", "\n  ") + "\n")
			}
		}
		if chance(r, 75) {
			b.WriteString("docker:\n")
			for range 1 + r.IntN(4) {
				s := pick(r, scopesPool)
				if s == "" || (used[s] && !chance(r, 10)) {
					continue
				}
				if used[s] {
					g.feature("registries.d: duplicate YAML key")
				}
				used[s] = true
				fmt.Fprintf(&b, "  %s:%s\n", yamlScalar(r, s), section())
			}
		}
		if chance(r, 4) {
			extra := pick(r, []string{"\n# comment only\n", "other-top: 1\n", "docker: ~\n"})
			if extra == "docker: ~\n" && strings.Contains(b.String(), "docker:\n") {
				g.feature("registries.d: duplicate YAML key")
			}
			b.WriteString(extra)
		}
		content := b.String()
		if chance(r, 3) {
			content = pick(r, []string{
				"docker: [a, b]\n", "default-docker:\n  lookaside: [x]\n", "default-docker:\n  use-sigstore-attachments: maybe\n",
				"docker:\n  quay.io: just-a-string\n", "default-docker: 1\n", "- a\n- b\n", "docker:\n\tquay.io: {}\n",
				"default-docker:\n  lookaside: 'unterminated\n", "default-docker:\n  lookaside: x\n   sigstore: y\n",
				"default-docker:\n  use-sigstore-attachments: yes\n", "default-docker:\n  lookaside: 12\n", "{}\n", "~\n",
				"default-docker:\n  Lookaside: https://case.example\n", "docker:\n  quay.io:\n    lookaside: &a https://anchor.example\n    sigstore: *a\n",
			})
			g.feature("registries.d: unusual YAML")
		}
		tc.regFiles = append(tc.regFiles, regFile{name: name, content: content})
	}
	if chance(r, 4) {
		tc.regFiles = append(tc.regFiles, regFile{name: "ignored.yml", content: "default-docker:\n  lookaside: https://ignored.example\n"})
	}
	if chance(r, 3) {
		tc.regFiles = append(tc.regFiles, regFile{name: "empty.yaml", content: ""})
	}
	if chance(r, 2) {
		tc.regFiles = append(tc.regFiles, regFile{name: "sub.yaml", isDir: true})
		g.feature("registries.d: a directory named *.yaml")
	}
	if anyInvalid {
		// keep the digest valid: the order of the two checks is an API detail of the C ABI
		tc.lookDigest = g.c.manifests[0].digest
	} else if chance(r, 4) {
		tc.lookDigest = pick(r, []string{"sha256:../hello", "sha256:ABCDEF", "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:" + strings.Repeat("0", 63)})
	}
}

// yamlScalar writes s as a YAML scalar (plain or quoted).
func yamlScalar(r *rand.Rand, s string) string {
	if s == "" || s == "~" || strings.ContainsAny(s[:1], "#{}[]&*!|>'\"%@`,-?: ") || strings.Contains(s, ": ") ||
		strings.Contains(s, " #") || strings.HasSuffix(s, ":") || strings.HasSuffix(s, " ") || chance(r, 30) {
		return quote(s)
	}
	return s
}
