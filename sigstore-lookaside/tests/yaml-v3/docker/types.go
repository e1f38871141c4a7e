// Package docker mirrors the shape of containers/image's registries.d types (docker/registries_d.go),
// so that yaml.v3's type errors name the same Go types ("docker.registryNamespace", …).
package docker

import "go.yaml.in/yaml/v3"

type registryConfiguration struct {
	DefaultDocker *registryNamespace           `yaml:"default-docker"`
	Docker        map[string]registryNamespace `yaml:"docker"`
}

type registryNamespace struct {
	Lookaside              string `yaml:"lookaside"`
	LookasideStaging       string `yaml:"lookaside-staging"`
	SigStore               string `yaml:"sigstore"`
	SigStoreStaging        string `yaml:"sigstore-staging"`
	UseSigstoreAttachments *bool  `yaml:"use-sigstore-attachments,omitempty"`
}

// Section is the JSON form of a decoded section in the recorded expectations.
type Section struct {
	Lookaside              string `json:"lookaside,omitempty"`
	LookasideStaging       string `json:"lookaside-staging,omitempty"`
	SigStore               string `json:"sigstore,omitempty"`
	SigStoreStaging        string `json:"sigstore-staging,omitempty"`
	UseSigstoreAttachments *bool  `json:"use-sigstore-attachments,omitempty"`
}

// Config is the JSON form of a decoded file.
type Config struct {
	DefaultDocker *Section           `json:"default-docker,omitempty"`
	Docker        map[string]Section `json:"docker,omitempty"`
}

func section(n registryNamespace) Section {
	return Section{n.Lookaside, n.LookasideStaging, n.SigStore, n.SigStoreStaging, n.UseSigstoreAttachments}
}

// Decode runs yaml.Unmarshal exactly as containers/image does and returns the result or the error text.
func Decode(in []byte) (*Config, string) {
	var c registryConfiguration
	if err := yaml.Unmarshal(in, &c); err != nil {
		return nil, err.Error()
	}
	out := &Config{}
	if c.DefaultDocker != nil {
		s := section(*c.DefaultDocker)
		out.DefaultDocker = &s
	}
	if c.Docker != nil {
		out.Docker = map[string]Section{}
		for k, v := range c.Docker {
			out.Docker[k] = section(v)
		}
	}
	return out, ""
}
