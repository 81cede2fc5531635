#!/usr/bin/env bash
# Quick start, step 2: sets up whatever is missing, then runs every check CI runs:
# typecheck, lint, unit tests, and end-to-end tests against real Blender, real HTTP, the
# official MCP client and the MCP conformance suite. Extra arguments go to vitest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$root/scripts/setup.sh" --for-tests
if [[ -x "$root/.tools/node_modules/.bin/node" ]]; then export PATH="$root/.tools/node_modules/.bin:$PATH"; fi
cd "$root"
npx tsc -p tsconfig.json --noEmit
npx biome check .
npx vitest run "$@"
