package main

// Running one case through containers/image (in-process, GPGME build) and through our C ABI, and
// comparing the answers.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	containerspolicy "example.invalid/containers-policy/ffi/go"
	digest "github.com/opencontainers/go-digest"
	"go.podman.io/image/v5/directory"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/image"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/transports/alltransports"
	"go.podman.io/image/v5/types"
)

// answer is one side's answer to a case.
type answer struct {
	ok  bool   // policy parsed / reference parsed and image allowed / URL computed
	msg string // error text ("" when ok)
	out string // extra output compared as well (lookaside URL, accepted signatures)
}

func (a answer) String() string {
	s := fmt.Sprintf("ok=%v", a.ok)
	if a.msg != "" {
		s += fmt.Sprintf(" message=%q", a.msg)
	}
	if a.out != "" {
		s += fmt.Sprintf(" output=%q", a.out)
	}
	return s
}

type result struct {
	tc        *testCase
	kind      string // what was compared: policy-invalid, policy-valid, reference-error, eval-allowed, eval-denied, lookaside-url, lookaside-error, (+accepted-author)
	stage     string
	cimage    answer
	ours      answer
	agree     bool
	known     string // id of a known intended difference that explains the texts
	verified  bool   // containers/image ran a real GPGME signature verification
	sigBlobs  int    // simple-signing blobs the verification saw
	accepted  bool
	accAgree  bool
	accCimage answer
	accOurs   answer
	imageDir  string
	// time spent in each side's evaluation calls
	cimageTime, oursTime time.Duration
}

// caseImage is the image containers/image evaluates: the case's manifest and signatures, read by
// containers/image's own dir: transport, named by the reference under test.
//
//   - The embedded *image.UnparsedImage (UnparsedInstance over the dir: source) provides Signatures and
//     UntrustedSignatures, so c/image reads every signature blob itself (FromBlob, all formats: sigstore
//     blobs are seen and counted, as for an image copied from dir: by skopeo). Embedding the concrete type
//     keeps c/image's private UnparsedImage interface, which a wrapper of the public interface would lose
//     (c/image would then see the simple-signing signatures only).
//   - Reference is the reference under test (policy scope lookup, identity matching, messages).
//   - Manifest comes from an UnparsedInstance whose source reports the reference under test, so a digested
//     reference is checked against the manifest (`Manifest does not match provided manifest digest …`), as
//     when the image is fetched by that reference.
//
// (image.UnparsedInstanceWithReference does the first two, but checks the manifest against the dir:
// reference, i.e. not at all.)
type caseImage struct {
	*image.UnparsedImage
	ref      types.ImageReference
	manifest types.UnparsedImage
}

func (c *caseImage) Reference() types.ImageReference { return c.ref }

func (c *caseImage) Manifest(ctx context.Context) ([]byte, string, error) {
	return c.manifest.Manifest(ctx)
}

// refSource is an image source reporting another reference (used only for caseImage.Manifest).
type refSource struct {
	types.ImageSource
	ref types.ImageReference
}

