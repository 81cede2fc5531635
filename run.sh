#!/usr/bin/env bash
# Quick start, step 1: sets up whatever is missing, then starts blender-on-demand: the web UI,
# the API and the agent, with each project's Blender started on demand. Extra arguments go to
# `bod serve` (see `bin/bod serve --help`); without any, it serves http://127.0.0.1:7800 with one
# Blender kept warm and the data in .data/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$root/scripts/setup.sh"
if [[ $# -eq 0 ]]; then set -- --data-dir "$root/.data" --pool-size 1; fi
exec "$root/bin/bod" serve "$@"
