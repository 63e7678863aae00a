#!/usr/bin/env bash
# Refreshes the Argo CD API description the Argo CD double is checked against
# (test/support/argocd/): assets/swagger.json and LICENSE from an argo-cd repository, and
# source.json naming the commit they came from.
#
#   scripts/refresh-argocd-swagger.sh <argo-cd clone or bare git dir> [<ref>]
#   scripts/refresh-argocd-swagger.sh https://github.com/argoproj/argo-cd.git v3.6.0
#
# The first argument is a local repository (a clone or a bare mirror; nothing is fetched) or a
# URL (cloned shallowly into a temporary directory). <ref> is a tag, branch or commit; default
# HEAD. Afterwards run the double's tests: a field Slipway sends that the new description no
# longer has fails them.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 <argo-cd repository path or URL> [<tag, branch or commit>]" >&2
  exit 2
fi
source="$1"
ref="${2:-HEAD}"
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/test/support/argocd"

if [[ -d "$source" ]]; then
  repo="$source"
else
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  if [[ "$ref" == "HEAD" ]]; then
    git clone --quiet --bare --depth 1 "$source" "$tmp/repo"
  else
    git clone --quiet --bare --depth 1 --branch "$ref" "$source" "$tmp/repo" 2>/dev/null ||
      { git clone --quiet --bare "$source" "$tmp/repo"; }
  fi
  repo="$tmp/repo"
fi

commit="$(git -C "$repo" rev-parse --verify "$ref^{commit}")" || {
  echo "$source has no commit $ref" >&2
  exit 1
}
git -C "$repo" cat-file -e "$commit:assets/swagger.json" 2>/dev/null || {
  echo "$commit in $source has no assets/swagger.json: is it the argo-cd repository?" >&2
  exit 1
}
committed="$(git -C "$repo" show -s --format=%cI "$commit")"
version="$(git -C "$repo" show "$commit:VERSION" 2>/dev/null | tr -d '[:space:]' || true)"

mkdir -p "$out"
git -C "$repo" show "$commit:assets/swagger.json" >"$out/swagger.json"
git -C "$repo" show "$commit:LICENSE" >"$out/LICENSE"
cat >"$out/source.json" <<EOF
{
  "repository": "https://github.com/argoproj/argo-cd",
  "path": "assets/swagger.json",
  "commit": "$commit",
  "committed": "$committed",
  "version": "${version:-unknown}",
  "license": "Apache-2.0 (LICENSE beside this file)"
}
EOF
echo "test/support/argocd: swagger.json from argo-cd $commit ($committed, VERSION ${version:-unknown})"