func (s *refSource) Reference() types.ImageReference { return s.ref }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func writeImageDir(dir string, tc *testCase) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), tc.manifest.data, 0o644); err != nil {
		return err
	}
	for i, s := range tc.sigs {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("signature-%d", i+1)), s.blob, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func runCase(ctx context.Context, env *environment, tc *testCase) *result {
	if tc.kind == "lookaside" {
		return runLookaside(env, tc)
	}
	res := &result{tc: tc, stage: "policy"}

	// 1. The policy.
	cPolicy, cErr := signature.NewPolicyFromBytes(tc.policy)
	oPolicy, oErr := containerspolicy.NewPolicyFromBytes(tc.policy)
	res.cimage = answer{ok: cErr == nil, msg: errText(cErr)}
	res.ours = answer{ok: oErr == nil, msg: errText(oErr)}
	if cErr != nil || oErr != nil || tc.kind == "policy" {
		if oPolicy != nil {
			oPolicy.Close()
		}
		res.kind = "policy-valid"
		if cErr != nil {
			res.kind = "policy-invalid"
		}
		res.agree = res.cimage == res.ours
		return res
	}

	// 2. Contexts.
	pc, err := signature.NewPolicyContext(cPolicy)
	if err != nil {
		res.cimage = answer{msg: "NewPolicyContext: " + err.Error()}
		return res
	}
	defer func() { _ = pc.Destroy() }()
	opc, err := containerspolicy.NewPolicyContext(oPolicy)
	oPolicy.Close()
	if err != nil {
		res.ours = answer{msg: "NewPolicyContext: " + err.Error()}
		return res
	}
	defer opc.Close()

	blobs := make([][]byte, len(tc.sigs))
	for i, s := range tc.sigs {
		blobs[i] = s.blob
	}

	// 3. The reference, then the evaluation.
	res.stage = "reference"
	cRef, cRefErr := alltransports.ParseImageName(tc.ref)
	t0 := time.Now()
	decision, oEvalErr := opc.Evaluate(ctx, tc.ref, tc.manifest.data, blobs)
	res.oursTime += time.Since(t0)
	if cRefErr != nil || oEvalErr != nil {
		res.kind = "reference-error"
		res.cimage = answer{ok: cRefErr == nil, msg: errText(cRefErr)}
		res.ours = answer{ok: oEvalErr == nil, msg: errText(oEvalErr)}
		if cRefErr == nil {
			res.cimage.msg = "(reference parsed; evaluation not run)"
		}
		if oEvalErr == nil {
			res.ours.msg = "(reference parsed; decision: " + decisionText(decision) + ")"
		}
		res.agree = res.cimage == res.ours
		return res
	}

	res.stage = "evaluate"
	res.imageDir = filepath.Join(env.images, fmt.Sprintf("case-%d", tc.n))
	if err := writeImageDir(res.imageDir, tc); err != nil {
		res.cimage = answer{msg: "harness: " + err.Error()}
		return res
	}
	dirRef, err := directory.NewReference(res.imageDir)
	if err != nil {
		res.cimage = answer{msg: "harness: " + err.Error()}
		return res
	}
	src, err := dirRef.NewImageSource(ctx, nil)
	if err != nil {
		res.cimage = answer{msg: "harness: " + err.Error()}
		return res
	}
	defer src.Close()
	unparsed := &caseImage{
		UnparsedImage: image.UnparsedInstance(src, nil),
		ref:           cRef,
		manifest:      image.UnparsedInstance(&refSource{ImageSource: src, ref: cRef}, nil),
	}
	t0 = time.Now()
	allowed, cEvalErr := pc.IsRunningImageAllowed(ctx, unparsed)
	res.cimageTime += time.Since(t0)
	res.cimage = answer{ok: allowed, msg: errText(cEvalErr)}
	res.ours = answer{ok: decision.Allowed, msg: errText(decision.Reason)}
	if allowed {
		res.kind = "eval-allowed"
	} else {
		res.kind = "eval-denied"
	}
	res.agree = res.cimage == res.ours
	if !res.agree {
		res.known = knownDifference(res, tc)
	}
	res.verified, res.sigBlobs = verificationHappened(tc, decision)

	// 4. GetSignaturesWithAcceptedAuthor (a sample of the cases).
	if tc.accepted {
		res.accepted = true
		cSigs, cErr := pc.GetSignaturesWithAcceptedAuthor(ctx, unparsed)
		oSigs, oErr := opc.SignaturesWithAcceptedAuthor(ctx, tc.ref, tc.manifest.data, blobs)
		var cList, oList []string
		for _, s := range cSigs {
			cList = append(cList, s.DockerReference+" "+string(s.DockerManifestDigest))
		}
		for _, s := range oSigs {
			oList = append(oList, s.DockerReference+" "+s.ManifestDigest)
		}
		res.accCimage = answer{ok: cErr == nil, msg: errText(cErr), out: strings.Join(cList, "; ")}
		res.accOurs = answer{ok: oErr == nil, msg: errText(oErr), out: strings.Join(oList, "; ")}
		res.accAgree = res.accCimage == res.accOurs
		if !res.accAgree && res.accCimage.out == res.accOurs.out && knownDirPathDifference(res.accCimage.msg, res.accOurs.msg, res.imageDir, len(tc.sigs)) {
			res.accAgree = true
		}
	}
	return res
}

func decisionText(d containerspolicy.Decision) string {
	if d.Allowed {
		return "allowed"
	}
	return "denied: " + errText(d.Reason)
}

// knownDifference names the documented difference that explains a text mismatch, or "".
func knownDifference(res *result, tc *testCase) string {
	if res.cimage.ok != res.ours.ok {
		return ""
	}
	if knownDirPathDifference(res.cimage.msg, res.ours.msg, res.imageDir, len(tc.sigs)) {
		return "dir-signature-path"
	}
	return ""
}

// knownDirPathDifference: containers/image's dir: transport wraps a signature blob's format error with
// the file's path (`parsing signature "<dir>/signature-N": <FromBlob error>`, directory/directory_src.go
// GetSignaturesWithFormat); the C ABI receives blobs, not files, and reports the FromBlob error alone.
func knownDirPathDifference(cMsg, oMsg, dir string, n int) bool {
	for i := 1; i <= n; i++ {
		if cMsg == fmt.Sprintf("parsing signature %q: %s", filepath.Join(dir, fmt.Sprintf("signature-%d", i)), oMsg) {
			return true
		}
	}
	return false
}

