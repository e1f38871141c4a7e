// Command yaml-v3-expectations records what yaml.v3 (go.yaml.in/yaml/v3 v3.0.5, the version
// containers/image v5.42.0 uses for registries.d) answers for registries.d inputs: the decoded
// configuration or the exact error text. Our Rust tests (tests/registries_d_yaml_v3.rs) replay the
// recording against our parser.
//
//	cd sigstore-lookaside/tests/yaml-v3 && GOFLAGS=-mod=mod go run . > expected.jsonl
//
// With -fuzz N it instead records N random mutations of registries.d-like documents (seeded by -seed),
// for a longer local comparison (YAML_V3_FUZZ=<file> cargo test -p sigstore-lookaside --test
// registries_d_yaml_v3 -- --ignored).
package main

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"unicode/utf8"

	"example.invalid/containers-policy/yaml-v3-expectations/docker"
)

type record struct {
	In    string         `json:"in,omitempty"`
	InHex string         `json:"in_hex,omitempty"`
	Err   string         `json:"err,omitempty"`
	Ok    *docker.Config `json:"ok,omitempty"`
}

var handwritten = []string{
	"", "\n", "   \n", "# only a comment\n", "~", "~\n", "null", "{}", "{}\n", "[]", "- a\n- b\n", "hello", "12", "true",
	"---\n", "---\n...\n", "--- ~\n", "---\ndocker: {}\n---\ndefault-docker: {}\n", "---\ndocker: {}\n--- [\n",
	"docker: {}\n...\n--- x\n", "docker: {}\n---\n", "%YAML 1.1\n---\ndocker: {}\n", "%YAML 1.3\n---\n{}\n", "%YAML 2.0\n---\n{}\n",
	"%FOO bar\n---\n{}\n", "%TAG ! tag:x,2000:\n---\n{}\n", "%YAML 1.1\n%YAML 1.1\n---\n{}\n",
	"docker:\n", "docker: ~\n", "docker: null\n", "docker: []\n", "docker: [a, b]\n", "docker: x\n", "docker: 1\n", "docker: true\n",
	"default-docker:\n", "default-docker: ~\n", "default-docker: {}\n", "default-docker: 1\n", "default-docker: [x]\n", "default-docker: ''\n",
	"default-docker:\n  lookaside: [x]\n", "default-docker:\n  lookaside: {a: b}\n", "default-docker:\n  lookaside: 12\n",
	"default-docker:\n  lookaside: ~\n", "default-docker:\n  lookaside:\n", "default-docker:\n  lookaside: true\n",
	"default-docker:\n  lookaside: 1.5\n", "default-docker:\n  lookaside: 2001-12-14\n", "default-docker:\n  lookaside: 0x1F\n",
	"default-docker:\n  lookaside: !!binary aGVsbG8=\n", "default-docker:\n  lookaside: !!binary '***'\n",
	"default-docker:\n  lookaside: !!str 12\n", "default-docker:\n  lookaside: !!int x\n", "default-docker:\n  lookaside: !!int 12\n",
	"default-docker:\n  lookaside: !!float 12\n", "default-docker:\n  lookaside: !!bool true\n", "default-docker:\n  lookaside: !!bool yes\n",
	"default-docker:\n  lookaside: !!null ''\n", "default-docker:\n  lookaside: !!null x\n", "default-docker:\n  lookaside: !!timestamp x\n",
	"default-docker:\n  lookaside: !foo x\n", "default-docker:\n  lookaside: !<tag:yaml.org,2002:str> x\n", "default-docker:\n  lookaside: !!map x\n",
	"default-docker:\n  lookaside: !!seq x\n", "default-docker: !!str {}\n", "default-docker: !!seq {}\n", "!!map {}\n", "!!str {}\n",
	"default-docker:\n  lookaside: |\n    multi\n    line\n", "default-docker:\n  lookaside: >\n    folded\n    text\n",
	"default-docker:\n  lookaside: \"a\\tb\\u00e9\"\n", "default-docker:\n  lookaside: 'it''s'\n", "default-docker:\n  lookaside: \"\\q\"\n",
	"default-docker:\n  lookaside: 'unterminated\n", "default-docker:\n  lookaside: \"unterminated\n", "default-docker:\n  lookaside: x\n   sigstore: y\n",
	"default-docker:\n  lookaside: x\n sigstore: y\n", "default-docker:\n  lookaside: x\n    sigstore: y\n", "default-docker:\n\tlookaside: x\n",
	"docker:\n\tquay.io: {}\n", "docker:\n  quay.io:\t{}\n", "docker:\n  quay.io: just-a-string\n", "docker:\n  quay.io: [a]\n",
	"docker:\n  quay.io:\n  quay.io:\n", "docker:\n  quay.io: {}\n  'quay.io': {}\n", "docker:\n  quay.io: {}\ndocker: {}\n",
	"docker:\n  ~: {lookaside: x}\n", "docker:\n  null: {lookaside: x}\n", "docker:\n  1: {lookaside: x}\n", "docker:\n  true: {lookaside: x}\n",
	"docker:\n  [a]: {lookaside: x}\n", "docker:\n  {a: b}: {lookaside: x}\n", "docker:\n  ? complex\n  : {lookaside: x}\n",
	"docker:\n  ? [a, b]\n  : {lookaside: x}\n", "default-docker:\n  ? [a]\n  : x\n", "? [a]\n: x\n", "[a]: x\n", "{a: 1}: x\n",
	"default-docker:\n  use-sigstore-attachments: yes\n", "default-docker:\n  use-sigstore-attachments: maybe\n",
	"default-docker:\n  use-sigstore-attachments: 1\n", "default-docker:\n  use-sigstore-attachments: 1.0\n",
	"default-docker:\n  use-sigstore-attachments: ~\n", "default-docker:\n  use-sigstore-attachments: ''\n",
	"default-docker:\n  use-sigstore-attachments: 'yes'\n", "default-docker:\n  use-sigstore-attachments: \"true\"\n",
	"default-docker:\n  use-sigstore-attachments: [true]\n", "default-docker:\n  use-sigstore-attachments: {a: b}\n",
	"default-docker:\n  use-sigstore-attachments: 2001-01-01\n", "default-docker:\n  use-sigstore-attachments: a very long string value\n",
	"default-docker:\n  use-sigstore-attachments: 0b101\n", "default-docker:\n  use-sigstore-attachments: .inf\n",
	"default-docker:\n  use-sigstore-attachments: !!bool 'yes'\n", "default-docker:\n  use-sigstore-attachments: !!str true\n",
	"default-docker:\n  use-sigstore-attachments: !foo on\n", "default-docker:\n  use-sigstore-attachments: !!binary eWVz\n",
	"default-docker:\n  Lookaside: https://case.example\n", "DEFAULT-DOCKER:\n  lookaside: x\n", "Docker:\n  a: {}\n",
	"default-docker:\n  lookaside: x\n  lookaside: y\n", "default-docker:\n  lookaside: x\n  'lookaside': y\n", "foo: 1\nfoo: 2\n",
	"foo: 1\nfoo: 2\nfoo: 3\n", "a: 1\nb: 2\na: 3\nb: 4\n", "default-docker: {}\ndocker: {}\ndefault-docker: {}\ndocker: {}\n",
	"other: {a: 1, a: 2}\n", "default-docker:\n  other: {a: 1, a: 2}\n", "docker:\n  x: {a: 1, a: 2}\n", "docker:\n  x:\n    lookaside: [a, a]\n",
	"default-docker:\n  lookaside: x\n  sigstore: y\n  unknown-key: 1\n", "unknown: [1, {a: b}]\ndefault-docker: {}\n",
	"docker:\n  quay.io:\n    lookaside: &a https://anchor.example\n    sigstore: *a\n", "default-docker: &d {lookaside: x}\ndocker:\n  a: *d\n",
	"default-docker: *nope\n", "default-docker: &a {lookaside: *a}\n", "a: &a [*a]\ndefault-docker: *a\n", "&k lookaside: x\n",
	"default-docker: {&k lookaside: x, *k : y}\n", "default-docker: {&k lookaside: x, *k: y}\n", "docker: {&k a: {}, *k : {}}\n",
	"default-docker:\n  <<: {lookaside: merged, sigstore: s}\n  lookaside: own\n", "base: &b {lookaside: x}\ndefault-docker:\n  <<: *b\n",
	"default-docker:\n  <<: [{lookaside: a}, {sigstore: b}]\n", "default-docker:\n  <<: 1\n", "docker:\n  <<: {a: {lookaside: x}}\n  b: {}\n",
	"docker:\n  <<: {a: {lookaside: x}}\n  a: {lookaside: y}\n", "<<: {default-docker: {lookaside: x}}\n", "default-docker:\n  <<: [1]\n",
	"docker: {a: {}, b: {}}\n", "docker: {a: {}, a: {}}\n", "docker: {a, b}\n", "docker: {a: }\n", "docker: [a: b]\n",
	"docker: {a:b}\n", "docker: {'a':b}\n", "docker: {\"a\":b}\n", "docker: {\"a\":{}}\n", "docker: [\n", "docker: {\n", "docker: ]\n", "docker: }\n", "}\n", "]\n",
	"docker: {a: {}}}\n", "docker: {a: [}\n", "docker: {a: {]}\n", "docker: [a, b,]\n", "docker: {a: {}, }\n", "docker: {,}\n",
	"default-docker:\n  lookaside: x\n- y\n", "- a\nb: c\n", "a: b: c\n", "a: b\n  c: d\n", "a:\n  - b\n  c: d\n", "a:\nb\n", "a\nb: c\n",
	"key: 'a' b\n", "key: \"a\" b\n", "key: |x\n", "key: >-1\n  a\n", "key: |0\n", "key: @x\n", "key: `x\n", "key: %x\n", "@x: 1\n",
	"key: !\n", "key: !!\n", "key: !<>\n", "key: !<x\n", "key: &\n", "key: *\n", "key: &a\n", "key: & a\n", "key: !a!b c\n",
	"key: \"\\x4\"\n", "key: \"\\u00\"\n", "key: \"\\ud800\"\n", "key: \"\\U0011FFFF\"\n", "key: \"a\nb\"\n", "key: \"a\n  b\"\n", "key: 'a\n\n  b'\n",
	"key: \"a\n---\n\"\n", "key: 'a\n...\n'\n", "key:\n  - a\n   - b\n", "  a: 1\n b: 2\n", " a: 1\nb: 2\n", "a: 1\n\tb: 2\n", "a:\t1\n", "\ta: 1\n",
	"a: 1 # comment\n", "a: 1# not comment\n", "#c\n#d\na: 1 #e\n#f\n", "a: [1, # c\n  2]\n", "? a\n? a\n", "? a\n: 1\n? a\n: 2\n",
	"a: 1\r\nb: 2\r\n", "a: 1\rb: 2\r", "a: 1\u0085b: 2\n", "a: 1\u2028b: 2\n", "\ufeffa: 1\n", "a: \ufeff1\n",
	"a: \x01\n", "a: \x7f\n", "a: \x00\n", "\x00", "a: \xff\n", "a: \xc3\n", "a: \xc3(\n", "a: \xe2\x82\n", "a: \xed\xa0\x80\n",
	"a: \xc0\x80\n", "a: \xf4\x90\x80\x80\n", "\xfe\xff\x00a\x00:\x00 \x001\x00\n", "\xff\xfea\x00:\x00 \x001\x00\n\x00",
	"\xff\xfea\x00:\x00 \x00\x00\xd8\n\x00", "\xff\xfea\x00:\x00 \x00\x00\xdc\n\x00", "\xff\xfea\x00:\x00 \x001\x00\n",
	"a: b\n" + strings.Repeat("x", 600) + ": \xff\n", strings.Repeat("#", 520) + "\n\xff\n", strings.Repeat("[", 10001),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("- ", 200) + "x\n",
	"a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n", "default-docker: {lookaside: x, lookaside-staging: y, sigstore: z, sigstore-staging: w, use-sigstore-attachments: on}\n",
	"docker:\n  example.com/ns: {lookaside: 'https://x/a b'}\n  '*.example.com': {sigstore: x}\n  example.com:5000/a/b:tag: {}\n",
	"docker:\n  \"quay.io\\u002Fx\": {lookaside: x}\n  quay.io/x: {}\n", "docker:\n  \"\\x01\\t\u00e9\": {}\n  \"\\x01\\t\u00e9\": {}\n",
	"default-docker:\n  lookaside: x\ndefault-docker:\n  lookaside: y\n", "default-docker:\n  lookaside: https://x\n\n\n\n  sigstore: y\n  sigstore: z\n",
	"docker:\n  a:\n    use-sigstore-attachments: maybe\n    lookaside: [x]\n  b: 1\n  c: [d]\n", "default-docker: !!null\n", "default-docker: !!null {}\n",
	"docker: !!null\n", "docker: !!str\n", "docker: !!map\n", "docker: !!map ~\n", "docker: !!seq ~\n", "docker: !!str ~\n", "default-docker: !!str ~\n",
	"--- !!map\ndocker: {}\n", "--- |\n  x\n", "... \n", "...\ndocker: {}\n", "--- >\n", "---\n---\n", "- - - \n", "? \n", ": \n", ":\n", "-\n", "? ? ?\n",
	// conformance fixtures (registries.d/lookaside-yaml-syntax-error, lookaside-key-case)
	"default-docker: [\n  lookaside: nope\n", "default-docker:\n  Lookaside: file:///x/lookaside\n",
	// comments, tabs and line breaks as yaml.v3's scanner treats them
	"a: 1\n# c1\n\t# c2\nb: 2\n", "a: 1\n\t# c\n", "a: 1 # c1\n\t\nb: 2\n", "a: 1\t# c\n", "- a # c\n- b\n", "[a, # c\n b]\n",
	"a:\n  # c\n  b: 1\n# d\n\n# e\nc: 2\n", "a: |\n  x\n # c\nb: 1\n", "a: 'x' # c\n", "a: \"x\"#c\n", "a: [x]#c\n",
	"docker:\n #  - a\n  - [b, {c: d}*`\n", "#\n- [d, *`\n", "# h\n\n# h2\n- [d, *`\n", "- # c\n  - [*`\n",
	"a: 1\r\n\r\nb: 2\r\n", "a: 'x\r\n  y'\r\n", "\ufeff\ufeffa: 1\nb: 2\n", "a: 1\n\ufeffb: 2\n", "a: 1\n\ufeff\n",
	// a simple key longer than 1024 characters, and one over two lines
	strings.Repeat("k", 1030) + ": v\n", "docker:\n  " + strings.Repeat("k", 1030) + ": {}\n", "{a\nb: c}\n", "a\nb: c\n",
	// encoding errors past yaml.v3's first 512-byte chunk, after or before a syntax error
	"a: [\n" + strings.Repeat("# pad\n", 100) + "\xff\n", "a: b\n" + strings.Repeat("# pad\n", 100) + "c: \xff\n",
	"docker:\n  x: {}\n" + strings.Repeat("  yx: {}\n", 120) + "\xc3", strings.Repeat("a", 511) + "\xc3\xa9: 1\n",
	"\xef\xbb\xbf" + strings.Repeat("#", 600) + "\n\xf0\x9f\x98", "a: 1\n---\n\xff\n", "a: 1\n...\n\xff\n",
}

