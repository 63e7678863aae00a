#!/bin/sh
# Demo teardown for examples/slipway.yaml: removes what deploy-demo.sh recorded for a target,
# as a real teardown would delete a preview's resources. Removing one that is gone already is
# not an error: a teardown may run again after a restart.
#
# usage: teardown-demo.sh <service> <target>
set -eu

if [ "$#" -lt 2 ]; then
  echo "usage: $0 <service> <target>" >&2
  exit 2
fi
rm -f "${DEMO_DIR:-.slipway/demo}/$1-$2.version"
echo "removed $1 from $2"
