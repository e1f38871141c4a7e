// Command configfile-expectations records what go.podman.io/storage v1.65.0 pkg/configfile finds for the
// registries.d and policy.json lookups of containers/image v5.42 (docker/registries_d.go
// loadRegistryConfiguration, signature/policy_config.go DefaultPolicy), for every scenario of
// scenarios.txt built under a fresh temporary directory. Paths are printed with that directory as
// "$T". Run by record.sh; replayed by ../configfile_go.rs.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.podman.io/storage/pkg/configfile"
)

type scenario struct {
	name       string
	uid        int
	xdg        *string // nil: unset
	custom     string
	policyEnv  string
	pathsOnly  bool
	operations [][]string
}

type result struct {
	Dirs  []string `json:"dirs"`
	Main  []string `json:"main"`
	Files []string `json:"files"`
	Error string   `json:"error,omitempty"`
}

type record struct {
	Scenario   string `json:"scenario"`
	Registries result `json:"registries"`
	Policy     result `json:"policy"`
}

func parse(path string) ([]scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []scenario
	var cur *scenario
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		switch fields[0] {
		case "scenario":
			out = append(out, scenario{name: fields[1], uid: 1000})
			cur = &out[len(out)-1]
		case "uid":
			u, err := strconv.Atoi(fields[1])
			if err != nil {
				return nil, err
			}
			cur.uid = u
		case "xdg":
			v := ""
			if len(fields) > 1 {
				v = fields[1]
			}
			cur.xdg = &v
		case "custom":
			cur.custom = fields[1]
		case "policy-env":
			cur.policyEnv = fields[1]
		case "paths-only":
			cur.pathsOnly = true
		case "file", "dir", "symlink", "chmod":
			cur.operations = append(cur.operations, fields)
		default:
			return nil, fmt.Errorf("unknown line %q", line)
		}
	}
	return out, s.Err()
}

// tPath maps a scenario path ("$T/…", or anything else verbatim) to a real one.
func tPath(t, p string) string {
	if rest, ok := strings.CutPrefix(p, "$T"); ok {
		return t + rest
	}
	return p
}

func build(t string, sc scenario) error {
	for _, op := range sc.operations {
		p := filepath.Join(t, op[1])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		switch op[0] {
		case "file":
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				return err
			}
		case "dir":
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case "symlink":
			if err := os.Symlink(tPath(t, op[2]), p); err != nil {
				return err
			}
		case "chmod":
			m, err := strconv.ParseUint(op[2], 8, 32)
			if err != nil {
				return err
			}
			if err := os.Chmod(p, os.FileMode(m)); err != nil {
				return err
			}
		}
	}
	return nil
}

func run(t string, sc scenario) (record, error) {
	if err := build(t, sc); err != nil {
		return record{}, err
	}
	os.Setenv("HOME", filepath.Join(t, "home"))
	if sc.xdg == nil {
		os.Unsetenv("XDG_CONFIG_HOME")
	} else {
		os.Setenv("XDG_CONFIG_HOME", tPath(t, *sc.xdg))
	}
	os.Setenv("CONTAINERS_POLICY_JSON", tPath(t, sc.policyEnv))
	root := filepath.Join(t, "root")

	registries := configfile.File{
		Name:                           "registries",
		Extension:                      "yaml",
		DoNotLoadMainFiles:             true,
		DoNotUseExtensionForConfigName: true,
		UserId:                         sc.uid,
		RootForImplicitAbsolutePaths:   root,
	}
	if sc.custom != "" {
		registries.CustomConfigFileDropInDirectory = tPath(t, sc.custom)
	}
	policy := configfile.File{
		Name:                         "policy",
		Extension:                    "json",
		DoNotLoadDropInFiles:         true,
		EnvironmentName:              "CONTAINERS_POLICY_JSON",
		RootForImplicitAbsolutePaths: root,
		ErrorIfNotFound:              true,
	}
	rec := record{Scenario: sc.name}
	for _, c := range []struct {
		conf *configfile.File
		out  *result
	}{{&registries, &rec.Registries}, {&policy, &rec.Policy}} {
		paths, err := configfile.GetSearchPaths(c.conf)
		if err != nil {
			c.out.Error = err.Error()
			continue
		}
		c.out.Dirs = append([]string{}, paths.DropInDirectories...)
		c.out.Main = append([]string{}, paths.MainFiles...)
		c.out.Files = []string{}
		if sc.pathsOnly {
			continue
		}
		for item, err := range configfile.Read(c.conf) {
			if err != nil {
				c.out.Error = err.Error()
				break
			}
			c.out.Files = append(c.out.Files, item.Name)
			// As the consumers do (io.ReadAll), so that e.g. a directory fails.
			if _, err := io.ReadAll(item.Reader); err != nil {
				c.out.Error = err.Error()
				break
			}
		}
	}
	return rec, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: configfile-expectations SCENARIOS")
		os.Exit(2)
	}
	scenarios, err := parse(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, sc := range scenarios {
		t, err := os.MkdirTemp("", "configfile-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		rec, err := run(t, sc)
		os.RemoveAll(t)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", sc.name, err)
			os.Exit(1)
		}
		line, err := json.Marshal(rec)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintln(w, strings.ReplaceAll(string(line), t, "$T"))
	}
}
