package containerspolicy

/*
#include <stdlib.h>
#include <containers_policy.h>
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
	"unsafe"
)

// Policy is a parsed policy.json. It is immutable; share it freely. Close it when done (a
// [PolicyContext] made from it does not need it to stay open).
type Policy struct {
	mu  sync.RWMutex
	ptr *C.containers_policy_policy
}

func newPolicy(ptr *C.containers_policy_policy) *Policy {
	p := &Policy{ptr: ptr}
	runtime.SetFinalizer(p, (*Policy).Close)
	return p
}

// NewPolicyFromFile reads and parses a policy.json file.
func NewPolicyFromFile(path string) (*Policy, error) {
	cpath, err := cString(path, "policy path")
	if err != nil {
		return nil, err
	}
	defer freeString(cpath)
	var out *C.containers_policy_policy
	if err := takeError(C.containers_policy_policy_from_file(cpath, &out)); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errNullResult
	}
	return newPolicy(out), nil
}

// NewPolicyFromBytes parses policy.json content.
func NewPolicyFromBytes(data []byte) (*Policy, error) {
	cdata, n := cBytes(data)
	defer C.free(unsafe.Pointer(cdata))
	var out *C.containers_policy_policy
	if err := takeError(C.containers_policy_policy_from_bytes(cdata, n, &out)); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errNullResult
	}
	return newPolicy(out), nil
}

// JSON serializes the policy back to policy.json form.
func (p *Policy) JSON() ([]byte, error) {
	if p == nil {
		return nil, ErrClosed
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.ptr == nil {
		return nil, ErrClosed
	}
	var out *C.char
	err := takeError(C.containers_policy_policy_to_json(p.ptr, &out))
	runtime.KeepAlive(p)
	if err != nil {
		return nil, err
	}
	return []byte(goStringTake(out)), nil
}

// Close frees the policy. It is idempotent and waits for calls in flight.
func (p *Policy) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ptr != nil {
		C.containers_policy_policy_free(p.ptr)
		p.ptr = nil
	}
	runtime.SetFinalizer(p, nil)
}

// PolicyContext is a policy ready for evaluation: its keys are read and parsed once. It is safe
// for concurrent use by many goroutines; create one per policy and share it.
type PolicyContext struct {
	mu  sync.RWMutex
	ptr *C.containers_policy_context
}

// NewPolicyContext prepares policy for evaluation. The context does not refer to policy
// afterwards; policy may be closed.
func NewPolicyContext(policy *Policy) (*PolicyContext, error) {
	if policy == nil {
		return nil, ErrClosed
	}
	policy.mu.RLock()
	defer policy.mu.RUnlock()
	if policy.ptr == nil {
		return nil, ErrClosed
	}
	var out *C.containers_policy_context
	err := takeError(C.containers_policy_context_new(policy.ptr, &out))
	runtime.KeepAlive(policy)
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errNullResult
	}
	pc := &PolicyContext{ptr: out}
	runtime.SetFinalizer(pc, (*PolicyContext).Close)
	return pc, nil
}

// Close frees the context. It is idempotent, and waits for evaluations in flight; later calls
// return [ErrClosed].
func (pc *PolicyContext) Close() {
	if pc == nil {
		return
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.ptr != nil {
		C.containers_policy_context_free(pc.ptr)
		pc.ptr = nil
	}
	runtime.SetFinalizer(pc, nil)
}

// acquire read-locks pc and returns its handle; the caller must call pc.mu.RUnlock() when err is nil.
func (pc *PolicyContext) acquire(ctx context.Context) (*C.containers_policy_context, error) {
	if pc == nil {
		return nil, ErrClosed
	}
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	pc.mu.RLock()
	if pc.ptr == nil {
		pc.mu.RUnlock()
		return nil, ErrClosed
	}
	return pc.ptr, nil
}

// RequirementResult is the outcome of one requirement of the matched scope.
type RequirementResult struct {
	// Type is the requirement type, e.g. "signedBy", "insecureAcceptAnything".
	Type string
	// Reason is nil when the requirement is satisfied, else an [*Error].
	Reason error
}

// Decision is the verdict of the policy for one image.
type Decision struct {
	Allowed bool
	// Reason is nil when Allowed, else an [*Error] (usually code [CodePolicyRequirement] or
	// [CodeInvalidSignature]) whose message is the containers/image text.
	Reason error
	// Scope is the policy scope that matched, e.g. "docker:quay.io/ns" or "default".
	Scope string
	// Requirements are the per-requirement results of the matched scope, in order.
	Requirements []RequirementResult
}

// takeDecision copies a C decision into Go memory and frees it.
func takeDecision(d *C.containers_policy_decision) Decision {
	defer C.containers_policy_decision_free(d)
	out := Decision{
		Allowed: bool(C.containers_policy_decision_allowed(d)),
		Reason:  copyError(C.containers_policy_decision_reason(d)),
		Scope:   goStringOrEmpty(C.containers_policy_decision_scope(d)),
	}
	n := int(C.containers_policy_decision_requirements_len(d))
	if n > 0 {
		out.Requirements = make([]RequirementResult, n)
		for i := 0; i < n; i++ {
			out.Requirements[i] = RequirementResult{
				Type:   goStringOrEmpty(C.containers_policy_decision_requirement_type(d, C.size_t(i))),
				Reason: copyError(C.containers_policy_decision_requirement_reason(d, C.size_t(i))),
			}
		}
	}
	return out
}

// imageArgs holds the C copies of the (reference, manifest, signatures) inputs.
type imageArgs struct {
	ref      *C.char
	manifest *C.uint8_t
	mlen     C.size_t
	sigs     *cSignatures
}

func newImageArgs(ref string, manifest []byte, sigs [][]byte) (*imageArgs, error) {
	cref, err := cString(ref, "image reference")
	if err != nil {
		return nil, err
	}
	a := &imageArgs{ref: cref}
	a.manifest, a.mlen = cBytes(manifest)
	a.sigs = newCSignatures(sigs)
	return a, nil
}

func (a *imageArgs) free() {
	freeString(a.ref)
	C.free(unsafe.Pointer(a.manifest))
	a.sigs.free()
}

// Evaluate decides whether the image given by its transport reference (e.g.
// "docker://quay.io/ns/app:1.0", "dir:/path"), manifest and signature blobs is allowed.
//
// A refusal is a Decision with Allowed false, not an error. Errors mean the inputs are unusable
// (e.g. [CodeInvalidReference]), the context is closed ([ErrClosed]) or ctx is already done
// (ctx.Err()). ctx is only checked before the call: the evaluation itself is not cancellable.
func (pc *PolicyContext) Evaluate(ctx context.Context, ref string, manifest []byte, sigs [][]byte) (Decision, error) {
	handle, err := pc.acquire(ctx)
	if err != nil {
		return Decision{}, err
	}
	defer pc.mu.RUnlock()
	args, err := newImageArgs(ref, manifest, sigs)
	if err != nil {
		return Decision{}, err
	}
	defer args.free()
	var out *C.containers_policy_decision
	err = takeError(C.containers_policy_evaluate(handle, args.ref, args.manifest, args.mlen,
		args.sigs.array, args.sigs.len, &out))
	runtime.KeepAlive(pc)
	if err != nil {
		return Decision{}, err
	}
	if out == nil {
		return Decision{}, errNullResult
	}
	return takeDecision(out), nil
}

// IsRunningImageAllowed is the CRI-O style check: nil when the image is allowed, else the
// refusal or evaluation error as an [*Error] ([IsRejection] tells which). ctx is only checked
// before the call.
func (pc *PolicyContext) IsRunningImageAllowed(ctx context.Context, ref string, manifest []byte, sigs [][]byte) error {
	handle, err := pc.acquire(ctx)
	if err != nil {
		return err
	}
	defer pc.mu.RUnlock()
	args, err := newImageArgs(ref, manifest, sigs)
	if err != nil {
		return err
	}
	defer args.free()
	err = takeError(C.containers_policy_is_running_image_allowed(handle, args.ref, args.manifest, args.mlen,
		args.sigs.array, args.sigs.len))
	runtime.KeepAlive(pc)
	return err
}

// AcceptedSignature is a signature whose author the policy accepts for the image.
type AcceptedSignature struct {
	DockerReference string
	ManifestDigest  string
	// Signer is the fingerprint of the signing key.
	Signer string
}

// SignaturesWithAcceptedAuthor returns the signatures among sigs whose author the policy accepts
// for the image (containers/image GetSignaturesWithAcceptedAuthor). ctx is only checked before
// the call.
func (pc *PolicyContext) SignaturesWithAcceptedAuthor(ctx context.Context, ref string, manifest []byte, sigs [][]byte) ([]AcceptedSignature, error) {
	handle, err := pc.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer pc.mu.RUnlock()
	args, err := newImageArgs(ref, manifest, sigs)
	if err != nil {
		return nil, err
	}
	defer args.free()
	var out *C.containers_policy_accepted
	err = takeError(C.containers_policy_signatures_with_accepted_author(handle, args.ref, args.manifest, args.mlen,
		args.sigs.array, args.sigs.len, &out))
	runtime.KeepAlive(pc)
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errNullResult
	}
	defer C.containers_policy_accepted_free(out)
	n := int(C.containers_policy_accepted_len(out))
	res := make([]AcceptedSignature, n)
	for i := 0; i < n; i++ {
		ci := C.size_t(i)
		res[i] = AcceptedSignature{
			DockerReference: goStringOrEmpty(C.containers_policy_accepted_docker_reference(out, ci)),
			ManifestDigest:  goStringOrEmpty(C.containers_policy_accepted_manifest_digest(out, ci)),
			Signer:          goStringOrEmpty(C.containers_policy_accepted_signer(out, ci)),
		}
	}
	return res, nil
}
