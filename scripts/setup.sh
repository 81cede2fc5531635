#!/usr/bin/env bash
# Installs whatever this machine is missing to run and test blender-on-demand, and nothing
# it already has: Debian packages (Blender, numpy for glTF, Chromium for browser tests,
# bubblewrap for worker isolation), a Node 22+ under .tools when the system Node is older,
# and the npm packages. Safe to run again; prints what it does.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# Debian packages.
wanted=(blender python3-numpy chromium bubblewrap)
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
