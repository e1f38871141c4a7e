package containerspolicy

/*
#cgo LDFLAGS: -lcontainers_policy
#include <containers_policy.h>
*/
import "C"

import (
	"errors"
	"strconv"
)

// Code classifies an [Error]; the values are those of the C enum containers_policy_code.
type Code uint32

// The error codes of libcontainers_policy.
const (
	// CodeOK is never the code of an [*Error]; it is what the C library reports for "no error".
	CodeOK Code = C.CONTAINERS_POLICY_OK
	// CodeInvalidPolicy: the policy is malformed (containers/image InvalidPolicyFormatError).
	CodeInvalidPolicy Code = C.CONTAINERS_POLICY_INVALID_POLICY
	// CodePolicyRequirement: the image was refused by a requirement (PolicyRequirementError).
	CodePolicyRequirement Code = C.CONTAINERS_POLICY_POLICY_REQUIREMENT
	// CodeInvalidSignature: the image was refused because of a signature (InvalidSignatureError).
	CodeInvalidSignature Code = C.CONTAINERS_POLICY_INVALID_SIGNATURE
	// CodeInvalidReference: an image reference could not be parsed.
	CodeInvalidReference Code = C.CONTAINERS_POLICY_INVALID_REFERENCE
	// CodeIO: reading or writing a file failed.
	CodeIO Code = C.CONTAINERS_POLICY_IO
	// CodeManifest: a manifest could not be parsed or digested.
	CodeManifest Code = C.CONTAINERS_POLICY_MANIFEST
	// CodeOther: any other failure.
	CodeOther Code = C.CONTAINERS_POLICY_OTHER
	// CodeInvalidArgument: an unusable argument (a string with a NUL byte, a closed handle, …).
	CodeInvalidArgument Code = C.CONTAINERS_POLICY_INVALID_ARGUMENT
	// CodePanic: a bug in the library (an internal panic was caught).
	CodePanic Code = C.CONTAINERS_POLICY_PANIC
	// CodeConfig: registries.d or lookaside configuration.
	CodeConfig Code = C.CONTAINERS_POLICY_CONFIG
	// CodeLookaside: the layout, reading or writing of a lookaside signature store.
	CodeLookaside Code = C.CONTAINERS_POLICY_LOOKASIDE
	// CodeRegistry: talking to a registry, or authenticating to it.
	CodeRegistry Code = C.CONTAINERS_POLICY_REGISTRY
)

var codeNames = map[Code]string{
	CodeOK:                "OK",
	CodeInvalidPolicy:     "InvalidPolicy",
	CodePolicyRequirement: "PolicyRequirement",
	CodeInvalidSignature:  "InvalidSignature",
	CodeInvalidReference:  "InvalidReference",
	CodeIO:                "IO",
	CodeManifest:          "Manifest",
	CodeOther:             "Other",
	CodeInvalidArgument:   "InvalidArgument",
	CodePanic:             "Panic",
	CodeConfig:            "Config",
	CodeLookaside:         "Lookaside",
	CodeRegistry:          "Registry",
}

// String returns the Go name of the code without its "Code" prefix, e.g. "InvalidPolicy".
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return "Code(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// Error is the error type of this package: a code and the library's message.
//
// Message is the complete text (for refusals, the containers/image err.Error() text verbatim);
// Error() returns it unchanged. Get at the code with errors.As:
//
//	var e *containerspolicy.Error
//	if errors.As(err, &e) && e.Code == containerspolicy.CodeInvalidPolicy { … }
type Error struct {
	Code    Code
	Message string
}

// Error returns Message, exactly.
func (e *Error) Error() string { return e.Message }

// ErrClosed is returned (as is; test with errors.Is) when a method is called on a closed handle,
// or with a nil handle.
var ErrClosed = &Error{Code: CodeInvalidArgument, Message: "containers-policy: use of a closed or nil handle"}

// IsRejection reports whether err says the policy refused the image (code
// [CodePolicyRequirement] or [CodeInvalidSignature]), as opposed to the image or the inputs not
// being evaluable at all.
func IsRejection(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code == CodePolicyRequirement || e.Code == CodeInvalidSignature
}

// CodeOf returns the code of err if it is (or wraps) an [*Error], else [CodeOther]; CodeOK for nil.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeOther
}

// copyError converts a borrowed C error into a Go *Error (nil for NULL) without freeing it.
func copyError(e *C.containers_policy_error) error {
	if e == nil {
		return nil
	}
	return &Error{
		Code:    Code(C.containers_policy_error_code(e)),
		Message: C.GoString(C.containers_policy_error_message(e)),
	}
}

// takeError converts an owned C error into a Go *Error (nil for NULL) and frees it.
func takeError(e *C.containers_policy_error) error {
	if e == nil {
		return nil
	}
	err := copyError(e)
	C.containers_policy_error_free(e)
	return err
}

// errNullResult reports a library bug: success without the promised output object.
var errNullResult = &Error{Code: CodePanic, Message: "containers-policy: the library returned success without a result"}

func invalidArgument(msg string) error {
	return &Error{Code: CodeInvalidArgument, Message: msg}
}
