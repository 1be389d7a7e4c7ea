#!/usr/bin/env bash
# Installs the llama.cpp oracle used by gemma4j's whole-model parity tests into
# <gemma4j home>/.cache/oracle: the npm packages node-llama-cpp and @node-llama-cpp/linux-x64
# (both 3.22.1), which ship llama.cpp with a prebuilt CPU binary for Linux x64.
#
# Install scripts are off (scripts/oracle/.npmrc sets ignore-scripts=true) and
# NODE_LLAMA_CPP_SKIP_DOWNLOAD=true, so nothing is compiled or downloaded besides the packages.
# scripts/oracle/package-lock.json pins every transitive version and its integrity hash. `npm ci`
# is not used: it insists that the lock also list node-llama-cpp's macOS and Windows optional
# packages, which the registry here does not serve; `npm install --omit=optional` installs exactly
# the locked tree, the linux-x64 binary package being a direct dependency in package.json.
#
# The home is $GEMMA4J_HOME when set, else the checkout that holds this script. An install whose
# package versions and npm files match is kept as it is. The script ends by loading the prebuilt
# binary once (scripts/oracle/logits.mjs --check), so a binary that cannot load here fails now.
set -euo pipefail

readonly VERSION="3.22.1"
readonly NPM_FILES=(package.json package-lock.json .npmrc)

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${GEMMA4J_HOME:-$(cd "$script_dir/.." && pwd)}"
oracle_src="$script_dir/oracle"
dest="$home/.cache/oracle"

fail() { echo "install-oracle: $*" >&2; exit 1; }

command -v node >/dev/null || fail "node not found on PATH (node 20 or newer is needed)"
command -v npm >/dev/null || fail "npm not found on PATH"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
(( node_major >= 20 )) || fail "node $(node --version) found, node 20 or newer is needed"
[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] \
  || fail "the prebuilt llama.cpp binary is for Linux x86_64, this machine is $(uname -s)-$(uname -m)"

# Prints the installed version of package $1 under $dest, or nothing.
installed_version() {
  local pj="$dest/node_modules/$1/package.json"
  [[ -f "$pj" ]] && node -p "require(process.argv[1]).version" "$pj" 2>/dev/null || true
}

up_to_date() {
  [[ "$(installed_version node-llama-cpp)" == "$VERSION" ]] \
    && [[ "$(installed_version @node-llama-cpp/linux-x64)" == "$VERSION" ]] || return 1
  local f
  for f in "${NPM_FILES[@]}"; do cmp -s "$oracle_src/$f" "$dest/$f" || return 1; done
}

if up_to_date; then
  echo "llama.cpp oracle: $dest (node-llama-cpp $VERSION already installed)"
else
  echo "llama.cpp oracle: installing node-llama-cpp $VERSION and @node-llama-cpp/linux-x64 $VERSION into $dest"
  rm -rf "$dest"
  mkdir -p "$dest"
  for f in "${NPM_FILES[@]}"; do cp "$oracle_src/$f" "$dest/$f"; done
  (
    cd "$dest"
    NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional --no-audit --no-fund
  ) || fail "npm install in $dest failed"
  for pkg in node-llama-cpp @node-llama-cpp/linux-x64; do
    [[ "$(installed_version "$pkg")" == "$VERSION" ]] \
      || fail "$pkg in $dest is '$(installed_version "$pkg")', expected $VERSION"
  done
  # The up-to-date check compares these with the tracked copies; npm may reformat them.
  for f in "${NPM_FILES[@]}"; do cp "$oracle_src/$f" "$dest/$f"; done
fi

GEMMA4J_ORACLE_DIR="$dest" node "$oracle_src/logits.mjs" --check \
  || fail "the prebuilt llama.cpp binary in $dest does not load on this machine (see above)"
