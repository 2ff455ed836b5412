#!/usr/bin/env bash
# Local RabbitMQ, PostgreSQL and Azurite (blob) for development, tests and CI. No Docker needed.
# Everything binds to 127.0.0.1 and keeps its state under ${ENB_SERVICES_DIR:-<repo>/.services}.
# See docs/services.md. Run `scripts/services.sh help` for the commands.
set -euo pipefail

SCRIPT_PATH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
REPO_ROOT=$(cd "$(dirname "$SCRIPT_PATH")/.." && pwd)

STATE_DIR=${ENB_SERVICES_DIR:-$REPO_ROOT/.services}
case $STATE_DIR in /*) ;; *) STATE_DIR=$PWD/$STATE_DIR ;; esac
STATE_DIR=${STATE_DIR%/}

RABBITMQ_BIN=/usr/lib/rabbitmq/bin
PG_BIN=${ENB_PG_BIN:-/usr/lib/postgresql/15/bin}
AZURITE_VERSION=3.37.0
# The published, well-known Azurite/Storage Emulator development account key (not a secret).
AZURITE_ACCOUNT=devstoreaccount1
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
TIMEOUT=${ENB_SERVICES_TIMEOUT:-90}

ALL_SERVICES=(rabbitmq postgres azurite)

# Paths inside the state directory.
CONFIG_FILE=$STATE_DIR/config.env
BIN_DIR=$STATE_DIR/bin
LOG_DIR=$STATE_DIR/logs
RUN_DIR=$STATE_DIR/run
RMQ_DIR=$STATE_DIR/rabbitmq
RMQ_PID_FILE=$RUN_DIR/rabbitmq.pid
RMQ_STDOUT_LOG=$LOG_DIR/rabbitmq-stdout.log
# PostgreSQL lives in $STATE_DIR/postgres unless the postgres user cannot reach the state dir (see pg_choose_dir).
PG_PATH_FILE=$STATE_DIR/postgres.path
PG_DIR=$STATE_DIR/postgres
[[ -s $PG_PATH_FILE ]] && PG_DIR=$(<"$PG_PATH_FILE")
set_pg_paths() { PG_DATA=$PG_DIR/data; PG_SOCKET_DIR=$PG_DIR/run; PG_LOG=$PG_DIR/postgres.log; }
set_pg_paths
AZ_PREFIX=$STATE_DIR/azurite
AZ_MAIN=$AZ_PREFIX/node_modules/azurite/dist/src/blob/main.js
AZ_DATA=$STATE_DIR/azurite-data
AZ_PID_FILE=$RUN_DIR/azurite.pid
AZ_LOG=$LOG_DIR/azurite.log

# ---------------------------------------------------------------------------------------------------------------
# helpers

say() { printf '%s\n' "$*"; }
warn() { printf 'services.sh: %s\n' "$*" >&2; }
die() { printf 'services.sh: error: %s\n' "$*" >&2; exit 1; }
now() { printf '%s' "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; }
is_root() { [[ $EUID -eq 0 ]]; }
pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }
read_pid() { if [[ -f $1 ]]; then head -n1 "$1" | tr -dc '0-9'; fi; }

usage() {
  cat <<EOF
Usage: scripts/services.sh COMMAND [SERVICE...]

Local RabbitMQ, PostgreSQL 15 and Azurite (blob) bound to 127.0.0.1; state in \$ENB_SERVICES_DIR
(default <repo>/.services, now: $STATE_DIR).

Commands:
  install                 install what is missing (apt rabbitmq-server/postgresql-15, npm azurite@$AZURITE_VERSION)
  up [SERVICE...]         start services that are not running and wait until they are ready
  down [SERVICE...]       stop services (already stopped is fine)
  status                  one line per service; exit 0 if all run, 3 otherwise
  env                     print 'export ...' lines: connection strings and helper paths (eval them)
  restart SERVICE...      clean stop + start (rabbitmq | postgres | azurite)
  kill9 SERVICE...        kill -9 (a crash) + start
  reset                   down + delete all data and logs (keeps the installed Azurite)
  help                    this text

SERVICE is rabbitmq, postgres or azurite (default: all three).

Settings (environment; remembered in the state dir by 'up', so later calls need not repeat them):
  ENB_RABBITMQ_PORT=5672  ENB_RABBITMQ_MANAGEMENT_PORT=15672  ENB_RABBITMQ_DIST_PORT=25672  ENB_EPMD_PORT=4369
  ENB_POSTGRES_PORT=5432  ENB_AZURITE_PORT=10000  ENB_SERVICES_PASSWORD=enb-local-dev
  ENB_SERVICES_TIMEOUT=90 (seconds to wait for each service)
EOF
}

# Settings: explicit environment > values saved by an earlier 'up' in this state dir > defaults.
load_config() {
  local SAVED_RMQ_PORT='' SAVED_RMQ_MGMT_PORT='' SAVED_RMQ_DIST_PORT='' SAVED_EPMD_PORT='' SAVED_PG_PORT='' \
    SAVED_AZ_PORT='' SAVED_PASSWORD='' SAVED_RMQ_NODENAME=''
  # shellcheck disable=SC1090
  [[ -f $CONFIG_FILE ]] && source "$CONFIG_FILE"
  RMQ_PORT=${ENB_RABBITMQ_PORT:-${SAVED_RMQ_PORT:-5672}}
  RMQ_MGMT_PORT=${ENB_RABBITMQ_MANAGEMENT_PORT:-${SAVED_RMQ_MGMT_PORT:-15672}}
  RMQ_DIST_PORT=${ENB_RABBITMQ_DIST_PORT:-${SAVED_RMQ_DIST_PORT:-25672}}
  EPMD_PORT=${ENB_EPMD_PORT:-${SAVED_EPMD_PORT:-4369}}
  PG_PORT=${ENB_POSTGRES_PORT:-${SAVED_PG_PORT:-5432}}
  AZ_PORT=${ENB_AZURITE_PORT:-${SAVED_AZ_PORT:-10000}}
  PASSWORD=${ENB_SERVICES_PASSWORD:-${SAVED_PASSWORD:-enb-local-dev}}
  # The node name is fixed when the node is first created (its data directory is named after it).
  RMQ_NODENAME=${SAVED_RMQ_NODENAME:-enb-$RMQ_PORT@localhost}
  local p
  for p in "$RMQ_PORT" "$RMQ_MGMT_PORT" "$RMQ_DIST_PORT" "$EPMD_PORT" "$PG_PORT" "$AZ_PORT"; do
    [[ $p =~ ^[0-9]+$ && $p -ge 1 && $p -le 65535 ]] || die "invalid port '$p' in the ENB_*_PORT settings"
  done
  # Keeps the password safe inside a URI, a connection string and SQL without escaping.
  [[ $PASSWORD =~ ^[A-Za-z0-9._~-]+$ ]] || die "ENB_SERVICES_PASSWORD may only contain letters, digits and . _ ~ -"
}

config_text() {
  cat <<EOF
SAVED_RMQ_PORT=$RMQ_PORT
SAVED_RMQ_MGMT_PORT=$RMQ_MGMT_PORT
SAVED_RMQ_DIST_PORT=$RMQ_DIST_PORT
SAVED_EPMD_PORT=$EPMD_PORT
SAVED_PG_PORT=$PG_PORT
SAVED_AZ_PORT=$AZ_PORT
SAVED_PASSWORD=$PASSWORD
SAVED_RMQ_NODENAME=$RMQ_NODENAME
EOF
}

# Saves the settings; refuses to change them under running services (they would be lost track of).
save_config() {
  local new
  new=$(config_text)
  if [[ -f $CONFIG_FILE ]] && [[ $(cat "$CONFIG_FILE") != "$new" ]]; then
    if rmq_running || pg_running || az_running; then
      die "the ENB_* settings differ from those the running services were started with ($CONFIG_FILE); run 'scripts/services.sh down' first"
    fi
  fi
  mkdir -p "$STATE_DIR"
  printf '%s\n' "$new" >"$CONFIG_FILE"
}

# Is something listening on 127.0.0.1:PORT (or on all interfaces)?
port_in_use() {
  if command -v ss >/dev/null; then
    [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

port_owner() {
  if command -v ss >/dev/null; then
    ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -n1
  fi
}

# Fails if PORT is taken: called only for a service of ours that is not running.
require_free_port() {
  local port=$1 what=$2 var=$3
  if port_in_use "$port"; then
    local owner
    owner=$(port_owner "$port")
    die "$what port $port is already in use by another process${owner:+ ($owner)}, not by this state dir's service; stop it or choose another port with $var=..."
  fi
}

# HTTP status code of a GET (000 when nothing answers).
http_code() {
  local url=$1 user=${2:-}
  if command -v curl >/dev/null; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 ${user:+-u "$user"} "$url" || true
  else
    # Minimal fallback without curl (HTTP/1.0 GET over bash's /dev/tcp): the status code only.
    local hostport=${url#http://}; hostport=${hostport%%/*}
    local line=''
    { exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"; } 2>/dev/null || { echo 000; return; }
    local auth=''
    [[ -n $user ]] && auth="Authorization: Basic $(printf '%s' "$user" | base64 -w0)"$'\r\n'
    printf 'GET /%s HTTP/1.0\r\nHost: %s\r\n%s\r\n' "${url#http://*/}" "$hostport" "$auth" >&3
    read -r -t 3 line <&3 || true
    exec 3>&-
    line=${line#HTTP/* }; echo "${line:0:3}"
  fi
}

