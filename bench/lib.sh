# bench/lib.sh - helpers and reference peers for bench/run (sourced, not run).
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Expects: TMP (the run's temp dir), BG_PIDS (array), log(), die().
# Every peer listens on 127.0.0.1 only, runs from a config in $TMP, and is stopped by the
# caller's trap through BG_PIDS.

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
sha_of() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

stop_pid() {  # stop_pid PID [SECONDS]: SIGTERM, bounded wait, then SIGKILL
    local pid=$1 limit=${2:-10} i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < limit * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    sleep 0.1
}

port_in_use() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }
free_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$(( 20000 + RANDOM % 40000 ))
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    return 1
}
wait_listen() {  # wait_listen PORT PID SECONDS
    local i
    for ((i = 0; i < $3 * 50; i++)); do
        port_in_use "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.02
    done
    return 1
}
wait_exit() {  # wait_exit PID SECONDS: bounded wait for a background job; returns its status
    local i
    for ((i = 0; i < $2 * 100; i++)); do
        if ! kill -0 "$1" 2>/dev/null; then
            wait "$1" 2>/dev/null; return $?
        fi
        sleep 0.01
    done
    kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null
    return 124
}

median() {  # median V...: of the non-empty values; empty if none
    printf '%s\n' "$@" | awk 'NF' | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) printf "%.3f", v[(NR + 1) / 2];
                                  else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() {  # ratio FERRY_SECS PEER_SECS: throughput ratio (peer time / ferry time)
    [ -n "$1" ] && [ -n "$2" ] && awk -v f="$1" -v p="$2" 'BEGIN { if (f > 0) printf "%.2fx", p / f }'
}

# ---- the reference peers ------------------------------------------------------------

install_missing() {
    local pkgs=()
    [ -x /usr/bin/time ] || pkgs+=(time)
    command -v socat >/dev/null || pkgs+=(socat)
    command -v curl >/dev/null || pkgs+=(curl)
    command -v openssl >/dev/null || pkgs+=(openssl)
    [ -x /usr/sbin/nginx ] || pkgs+=(nginx-light)
    [ -x /usr/sbin/sshd ] || pkgs+=(openssh-server)
    command -v scp >/dev/null || pkgs+=(openssh-client)
    command -v rsync >/dev/null || pkgs+=(rsync)
    [ ${#pkgs[@]} = 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing packages: ${pkgs[*]} (install them, or run as root)"
    log "installing missing packages: ${pkgs[*]}"
    timeout 600 apt-get install -y "${pkgs[@]}" >&2 ||
        { timeout 300 apt-get update >&2 && timeout 600 apt-get install -y "${pkgs[@]}" >&2; } ||
        die "apt-get install ${pkgs[*]} failed"
}

start_bg() {  # start_bg NAME CMD...: run in the background, log to $TMP/NAME.log, set BG_PID
    local name=$1; shift
    "$@" >"$TMP/$name.log" 2>&1 &
    BG_PID=$!
    BG_PIDS+=("$BG_PID")
}

NGINX_HTTP=""; NGINX_HTTPS=""; NGINX_PID=""
nginx_start() {  # one nginx, HTTP and HTTPS ports, WebDAV PUT into $TMP/nginx/www
    local d="$TMP/nginx" user=""
    mkdir -p "$d/www" "$d/body" "$d/logs"
    [ "$(id -u)" = 0 ] && user="user $(id -un) $(id -gn);"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=127.0.0.1 -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null ||
        die "openssl could not make nginx's certificate"
    NGINX_HTTP=$(free_port) && NGINX_HTTPS=$(free_port) || die "no free port for nginx"
    cat >"$d/nginx.conf" <<EOF
$user
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path $d/body;
    proxy_temp_path $d/body; fastcgi_temp_path $d/body; uwsgi_temp_path $d/body; scgi_temp_path $d/body;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$NGINX_HTTP;
        listen 127.0.0.1:$NGINX_HTTPS ssl;
        ssl_certificate $d/cert.pem;
        ssl_certificate_key $d/key.pem;
        root $d/www;
        dav_methods PUT;
        create_full_put_path on;
    }
}
EOF
    start_bg nginx /usr/sbin/nginx -c "$d/nginx.conf" -p "$d"
    NGINX_PID=$BG_PID
    wait_listen "$NGINX_HTTPS" "$NGINX_PID" 10 || die "nginx did not start: $(tail -3 "$TMP/nginx.log")"
}

