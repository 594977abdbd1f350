#!/usr/bin/env bash
# Builds (once) the Kubernetes control-plane binaries, etcd, kwok and helm from pinned Go modules,
# into a cache outside the repository, keyed by version, so clean clones and CI reuse them.
#
#   scripts/kube-binaries.sh            build what is missing, print the asset directory
#   scripts/kube-binaries.sh --check    exit 1 when something is missing (builds nothing)
#   scripts/kube-binaries.sh --paths    print name=path per binary; exit 1 when something is missing
#
# Honours envtest's conventions: when $KUBEBUILDER_ASSETS or TEST_ASSET_<NAME> point at existing
# binaries, those are used and nothing is built for them.
set -euo pipefail

K8S_VERSION="${FLOTILLA_K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${FLOTILLA_ETCD_VERSION:-v3.7.3}"
KWOK_VERSION="${FLOTILLA_KWOK_VERSION:-v0.8.0}"
HELM_VERSION="${FLOTILLA_HELM_VERSION:-v3.22.0}"
KUSTOMIZE_VERSION="${FLOTILLA_KUSTOMIZE_VERSION:-v5.8.2}"

CACHE="${FLOTILLA_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/bin}"
ASSETS="$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION-helm-$HELM_VERSION-kustomize-$KUSTOMIZE_VERSION"
KUBE_BINS=(kube-apiserver kube-controller-manager kube-scheduler)
ALL_BINS=("${KUBE_BINS[@]}" etcd kwok helm kustomize)

mode=build
case "${1:-}" in
  --check) mode=check ;;
  --paths) mode=paths ;;
  "") ;;
  *) echo "usage: $0 [--check|--paths]" >&2; exit 2 ;;
esac

log() { printf '[kube-binaries] %s\n' "$*" >&2; }

# envtest: TEST_ASSET_KUBE_APISERVER etc., or KUBEBUILDER_ASSETS/<name>
external_path() {
  local name="$1" var
  var="TEST_ASSET_$(echo "$name" | tr 'a-z-' 'A-Z_')"
  if [ -n "${!var:-}" ] && [ -x "${!var}" ]; then echo "${!var}"; return 0; fi
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/$name" ]; then
    echo "$KUBEBUILDER_ASSETS/$name"; return 0
  fi
  return 1
}

have() { external_path "$1" >/dev/null || [ -x "$ASSETS/$1" ]; }
path_of() { external_path "$1" || echo "$ASSETS/$1"; }

# kwok refuses to start without Stage objects; the kwok module ships its default stages, and we
# assemble them (never copy them into the repository) next to the binaries.
KWOK_STAGES=(node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
  pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml)
STAGES_FILE="$ASSETS/kwok-stages.yaml"
if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -s "$KUBEBUILDER_ASSETS/kwok-stages.yaml" ]; then
  STAGES_FILE="$KUBEBUILDER_ASSETS/kwok-stages.yaml"
fi

missing=()
for b in "${ALL_BINS[@]}"; do have "$b" || missing+=("$b"); done
[ -s "$STAGES_FILE" ] || missing+=(kwok-stages)
if [ "$mode" != build ]; then
  if [ ${#missing[@]} -gt 0 ]; then log "missing: ${missing[*]} (build them: npm run kube:binaries)"; exit 1; fi
  if [ "$mode" = paths ]; then
    for b in "${ALL_BINS[@]}"; do echo "$b=$(path_of "$b")"; done
    echo "kwok-stages=$STAGES_FILE"
  else
    echo "$ASSETS"
  fi
  exit 0
fi
if [ ${#missing[@]} -eq 0 ]; then echo "$ASSETS"; exit 0; fi

command -v go >/dev/null || { log "Go is required to build ${missing[*]}; install Go >= 1.26 or set KUBEBUILDER_ASSETS"; exit 1; }
mkdir -p "$ASSETS"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

needs() { local x; for x in "${missing[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }

timed() { # name, command...
  local name="$1"; shift
  local start=$SECONDS
  log "building $name"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$TMP/$name.rss" "$@"
    log "built $name in $((SECONDS - start)) s, peak RSS $(( $(cat "$TMP/$name.rss") / 1024 )) MiB"
  else
    "$@"
    log "built $name in $((SECONDS - start)) s"
  fi
}

build_kube() {
  local w="$TMP/kube" minor="v0.${K8S_VERSION#v1.}" gomod
  mkdir -p "$w"
  go mod download k8s.io/kubernetes@"$K8S_VERSION"
  gomod=$(go mod download -json k8s.io/kubernetes@"$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module flotilla.local/kubebuild"
    echo
    grep -E '^go ' "$gomod"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging' "$gomod" | awk -v v="$minor" '{print "replace " $1 " => " $1 " " v}'
  } > "$w/go.mod"
  cat > "$w/tools.go" <<GO
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
  local major=${K8S_VERSION#v}; major=${major%%.*}
  local minorn=${K8S_VERSION#v*.}; minorn=${minorn%%.*}
  local ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minorn -X $pkg.gitTreeState=clean"
  done
  for b in "${KUBE_BINS[@]}"; do
    needs "$b" || continue
    (cd "$w" && timed "$b" go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ld" -o "$ASSETS/$b" "k8s.io/kubernetes/cmd/$b")
  done
}

gobin_install() { # name, module@version/package
  local name="$1" pkg="$2" d="$TMP/gobin-$1"
  mkdir -p "$d"
  GOBIN="$d" timed "$name" go install -trimpath -ldflags "-s -w" "$pkg"
  mv "$d"/* "$ASSETS/$name"
}

for b in "${KUBE_BINS[@]}"; do needs "$b" && { build_kube; break; }; done
# etcd's server module carries replace directives, so `go install mod@version` refuses it: build it
# from a throw-away main module that requires it (its siblings resolve to the same published tag).
build_etcd() {
  local w="$TMP/etcd"
  mkdir -p "$w"
  printf 'module flotilla.local/etcdbuild\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > "$w/go.mod"
  (cd "$w" && timed etcd go build -trimpath -ldflags "-s -w" -o "$ASSETS/etcd" go.etcd.io/etcd/server/v3)
}
needs etcd && build_etcd
needs kwok && gobin_install kwok "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
needs helm && {
  d="$TMP/gobin-helm"; mkdir -p "$d"
  GOBIN="$d" timed helm go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$d/helm" "$ASSETS/helm"
}
needs kwok-stages && {
  mkdir -p "$(dirname "$STAGES_FILE")"
  dir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  for f in "${KWOK_STAGES[@]}"; do echo "---"; cat "$dir/kustomize/stage/$f"; done > "$STAGES_FILE.tmp"
  mv "$STAGES_FILE.tmp" "$STAGES_FILE"
  log "assembled kwok stages from sigs.k8s.io/kwok@$KWOK_VERSION"
}
needs kustomize && gobin_install kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
log "binaries ready in $ASSETS"
echo "$ASSETS"