# Runs a command as the postgres user when we are root (initdb refuses root).
as_pg() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_for() { # wait_for SECONDS CHECK_FUNCTION [ALIVE_FUNCTION]
  local deadline=$((SECONDS + $1)) check=$2 alive=${3:-}
  while ! "$check"; do
    if [[ -n $alive ]] && ! "$alive"; then return 2; fi
    ((SECONDS < deadline)) || return 1
    sleep 0.3
  done
}

fail_with_log() { # fail_with_log SERVICE LOGFILE MESSAGE
  warn "$1: $3"
  if [[ -f $2 ]]; then
    warn "last lines of $2:"
    tail -n 25 "$2" | sed 's/^/    /' >&2
  fi
  die "$1 is not ready; read $2"
}

parse_services() { # sets SERVICES from the arguments (default: all)
  SERVICES=()
  local s
  for s in "$@"; do
    case $s in
      rabbitmq | rabbit) SERVICES+=(rabbitmq) ;;
      postgres | postgresql | pg) SERVICES+=(postgres) ;;
      azurite | blob) SERVICES+=(azurite) ;;
      *) die "unknown service '$s' (rabbitmq, postgres, azurite)" ;;
    esac
  done
  ((${#SERVICES[@]})) || SERVICES=("${ALL_SERVICES[@]}")
}

has_service() { local s; for s in "${SERVICES[@]}"; do [[ $s == "$1" ]] && return 0; done; return 1; }

# ---------------------------------------------------------------------------------------------------------------
# install

apt_install() {
  is_root || die "installing $* needs root (apt-get); run 'sudo scripts/services.sh install'"
  local created_policy=''
  # Keep apt from starting a system-wide copy of the service (it would take the default ports).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" || rc=$?
  if ((rc != 0)); then
    say "apt-get install failed (rc $rc); refreshing the package lists and retrying"
    rc=0
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" || rc=$?
  fi
  [[ -n $created_policy ]] && rm -f /usr/sbin/policy-rc.d
  return "$rc"
}

azurite_installed() {
  [[ -f $AZ_MAIN ]] &&
    grep -q "\"version\": *\"$AZURITE_VERSION\"" "$AZ_PREFIX/node_modules/azurite/package.json" 2>/dev/null
}

cmd_install() {
  local t_all t
  t_all=$(now)
  if [[ -x $RABBITMQ_BIN/rabbitmq-server ]]; then
    say "rabbitmq-server: already installed"
  else
    t=$(now)
    apt_install rabbitmq-server || die "apt-get install rabbitmq-server failed"
    say "rabbitmq-server: installed $(dpkg-query -W -f='${Version}' rabbitmq-server) in $(since "$t")"
  fi
  if [[ -x $PG_BIN/postgres ]]; then
    say "postgresql 15: already installed ($PG_BIN)"
  else
    t=$(now)
    apt_install postgresql-15 || die "apt-get install postgresql-15 failed"
    say "postgresql-15: installed in $(since "$t")"
  fi
  if azurite_installed; then
    say "azurite $AZURITE_VERSION: already installed ($AZ_PREFIX)"
  else
    command -v npm >/dev/null || die "npm (Node.js) is needed to install Azurite"
    t=$(now)
    mkdir -p "$AZ_PREFIX"
    npm install --prefix "$AZ_PREFIX" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >/dev/null ||
      die "npm install azurite@$AZURITE_VERSION failed"
    say "azurite $AZURITE_VERSION: installed into $AZ_PREFIX in $(since "$t")"
  fi
  say "install done in $(since "$t_all")"
}

require_installed() {
  case $1 in
    rabbitmq) [[ -x $RABBITMQ_BIN/rabbitmq-server ]] || die "RabbitMQ is not installed; run 'scripts/services.sh install'" ;;
    postgres) [[ -x $PG_BIN/postgres ]] || die "PostgreSQL 15 is not installed; run 'scripts/services.sh install'" ;;
    azurite)
      azurite_installed || die "Azurite is not installed in $AZ_PREFIX; run 'scripts/services.sh install'"
      command -v node >/dev/null || die "node (Node.js) is needed to run Azurite"
      ;;
  esac
}

