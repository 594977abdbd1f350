#!/usr/bin/env bash
# One-time (and idempotent) set-up of a machine for Flotilla development, tests and the demo:
# system packages, npm dependencies, the Go-built Kubernetes test binaries, and the build.
# `npm run demo` and `npm run check` run it first; once done it takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?1:0)' 2>/dev/null || echo 0)
[ "$node_ok" = 1 ] || die "Node.js >= 20.19 is required (found: $(node --version 2>/dev/null || echo none))"

apt_missing=()
command -v nats-server >/dev/null || apt_missing+=(nats-server)
command -v openssl >/dev/null || apt_missing+=(openssl)
command -v git >/dev/null || apt_missing+=(git)
[ -x /usr/lib/git-core/git-http-backend ] || apt_missing+=(git)
command -v /usr/bin/time >/dev/null || apt_missing+=(time)
# The hub renders Helm charts and kustomizations in a bubblewrap sandbox (hub/src/tools/sandbox.ts).
command -v bwrap >/dev/null || apt_missing+=(bubblewrap)
if [ ${#apt_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then die "missing system packages: ${apt_missing[*]}; install them: sudo apt-get install ${apt_missing[*]}"; fi
  log "installing ${apt_missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (better-sqlite3 compiles from source: about 2 minutes)"
  npm ci --no-fund --no-audit
fi

log "Kubernetes test binaries (cached by version; the first build takes 15-30 minutes)"
bash scripts/kube-binaries.sh >/dev/null
tools_dir=$(bash scripts/render-tools.sh)
log "helm and kustomize linked into $tools_dir (a hub started from this checkout looks there after PATH)"

log "building TypeScript"
npx tsc -b
log "ready"
