#!/usr/bin/env bash
# A local Kubernetes control plane for Slipway's tests.
#
#   scripts/k8s-testenv.sh build                 build (or reuse) the binaries
#   scripts/k8s-testenv.sh start [KUBECONFIG]    build if needed, start, wait for /readyz,
#                                                write the admin kubeconfig and print it
#   scripts/k8s-testenv.sh stop                  stop everything started by `start`
#   scripts/k8s-testenv.sh restart-apiserver [SECONDS-DOWN]
#                                                stop kube-apiserver, wait, start it again
#   scripts/k8s-testenv.sh status                print the pids and whether they run
#   scripts/k8s-testenv.sh bin-dir               print the binary cache directory
#   scripts/k8s-testenv.sh gateway-api-crds      fetch (or reuse) the Gateway API CRDs and
#                                                print their directory
#
# Binaries come from Go modules only (see scripts/k8s-testenv/{kube,kwok,etcd,helm}/go.mod):
# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from k8s.io/kubernetes,
# kwok from sigs.k8s.io/kwok, etcd from go.etcd.io/etcd/server/v3 and helm (for the chart in
# deploy/helm) from helm.sh/helm/v4. They are cached in
#   ${SLIPWAY_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway}/k8s-<k8s>-kwok-<kwok>-etcd-<etcd>/bin
# The Gateway API CRDs (standard channel, for canary tests that split traffic with an
# HTTPRoute) are copied from the Go module sigs.k8s.io/gateway-api into
#   <cache root>/gateway-api-<version>/crds
# Nothing else is downloaded.
#
# Environment:
#   SLIPWAY_K8S_STATE   state directory (certs, etcd data, logs, pids);
#                       default ${TMPDIR:-/tmp}/slipway-k8s-testenv
#   SLIPWAY_K8S_CACHE   cache root (default above)
#   SLIPWAY_ETCD        use this etcd binary instead of building one
#   GO                  go command (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODS="$HERE/k8s-testenv"
K8S_VERSION="v1.36.3"
KWOK_VERSION="v0.8.0"
ETCD_VERSION="v3.6.16"
HELM_VERSION="v4.3.2"
GATEWAY_API_VERSION="v1.6.3"
# The go.sum hash of that module version: a re-tagged or tampered download is refused.
GATEWAY_API_SUM="h1:lKpJa5bGlraC/QeACvCpsHLdmO6y0iKfzVl6gzaFEYc="
CACHE_ROOT="${SLIPWAY_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway}"
BIN="$CACHE_ROOT/k8s-$K8S_VERSION-kwok-$KWOK_VERSION-etcd-$ETCD_VERSION/bin"
STATE="${SLIPWAY_K8S_STATE:-${TMPDIR:-/tmp}/slipway-k8s-testenv}"
GATEWAY_API_CRDS="$CACHE_ROOT/gateway-api-$GATEWAY_API_VERSION/crds"

log() { echo "k8s-testenv: $*" >&2; }
die() { log "error: $*"; exit 1; }