SSHD_PORT=""; SSH_OPTS=()
sshd_start() {  # sshd on loopback with its own host key, as the current user, key auth only
    local d="$TMP/ssh"
    mkdir -p "$d" && chmod 700 "$d"
    ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" && ssh-keygen -q -t ed25519 -N '' -f "$d/user_key" ||
        die "ssh-keygen failed"
    cp "$d/user_key.pub" "$d/authorized_keys"
    SSHD_PORT=$(free_port) || die "no free port for sshd"
    cat >"$d/sshd_config" <<EOF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem sftp internal-sftp
EOF
    # sshd's privilege separation directory; Debian's package creates it at boot only.
    [ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null
    start_bg sshd /usr/sbin/sshd -D -e -f "$d/sshd_config"
    wait_listen "$SSHD_PORT" "$BG_PID" 10 || die "sshd did not start: $(tail -3 "$TMP/sshd.log")"
    SSH_OPTS=(-F /dev/null -i "$d/user_key" -P "$SSHD_PORT" -o BatchMode=yes
              -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
    mkdir -p "$TMP/scp"
    timeout 20 scp "${SSH_OPTS[@]}" "$d/authorized_keys" "127.0.0.1:$TMP/scp/probe" >&2 ||
        die "scp to the bench's sshd failed: $(tail -3 "$TMP/sshd.log")"
}

RSYNC_URL=""
rsyncd_start() {  # rsync daemon, module "bench" = $TMP/rsync, writable
    local d="$TMP/rsyncd" port
    mkdir -p "$d" "$TMP/rsync"
    port=$(free_port) || die "no free port for rsync"
    cat >"$d/rsyncd.conf" <<EOF
pid file = $d/rsyncd.pid
use chroot = false
[bench]
    path = $TMP/rsync
    read only = false
    uid = $(id -u)
    gid = $(id -g)
EOF
    start_bg rsyncd rsync --daemon --no-detach --config="$d/rsyncd.conf" --address=127.0.0.1 --port="$port"
    wait_listen "$port" "$BG_PID" 10 || die "rsync daemon did not start: $(tail -3 "$TMP/rsyncd.log")"
    RSYNC_URL="rsync://127.0.0.1:$port/bench"
}

FERRY_PID=""; FERRY_PORT=""; FERRY_FP=""
ferry_start() {  # ferry_start NAME [SERVER OPTIONS...]: sets FERRY_PID, FERRY_PORT, FERRY_FP
    local name=$1 i line; shift
    mkdir -p "$TMP/$name"
    "$FERRY_SERVER" --port 0 --bind 127.0.0.1 --data-dir "$TMP/$name" --max-file-size 8G "$@" \
        >"$TMP/$name.out" 2>"$TMP/$name.err" &
    FERRY_PID=$!
    BG_PIDS+=("$FERRY_PID")
    for ((i = 0; i < 1000; i++)); do
        line=$(grep -m1 '^listening on ' "$TMP/$name.out" 2>/dev/null)
        [ -n "$line" ] && break
        kill -0 "$FERRY_PID" 2>/dev/null || break
        sleep 0.01
    done
    [ -n "$line" ] || die "ferry-server ($name) did not start: $(tail -3 "$TMP/$name.err")"
    FERRY_PORT=${line##*:}
    FERRY_FP=$(sed -n 's/^fingerprint //p' "$TMP/$name.out")
}