# ---------------------------------------------------------------------------------------------------------------
# helper scripts in $STATE_DIR/bin (for tests: exact queue depths, restarts)

write_helpers() {
  mkdir -p "$BIN_DIR" "$LOG_DIR" "$RUN_DIR"
  local crash_dir=$LOG_DIR/rabbitmq
  cat >"$BIN_DIR/rabbitmq.env" <<EOF
# Environment of this state dir's private RabbitMQ node (sourced by the rabbitmq* wrappers here).
export HOME='$RMQ_DIR/home'
export RABBITMQ_NODENAME='$RMQ_NODENAME'
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$RMQ_PORT
export RABBITMQ_DIST_PORT=$RMQ_DIST_PORT
export RABBITMQ_CONF_ENV_FILE='$RMQ_DIR/rabbitmq-env.conf'
export RABBITMQ_CONFIG_FILE='$RMQ_DIR/rabbitmq'
export RABBITMQ_ADVANCED_CONFIG_FILE='$RMQ_DIR/advanced.config'
export RABBITMQ_ENABLED_PLUGINS_FILE='$RMQ_DIR/enabled_plugins'
export RABBITMQ_MNESIA_BASE='$RMQ_DIR/mnesia'
export RABBITMQ_LOG_BASE='$LOG_DIR/rabbitmq'
export RABBITMQ_PID_FILE='$RMQ_PID_FILE'
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_PORT=$EPMD_PORT
export ERL_CRASH_DUMP='$crash_dir/erl_crash.dump'
EOF
  local tool
  for tool in rabbitmqctl rabbitmq-diagnostics rabbitmq-plugins rabbitmq-queues; do
    cat >"$BIN_DIR/$tool" <<EOF
#!/bin/sh
# $tool for this state dir's RabbitMQ node (generated by scripts/services.sh).
. '$BIN_DIR/rabbitmq.env'
exec '$RABBITMQ_BIN/$tool' "\$@"
EOF
    chmod +x "$BIN_DIR/$tool"
  done
  cat >"$BIN_DIR/pg_ctl" <<EOF
#!/bin/sh
# pg_ctl for this state dir's PostgreSQL (generated by scripts/services.sh), e.g. "\$ENB_PG_CTL restart -m fast".
if [ "\$(id -u)" = 0 ]; then
  exec runuser -u postgres -- '$PG_BIN/pg_ctl' -D '$PG_DATA' -l '$PG_LOG' "\$@"
fi
exec '$PG_BIN/pg_ctl' -D '$PG_DATA' -l '$PG_LOG' "\$@"
EOF
  cat >"$BIN_DIR/psql" <<EOF
#!/bin/sh
# psql as role enb on database enb (generated by scripts/services.sh); pass -d NAME for another database.
PGPASSWORD='$PASSWORD' exec '$PG_BIN/psql' -h 127.0.0.1 -p $PG_PORT -U enb -d enb "\$@"
EOF
  chmod +x "$BIN_DIR/pg_ctl" "$BIN_DIR/psql"
}

