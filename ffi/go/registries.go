package containerspolicy

/*
#include <stdlib.h>
#include <containers_policy.h>
*/
import "C"

import (
	"context"
	"runtime"
	"strconv"
	"sync"
)

// RegistriesD is a loaded registries.d configuration (lookaside locations per scope). It is
// immutable and safe for concurrent use.
type RegistriesD struct {
	mu  sync.RWMutex
	ptr *C.containers_policy_registries_d
}

// LoadRegistriesD loads the *.yaml files of dir; dir "" means the default directory for this
// process ($HOME/.config/containers/registries.d if present, else /etc/containers/registries.d).
func LoadRegistriesD(dir string) (*RegistriesD, error) {
	cdir, err := cOptString(dir, "registries.d directory")
	if err != nil {
		return nil, err
	}
	defer freeString(cdir)
	var out *C.containers_policy_registries_d
	if err := takeError(C.containers_policy_registries_d_load(cdir, &out)); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errNullResult
	}
	r := &RegistriesD{ptr: out}
	runtime.SetFinalizer(r, (*RegistriesD).Close)
	return r, nil
}

// Close frees the configuration. It is idempotent and waits for calls in flight.
func (r *RegistriesD) Close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ptr != nil {
		C.containers_policy_registries_d_free(r.ptr)
		r.ptr = nil
	}
	runtime.SetFinalizer(r, nil)
}

// LookasideURL returns the URL of signature number index (1-based) of the manifest digest
// ("sha256:…") for dockerRef (e.g. "quay.io/ns/app:1.0"); write selects the staging
// (lookaside-staging) store instead of the read one.
func (r *RegistriesD) LookasideURL(dockerRef, digest string, index int, write bool) (string, error) {
	if r == nil {
		return "", ErrClosed
	}
	if index < 0 {
		return "", invalidArgument("containers-policy: negative signature index " + strconv.Itoa(index))
	}
	cref, err := cString(dockerRef, "docker reference")
	if err != nil {
		return "", err
	}
	defer freeString(cref)
	cdigest, err := cString(digest, "digest")
	if err != nil {
		return "", err
	}
	defer freeString(cdigest)
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.ptr == nil {
		return "", ErrClosed
	}
	var out *C.char
	err = takeError(C.containers_policy_lookaside_url(r.ptr, cref, cdigest, C.size_t(index), C.bool(write), &out))
	runtime.KeepAlive(r)
	if err != nil {
		return "", err
	}
	return goStringTake(out), nil
}

// Remote evaluates images by reference alone: it fetches the manifest from the registry and the
// signatures through registries.d. It is safe for concurrent use.
type Remote struct {
	mu  sync.RWMutex
	ptr *C.containers_policy_remote
}

// NewRemote creates a remote source from a copy of r (r may be closed afterwards). tlsVerify
// false accepts invalid certificates and lets the registry be reached over plain HTTP; authFile
// "" means the default containers auth.json / docker config.json locations.
func NewRemote(r *RegistriesD, tlsVerify bool, authFile string) (*Remote, error) {
	if r == nil {
		return nil, ErrClosed
	}
	cauth, err := cOptString(authFile, "auth file path")
	if err != nil {
		return nil, err
	}
	defer freeString(cauth)
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.ptr == nil {
		return nil, ErrClosed
	}
	var out *C.containers_policy_remote
	err = takeError(C.containers_policy_remote_new(r.ptr, C.bool(tlsVerify), cauth, &out))
	runtime.KeepAlive(r)
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errNullResult
	}
	rem := &Remote{ptr: out}
	runtime.SetFinalizer(rem, (*Remote).Close)
	return rem, nil
}

// Close frees the remote source. It is idempotent and waits for calls in flight.
func (rem *Remote) Close() {
	if rem == nil {
		return
	}
	rem.mu.Lock()
	defer rem.mu.Unlock()
	if rem.ptr != nil {
		C.containers_policy_remote_free(rem.ptr)
		rem.ptr = nil
	}
	runtime.SetFinalizer(rem, nil)
}

// EvaluateRemote evaluates the image at ref (e.g. "docker://quay.io/ns/app:1.0"), fetching its
// manifest and signatures through remote. Fetch failures (registry unreachable, manifest
// unknown, …) are errors; a refusal is a Decision. ctx is only checked before the call: the
// network requests made by the library are not cancellable from Go.
func (pc *PolicyContext) EvaluateRemote(ctx context.Context, remote *Remote, ref string) (Decision, error) {
	if remote == nil {
		return Decision{}, ErrClosed
	}
	handle, err := pc.acquire(ctx)
	if err != nil {
		return Decision{}, err
	}
	defer pc.mu.RUnlock()
	cref, err := cString(ref, "image reference")
	if err != nil {
		return Decision{}, err
	}
	defer freeString(cref)
	remote.mu.RLock()
	defer remote.mu.RUnlock()
	if remote.ptr == nil {
		return Decision{}, ErrClosed
	}
	var out *C.containers_policy_decision
	err = takeError(C.containers_policy_evaluate_remote(handle, remote.ptr, cref, &out))
	runtime.KeepAlive(pc)
	runtime.KeepAlive(remote)
	if err != nil {
		return Decision{}, err
	}
	if out == nil {
		return Decision{}, errNullResult
	}
	return takeDecision(out), nil
}