// bases are documents like the harness's; every single-character insertion, deletion and replacement is recorded.
var bases = []string{
	"default-docker:\n  lookaside: https://x\n  use-sigstore-attachments: true\ndocker:\n  quay.io/ns:\n    sigstore: 'file:///a b'\n",
	"docker:\n  \"example.com\": {lookaside: https://h/p, sigstore-staging: \"s\"}\n  a.b: ~\n",
	"default-docker:\n  lookaside: &a x\n  sigstore: *a\n",
	"docker:\n  - a\n  - [b, {c: d}]\n",
	"a: |\n  lit\nb: >-\n  fold\n",
}

var inserts = []string{"\t", " ", "\n", ":", ": ", "-", "- ", "?", "? ", ",", "[", "]", "{", "}", "#", " #", "&", "*", "!", "!!", "|", ">", "'", "\"", "%", "@", "`", "\\", "~", "...", "---", "\r", "\x01", "\xff", "\ufeff", "x"}

// fuzzBases are more documents for -fuzz, shaped like the conformance harness's registries.d files.
var fuzzBases = []string{
	"default-docker:\n  lookaside: https://sigs.example.com/base\n  sigstore-staging: file:///tmp/a b\ndocker:\n  docker.io/library/busybox:\n    lookaside: \"relative/path\"\n    use-sigstore-attachments: false\n  '*.example.com':\n    sigstore: s3://bucket/x\n    unknown-key: 1\n",
	"docker:\n  quay.io/ns/repo:latest: {}\n  quay.io: {lookaside: 'http://127.0.0.1:8080/x?query=1&b=2'}\nother-top: 1\n",
	"default-docker: ~\ndocker:\n  example.com:5000/a:\n    lookaside-staging: https://h.example/p%20q\n# comment only\n",
	"# head\ndocker: # line\n  a: # x\n    lookaside: y # z\n\n# foot\n",
	"docker:\r\n  a:\r\n    lookaside: b\r\n",
	"- [a, {b: c}]\n- ? d\n  : e\n- !!str f\n- &x g\n- *x\n",
	"{default-docker: {lookaside: x}, docker: {a: {sigstore: y}}}\n",
	"default-docker:\n  lookaside: |-\n    text\n     more\n  sigstore: >+\n    folded\n\n",
	"%YAML 1.1\n%TAG !e! tag:example.com,2000:\n--- !e!foo\ndocker: {}\n...\n",
	"docker:\n" + strings.Repeat("  quay.io/ns/repo-with-a-long-name:\n    lookaside: https://sigs.example.com/a/very/long/path\n", 12),
	"# head\n- # c\n  - a\n  # d\n- [b, {c: d}]\n# foot\n",
}