# ---------------------------------------------------------------------------------------------------------------
# RabbitMQ

rmqctl() { "$BIN_DIR/rabbitmqctl" "$@" 9>&-; } # fd 9 (our lock) must not leak into a daemonised epmd

# Is PID alive and an Erlang VM (guards against a stale pid file whose number was reused)?
beam_alive() { pid_alive "${1:-}" && [[ $(cat "/proc/$1/comm" 2>/dev/null) == beam* ]]; }

# Fast check first (pid file). Starting a second copy of a running node deletes its pid file, so without one
# ask the node (the ping succeeds only with this state dir's cookie), but only when something listens on its
# distribution port: a CLI call would otherwise start an epmd.
rmq_running() {
  beam_alive "$(read_pid "$RMQ_PID_FILE")" && return 0
  [[ -d $RMQ_DIR/mnesia && -x $RABBITMQ_BIN/rabbitmqctl ]] || return 1
  port_in_use "$RMQ_DIST_PORT" || return 1
  [[ -x $BIN_DIR/rabbitmqctl ]] || write_helpers
  rmqctl ping --timeout 5 >/dev/null 2>&1
}

# The pid of this state dir's running node: its pid file, else (when the node answers our ping) the VM
# listening on its distribution port. Empty when not running.
rmq_pid() {
  local pid
  pid=$(read_pid "$RMQ_PID_FILE")
  if beam_alive "$pid"; then printf '%s' "$pid"; return 0; fi
  if command -v ss >/dev/null && rmq_running; then
    pid=$(ss -Hltnp "sport = :$RMQ_DIST_PORT" 2>/dev/null | sed -n 's/.*"beam[^"]*",pid=\([0-9]*\).*/\1/p' | head -n1)
    if beam_alive "$pid"; then
      [[ -d $RUN_DIR ]] && printf '%s\n' "$pid" >"$RMQ_PID_FILE" # restore the lost pid file
      printf '%s' "$pid"
    fi
  fi
}

rmq_write_config() {
  mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/mnesia" "$LOG_DIR/rabbitmq"
  chmod 700 "$RMQ_DIR/home"
  local cookie=$RMQ_DIR/home/.erlang.cookie
  if [[ ! -s $cookie ]]; then
    local letters=ABCDEFGHIJKLMNOPQRSTUVWXYZ value='' i
    for ((i = 0; i < 32; i++)); do value+=${letters:RANDOM % 26:1}; done
    (umask 077 && printf '%s' "$value" >"$cookie")
    chmod 400 "$cookie"
  fi
  : >"$RMQ_DIR/rabbitmq-env.conf"
  echo '[rabbitmq_management].' >"$RMQ_DIR/enabled_plugins"
  cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# generated by scripts/services.sh on each 'up'
listeners.tcp.1 = 127.0.0.1:$RMQ_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RMQ_MGMT_PORT
loopback_users.guest = true
log.console = false
log.file.level = info
EOF
  # Quorum queues publish their message counts (what list_queues shows) once per tick: 1 s instead of 5 s.
  cat >"$RMQ_DIR/advanced.config" <<EOF
[{rabbit, [{quorum_tick_interval, 1000}]}].
EOF
}

