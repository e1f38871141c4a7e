package containerspolicy_test

import (
	"context"
	"fmt"
	"log"
	"os"

	containerspolicy "example.invalid/containers-policy/ffi/go"
)

// Example is the Go quickstart of ffi/README.md (the test script checks that the README shows this file
// verbatim): may the image copied with `skopeo copy … dir:DIR` run as REFERENCE under POLICY?
func Example() {
	if len(os.Args) != 4 {
		return // go test runs examples without arguments; as a program: POLICY DIR REFERENCE
	}
	policyPath, dir, reference := os.Args[1], os.Args[2], os.Args[3]

	policy, err := containerspolicy.NewPolicyFromFile(policyPath)
	if err != nil {
		log.Fatal(err) // e.g. a *containerspolicy.Error with CodeInvalidPolicy
	}
	pc, err := containerspolicy.NewPolicyContext(policy) // keys read once; share it between goroutines
	policy.Close()
	if err != nil {
		log.Fatal(err)
	}
	defer pc.Close()

	manifest, err := os.ReadFile(dir + "/manifest.json")
	if err != nil {
		log.Fatal(err)
	}
	var signatures [][]byte
	for i := 1; ; i++ {
		sig, err := os.ReadFile(fmt.Sprintf("%s/signature-%d", dir, i))
		if err != nil {
			break
		}
		signatures = append(signatures, sig)
	}

	decision, err := pc.Evaluate(context.Background(), reference, manifest, signatures)
	if err != nil {
		log.Fatal(err) // unusable input, e.g. a malformed reference
	}
	if decision.Allowed {
		fmt.Println("allowed")
	} else {
		fmt.Println("denied:", decision.Reason) // containers/image's text
	}
}
