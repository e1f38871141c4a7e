package containerspolicy_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	cp "example.invalid/containers-policy/ffi/go"
)

// oracleCase is one line of the cases file written by the Rust API (see the issue 4 brief):
// name, policy path, image reference, manifest path, signature paths ("|"-joined), allowed,
// code, message.
type oracleCase struct {
	line       int
	name       string
	policyPath string
	ref        string
	manifest   []byte
	sigs       [][]byte
	allowed    bool
	code       cp.Code
	message    string
}

// unescape reverses the cases file escaping: `\\` → `\`, `\t` → TAB, `\n` → newline.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("dangling backslash in %q", s)
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		default:
			return "", fmt.Errorf("unknown escape \\%c in %q", s[i], s)
		}
	}
	return b.String(), nil
}

func loadCases(t *testing.T) []oracleCase {
	t.Helper()
	path := os.Getenv("CONTAINERS_POLICY_FFI_CASES")
	if path == "" {
		t.Skip("SKIPPED: CONTAINERS_POLICY_FFI_CASES not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("cases file: %v", err)
	}
	defer f.Close()
	var cases []oracleCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) == 7 { // no trailing TAB before an empty message
			fields = append(fields, "")
		}
		if len(fields) != 8 {
			t.Fatalf("%s:%d: %d fields, want 8", path, lineNo, len(fields))
		}
		c := oracleCase{line: lineNo, name: fields[0], policyPath: fields[1], ref: fields[2]}
		if fields[3] != "" {
			c.manifest = readFile(t, fields[3])
		}
		if fields[4] != "" {
			for _, p := range strings.Split(fields[4], "|") {
				c.sigs = append(c.sigs, readFile(t, p))
			}
		}
		switch fields[5] {
		case "1":
			c.allowed = true
		case "0":
		default:
			t.Fatalf("%s:%d: allowed = %q", path, lineNo, fields[5])
		}
		code, err := strconv.ParseUint(fields[6], 10, 32)
		if err != nil {
			t.Fatalf("%s:%d: code: %v", path, lineNo, err)
		}
		c.code = cp.Code(code)
		if c.message, err = unescape(fields[7]); err != nil {
			t.Fatalf("%s:%d: %v", path, lineNo, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if len(cases) < 50 {
		t.Fatalf("%s has %d cases, want at least 50", path, len(cases))
	}
	return cases
}

// outcome is what a case produced: an allowed verdict, or a refusal/error code and message.
type outcome struct {
	allowed bool
	code    cp.Code
	message string
}

func (o outcome) String() string {
	if o.allowed {
		return "allowed"
	}
	return fmt.Sprintf("refused code=%d (%v) message=%q", uint32(o.code), o.code, o.message)
}

func errOutcome(err error) (outcome, error) {
	var e *cp.Error
	if !errors.As(err, &e) {
		return outcome{}, fmt.Errorf("error is %T, not *Error: %v", err, err)
	}
	return outcome{code: e.Code, message: e.Message}, nil
}

// evaluateCase runs Evaluate and IsRunningImageAllowed, checks that they agree, and returns the outcome.
func evaluateCase(pc *cp.PolicyContext, c oracleCase) (outcome, error) {
	ctx := context.Background()
	var got outcome
	d, err := pc.Evaluate(ctx, c.ref, c.manifest, c.sigs)
	if err != nil {
		// Inputs the library cannot evaluate (e.g. a bad reference): the oracle records them as refusals too.
		if got, err = errOutcome(err); err != nil {
			return outcome{}, err
		}
	} else if d.Allowed {
		if d.Reason != nil {
			return outcome{}, fmt.Errorf("allowed decision with reason %v", d.Reason)
		}
		got = outcome{allowed: true}
	} else {
		if d.Reason == nil {
			return outcome{}, errors.New("refused decision without reason")
		}
		if got, err = errOutcome(d.Reason); err != nil {
			return outcome{}, err
		}
	}
	runErr := pc.IsRunningImageAllowed(ctx, c.ref, c.manifest, c.sigs)
	if got.allowed {
		if runErr != nil {
			return outcome{}, fmt.Errorf("Evaluate allowed but IsRunningImageAllowed: %v", runErr)
		}
		return got, nil
	}
	if runErr == nil {
		return outcome{}, fmt.Errorf("Evaluate %v but IsRunningImageAllowed allowed", got)
	}
	other, err := errOutcome(runErr)
	if err != nil {
		return outcome{}, err
	}
	if other != got {
		return outcome{}, fmt.Errorf("Evaluate %v but IsRunningImageAllowed %v", got, other)
	}
	return got, nil
}

func checkCase(pc *cp.PolicyContext, c oracleCase) error {
	got, err := evaluateCase(pc, c)
	if err != nil {
		return fmt.Errorf("case %s (line %d): %v", c.name, c.line, err)
	}
	want := outcome{allowed: c.allowed, code: c.code, message: c.message}
	if c.allowed {
		want = outcome{allowed: true}
	}
	if got != want {
		return fmt.Errorf("case %s (line %d): got %v, want %v", c.name, c.line, got, want)
	}
	return nil
}

// TestCases replays the oracle cases: first sequentially, each with a fresh policy and context,
// then all of them from 8 goroutines sharing one PolicyContext per policy file.
func TestCases(t *testing.T) {
	cases := loadCases(t)
	allowed := 0
	for _, c := range cases {
		if c.allowed {
			allowed++
		}
	}
	t.Logf("%d cases (%d allowed, %d refused)", len(cases), allowed, len(cases)-allowed)

	t.Run("sequential", func(t *testing.T) {
		for _, c := range cases {
			p, err := cp.NewPolicyFromFile(c.policyPath)
			if err != nil {
				t.Fatalf("case %s: policy %s: %v", c.name, c.policyPath, err)
			}
			pc, err := cp.NewPolicyContext(p)
			p.Close()
			if err != nil {
				t.Fatalf("case %s: context for %s: %v", c.name, c.policyPath, err)
			}
			if err := checkCase(pc, c); err != nil {
				t.Error(err)
			}
			pc.Close()
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		contexts := map[string]*cp.PolicyContext{}
		for _, c := range cases {
			if _, ok := contexts[c.policyPath]; ok {
				continue
			}
			p, err := cp.NewPolicyFromFile(c.policyPath)
			if err != nil {
				t.Fatalf("policy %s: %v", c.policyPath, err)
			}
			pc, err := cp.NewPolicyContext(p)
			p.Close()
			if err != nil {
				t.Fatalf("context for %s: %v", c.policyPath, err)
			}
			contexts[c.policyPath] = pc
			defer pc.Close()
		}
		const workers = 8
		errs := make(chan error, workers*len(cases))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				// Every worker runs the whole set, each starting at a different case.
				for i := range cases {
					c := cases[(i+w*len(cases)/workers)%len(cases)]
					if err := checkCase(contexts[c.policyPath], c); err != nil {
						errs <- fmt.Errorf("worker %d: %v", w, err)
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		n := 0
		for err := range errs {
			n++
			if n <= 20 {
				t.Error(err)
			}
		}
		if n > 20 {
			t.Errorf("… and %d more failures", n-20)
		}
	})
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		``:                     ``,
		`plain`:                `plain`,
		`a\tb\nc\\d`:           "a\tb\nc\\d",
		`\\n is not a newline`: `\n is not a newline`,
	} {
		got, err := unescape(in)
		if err != nil || got != want {
			t.Errorf("unescape(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := unescape(`bad\`); err == nil {
		t.Error("dangling backslash accepted")
	}
}
