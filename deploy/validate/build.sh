#!/usr/bin/env bash
# Prints the path of the offline manifest validator (this folder's Go program), building it first
# when this version of its sources has not been built yet. The program is kept in a cache folder
# named after the hash of go.mod, go.sum and the sources, so a rebuild happens only when they
# change; Go's module and build caches stay in $HOME as well. Needs Go 1.22 or newer. Usage:
#   bin/bod deploy manifests | "$(deploy/validate/build.sh)"
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { printf '\033[1m[validate-manifests]\033[0m %s\n' "$*" >&2; }

hash="$(cd "$here" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/blender-on-demand"
dir="$cache/validate-manifests-$hash"
if [[ ! -x "$dir/validate-manifests" ]]; then
  go="$(command -v go || true)"
  if [[ -z "$go" && -x /usr/local/go/bin/go ]]; then go=/usr/local/go/bin/go; fi
  if [[ -z "$go" ]] || ! "$go" env GOVERSION | grep -Eq '^go(1\.(2[2-9]|[3-9][0-9])|[2-9])'; then
    say "Go 1.22 or newer is needed to build the manifest validator, and this machine has ${go:+$("$go" env GOVERSION)}${go:-none}."
    exit 1
  fi
  say "building the manifest validator (Knative Serving's validation code; a few minutes the first time, seconds after)"
  mkdir -p "$cache"
  staging="$(mktemp -d "$dir.XXXXXX")"
  # Without cgo the build needs no C compiler and the program no C library.
  if ! (cd "$here" && CGO_ENABLED=0 "$go" build -o "$staging/validate-manifests" .) >"$staging/build.log" 2>&1; then
    cat "$staging/build.log" >&2
    rm -rf "$staging"
    say "building the manifest validator failed (output above)"
    exit 1
  fi
  # Builds of earlier sources are of no further use.
  for old in "$cache"/validate-manifests-*; do
    if [[ "$old" != "$staging" && -d "$old" ]]; then rm -rf "$old"; fi
  done
  # Another build of the same sources may have finished first; either program will do.
  if ! mv -T "$staging" "$dir" 2>/dev/null; then rm -rf "$staging"; fi
fi
echo "$dir/validate-manifests"