// preVerification are texts of signedBy failures that happen before any signature is verified.
func preVerification(msg string) bool {
	for _, p := range []string{"No public keys imported", `Unimplemented "keyType"`, "open ", "read ",
		"A signature was required, but no signature exists", "Internal inconsistency"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// verificationHappened tells (for the statistics only) whether containers/image ran GPGME
// verifications in this case: a signedBy requirement was reached, keys were imported, and the image
// had readable simple-signing signatures.
func verificationHappened(tc *testCase, d containerspolicy.Decision) (bool, int) {
	simple := 0
	for _, s := range tc.sigs {
		if !s.simple {
			if len(s.blob) == 0 || s.blob[0] != 0x00 || !strings.HasPrefix(string(s.blob), "\x00sigstore-json\n") {
				return false, 0 // FromBlob fails: no signature is read at all
			}
			continue
		}
		simple++
	}
	if simple == 0 {
		return false, 0
	}
	for _, req := range d.Requirements {
		if req.Type != "signedBy" {
			continue
		}
		if req.Reason == nil || !preVerification(req.Reason.Error()) {
			return true, simple
		}
	}
	return false, 0
}

// ---------------------------------------------------------------------------------------------

func runLookaside(env *environment, tc *testCase) *result {
	res := &result{tc: tc, stage: "lookaside"}
	dir := filepath.Join(env.registries, fmt.Sprintf("case-%d", tc.n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		res.cimage = answer{msg: "harness: " + err.Error()}
		return res
	}
	for _, f := range tc.regFiles {
		p := filepath.Join(dir, f.name)
		var err error
		if f.isDir {
			err = os.MkdirAll(p, 0o755)
		} else {
			err = os.WriteFile(p, []byte(f.content), 0o644)
		}
		if err != nil {
			res.cimage = answer{msg: "harness: " + err.Error()}
			return res
		}
	}
	res.imageDir = dir

	// containers/image: the base URL from registries.d, then the per-signature URL exactly as
	// docker/registries_d.go lookasideStorageURL builds it (that function is unexported).
	res.cimage = func() answer {
		ref, err := docker.ParseReference("//" + tc.lookRef)
		if err != nil {
			return answer{msg: err.Error()}
		}
		base, err := docker.SignatureStorageBaseURL(&types.SystemContext{RegistriesDirPath: dir}, ref, tc.lookWrite)
		if err != nil {
			return answer{msg: err.Error()}
		}
		d := digest.Digest(tc.lookDigest)
		if err := d.Validate(); err != nil {
			return answer{msg: err.Error()}
		}
		u := *base
		u.Path = fmt.Sprintf("%s@%s=%s/signature-%d", u.Path, d.Algorithm(), d.Encoded(), tc.lookIndex)
		return answer{ok: true, out: u.String()}
	}()
	res.ours = func() answer {
		rd, err := containerspolicy.LoadRegistriesD(dir)
		if err != nil {
			return answer{msg: err.Error()}
		}
		defer rd.Close()
		u, err := rd.LookasideURL(tc.lookRef, tc.lookDigest, tc.lookIndex, tc.lookWrite)
		if err != nil {
			return answer{msg: err.Error()}
		}
		return answer{ok: true, out: u}
	}()
	if res.cimage.ok {
		res.kind = "lookaside-url"
	} else {
		res.kind = "lookaside-error"
	}
	res.agree = res.cimage == res.ours
	return res
}

// selfTest checks that containers/image sees every signature format of a case image: with a
// simple-signing signature and a sigstore non-signature attachment, sigstoreSigned must count both.
// (A wrapper of the public UnparsedImage interface would hide the attachment.)
func selfTest(ctx context.Context, env *environment, c *corpus) error {
	var simple, attachment *sigEntry
	for _, s := range c.sigs {
		switch {
		case s.name == "upstream:dir-img-valid/signature-1":
			simple = s
		case s.name == "upstream:dir-img-cosign-other-attachment/signature-1":
			attachment = s
		}
	}
	if simple == nil || attachment == nil {
		return fmt.Errorf("self-test: upstream signatures not found")
	}
	tc := &testCase{
		n:        -1,
		kind:     "eval",
		scenario: "self-test",
		policy:   []byte(fmt.Sprintf(`{"default":[{"type":"sigstoreSigned","keyPath":%s}]}`, quote(filepath.Join(c.upstream, "cosign.pub")))),
		ref:      "docker://docker.io/testing/manifest:latest",
		manifest: c.manifests[0],
		sigs:     []*sigEntry{simple, attachment},
	}
	res := runCase(ctx, env, tc)
	_ = os.RemoveAll(res.imageDir)
	const want = "A signature was required, but no signature exists (1 non-sigstore signatures, 1 sigstore non-signature attachments)"
	if res.cimage.msg != want {
		return fmt.Errorf("self-test: containers/image does not see every signature of the case image: got %q, want %q", res.cimage.msg, want)
	}
	return nil
}
