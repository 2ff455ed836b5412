#!/usr/bin/env bash
# Proves the README's two commands on a "fresh machine" the way a newcomer meets them: a clean clone of this
# repository's HEAD in a temp folder, an empty HOME (no NuGet, npm or helm cache), the machine's environment without
# this project's settings (no ConnectionStrings__*, ENB_*, Section__Key), a new services folder and free ports, then
# the two commands exactly as the README's "Two commands" block writes them. Prints PASS/FAIL and the time of each command, and a table at
# the end. Nothing is prepared beforehand: whatever the commands need, they must install themselves.
#
# Usage: scripts/fresh-check.sh [--runs N] [--keep] [--port-base P]
#   --runs N       repeat the whole check N times in a row, each in a new temp folder (default 1)
#   --keep         keep the temp folders (clone, HOME, logs) instead of deleting them
#   --port-base P  first of the six ports the check's services use (default 36000; each must be free)
# Exit code: 0 when every command of every run passed, 1 otherwise.
# Needs: git, and what the README asks of a machine (the .NET 10 SDK); runs as root when services must be installed.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=1 KEEP='' PORT_BASE=36000
while (($#)); do
  case $1 in
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --port-base) PORT_BASE=${2:?--port-base needs a port}; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh-check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "fresh-check.sh: --runs must be a positive number" >&2; exit 2; }
command -v git >/dev/null || { echo "fresh-check.sh: git is needed (apt-get install -y git)" >&2; exit 2; }

# The README's two commands: the lines of the first ```bash block after "## Two commands", comments stripped.
readme_commands() {
  awk '/^## Two commands/ { section = 1; next }
       section && /^## / { exit }
       section && /^```bash/ { block = 1; next }
       block && /^```/ { exit }
       block { sub(/[[:space:]]+#.*$/, ""); if (length($0)) print }' "$1"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# One line of the check's final table per command.
RESULTS=()
failures=0

run_once() {
  local n=$1 tmp clone home log commit keep=$KEEP
  tmp=$(mktemp -d /tmp/enb-fresh-check.XXXXXX)
  clone=$tmp/repo home=$tmp/home
  mkdir -p "$home"
  git clone --quiet --no-hardlinks "$REPO" "$clone"
  commit=$(git -C "$clone" rev-parse --short HEAD)
  mapfile -t commands < <(readme_commands "$clone/README.md")
  if ((${#commands[@]} != 2)); then
    echo "fresh-check.sh: expected 2 commands in README.md's 'Two commands' block, found ${#commands[@]}" >&2
    exit 2
  fi

  local ports=() p
  for p in 0 1 2 3 4 5; do
    port_free $((PORT_BASE + p)) || { echo "fresh-check.sh: port $((PORT_BASE + p)) is in use; choose --port-base" >&2; exit 2; }
    ports+=($((PORT_BASE + p)))
  done

  # A newcomer's shell on this machine: the machine's own settings (TLS trust, proxies) stay; this session's project
  # settings (ConnectionStrings__*, ENB_*, any Section__Key), caches and HOME-based tool paths do not.
  local unset_args=() name
  while read -r name; do unset_args+=(-u "$name"); done < <(compgen -e | grep -E '^(ENB_|XDG_|NUGET_|npm_config_|NPM_CONFIG_|PYENV)|__' || true)
  local environment=(
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    "HOME=$home"
    "ENB_SERVICES_DIR=$tmp/services"
    "ENB_RABBITMQ_PORT=${ports[0]}" "ENB_RABBITMQ_MANAGEMENT_PORT=${ports[1]}" "ENB_RABBITMQ_DIST_PORT=${ports[2]}"
    "ENB_EPMD_PORT=${ports[3]}" "ENB_POSTGRES_PORT=${ports[4]}" "ENB_AZURITE_PORT=${ports[5]}"
  )

  echo "== run $n of $RUNS: clean clone of $commit in $clone, HOME=$home, services in $tmp/services (ports ${ports[*]})"
  local i command started rc seconds summary
  for i in 0 1; do
    command=${commands[$i]}
    log=$tmp/command-$((i + 1)).log
    echo "-- \$ $command   (log: $log)"
    started=$EPOCHREALTIME
    rc=0
    (cd "$clone" && env "${unset_args[@]}" "${environment[@]}" bash -c "$command" </dev/null >"$log" 2>&1) || rc=$?
    seconds=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
    # dotnet test's console logger closes each test project with "Total tests: N" and "Passed: N" / "Failed: N" lines.
    summary=$(awk '/^ *Total tests:/ { t += $3 } /^ *Passed:/ { p += $2 } /^ *Failed:/ { f += $2 }
                   END { if (t) printf "%d tests: %d passed, %d failed", t, p, f }' "$log")
    if ((rc == 0)); then
      echo "   PASS in ${seconds} s ${summary:+($summary)}"
      RESULTS+=("run $n  command $((i + 1))  PASS  ${seconds} s  $commit  $summary")
    else
      failures=$((failures + 1))
      echo "   FAIL (exit $rc) in ${seconds} s ${summary:+($summary)}; last lines of $log:"
      tail -n 30 "$log" | sed 's/^/     /'
      RESULTS+=("run $n  command $((i + 1))  FAIL  ${seconds} s  $commit  exit $rc $summary")
      keep=1
    fi
  done

  (cd "$clone" && env "${unset_args[@]}" "${environment[@]}" scripts/services.sh reset >/dev/null 2>&1) || true
  if [[ -z $keep ]]; then rm -rf "$tmp"; else echo "   kept $tmp"; fi
}

for ((run = 1; run <= RUNS; run++)); do run_once "$run"; done

echo "== fresh-check: $RUNS run(s) of the README's two commands"
printf '   %s\n' "${RESULTS[@]}"
((failures == 0)) && echo "== ALL PASSED" || echo "== $failures command(s) FAILED"
((failures == 0))