find_go() {
  if [[ -n "${GO:-}" ]]; then echo "$GO"; return; fi
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  if [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go; return; fi
  return 1
}

# go_build MODULE_DIR PACKAGE OUTPUT [LDFLAGS]
go_build() {
  local dir="$1" pkg="$2" out="$3" ldflags="${4:-}" go start
  go="$(find_go)" || die "no Go toolchain found (needed to build $pkg)"
  mkdir -p "$(dirname "$out")"
  start=$(date +%s)
  log "building $pkg (this takes a while the first time)"
  (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
    "$go" build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
  log "built $(basename "$out") in $(( $(date +%s) - start ))s"
}

cmd_build() {
  local kv="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  kv+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=36"
  kv+=" -X k8s.io/component-base/version.gitTreeState=clean"
  kv+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
  local c
  for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [[ -x "$BIN/$c" ]] || go_build "$MODS/kube" "k8s.io/kubernetes/cmd/$c" "$BIN/$c" "$kv"
  done
  [[ -x "$BIN/kwok" ]] || go_build "$MODS/kwok" sigs.k8s.io/kwok/cmd/kwok "$BIN/kwok" \
    "-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
  if [[ -z "${SLIPWAY_ETCD:-}" && ! -x "$BIN/etcd" ]]; then
    go_build "$MODS/etcd" go.etcd.io/etcd/server/v3 "$BIN/etcd"
  fi
  # helm is not part of the directory's name: rebuild it when its version moves.
  if [[ ! -x "$BIN/helm" || "$("$BIN/helm" version --template '{{.Version}}' 2>/dev/null)" != "$HELM_VERSION" ]]; then
    go_build "$MODS/helm" helm.sh/helm/v4/cmd/helm "$BIN/helm" \
      "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
  fi
  fetch_gateway_api_crds
  log "binaries in $BIN"
}

# The module's config/crd/standard, which is what the project's standard-install.yaml bundles.
# Only the CustomResourceDefinitions are kept: the ValidatingAdmissionPolicy beside them guards
# upgrades between channels, which a throwaway control plane never does.
fetch_gateway_api_crds() {
  [[ -f "$GATEWAY_API_CRDS/.complete" ]] && return 0
  local go work info dir sum f
  go="$(find_go)" || die "no Go toolchain found (needed to fetch sigs.k8s.io/gateway-api)"
  work="$(mktemp -d)"
  # Outside any module, so no go.mod here or above is consulted or changed.
  info="$(cd "$work" && GO111MODULE=on GOFLAGS=-mod=mod \
    "$go" mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")" \
    || { rm -rf "$work"; die "could not download sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION: $info"; }
  dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")"
  sum="$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p' <<<"$info")"
  [[ "$sum" == "$GATEWAY_API_SUM" ]] \
    || { rm -rf "$work"; die "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION has hash $sum, expected $GATEWAY_API_SUM"; }
  mkdir -p "$work/crds"
  for f in "$dir"/config/crd/standard/*.yaml; do
    if grep -q '^kind: CustomResourceDefinition$' "$f"; then install -m 0644 "$f" "$work/crds/"; fi
  done
  touch "$work/crds/.complete"
  rm -rf "$GATEWAY_API_CRDS"
  mkdir -p "$(dirname "$GATEWAY_API_CRDS")"
  mv "$work/crds" "$GATEWAY_API_CRDS"
  rm -rf "$work"
  log "Gateway API $GATEWAY_API_VERSION CRDs in $GATEWAY_API_CRDS"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# ---------------------------------------------------------------- certificates
gen_certs() {
  local d="$STATE/pki"
  mkdir -p "$d"
  cd "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
    -subj "/CN=slipway-testenv-ca" 2>/dev/null
  # apiserver serving certificate
  cat > apiserver.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
  sign apiserver "/CN=kube-apiserver" apiserver.ext
  # client certificates
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > client.ext
  sign admin "/O=system:masters/CN=slipway-admin" client.ext
  sign controller-manager "/CN=system:kube-controller-manager" client.ext
  sign scheduler "/CN=system:kube-scheduler" client.ext
  sign kwok "/O=system:masters/CN=kwok" client.ext
  # service-account key pair
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  cd - >/dev/null
}

sign() { # name subject extfile
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" \
    -days 3650 -extfile "$3" 2>/dev/null
}

b64() { base64 -w0 < "$1"; }

write_kubeconfig() { # out user server
  local out="$1" user="$2" server="$3" p="$STATE/pki"
  cat > "$out" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: slipway-testenv
  cluster:
    server: $server
    certificate-authority-data: $(b64 "$p/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(b64 "$p/$user.crt")
    client-key-data: $(b64 "$p/$user.key")
contexts:
- name: slipway-testenv
  context:
    cluster: slipway-testenv
    user: $user
    namespace: default
current-context: slipway-testenv
EOF
  chmod 600 "$out"
}

# ---------------------------------------------------------------- processes
launch() { # name cmd...
  local name="$1"; shift
  "$@" > "$STATE/logs/$name.log" 2>&1 &
  echo "$name $!" >> "$STATE/pids"
}

api() { # method path [json-body]
  local p="$STATE/pki" port
  port="$(cat "$STATE/apiserver.port")"
  curl -sS --max-time 10 --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key" \
    -X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} "https://127.0.0.1:$port$2"
}

wait_for() { # description timeout-seconds command...
  local what="$1" t="$2" i; shift 2
  for ((i = 0; i < t * 4; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log "timed out waiting for $what; logs in $STATE/logs"
  tail -n 20 "$STATE"/logs/*.log >&2 || true
  return 1
}

etcd_healthy() { curl -sf --max-time 2 "http://127.0.0.1:$(cat "$STATE/etcd.port")/health" | grep -q '"health":"true"'; }
api_ready() { [[ "$(api GET /readyz)" == "ok" ]]; }
node_ready() { api GET /api/v1/nodes/kwok-node-0 | tr -d ' \n' | grep -q '"type":"Ready","status":"True"'; }
default_sa() { api GET /api/v1/namespaces/default/serviceaccounts/default | grep -q '"kind": *"ServiceAccount"'; }

start_apiserver() {
  local p="$STATE/pki"
  launch kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$(cat "$STATE/etcd.port")" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$(cat "$STATE/apiserver.port")" \
    --cert-dir "$STATE/apiserver-certs" \
    --tls-cert-file "$p/apiserver.crt" --tls-private-key-file "$p/apiserver.key" \
    --client-ca-file "$p/ca.crt" \
    --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$p/sa.pub" --service-account-signing-key-file "$p/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --allow-privileged=true --profiling=false
}

# Stop the API server and start it again on the same port and etcd (for tests that
# restart it mid-rollout). Waits for /readyz.
cmd_restart_apiserver() {
  local pid i downtime="${1:-0}"
  [[ -f "$STATE/pids" ]] || die "not running"
  pid=$(awk '$1 == "kube-apiserver" { print $2 }' "$STATE/pids")
  if [[ -n "$pid" ]]; then
    # SIGTERM stops the listener at once but then waits up to 60s for open watches;
    # don't wait for that: SIGKILL after 3s.
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  grep -v '^kube-apiserver ' "$STATE/pids" > "$STATE/pids.new" || true
  mv "$STATE/pids.new" "$STATE/pids"
  mv "$STATE/logs/kube-apiserver.log" "$STATE/logs/kube-apiserver.$(date +%s%N).log"
  sleep "$downtime"
  start_apiserver
  wait_for "kube-apiserver /readyz" 90 api_ready
  log "kube-apiserver restarted"
}

cmd_start() {
  local kubeconfig="${1:-$STATE/admin.kubeconfig}" t0 etcd
  t0=$(date +%s)
  if [[ -f "$STATE/pids" ]] && any_running; then
    die "already running (state in $STATE); run '$0 stop' first"
  fi
  cmd_build
  etcd="${SLIPWAY_ETCD:-$BIN/etcd}"
  rm -rf "$STATE"
  mkdir -p "$STATE/logs" "$STATE/etcd"
  gen_certs
  local etcd_port peer_port api_port kwok_port
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port); kwok_port=$(free_port)
  echo "$etcd_port" > "$STATE/etcd.port"
  echo "$api_port" > "$STATE/apiserver.port"
  local server="https://127.0.0.1:$api_port" p="$STATE/pki"

  launch etcd "$etcd" --name slipway-testenv --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "slipway-testenv=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync --quota-backend-bytes=$((512 * 1024 * 1024))
  wait_for etcd 30 etcd_healthy

  start_apiserver
  wait_for "kube-apiserver /readyz" 90 api_ready

  write_kubeconfig "$STATE/controller-manager.kubeconfig" controller-manager "$server"
  write_kubeconfig "$STATE/scheduler.kubeconfig" scheduler "$server"
  write_kubeconfig "$STATE/kwok.kubeconfig" kwok "$server"
  mkdir -p "$(dirname "$kubeconfig")"
  write_kubeconfig "$kubeconfig" admin "$server"
  echo "$kubeconfig" > "$STATE/kubeconfig.path"

  launch kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --secure-port 0 --leader-elect=false \
    --service-account-private-key-file "$p/sa.key" --root-ca-file "$p/ca.crt" \
    --use-service-account-credentials=true \
    --service-cluster-ip-range 10.0.0.0/24 \
    --controllers '*'
  launch kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
    --secure-port 0 --leader-elect=false
  launch kwok "$BIN/kwok" \
    --kubeconfig "$STATE/kwok.kubeconfig" \
    --config "$MODS/stages.yaml" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds 40 \
    --cidr 10.244.0.0/16 --node-ip 10.244.255.1 \
    --server-address "127.0.0.1:$kwok_port"

  api POST /api/v1/nodes '{"apiVersion":"v1","kind":"Node","metadata":{"name":"kwok-node-0",
    "annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},
    "labels":{"kubernetes.io/hostname":"kwok-node-0","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","type":"kwok"}},
    "spec":{}}' > "$STATE/logs/node-create.json"
  wait_for "fake node Ready" 60 node_ready
  wait_for "default service account" 60 default_sa

  log "control plane up in $(( $(date +%s) - t0 ))s: $server (kubeconfig $kubeconfig)"
  cat "$kubeconfig"
}

any_running() {
  local name pid
  [[ -f "$STATE/pids" ]] || return 1
  while read -r name pid; do
    kill -0 "$pid" 2>/dev/null && return 0
  done < "$STATE/pids"
  return 1
}

cmd_stop() {
  local name pid i
  [[ -f "$STATE/pids" ]] || { log "nothing to stop ($STATE/pids missing)"; return 0; }
  # reverse order: kwok, scheduler, controller-manager, apiserver, etcd
  tac "$STATE/pids" | while read -r name pid; do
    kill "$pid" 2>/dev/null || true
  done
  # kube-apiserver waits up to 60s for open watches after SIGTERM; do not wait for that.
  for ((i = 0; i < 12; i++)); do any_running || break; sleep 0.25; done
  tac "$STATE/pids" | while read -r name pid; do
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$STATE/pids"
  log "stopped"
}

cmd_status() {
  local name pid
  [[ -f "$STATE/pids" ]] || { echo "not running"; return 1; }
  while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then echo "$name $pid running"; else echo "$name $pid exited"; fi
  done < "$STATE/pids"
}

case "${1:-}" in
  build) cmd_build ;;
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  restart-apiserver) shift; cmd_restart_apiserver "$@" ;;
  status) cmd_status ;;
  bin-dir) echo "$BIN" ;;
  gateway-api-crds) fetch_gateway_api_crds; echo "$GATEWAY_API_CRDS" ;;
  *) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
