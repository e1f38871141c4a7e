// Command bench-go measures containers/image itself (go.podman.io/image/v5, the version pinned in go.mod)
// on the case benches/compare.sh gives every implementation: IsRunningImageAllowed of one image read once
// from a dir: layout, repeated in-process by -threads goroutines. A PolicyContext may not be used by two
// goroutines at once (IsRunningImageAllowed fails with "Invalid PolicyContext state"), so each goroutine has
// its own context and image; every evaluation's verdict is checked. Build it with the default GPGME
// mechanism, or with -tags containers_image_openpgp for the pure-Go one.
//
//	bench-go -policy P -dir D -reference REF [-iterations N] [-threads T]
//
// Prints one JSON object like `containers-policy bench --json`.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"

	"go.podman.io/image/v5/directory"
	"go.podman.io/image/v5/image"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/transports/alltransports"
	"go.podman.io/image/v5/types"
)

// namedImage is the dir: image under another name (the reference the policy is evaluated for); its
// manifest and signatures are read once and cached by image.UnparsedImage.
type namedImage struct {
	*image.UnparsedImage
	ref types.ImageReference
}

func (n *namedImage) Reference() types.ImageReference { return n.ref }

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench-go: "+format+"\n", args...)
	os.Exit(2)
}

// cpuTime is the CPU time (user + system) of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var check func(bool, error)

// newContextAndImage gives a goroutine its own PolicyContext and image (sharing the read-only image source).
func newContextAndImage(policy *signature.Policy, ref types.ImageReference, src types.ImageSource) (*signature.PolicyContext, *namedImage) {
	pc, err := signature.NewPolicyContext(policy)
	if err != nil {
		fail("%v", err)
	}
	return pc, &namedImage{UnparsedImage: image.UnparsedInstance(src, nil), ref: ref}
}

func main() {
	policyPath := flag.String("policy", "", "policy.json")
	dir := flag.String("dir", "", "image in the dir: layout")
	reference := flag.String("reference", "", "transport reference to evaluate the image as")
	iterations := flag.Int("iterations", 2000, "evaluations in all")
	threads := flag.Int("threads", 1, "goroutines sharing one PolicyContext")
	flag.Parse()
	ctx := context.Background()

	policy, err := signature.NewPolicyFromFile(*policyPath)
	if err != nil {
		fail("%v", err)
	}
	pc, err := signature.NewPolicyContext(policy)
	if err != nil {
		fail("%v", err)
	}
	defer func() { _ = pc.Destroy() }()
	ref, err := alltransports.ParseImageName(*reference)
	if err != nil {
		fail("%v", err)
	}
	dirRef, err := directory.NewReference(*dir)
	if err != nil {
		fail("%v", err)
	}
	src, err := dirRef.NewImageSource(ctx, nil)
	if err != nil {
		fail("%v", err)
	}
	defer src.Close()
	img := &namedImage{UnparsedImage: image.UnparsedInstance(src, nil), ref: ref}
	allowed, evalErr := pc.IsRunningImageAllowed(ctx, img)
	errText := ""
	if evalErr != nil {
		errText = evalErr.Error()
	}
	// Every timed evaluation must give the first one's verdict.
	check = func(ok bool, err error) {
		if ok != allowed || (err == nil) != (evalErr == nil) {
			fail("evaluation gave allowed=%v, %v; the first gave allowed=%v, %v", ok, err, allowed, evalErr)
		}
	}

	warm := min(max(*iterations/20, 1), 200)
	var wg sync.WaitGroup
	lat := make([][]time.Duration, *threads)
	start := make(chan struct{})
	var ready sync.WaitGroup
	for t := 0; t < *threads; t++ {
		n := *iterations / *threads
		if t < *iterations%*threads {
			n++
		}
		wg.Add(1)
		ready.Add(1)
		pc, img := pc, img
		if t > 0 {
			pc, img = newContextAndImage(policy, ref, src)
		}
		go func(t, n int) {
			defer wg.Done()
			for i := 0; i < min(warm, max(n, 1)); i++ {
				check(pc.IsRunningImageAllowed(ctx, img))
			}
			l := make([]time.Duration, 0, n)
			ready.Done()
			<-start
			for i := 0; i < n; i++ {
				t0 := time.Now()
				ok, err := pc.IsRunningImageAllowed(ctx, img)
				l = append(l, time.Since(t0))
				check(ok, err)
			}
			lat[t] = l
		}(t, n)
	}
	ready.Wait()
	t0, cpu0 := time.Now(), cpuTime()
	close(start)
	wg.Wait()
	elapsed := time.Since(t0)
	cpu := cpuTime() - cpu0
	var all []time.Duration
	var total time.Duration
	for _, l := range lat {
		all = append(all, l...)
		for _, d := range l {
			total += d
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	q := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		r := int(p*float64(len(all)) + 0.999999)
		r = min(max(r, 1), len(all))
		return float64(all[r-1].Nanoseconds()) / 1e3
	}
	var errField any
	if errText != "" {
		errField = errText
	}
	out, _ := json.Marshal(map[string]any{
		"allowed":       allowed,
		"error":         errField,
		"iterations":    len(all),
		"threads":       *threads,
		"seconds":       elapsed.Seconds(),
		"evals_per_sec": float64(len(all)) / elapsed.Seconds(),
		"mean_us":       float64(total.Nanoseconds()) / 1e3 / float64(max(len(all), 1)),
		"p50_us":        q(0.5),
		"p99_us":        q(0.99),
		// The whole process's CPU time (user + system, GC included) per evaluation.
		"cpu_us_per_eval": float64(cpu.Nanoseconds()) / 1e3 / float64(max(len(all), 1)),
	})
	fmt.Println(string(out))
}
