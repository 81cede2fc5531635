#!/usr/bin/env bash
# Quick start, step 1: sets up whatever is missing, then starts blender-on-demand.
# Extra arguments go to `bod worker` (e.g. --port 7801 --data-dir .data/worker).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$root/scripts/setup.sh"
if [[ $# -eq 0 ]]; then set -- --data-dir "$root/.data/worker"; fi
exec "$root/bin/bod" worker "$@"
