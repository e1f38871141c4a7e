module example.invalid/containers-policy/yaml-v3-expectations

go 1.26.0

require go.yaml.in/yaml/v3 v3.0.5
