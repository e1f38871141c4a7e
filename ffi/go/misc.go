package containerspolicy

/*
#include <stdlib.h>
#include <string.h>
#include <containers_policy.h>
*/
import "C"

import (
	"unsafe"
)

// HeaderABIVersion is CONTAINERS_POLICY_ABI_VERSION of the header this package was compiled
// against; [ABIVersion] is that of the library loaded at run time.
const HeaderABIVersion uint32 = C.CONTAINERS_POLICY_ABI_VERSION

// Version returns the library version, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.containers_policy_version())
}

// ABIVersion returns the ABI version of the loaded library.
func ABIVersion() uint32 {
	return uint32(C.containers_policy_abi_version())
}

// ManifestDigest returns the digest ("sha256:…") of a manifest as containers/image computes it
// (for signed schema 1 manifests, without the signatures).
func ManifestDigest(manifest []byte) (string, error) {
	data, n := cBytes(manifest)
	defer C.free(unsafe.Pointer(data))
	var out *C.char
	if err := takeError(C.containers_policy_manifest_digest(data, n, &out)); err != nil {
		return "", err
	}
	return goStringTake(out), nil
}

// Sign creates a simple-signing signature of manifest claiming dockerRef (e.g.
// "quay.io/ns/app:1.0"), as `skopeo standalone-sign` does. secretKey is OpenPGP secret key
// material, armored or binary; keyID is the fingerprint or key ID of the signing key, or "" when
// secretKey holds exactly one signing key; passphrase "" means none. The result is the
// signature blob.
func Sign(manifest []byte, dockerRef string, secretKey []byte, keyID, passphrase string) ([]byte, error) {
	cref, err := cString(dockerRef, "docker reference")
	if err != nil {
		return nil, err
	}
	defer freeString(cref)
	ckeyID, err := cOptString(keyID, "key ID")
	if err != nil {
		return nil, err
	}
	defer freeString(ckeyID)
	cpass, err := cOptString(passphrase, "passphrase")
	if err != nil {
		return nil, err
	}
	defer freeString(cpass)
	mdata, mlen := cBytes(manifest)
	defer C.free(unsafe.Pointer(mdata))
	kdata, klen := cBytes(secretKey)
	defer freeSecret(kdata, klen)
	var out *C.containers_policy_buffer
	if err := takeError(C.containers_policy_sign(mdata, mlen, cref, kdata, klen, ckeyID, cpass, &out)); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errNullResult
	}
	defer C.containers_policy_buffer_free(out)
	n := int(C.containers_policy_buffer_len(out))
	sig := make([]byte, n)
	if n > 0 {
		copy(sig, unsafe.Slice((*byte)(unsafe.Pointer(C.containers_policy_buffer_data(out))), n))
	}
	return sig, nil
}

// freeSecret zeroes and frees the C copy of secret key material.
func freeSecret(p *C.uint8_t, n C.size_t) {
	if p == nil {
		return
	}
	C.memset(unsafe.Pointer(p), 0, n)
	C.free(unsafe.Pointer(p))
}