var fuzzTokens = append([]string{"\xff", "\xc3", "\xe2\x80", strings.Repeat("# padding line\n", 40), strings.Repeat(" ", 300), "\n  ", "\n    ", "\n\t", "  ", "x", "a: b", "- ", "{", "[", "'", "\"", "#", "&a ", "*a", "!!str ", "!x ", "|\n", ">-\n", "<<: ", "~", "\\", "\r\n", "\u2028", "\u0085", "\ufeff", ": ", "\u00e9", "?", ",", "---\n", "...\n", "%"}, inserts...)

func mutate(r *rand.Rand, s string) string {
	b := []byte(s)
	for range 1 + r.IntN(4) {
		i := r.IntN(len(b) + 1)
		switch r.IntN(5) {
		case 0, 1:
			t := fuzzTokens[r.IntN(len(fuzzTokens))]
			b = append(b[:i:i], append([]byte(t), b[i:]...)...)
		case 2:
			if i < len(b) {
				j := min(len(b), i+1+r.IntN(6))
				b = append(b[:i:i], b[j:]...)
			}
		case 3:
			if i < len(b) {
				j := min(len(b), i+1+r.IntN(12))
				k := r.IntN(len(b) + 1)
				frag := append([]byte(nil), b[i:j]...)
				b = append(b[:k:k], append(frag, b[k:]...)...)
			}
		case 4:
			if i < len(b) {
				const chars = " \t\n:-{}[],#&*!|>'\"%@`?x0"
				b[i] = chars[r.IntN(len(chars))]
			}
		}
	}
	return string(b)
}

func main() {
	fuzz := flag.Int("fuzz", 0, "record this many random mutations instead of the fixed table")
	seed := flag.Uint64("seed", 1, "seed for -fuzz")
	flag.Parse()
	seen := map[string]bool{}
	var inputs []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			inputs = append(inputs, s)
		}
	}
	if *fuzz > 0 {
		r := rand.New(rand.NewPCG(*seed, 0))
		all := append(append([]string(nil), bases...), fuzzBases...)
		for len(inputs) < *fuzz {
			add(mutate(r, all[r.IntN(len(all))]))
		}
		bases = nil
		handwritten = nil
	}
	for _, s := range handwritten {
		add(s)
	}
	for _, b := range bases {
		add(b)
		for i := 0; i <= len(b); i++ {
			for _, ins := range inserts {
				add(b[:i] + ins + b[i:])
			}
			if i < len(b) {
				add(b[:i] + b[i+1:])
			}
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for _, in := range inputs {
		var r record
		if utf8.ValidString(in) {
			r.In = in
			if in == "" {
				r.InHex = "-"
			}
		} else {
			r.InHex = hex.EncodeToString([]byte(in))
		}
		c, e := docker.Decode([]byte(in))
		r.Ok, r.Err = c, e
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
