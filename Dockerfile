# syntax=docker/dockerfile:1
#
# Slipway's container image.
#
#   docker build -t slipway .
#   docker run --rm -p 3000:3000 -v "$PWD/slipway.yaml:/etc/slipway/slipway.yaml:ro" slipway
#
# Two stages: `build` compiles TypeScript and better-sqlite3's native addon with the whole
# toolchain, then drops the dev dependencies; the runtime stage gets only dist/, bin/,
# package.json and the production node_modules, and runs as an unprivileged numeric user.
# test/e2e/container-image.test.ts rebuilds the runtime stage's contents from this file on a
# machine without Docker and starts them as that user.

ARG NODE_IMAGE=node:24-bookworm-slim

# ------------------------------------------------------------------------------- build
FROM ${NODE_IMAGE} AS build

# better-sqlite3 is a native addon. npm first tries its prebuilt binary; when that cannot be
# downloaded it compiles from source with node-gyp, which needs Python, make and a C++
# compiler.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

# node-gyp would otherwise download Node's headers; the official node images ship them
# under /usr/local/include/node (scripts/node.sh does the same on the developers' machines).
# The repository's .npmrc is deliberately not copied: an environment variable also outranks it.
ENV npm_config_nodedir=/usr/local

WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# ------------------------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime

# tini runs as PID 1: it passes signals on to Slipway and reaps orphans. A process that a
# command-driver deploy leaves running (a script's `cmd &`, a CLI's helper) is reparented to
# PID 1 when its parent ends, and node as PID 1 never waits for it: each would stay a zombie.
# A fixed numeric user, so Kubernetes can check runAsNonRoot without reading /etc/passwd; the
# passwd entry is there for tools that look the user up.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --gid 10001 slipway \
  && useradd --uid 10001 --gid slipway --home-dir /app --no-create-home \
    --shell /usr/sbin/nologin slipway \
  && mkdir -p /var/lib/slipway \
  && chown 10001:10001 /var/lib/slipway

WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin

# The embedded SQLite database and the command driver's run records live on this volume;
# set SLIPWAY_DATABASE_URL=postgres://… to run several replicas. The config file is mounted
# (the Helm chart mounts a ConfigMap here). Secrets come from the environment or *_FILE.
ENV NODE_ENV=production \
  PORT=3000 \
  SLIPWAY_CONFIG=/etc/slipway/slipway.yaml \
  SLIPWAY_DATA_DIR=/var/lib/slipway \
  SLIPWAY_DATABASE_URL=sqlite:///var/lib/slipway/slipway.db
VOLUME ["/var/lib/slipway"]

USER 10001:10001
EXPOSE 3000

# Kubernetes uses its own probes (/healthz, /readyz); this one is for plain Docker.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT||3000}/healthz`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Slipway handles SIGTERM itself (drains /readyz, finishes requests, hands back its
# deployments): tini forwards it with no shell in between, and exits with Slipway's status.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/slipway.js"]
CMD ["serve"]
