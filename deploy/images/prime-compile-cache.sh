#!/bin/sh
# Runs at image build time: fills Node's compile cache ($NODE_COMPILE_CACHE) with every module a
# container loads, so that a cold start reads compiled code and stripped TypeScript instead of
# compiling them while Blender boots. Node keeps one cache per user id (the folder's name ends in
# it), so this runs as the user the container runs as.
#   prime-compile-cache.sh worker    a real `bod worker` start (Blender, the MCP path it runs once
#                                    at start, SIGTERM drain), plus the shared stores' modules
#   prime-compile-cache.sh gateway   every command's registration, plus the gateway's modules
set -eu
cd /opt/bod
: "${NODE_COMPILE_CACHE:?NODE_COMPILE_CACHE must name the cache folder}"
mkdir -p "$NODE_COMPILE_CACHE"

case "${1:-}" in
  worker)
    log="$(mktemp)"
    data="$(mktemp -d)"
    bod worker --data-dir "$data" --port 0 --project-id prime 2>"$log" &
    pid=$!
    tries=0
    until grep -q "worker ready" "$log"; do
      if ! kill -0 "$pid" 2>/dev/null || [ "$tries" -ge 600 ]; then
        cat "$log" >&2
        echo "prime-compile-cache: bod worker did not become ready" >&2
        exit 1
      fi
      tries=$((tries + 1))
      sleep 0.1
    done
    kill -TERM "$pid"
    wait "$pid"
    # The scale-out stores load only when a worker is given postgres:// and s3:// URLs.
    node --disable-warning=ExperimentalWarning --input-type=module -e 'await import("@bod/storage/scale-out");'
    rm -rf "$log" "$data"
    ;;
  gateway)
    bod --help >/dev/null
    node --disable-warning=ExperimentalWarning --input-type=module \
      -e 'for (const name of ["@bod/gateway", "@bod/agent", "@bod/runtime", "@bod/state", "@bod/storage/scale-out"]) await import(name).catch(() => undefined);'
    ;;
  *)
    echo "usage: prime-compile-cache.sh worker|gateway" >&2
    exit 2
    ;;
esac
# Node writes the cache when a process exits; this must have left one.
if [ -z "$(find "$NODE_COMPILE_CACHE" -type f | head -1)" ]; then
  echo "prime-compile-cache: $NODE_COMPILE_CACHE is still empty" >&2
  exit 1
fi
