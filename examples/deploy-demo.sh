#!/bin/sh
# Demo deploy for examples/slipway.yaml: pretends to roll out a version, printing progress,
# and records it as "live" in $DEMO_DIR/<service>-<environment>.version (default .slipway/demo,
# relative to where Slipway runs). A version containing "bad" fails, to try failures and
# rollbacks: `deploy web 1.2.3-bad to staging`.
#
# usage: deploy-demo.sh <service> <version> <environment> [<deployment id>]
set -eu

if [ "$#" -lt 3 ]; then
  echo "usage: $0 <service> <version> <environment> [<deployment id>]" >&2
  exit 2
fi
service=$1
version=$2
environment=$3
deployment=${4:-manual}
delay=${DEMO_DELAY:-1}
dir=${DEMO_DIR:-.slipway/demo}
file="$dir/$service-$environment.version"

echo "deploying $service $version to $environment (deployment $deployment)"
previous=$(cat "$file" 2>/dev/null || echo none)
echo "live before: $previous"

for step in 1 2 3; do
  sleep "$delay"
  echo "rolling out: $step of 3 replicas updated"
done

case "$version" in
  *bad*)
    echo "health check failed: $service $version answers 500 on /healthz" >&2
    exit 1
    ;;
esac

mkdir -p "$dir"
# Write then rename, so the status script never reads a half-written file.
printf '%s\n' "$version" >"$file.tmp"
mv "$file.tmp" "$file"
echo "$service $version is live in $environment"
