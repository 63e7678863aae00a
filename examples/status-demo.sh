#!/bin/sh
# Demo status for examples/slipway.yaml: prints the version deploy-demo.sh recorded as live on
# its first line and exits 0; exits 1 when nothing is live yet.
#
# usage: status-demo.sh <service> <environment>
set -eu

if [ "$#" -lt 2 ]; then
  echo "usage: $0 <service> <environment>" >&2
  exit 2
fi
file="${DEMO_DIR:-.slipway/demo}/$1-$2.version"

if [ ! -s "$file" ]; then
  echo "no version of $1 is live in $2" >&2
  exit 1
fi
head -n 1 "$file"