RMQ_LAUNCHER_PID=''

rmq_launch() {
  require_free_port "$RMQ_PORT" "RabbitMQ AMQP" ENB_RABBITMQ_PORT
  require_free_port "$RMQ_MGMT_PORT" "RabbitMQ management" ENB_RABBITMQ_MANAGEMENT_PORT
  require_free_port "$RMQ_DIST_PORT" "RabbitMQ distribution" ENB_RABBITMQ_DIST_PORT
  rmq_write_config
  rm -f "$RMQ_PID_FILE"
  printf '\n=== %s starting rabbitmq-server\n' "$(date -Is)" >>"$RMQ_STDOUT_LOG"
  # Called directly: /usr/sbin/rabbitmq-server would switch to the rabbitmq user.
  (
    # shellcheck disable=SC1091
    . "$BIN_DIR/rabbitmq.env"
    cd "$RMQ_DIR"
    exec setsid nohup "$RABBITMQ_BIN/rabbitmq-server" >>"$RMQ_STDOUT_LOG" 2>&1 </dev/null 9>&-
  ) &
  RMQ_LAUNCHER_PID=$!
}

rmq_launcher_alive() { pid_alive "$RMQ_LAUNCHER_PID" || beam_alive "$(read_pid "$RMQ_PID_FILE")"; }
rmq_mgmt_code() { http_code "http://127.0.0.1:$RMQ_MGMT_PORT/api/overview" "$1"; }
# The management listener opens at the end of the boot; polling it is far cheaper than a CLI call (~1 s of CPU).
rmq_mgmt_answers() { [[ $(rmq_mgmt_code guest:guest) != 000 ]]; }
# Already running and configured: user enb can read the overview.
rmq_ready_for_enb() { [[ $(rmq_mgmt_code "enb:$PASSWORD") == 200 ]]; }

rmq_wait() {
  local rc=0 started=$SECONDS node_log=$LOG_DIR/rabbitmq/$RMQ_NODENAME.log
  wait_for "$TIMEOUT" rmq_mgmt_answers rmq_launcher_alive || rc=$?
  case $rc in
    1) fail_with_log rabbitmq "$RMQ_STDOUT_LOG" "the management port $RMQ_MGMT_PORT does not answer after $TIMEOUT s (node log: $node_log)" ;;
    2) fail_with_log rabbitmq "$RMQ_STDOUT_LOG" "the server exited during startup (node log: $node_log)" ;;
  esac
  local left=$((TIMEOUT - (SECONDS - started)))
  ((left > 5)) || left=5
  rmqctl await_startup --timeout "$left" >/dev/null 2>&1 ||
    fail_with_log rabbitmq "$RMQ_STDOUT_LOG" "'rabbitmqctl await_startup' failed (node log: $node_log)"
}

rmq_http_put() { # rmq_http_put PATH JSON: as guest (allowed from localhost on a fresh node)
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -u guest:guest -X PUT \
    -H 'content-type: application/json' -d "$2" "http://127.0.0.1:$RMQ_MGMT_PORT$1") || return 1
  [[ $code == 201 || $code == 204 ]]
}

# User enb (administrator: management API) with full permissions on vhost /.
rmq_configure() {
  rmq_ready_for_enb && return 0
  local user_json="{\"password\":\"$PASSWORD\",\"tags\":\"administrator\"}"
  local perm_json='{"configure":".*","write":".*","read":".*"}'
  if ! { command -v curl >/dev/null && rmq_http_put /api/users/enb "$user_json" &&
    rmq_http_put /api/permissions/%2F/enb "$perm_json"; }; then
    # Without guest or curl: the CLI (slower, about a second per call).
    if rmqctl list_users --silent 2>/dev/null | awk '{print $1}' | grep -qx enb; then
      rmqctl change_password enb "$PASSWORD" >/dev/null
    else
      rmqctl add_user enb "$PASSWORD" >/dev/null
    fi
    rmqctl set_user_tags enb administrator >/dev/null
    rmqctl set_permissions -p / enb '.*' '.*' '.*' >/dev/null
  fi
  wait_for 30 rmq_ready_for_enb ||
    fail_with_log rabbitmq "$LOG_DIR/rabbitmq/$RMQ_NODENAME.log" \
      "the management API on 127.0.0.1:$RMQ_MGMT_PORT does not answer /api/overview for user enb"
}

rmq_stop() {
  if ! rmq_running; then
    say "rabbitmq: already stopped"
    return 0
  fi
  local pid t
  t=$(now)
  pid=$(rmq_pid)
  if ! rmqctl stop >/dev/null 2>&1 && beam_alive "$pid"; then
    warn "rabbitmq: 'rabbitmqctl stop' failed; sending SIGTERM to pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
  fi
  # 'stop' returns once the node has stopped its applications; the VM may still be halting.
  local deadline=$((SECONDS + 30))
  while beam_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if beam_alive "$pid"; then
    warn "rabbitmq: pid $pid still alive 30 s after 'rabbitmqctl stop'; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RMQ_PID_FILE"
  say "rabbitmq: stopped in $(since "$t")"
}

