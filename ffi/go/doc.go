// Package containerspolicy is a Go binding (cgo) over libcontainers_policy, the C ABI of the
// containers-policy Rust SDK. It evaluates containers/image signature policies (policy.json)
// with the same verdicts and the same refusal texts as containers/image.
//
// # Building
//
// The package includes <containers_policy.h> and links with -lcontainers_policy; it does not
// hard-code where they live. Point cgo at them with the usual variables:
//
//	export CGO_CFLAGS="-I$CONTAINERS_POLICY_INCLUDE_DIR"
//	export CGO_LDFLAGS="-L$CONTAINERS_POLICY_LIB_DIR"
//	export LD_LIBRARY_PATH="$CONTAINERS_POLICY_LIB_DIR"   # when linking the shared library
//
// where the include directory holds containers_policy.h (ffi/include in the repository) and the
// library directory holds libcontainers_policy.so or .a (target/debug or target/release after
// `cargo build -p containers-policy-ffi`). The script ffi/go/run-tests does exactly this and then
// runs `go vet` and `go test -race`.
//
// # Handles and memory
//
// [Policy], [PolicyContext], [RegistriesD] and [Remote] own a C handle. Call Close when done;
// Close is idempotent and safe to call concurrently with other methods (it waits for calls in
// flight, see below). A finalizer frees the handle if Close is forgotten, but relying on it
// delays freeing until the garbage collector runs. Using a handle after Close returns an
// [*Error] for which errors.Is(err, [ErrClosed]) holds; it never crashes.
//
// All inputs are copied by the library and all outputs (strings, buffers, decisions) are copied
// into Go memory before the C objects are freed, so values returned by this package never refer
// to C memory.
//
// # Concurrency
//
// Every handle is immutable after creation and may be shared between goroutines: the C library
// is thread-safe for policy, context, registries.d and remote handles. Each Go handle guards its
// C pointer with a sync.RWMutex: calls hold the read lock for the duration of the C call, and
// Close takes the write lock, so Close waits for calls in flight and later calls see the handle
// as closed.
//
// # Cancellation
//
// Methods taking a context.Context check it before calling into C and return ctx.Err() if it is
// already done. The C call itself cannot be interrupted: once started, an evaluation (including
// the network requests of [PolicyContext.EvaluateRemote]) runs to completion.
//
// # Errors
//
// Errors from the library are [*Error] values carrying a [Code] (mirroring enum
// containers_policy_code) and the message, which is exactly the containers/image text
// (err.Error() returns it unchanged). Use errors.As to get the code, and [IsRejection] to tell
// "the policy refused this image" from "the inputs could not be evaluated".
package containerspolicy
