#!/usr/bin/env bash
# Installs whatever this machine is missing to run and test blender-on-demand, and nothing
# it already has: Debian packages (Blender, numpy for glTF, Chromium for browser tests,
# bubblewrap for worker isolation), a Node 22+ under .tools when the system Node is older,
# and the npm packages. Safe to run again; prints what it does.
# --for-tests (test.sh passes it) also installs the servers the e2e tests start: PostgreSQL
# (Debian's package) and the S3 server versitygw, built with Go into a cache folder kept
# between runs; and what builds and runs the container images (scripts/build-images.sh):
# buildah, podman, mmdebstrap and runc from Debian; and Blender 4.5 LTS and 5.0 as Python modules
# (the official bpy wheels), which the worker's and agent's e2e tests also run against. The quick
# start needs none of them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

for_tests=false
for argument in "$@"; do
  case "$argument" in
    --for-tests) for_tests=true ;;
    *) say "unknown option '$argument' (allowed: --for-tests)"; exit 2 ;;
  esac
done

# Debian packages.
wanted=(blender python3-numpy chromium bubblewrap)
if $for_tests; then
  wanted+=(postgresql buildah podman mmdebstrap runc)
  # The bpy wheels: a Python 3.11 venv, the X11/GL libraries the module links to, and Mesa's EGL
  # and software rasterizer (llvmpipe), which EEVEE and Workbench render with where there is no GPU.
  wanted+=(python3.11 python3-venv libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri libx11-6 libxext6 libxfixes3 libxi6 libxrender1 libxkbcommon0 libsm6 libvulkan1)
fi
missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node 22.18+ (type stripping and node:sqlite). Node 20 reached end of life in April 2026.
node_ok() { "$1" -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 22 || (major === 22 && minor >= 18) ? 0 : 1)' 2>/dev/null; }
if ! node_ok "$(command -v node || echo node)" && ! node_ok "$root/.tools/node_modules/.bin/node"; then
  say "system Node $(node --version 2>/dev/null || echo missing) is too old; installing Node 24 LTS under .tools"
  npm install --silent --no-save --no-package-lock --prefix "$root/.tools" node@24 >/dev/null
fi
if [[ -x "$root/.tools/node_modules/.bin/node" ]]; then export PATH="$root/.tools/node_modules/.bin:$PATH"; fi
say "using Node $(node --version)"

# npm packages: reinstall only when the lockfile changed since the last install.
stamp="node_modules/.package-lock.json"
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" ]]; then
  say "installing npm packages"
  # `npm ci` installs exactly the lockfile. Some registry mirrors lack the other platforms'
  # optional binaries (Biome's), which makes `npm ci` refuse the lockfile; `npm install` then
  # installs the same locked versions and skips what this platform doesn't need.
  if ! npm ci --no-audit --no-fund --loglevel=error >/dev/null; then
    say "npm ci refused the lockfile; installing the locked versions with npm install"
    npm install --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi

# The bridge Blender runs, compiled ahead (Blender's Python is the system's on Debian): each
# Blender start then loads bytecode instead of compiling it. `bod serve` refreshes it at start.
python3 -m compileall -q packages/worker/python >/dev/null 2>&1 || true

# The S3 server the e2e tests start: versitygw (Apache-2.0), built from its pinned release into a
# cache folder that survives between runs (packages/testing/src/server-binaries.ts looks there;
# BOD_VERSITYGW names another build). Go's module and build caches stay in $HOME as well.
if $for_tests && [[ -z "${BOD_VERSITYGW:-}" ]]; then
  versitygw_version="v1.8.0"
  versitygw_dir="${XDG_CACHE_HOME:-$HOME/.cache}/blender-on-demand/versitygw-$versitygw_version"
  if [[ ! -x "$versitygw_dir/versitygw" ]]; then
    go="$(command -v go || true)"
    if [[ -z "$go" && -x /usr/local/go/bin/go ]]; then go=/usr/local/go/bin/go; fi
    # versitygw $versitygw_version declares go 1.25 in its go.mod.
    if [[ -z "$go" ]] || ! "$go" env GOVERSION | grep -Eq '^go(1\.(2[5-9]|[3-9][0-9])|[2-9])'; then
      say "Go 1.25 or newer is needed to build the S3 server the e2e tests use (versitygw $versitygw_version), and this machine has ${go:+$("$go" env GOVERSION)}${go:-none}."
      say "Install Go from https://go.dev/dl/ (or put it on PATH) and run scripts/setup.sh --for-tests again, or set BOD_VERSITYGW to a versitygw program."
      exit 1
    fi
    say "building the S3 server versitygw $versitygw_version for the e2e tests (about 2 minutes, once)"
    mkdir -p "$versitygw_dir"
    staging="$(mktemp -d "$versitygw_dir.XXXXXX")"
    # Without cgo the build needs no C compiler and the program no C library.
    if ! GOBIN="$staging" CGO_ENABLED=0 "$go" install "github.com/versity/versitygw/cmd/versitygw@$versitygw_version" >"$staging/build.log" 2>&1; then
      cat "$staging/build.log" >&2
      rm -rf "$staging"
      say "building versitygw failed (output above)"
      exit 1
    fi
    mv "$staging/versitygw" "$versitygw_dir/versitygw"
    rm -rf "$staging"
  fi
fi

# Blender as a Python module for the e2e matrix (the vitest projects e2e-bpy-*): the official bpy
# wheels, one virtual environment per version in the cache folder, bpy-<version>, which
# packages/testing/src/test-blenders.ts names. The wheels (about 370 MB each) stay in the cache
# folder's wheels/, so a venv made again installs without downloading bpy.
if $for_tests; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/blender-on-demand"
  read -r -a bpy_versions <<<"$(node --input-type=module -e 'import { BPY_TEST_VERSIONS } from "./packages/testing/src/test-blenders.ts"; console.log(BPY_TEST_VERSIONS.join(" "))')"
  for version in "${bpy_versions[@]}"; do
    venv="$cache/bpy-$version"
    # The marker is written last: a venv without it is an interrupted install, made again.
    if [[ -f "$venv/.bod-installed" ]]; then continue; fi
    say "installing Blender $version as a Python module (bpy wheel) into $venv"
    rm -rf "$venv"
    mkdir -p "$cache/wheels"
    /usr/bin/python3.11 -m venv "$venv"
    "$venv/bin/pip" download --quiet --no-deps --only-binary=:all: --dest "$cache/wheels" "bpy==$version"
    "$venv/bin/pip" install --quiet --find-links "$cache/wheels" "bpy==$version"
    "$venv/bin/python" -c 'import sys, bpy; sys.exit(bpy.app.version_string.split()[0] != sys.argv[1])' "$version" >/dev/null 2>&1 || {
      say "bpy $version does not import in $venv"
      exit 1
    }
    touch "$venv/.bod-installed"
  done
fi

# The offline validator of the Kubernetes manifests (deploy/validate: Knative Serving's own
# validation code and the k8s.io/api types), which an e2e test runs `bod deploy manifests`
# through. Built once per version of its sources into the cache folder (about 3 CPU-minutes
# cold); Go's module and build caches in $HOME make a rebuild after a change take seconds.
if $for_tests; then
  deploy/validate/build.sh >/dev/null
fi