rmq_kill9() {
  local pid
  pid=$(rmq_pid)
  beam_alive "$pid" || die "rabbitmq: no running node to kill (no live pid in $RMQ_PID_FILE)"
  kill -KILL "$pid"
  while pid_alive "$pid"; do sleep 0.1; done
  rm -f "$RMQ_PID_FILE"
  say "rabbitmq: killed -9 (pid $pid)"
}

# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL

pg_running() {
  [[ -f $PG_DATA/PG_VERSION && -x $PG_BIN/pg_ctl ]] || return 1
  as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

pg_pid() { read_pid "$PG_DATA/postmaster.pid"; }

# Before the first initdb: the server runs as postgres (when we are root), which must be able to reach its
# directory, and the socket path must fit a Unix socket (~107 bytes). Otherwise use a directory under /tmp.
pg_choose_dir() {
  [[ -f $PG_DATA/PG_VERSION || -s $PG_PATH_FILE ]] && return 0
  local reachable=1
  if is_root && ! runuser -u postgres -- test -x "$STATE_DIR"; then reachable=''; fi
  local sock=$PG_SOCKET_DIR/.s.PGSQL.$PG_PORT
  if [[ -z $reachable ]] || ((${#sock} > 100)); then
    PG_DIR=/tmp/enb-postgres-$(printf '%s' "$STATE_DIR" | cksum | cut -d' ' -f1)
    printf '%s\n' "$PG_DIR" >"$PG_PATH_FILE"
    set_pg_paths
    say "postgres: $STATE_DIR is not usable by the postgres user (not searchable, or too long a socket path); its data goes to $PG_DIR"
  fi
}

pg_init() {
  [[ -f $PG_DATA/PG_VERSION ]] && return 0
  local t
  t=$(now)
  mkdir -p "$PG_DATA" "$PG_SOCKET_DIR"
  if is_root; then
    chown -R postgres:postgres "$PG_DIR"
    runuser -u postgres -- test -x "$PG_DIR" || die "the postgres user cannot reach $PG_DIR"
  fi
  chmod 700 "$PG_DATA"
  touch "$PG_LOG"
  is_root && chown postgres:postgres "$PG_LOG"
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >>"$PG_LOG" 2>&1 ||
    fail_with_log postgres "$PG_LOG" "initdb failed"
  echo "include_if_exists = 'postgresql.enb.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
  say "postgres: initdb in $(since "$t")"
}

pg_write_config() {
  local sock=$PG_SOCKET_DIR/.s.PGSQL.$PG_PORT
  ((${#sock} <= 100)) || die "postgres: socket path $sock is too long for a Unix socket; use a shorter ENB_SERVICES_DIR"
  as_pg tee "$PG_DATA/postgresql.enb.conf" >/dev/null <<EOF
# generated by scripts/services.sh on each 'up'
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 200
EOF
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }

pg_start() {
  require_free_port "$PG_PORT" "PostgreSQL" ENB_POSTGRES_PORT
  pg_write_config
  as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "$TIMEOUT" >/dev/null 2>&1 9>&- ||
    fail_with_log postgres "$PG_LOG" "pg_ctl start failed"
  wait_for "$TIMEOUT" pg_ready || fail_with_log postgres "$PG_LOG" "pg_isready fails on 127.0.0.1:$PG_PORT"
}

# Role enb (password, CREATEDB for per-test databases, CREATEROLE for the restricted worker role of the security test, pg_signal_backend so tests can DROP DATABASE ... WITH (FORCE))
# and database enb owned by it.
pg_configure() {
  local psql=("$PG_BIN/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAtX)
  as_pg "${psql[@]}" -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'enb') THEN
        CREATE ROLE enb LOGIN CREATEDB CREATEROLE PASSWORD '$PASSWORD';
      ELSE
        ALTER ROLE enb LOGIN CREATEDB CREATEROLE PASSWORD '$PASSWORD';
      END IF;
      GRANT pg_signal_backend TO enb;
    END \$\$;" >/dev/null
  if [[ $(as_pg "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'enb'") != 1 ]]; then
    as_pg "${psql[@]}" -c "CREATE DATABASE enb OWNER enb" >/dev/null
  fi
}

pg_stop() {
  if ! pg_running; then
    say "postgres: already stopped"
    return 0
  fi
  local t
  t=$(now)
  as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t "$TIMEOUT" >/dev/null
  say "postgres: stopped in $(since "$t")"
}

pg_kill9() {
  local pid children
  pid=$(pg_pid)
  if ! pg_running || ! pid_alive "$pid"; then die "postgres: no running postmaster in $PG_DATA/postmaster.pid to kill"; fi
  children=$(ps -o pid= --ppid "$pid" | tr -s ' \n' ' ')
  # shellcheck disable=SC2086
  kill -KILL "$pid" $children 2>/dev/null || true
  local p
  for p in $pid $children; do while pid_alive "$p"; do sleep 0.1; done; done
  say "postgres: killed -9 (postmaster $pid${children:+, children $children})"
}

# ---------------------------------------------------------------------------------------------------------------
# Azurite (blob only)

az_pid() { read_pid "$AZ_PID_FILE"; }

az_running() {
  local pid
  pid=$(az_pid)
  pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$AZ_MAIN"
}

az_ready() { [[ $(http_code "http://127.0.0.1:$AZ_PORT/$AZURITE_ACCOUNT?comp=list") != 000 ]]; }

az_start() {
  require_free_port "$AZ_PORT" "Azurite blob" ENB_AZURITE_PORT
  mkdir -p "$AZ_DATA" "$LOG_DIR" "$RUN_DIR"
  printf '\n=== %s starting azurite\n' "$(date -Is)" >>"$AZ_LOG"
  setsid nohup node "$AZ_MAIN" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" --location "$AZ_DATA" \
    --silent --disableTelemetry --skipApiVersionCheck >>"$AZ_LOG" 2>&1 </dev/null 9>&- &
  echo $! >"$AZ_PID_FILE"
  local rc=0
  wait_for "$TIMEOUT" az_ready az_running || rc=$?
  case $rc in
    1) fail_with_log azurite "$AZ_LOG" "no HTTP answer on 127.0.0.1:$AZ_PORT after $TIMEOUT s" ;;
    2) fail_with_log azurite "$AZ_LOG" "the process exited during startup" ;;
  esac
}

az_stop() {
  if ! az_running; then
    rm -f "$AZ_PID_FILE"
    say "azurite: already stopped"
    return 0
  fi
  local pid t
  t=$(now)
  pid=$(az_pid)
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 15))
  while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$AZ_PID_FILE"
  say "azurite: stopped in $(since "$t")"
}

az_kill9() {
  local pid
  pid=$(az_pid)
  az_running || die "azurite: no running process in $AZ_PID_FILE to kill"
  kill -KILL "$pid"
  while pid_alive "$pid"; do sleep 0.1; done
  say "azurite: killed -9 (pid $pid)"
}

# ---------------------------------------------------------------------------------------------------------------
# commands

# Starts the requested services that are not running; RabbitMQ boots (3-7 s) while the others start.
start_services() {
  local t_all t_rmq='' t
  t_all=$(now)
  local s
  for s in "${SERVICES[@]}"; do require_installed "$s"; done
  mkdir -p "$STATE_DIR"
  save_config
  has_service postgres && pg_choose_dir
  write_helpers

  local rmq_was_running=''
  if has_service rabbitmq; then
    t_rmq=$(now)
    if rmq_running; then rmq_was_running=1; else rmq_launch; fi
  fi
  if has_service postgres; then
    t=$(now)
    if pg_running; then
      say "postgres: already running (port $PG_PORT, pid $(pg_pid))"
    else
      require_free_port "$PG_PORT" "PostgreSQL" ENB_POSTGRES_PORT
      pg_init
      pg_start
      say "postgres: started on 127.0.0.1:$PG_PORT (pid $(pg_pid)) in $(since "$t")"
    fi
    pg_configure
  fi
  if has_service azurite; then
    t=$(now)
    if az_running; then
      say "azurite: already running (port $AZ_PORT, pid $(az_pid))"
    else
      az_start
      say "azurite: started on 127.0.0.1:$AZ_PORT (pid $(az_pid)) in $(since "$t")"
    fi
  fi
  if has_service rabbitmq; then
    if [[ -z $rmq_was_running ]] || ! rmq_ready_for_enb; then
      rmq_wait
      rmq_configure
    fi
    if [[ -n $rmq_was_running ]]; then
      say "rabbitmq: already running (port $RMQ_PORT, pid $(rmq_pid))"
    else
      say "rabbitmq: started on 127.0.0.1:$RMQ_PORT, management $RMQ_MGMT_PORT (pid $(rmq_pid)) in $(since "$t_rmq")"
    fi
  fi
  say "up: ready in $(since "$t_all")"
}

stop_services() {
  [[ -d $STATE_DIR ]] || { say "nothing to stop ($STATE_DIR does not exist)"; return 0; }
  has_service azurite && az_stop
  has_service postgres && pg_stop
  if has_service rabbitmq; then
    rmq_stop
    # Stop the epmd that the node started, unless other nodes still use it.
    local names
    if command -v epmd >/dev/null && names=$(ERL_EPMD_PORT=$EPMD_PORT epmd -names 2>/dev/null); then
      grep -q '^name ' <<<"$names" || ERL_EPMD_PORT=$EPMD_PORT epmd -kill >/dev/null 2>&1 || true
    fi
  fi
}

cmd_up() { parse_services "$@"; start_services; }
cmd_down() { parse_services "$@"; stop_services; }

cmd_restart() {
  (($#)) || die "restart needs a service: rabbitmq, postgres or azurite"
  parse_services "$@"
  write_helpers
  local s
  for s in "${SERVICES[@]}"; do
    case $s in
      rabbitmq) rmq_stop ;;
      postgres) pg_stop ;;
      azurite) az_stop ;;
    esac
  done
  start_services
}

cmd_kill9() {
  (($#)) || die "kill9 needs a service: rabbitmq, postgres or azurite"
  parse_services "$@"
  write_helpers
  local s
  for s in "${SERVICES[@]}"; do
    case $s in
      rabbitmq) rmq_kill9 ;;
      postgres) pg_kill9 ;;
      azurite) az_kill9 ;;
    esac
  done
  start_services
}

cmd_status() {
  local all=0 pid
  if rmq_running; then
    pid=$(rmq_pid)
    printf '%-9s %-8s port=%-5s pid=%-8s management=%s dist=%s node=%s\n' rabbitmq running "$RMQ_PORT" "${pid:--}" \
      "$RMQ_MGMT_PORT" "$RMQ_DIST_PORT" "$RMQ_NODENAME"
  else
    printf '%-9s %-8s port=%-5s pid=%-8s\n' rabbitmq stopped "$RMQ_PORT" -
    all=3
  fi
  if pg_running; then
    printf '%-9s %-8s port=%-5s pid=%-8s\n' postgres running "$PG_PORT" "$(pg_pid)"
  else
    printf '%-9s %-8s port=%-5s pid=%-8s\n' postgres stopped "$PG_PORT" -
    all=3
  fi
  if az_running; then
    printf '%-9s %-8s port=%-5s pid=%-8s\n' azurite running "$AZ_PORT" "$(az_pid)"
  else
    printf '%-9s %-8s port=%-5s pid=%-8s\n' azurite stopped "$AZ_PORT" -
    all=3
  fi
  return "$all"
}

q() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # single-quote for the shell

cmd_env() {
  write_helpers
  local kv
  for kv in \
    "ENB_SERVICES_DIR=$STATE_DIR" \
    "ENB_SERVICES_SH=$SCRIPT_PATH" \
    "ConnectionStrings__Postgres=Host=127.0.0.1;Port=$PG_PORT;Database=enb;Username=enb;Password=$PASSWORD" \
    "ConnectionStrings__RabbitMq=amqp://enb:$PASSWORD@127.0.0.1:$RMQ_PORT/" \
    "ConnectionStrings__Blob=DefaultEndpointsProtocol=http;AccountName=$AZURITE_ACCOUNT;AccountKey=$AZURITE_KEY;BlobEndpoint=http://127.0.0.1:$AZ_PORT/$AZURITE_ACCOUNT;" \
    "ENB_RABBITMQ_MANAGEMENT_URL=http://enb:$PASSWORD@127.0.0.1:$RMQ_MGMT_PORT" \
    "ENB_RABBITMQCTL=$BIN_DIR/rabbitmqctl" \
    "ENB_RABBITMQ_NODENAME=$RMQ_NODENAME" \
    "ENB_PG_CTL=$BIN_DIR/pg_ctl" \
    "ENB_PSQL=$BIN_DIR/psql" \
    "ENB_RABBITMQ_PORT=$RMQ_PORT" \
    "ENB_RABBITMQ_MANAGEMENT_PORT=$RMQ_MGMT_PORT" \
    "ENB_RABBITMQ_DIST_PORT=$RMQ_DIST_PORT" \
    "ENB_POSTGRES_PORT=$PG_PORT" \
    "ENB_AZURITE_PORT=$AZ_PORT"; do
    printf 'export %s=%s\n' "${kv%%=*}" "$(q "${kv#*=}")"
  done
}

cmd_reset() {
  SERVICES=("${ALL_SERVICES[@]}")
  stop_services
  rm -rf "$RMQ_DIR" "$STATE_DIR/postgres" "$AZ_DATA" "$LOG_DIR" "$RUN_DIR" "$BIN_DIR" "$CONFIG_FILE" "$PG_PATH_FILE"
  [[ $PG_DIR == /tmp/enb-postgres-* ]] && rm -rf "$PG_DIR"
  say "reset: deleted the data, logs and settings in $STATE_DIR (kept the Azurite install)"
}

# One command at a time per state dir (tests may restart services while another shell runs 'up').
take_lock() {
  command -v flock >/dev/null || return 0
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/.lock"
  flock -w "$((TIMEOUT * 3))" 9 || die "another scripts/services.sh command holds $STATE_DIR/.lock"
}

main() {
  local cmd=${1:-help}
  (($#)) && shift
  case $cmd in
    help | -h | --help) usage; return 0 ;;
  esac
  load_config
  case $cmd in
    install | up | start | down | stop | restart | kill9 | reset) take_lock ;;
  esac
  case $cmd in
    install) cmd_install ;;
    up | start) cmd_up "$@" ;;
    down | stop) cmd_down "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    restart) cmd_restart "$@" ;;
    kill9) cmd_kill9 "$@" ;;
    reset) cmd_reset ;;
    *) usage >&2; die "unknown command '$cmd'" ;;
  esac
}

main "$@"
