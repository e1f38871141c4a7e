package containerspolicy

/*
#include <stdlib.h>
#include <string.h>
#include <containers_policy.h>
*/
import "C"

import (
	"strings"
	"unsafe"
)

// cString copies s into C memory (free with C.free). A NUL byte inside s would silently truncate
// the string on the C side, so it is an error instead; what names the argument in the message.
func cString(s, what string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, invalidArgument("containers-policy: " + what + " contains a NUL byte")
	}
	return C.CString(s), nil
}

// cOptString is cString, but "" gives NULL ("not set").
func cOptString(s, what string) (*C.char, error) {
	if s == "" {
		return nil, nil
	}
	return cString(s, what)
}

// freeString frees a string made by cString/cOptString (NULL is fine).
func freeString(s *C.char) {
	C.free(unsafe.Pointer(s))
}

// cBytes copies b into C memory, returning (NULL, 0) for an empty slice. Free with C.free.
func cBytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(C.CBytes(b)), C.size_t(len(b))
}

// cSignatures is a C array of containers_policy_slice whose data all live in C memory: cgo
// forbids passing C a Go pointer to memory that holds Go pointers, so neither the array nor the
// blobs may be Go memory.
type cSignatures struct {
	array *C.containers_policy_slice
	len   C.size_t
	blobs []unsafe.Pointer
}

func newCSignatures(sigs [][]byte) *cSignatures {
	s := &cSignatures{}
	if len(sigs) == 0 {
		return s
	}
	size := C.size_t(len(sigs)) * C.size_t(unsafe.Sizeof(C.containers_policy_slice{}))
	s.array = (*C.containers_policy_slice)(C.malloc(size))
	C.memset(unsafe.Pointer(s.array), 0, size)
	s.len = C.size_t(len(sigs))
	elems := unsafe.Slice(s.array, len(sigs))
	for i, sig := range sigs {
		data, n := cBytes(sig)
		if data != nil {
			s.blobs = append(s.blobs, unsafe.Pointer(data))
		}
		elems[i].data = data
		elems[i].len = n
	}
	return s
}

func (s *cSignatures) free() {
	for _, p := range s.blobs {
		C.free(p)
	}
	s.blobs = nil
	C.free(unsafe.Pointer(s.array))
	s.array = nil
	s.len = 0
}

// goStringTake copies a library-owned string into Go memory and frees it.
func goStringTake(s *C.char) string {
	if s == nil {
		return ""
	}
	out := C.GoString(s)
	C.containers_policy_string_free(s)
	return out
}

// goStringOrEmpty copies a borrowed C string (NULL gives "").
func goStringOrEmpty(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}
