#!/bin/sh
# Records expected.jsonl: what go.podman.io/storage v1.65.0 pkg/configfile finds for scenarios.txt.
# Offline, from the Go module cache.
set -eu
cd "$(dirname "$0")"
PATH="$PATH:/usr/local/go/bin"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=0
bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
go build -o "$bin" .
"$bin" scenarios.txt > expected.jsonl
