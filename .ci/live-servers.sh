#!/usr/bin/env bash
# Real Prometheus, node exporter, Pushgateway and Alertmanager for the live
# integration tests of aiops-prometheus (crates/prometheus/tests/live.rs).
#
#   eval "$(.ci/live-servers.sh start)"   # installs if missing, starts, waits, prints exports
#   .ci/live-servers.sh stop              # kills every server it started, removes its temp dir
#
# `start` prints ONLY `export AIOPS_*_URL=...` lines on stdout (logs go to
# stderr), so its output can be eval'd. The servers listen on loopback only,
# on the usual ports (9090, 9091, 9093, 9100) when free, else on the next free
# port. Data dirs, configs, logs and pids live in $AIOPS_LIVE_DIR (default
# ${TMPDIR:-/tmp}/aiops-live-servers). systemd is not used: the Debian
# packages' binaries are started directly.
set -euo pipefail

DIR="${AIOPS_LIVE_DIR:-${TMPDIR:-/tmp}/aiops-live-servers}"

log() { echo "live-servers: $*" >&2; }

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

TAKEN=" "
# free_port BASE: the first port from BASE that nothing listens on and that
# this script has not handed out yet (recorded in $TAKEN).
free_port() {
    local p="$1"
    while port_in_use "$p" || [[ "$TAKEN" == *" $p "* ]]; do
        p=$((p + 1))
    done
    TAKEN="$TAKEN$p "
    PORT="$p"
}

stop() {
    if [ ! -d "$DIR" ]; then
        log "nothing to stop ($DIR absent)"
        return 0
    fi
    local pids=()
    for f in "$DIR"/*.pid; do
        [ -e "$f" ] || continue
        pids+=("$(cat "$f")")
    done
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "pid $pid did not stop on TERM; killing"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$DIR"
    log "stopped ${#pids[@]} server(s), removed $DIR"
}

install_missing() {
    local missing=()
    command -v prometheus >/dev/null || missing+=(prometheus)
    command -v prometheus-node-exporter >/dev/null || missing+=(prometheus-node-exporter)
    command -v prometheus-pushgateway >/dev/null || missing+=(prometheus-pushgateway)
    command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
    command -v curl >/dev/null || missing+=(curl)
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y --no-install-recommends "${missing[@]}" >&2
    fi
}

# spawn NAME BINARY ARGS...: starts a server detached from our stdout.
spawn() {
    local name="$1"
    shift
    nohup "$@" </dev/null >"$DIR/$name.log" 2>&1 &
    echo $! >"$DIR/$name.pid"
}

wait_ready() {
    local name="$1" url="$2"
    for _ in $(seq 1 300); do
        if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then
            log "$name ready at $url"
            return 0
        fi
        if ! kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null; then
            log "$name exited; its log:"
            tail -n 30 "$DIR/$name.log" >&2 || true
            return 1
        fi
        sleep 0.1
    done
    log "$name not ready after 30 s; its log:"
    tail -n 30 "$DIR/$name.log" >&2 || true
    return 1
}

start() {
    if [ -d "$DIR" ]; then
        log "$DIR exists: stopping the previous servers first"
        stop
    fi
    install_missing
    mkdir -p "$DIR/prometheus-data" "$DIR/alertmanager-data"

    local prom_port push_port am_port node_port
    free_port 9100 && node_port="$PORT"
    free_port 9091 && push_port="$PORT"
    free_port 9093 && am_port="$PORT"
    free_port 9090 && prom_port="$PORT"

    cat >"$DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:$node_port"]
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:$push_port"]
EOF
    cat >"$DIR/alertmanager.yml" <<EOF
route:
  receiver: "null"
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
EOF

    trap 'log "start failed; cleaning up"; stop' ERR
    spawn node-exporter prometheus-node-exporter \
        --web.listen-address="127.0.0.1:$node_port"
    spawn pushgateway prometheus-pushgateway \
        --web.listen-address="127.0.0.1:$push_port"
    spawn alertmanager prometheus-alertmanager \
        --config.file="$DIR/alertmanager.yml" \
        --storage.path="$DIR/alertmanager-data" \
        --web.listen-address="127.0.0.1:$am_port" \
        --cluster.listen-address=
    spawn prometheus prometheus \
        --config.file="$DIR/prometheus.yml" \
        --storage.tsdb.path="$DIR/prometheus-data" \
        --web.listen-address="127.0.0.1:$prom_port"

    wait_ready node-exporter "http://127.0.0.1:$node_port/metrics"
    wait_ready pushgateway "http://127.0.0.1:$push_port/-/ready"
    wait_ready alertmanager "http://127.0.0.1:$am_port/-/ready"
    wait_ready prometheus "http://127.0.0.1:$prom_port/-/ready"

    # Ready means serving; wait until the first scrape of node exporter has landed.
    for _ in $(seq 1 100); do
        if curl -fsS --max-time 1 "http://127.0.0.1:$prom_port/api/v1/query?query=up%7Bjob%3D%22node%22%7D%3D%3D1" 2>/dev/null |
            grep -q '"value"'; then
            log "prometheus has scraped node exporter"
            break
        fi
        sleep 0.1
    done
    trap - ERR

    echo "export AIOPS_PROMETHEUS_URL=http://127.0.0.1:$prom_port"
    echo "export AIOPS_PUSHGATEWAY_URL=http://127.0.0.1:$push_port"
    echo "export AIOPS_ALERTMANAGER_URL=http://127.0.0.1:$am_port"
    echo "export AIOPS_NODE_EXPORTER_URL=http://127.0.0.1:$node_port"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
