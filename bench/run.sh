#!/usr/bin/env bash
# bench/run.sh [all|resolver-hit|resolver-miss|resolver-mem|auth|baseline]
#
# Side-by-side benchmark of tern-resolver and tern-auth against Unbound, PowerDNS Recursor,
# Knot Resolver, Knot DNS, NSD (and PowerDNS Authoritative), on loopback, with dnsperf.
# One command; every run is bounded in time; every process is started here, recorded in a PID
# file and stopped by that PID (never by name). See bench/README.md for the knobs and columns.
#
#   baseline       dnsperf against nullresp (../shared/lab/nullresp.c): the kernel + dnsperf limit
#   resolver-hit   10,000 cached, validated names of the lab's bench.test replayed with DO=1
#   resolver-miss  names that force a resolution (each asked once, fresh resolver per run)
#   resolver-mem   RSS growth per 100,000 cached wildcard names (Tern vs the peers)
#   auth           a signed (NSEC3) 100,000-record zone: hits, NXDOMAIN, referrals, DO=1
#   all            all of the above (default); also rewrites bench/RESULTS.md
#
# The lab hierarchy (../shared/lab/build-zones.sh, 20 presigned zones) is served by tern-auth,
# one process per zone on the lab's 127.53.x.y:53 addresses, from its own LAB_DIR
# (default /tmp/tern-bench-lab). If another lab's servers hold those addresses (e.g. Knot started
# by ../shared/lab/start-auth.sh for /tmp/dnslab), they are stopped through that lab's stop.sh
# (by recorded PID) and restarted with its start-auth.sh when this script ends.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
LAB_SCRIPTS=${BENCH_LAB_SRC:-$(cd "$REPO/../shared/lab" 2>/dev/null && pwd || echo "$REPO/../shared/lab")}
export LAB_DIR=${LAB_DIR:-/tmp/tern-bench-lab}
[ -f "$LAB_SCRIPTS/common.sh" ] || { echo "error: no lab scripts in $LAB_SCRIPTS (BENCH_LAB_SRC)" >&2; exit 1; }
# shellcheck source=/dev/null
. "$LAB_SCRIPTS/common.sh" # log, die, need, start_bg, stop_pidfile, pid_alive, descendants, dns_ready
NEEDED=(dnsperf dig gcc taskset ss curl awk knotd knotc nsd nsd-checkconf unbound pdns_recursor kresd
	dnssec-keygen dnssec-signzone dnssec-dsfromkey ldns-verify-zone dnssec-verify)
# On a fresh machine the peers and tools are not there yet: install them with the lab's
# install.sh (Debian packages; it keeps their services from starting), unless BENCH_INSTALL=0.
missing=0
for b in "${NEEDED[@]}"; do command -v "$b" >/dev/null 2>&1 || missing=1; done
if [ "$missing" = 1 ] && [ "${BENCH_INSTALL:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
	log "some tools are missing: installing them with $LAB_SCRIPTS/install.sh"
	bash "$LAB_SCRIPTS/install.sh" || die "$LAB_SCRIPTS/install.sh failed"
fi
need "${NEEDED[@]}"

what=${1:-all}
case $what in
all | resolver-hit | resolver-miss | resolver-mem | auth | baseline) ;;
*) die "usage: $0 [all|resolver-hit|resolver-miss|resolver-mem|auth|baseline]" ;;
esac
case $LAB_DIR in /tmp/dnslab | /tmp/dnslab/) die "LAB_DIR must not be /tmp/dnslab (the shared lab's); use your own" ;; esac

# --- knobs (environment; defaults) --------------------------------------------------------------
SECS=${BENCH_SECONDS:-10}           # throughput run length (dnsperf -l)
RUNS=${BENCH_RUNS:-3}               # rounds; medians over rounds
CLIENTS=${BENCH_CLIENTS:-4}         # dnsperf -c
THREADS=${BENCH_THREADS:-1}         # dnsperf -T
OUTST=${BENCH_OUTSTANDING:-100}     # dnsperf -q at full speed
LAT_QPS=${BENCH_LAT_QPS:-10000}     # fixed offered rate for latency (hit, auth, baseline)
LAT_SECS=${BENCH_LAT_SECONDS:-5}    # length of the fixed-rate run
HIT_NAMES=${BENCH_HIT_NAMES:-10000} # cached names (h0000.. of bench.test, at most 10,000)
MISS_SET=${BENCH_MISS_SET:-bench}   # bench | wild | nx (see README)
MISS_NAMES=${BENCH_MISS_NAMES:-10000}
MISS_OUTST=${BENCH_MISS_OUTSTANDING:-100} # outstanding resolutions in the max-rate miss run
MISS_QPS=${BENCH_MISS_QPS:-2000}    # fixed offered rate of the miss latency run
MISS_CAP=${BENCH_MISS_CAP:-30}      # cap (s) of each miss run
MEM_NAMES=${BENCH_MEM_NAMES:-100000}
MEM_CAP=${BENCH_MEM_CAP:-60}        # cap (s) of each memory warm-up
AUTH_RECORDS=${BENCH_AUTH_RECORDS:-100000}
AUTH_DELEG=${BENCH_AUTH_DELEGATIONS:-1000}
AUTH_MIX=${BENCH_AUTH_MIX:-80/10/10} # hit / NXDOMAIN / referral, percent
AUTH_QUERIES=${BENCH_AUTH_QUERIES:-100000}
TERN_AUTH_SIGN=${BENCH_TERN_AUTH_SIGN:-online} # online (tern-auth zone secure --nsec3) | presigned
RESOLVERS=${BENCH_RESOLVERS:-tern-resolver unbound pdns-recursor kresd}
AUTHS=${BENCH_AUTHS:-tern-auth knotd nsd pdns-auth}
WORKERS=${WORKERS:-1}
LAYOUT=${BENCH_LAYOUT:-shared}
BUILD=${BENCH_BUILD:-1}
RESTORE_LAB=${BENCH_RESTORE_LAB:-1}
OTHER_LABS=${BENCH_OTHER_LABS:-/tmp/dnslab}
PORT_BASE=${BENCH_PORT_BASE:-5480}
METRICS_BASE=${BENCH_METRICS_BASE:-19480}
export WORKERS

NCPU=$(nproc)
case $LAYOUT in
shared) SRV_CPU=${BENCH_SERVER_CPU:-0} CLI_CPU=${BENCH_CLIENT_CPU:-0} ;;
split) SRV_CPU=${BENCH_SERVER_CPU:-1} CLI_CPU=${BENCH_CLIENT_CPU:-0} ;;
*) die "BENCH_LAYOUT must be shared or split" ;;
esac
HIER_CPU=${BENCH_LAB_CPU:-$((NCPU - 1))} # the lab hierarchy's tern-auth processes
for v in SECS RUNS CLIENTS THREADS OUTST LAT_QPS LAT_SECS HIT_NAMES MISS_NAMES MISS_OUTST MISS_QPS MISS_CAP \
	MEM_NAMES MEM_CAP AUTH_RECORDS AUTH_DELEG AUTH_QUERIES WORKERS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number (got '${!v}')"
done
[ "$SECS" -ge 1 ] && [ "$SECS" -le 60 ] || die "BENCH_SECONDS must be 1..60"
[ "$LAT_SECS" -ge 1 ] && [ "$LAT_SECS" -le 60 ] || die "BENCH_LAT_SECONDS must be 1..60"
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 9 ] || die "BENCH_RUNS must be 1..9"
[ "$MISS_CAP" -le 120 ] && [ "$MEM_CAP" -le 300 ] || die "BENCH_MISS_CAP <= 120, BENCH_MEM_CAP <= 300"
[ "$HIT_NAMES" -ge 1 ] && [ "$HIT_NAMES" -le 10000 ] || die "BENCH_HIT_NAMES must be 1..10000"
[ "$WORKERS" -ge 1 ] || die "WORKERS must be >= 1"
case $MISS_SET in bench) [ "$MISS_NAMES" -le 10000 ] || die "BENCH_MISS_SET=bench has 10,000 names" ;; wild | nx) ;;
*) die "BENCH_MISS_SET must be bench, wild or nx" ;; esac
case $TERN_AUTH_SIGN in online | presigned) ;; *) die "BENCH_TERN_AUTH_SIGN must be online or presigned" ;; esac
IFS=/ read -r MIX_HIT MIX_NX MIX_REF <<<"$AUTH_MIX"
[ $((MIX_HIT + MIX_NX + MIX_REF)) -eq 100 ] 2>/dev/null || die "BENCH_AUTH_MIX must be hit/nx/referral percentages summing to 100"

if [ "$NCPU" -ge 2 ]; then
	SRV_PIN=(taskset -c "$SRV_CPU")
	CLI_PIN=(taskset -c "$CLI_CPU")
	HIER_PIN=(taskset -c "$HIER_CPU")
	export LAB_CPU=$SRV_CPU # start-resolver.sh pins the peers with it
else
	SRV_PIN=() CLI_PIN=() HIER_PIN=()
	SRV_CPU=- CLI_CPU=- HIER_CPU=- LAYOUT=unpinned
	unset LAB_CPU
fi

T_START=$(date +%s)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$BENCH_DIR/out/$STAMP
mkdir -p "$OUT" "$LAB_DIR/bin"
RES=$OUT/results.tsv # scenario round target kind qps cpu avgfull latavg p50 p99 lost_t lost_l done rcodes rss extra
MEM=$OUT/mem.tsv     # target rss0 rss1 answered per100k rrsets secs rcodes
NOTES=$OUT/notes.md
: >"$RES"
: >"$MEM"
: >"$NOTES"
note() {
	printf -- '- %s\n' "$*" >>"$NOTES"
	log "NOTE: $*"
}
exec > >(tee -a "$OUT/run.log") 2>&1

TERN_RES=$REPO/target/release/tern-resolver
TERN_AUTH=$REPO/target/release/tern-auth

# --- cleanup: stop everything this script started, by recorded PID ------------------------------
STOPPED_OTHER=() # other labs whose auth servers we stopped (restarted at exit)
cleanup() {
	local f rc=$?
	trap - EXIT INT TERM
	for f in "$PID_DIR"/bench-*.pid "$PID_DIR"/resolver-*.pid "$PID_DIR"/auth-*.pid; do
		[ -e "$f" ] && stop_pidfile "$f"
	done
	if [ "$RESTORE_LAB" = 1 ]; then
		for d in "${STOPPED_OTHER[@]}"; do
			log "restarting the authoritative servers of $d (stopped at the start of this run)"
			if LAB_DIR=$d "$LAB_SCRIPTS/start-auth.sh" >"$OUT/restore-$(basename "$d").log" 2>&1; then
				log "  $d: $(tail -1 "$OUT/restore-$(basename "$d").log")"
			else
				log "  $d: start-auth.sh failed, see $OUT/restore-$(basename "$d").log"
			fi
		done
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers ------------------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
# cpu_ticks PIDFILE -> utime+stime (ticks) of the process tree; /proc/PID/stat of a process
# counts all its threads, including threads that have exited.
cpu_ticks() {
	local total=0 p t
	for p in $(descendants "$(sed -n 1p "$1")"); do
		t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')
		total=$((total + ${t:-0}))
	done
	echo "$total"
}
rss_kib() { # VmRSS of the recorded PID and its descendants, KiB
	local total=0 p kb
	for p in $(descendants "$(sed -n 1p "$1")"); do
		kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
		total=$((total + ${kb:-0}))
	done
	echo "$total"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
pin_tree() { # re-apply a CPU list to every thread of a process tree (knotd pins its workers itself)
	local f=$1 cpus=$2 p
	[ "$cpus" = - ] && return 0
	for p in $(descendants "$(sed -n 1p "$f")"); do
		taskset -a -p -c "$cpus" "$p" >/dev/null 2>&1 || true
	done
}
nthreads() { # threads of a process tree
	local n=0 p
	for p in $(descendants "$(sed -n 1p "$1")"); do n=$((n + $(ls "/proc/$p/task" 2>/dev/null | wc -l))); done
	echo "$n"
}
# dnsperf_stats FILE -> "qps avg_ms lost completed rcodes"
dnsperf_stats() {
	awk '
		/Queries per second:/ { qps = $4 }
		/Average Latency \(s\):/ { lat = $4 * 1000 }
		/Queries lost:/ { lost = $3 }
		/Queries completed:/ { done = $3 }
		/Response codes:/ { sub(/^.*Response codes: */, ""); gsub(/ [0-9]+ \(/, ":"); gsub(/\)/, ""); gsub(/, /, ","); rc = $0 }
		END { if (rc == "") rc = "-"; printf "%.0f %.3f %d %d %s\n", qps, lat, lost, done, rc }' "$1"
}
# latency_stats FILE TIMEOUT_S -> "p50_ms p99_ms": percentiles over every query sent, a lost
# query counting as the timeout (so a p99 with >1% loss shows the timeout, not a flattering value)
latency_stats() {
	local lost
	lost=$(awk '/Queries lost:/ { print $3 }' "$1")
	awk '/^> / { print $NF * 1000 }' "$1" | sort -g | awk -v lost="${lost:-0}" -v to="$2" '
		{ v[NR] = $1 }
		END {
			n = NR + lost
			if (n == 0) { print "- -"; exit }
			split("0.50 0.99", ps, " ")
			for (k = 1; k <= 2; k++) {
				i = int(n * ps[k] + 0.999999); if (i < 1) i = 1
				out = (i <= NR) ? sprintf("%.3f", v[i]) : sprintf("%.3f", to * 1000)
				printf "%s%s", out, (k == 1 ? " " : "\n")
			}
		}'
}
record() { # scenario round target kind qps cpu avgfull latavg p50 p99 lost_t lost_l done rcodes rss extra
	local IFS=$'\t'
	printf '%s\n' "$*" >>"$RES"
}
rotate() { # rotate ROUND WORDS... -> the words rotated left by ROUND-1 (alternates the order)
	local r=$1
	shift
	local a=("$@") n=$# i
	for ((i = 0; i < n; i++)); do printf '%s ' "${a[$(((i + r - 1) % n))]}"; done
}
have_target() { # a peer whose binary is missing is skipped (noted)
	case $1 in
	tern-resolver) [ -x "$TERN_RES" ] ;;
	tern-auth) [ -x "$TERN_AUTH" ] ;;
	unbound) command -v unbound >/dev/null ;;
	pdns-recursor) command -v pdns_recursor >/dev/null ;;
	kresd) command -v kresd >/dev/null ;;
	knotd) command -v knotd >/dev/null ;;
	nsd) command -v nsd >/dev/null ;;
	pdns-auth) command -v pdns_server >/dev/null && command -v pdnsutil >/dev/null ;;
	*) return 1 ;;
	esac
}
bg_load() { # percent of all CPUs busy over 3 s (before this run starts anything: the neighbours)
	local a b
	a=$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat)
	sleep 3
	b=$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
		if (y[2] > x[2]) printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]); else print 0 }'
}

# --- 0. machine state, build ------------------------------------------------------------------
BG0=$(bg_load)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
log "bench: '$what', output $OUT; background CPU load before start: ${BG0}% of $NCPU CPUs (loadavg $LOAD0)"

B0=$(date +%s)
if [ "$BUILD" = 1 ]; then
	log "building release binaries (cargo build --release --bins; bounded 20 min)"
	if ! (cd "$REPO" && timeout 1200 cargo build --release --bins) >"$OUT/build.log" 2>&1; then
		if [ -x "$TERN_RES" ] && [ -x "$TERN_AUTH" ]; then
			note "cargo build --release --bins failed (see out/$STAMP/build.log: $(grep -m1 -E '^error' "$OUT/build.log" || tail -1 "$OUT/build.log")); measured the binaries already in target/release"
		else
			tail -20 "$OUT/build.log" >&2
			die "cargo build failed and there are no release binaries"
		fi
	fi
fi
BUILD_SECS=$(($(date +%s) - B0))
[ -x "$TERN_RES" ] && [ -x "$TERN_AUTH" ] || die "no $TERN_RES / $TERN_AUTH (BENCH_BUILD=1 builds them)"
GIT_REV=$(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
GIT_DIRTY=$(cd "$REPO" && git status --porcelain --untracked-files=no -- authoritative resolver shared trust-anchors Cargo.toml Cargo.lock 2>/dev/null | wc -l)

# --- 1. the lab hierarchy, served by tern-auth ---------------------------------------------------
zones_fresh() { # reuse the built zones while their signatures have > 30 days left
	[ -s "$LAB_DIR/servers.tsv" ] && [ -s "$LAB_DIR/anchors/root.ds" ] && [ -s "$LAB_DIR/zones/bench.test.signed" ] || return 1
	local built
	built=$(stat -c %Y "$LAB_DIR/servers.tsv")
	[ $(($(date +%s) - built)) -lt $((330 * 86400)) ]
}
HIER_UP=0
start_hierarchy() {
	[ "$HIER_UP" = 1 ] && return 0
	local f
	for f in "$PID_DIR"/auth-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
	if [ "${BENCH_REBUILD_ZONES:-0}" = 1 ] || ! zones_fresh; then
		log "building the lab zones into $LAB_DIR (../shared/lab/build-zones.sh)"
		"$LAB_SCRIPTS/build-zones.sh" >"$OUT/build-zones.log" 2>&1 || { tail -20 "$OUT/build-zones.log" >&2; die "build-zones.sh failed"; }
	fi
	# Are the lab addresses free? Another lab's servers (started by start-auth.sh) are stopped by
	# its stop.sh (recorded PIDs only) and restarted when this script ends (BENCH_RESTORE_LAB=1).
	local want busy d
	want=$(awk -F'\t' '{ print $3 ":53" }' "$LAB_DIR/servers.tsv")
	busy=$(ss -Hlun | awk '{ print $4 }' | grep -Fx -f <(echo "$want") || true)
	if [ -n "$busy" ]; then
		for d in $OTHER_LABS; do
			[ "$d" = "$LAB_DIR" ] && continue
			local alive=0
			for f in "$d"/pids/auth-*.pid; do pid_alive "$f" && alive=1 && break; done
			[ $alive = 1 ] || continue
			local who
			who=$(ss -Hlunp | grep -F -f <(echo "$want") | grep -o 'users:(("[^"]*"' | sed 's/users:(("//; s/"//' | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
			note "the lab addresses 127.53.x.y:53 were held by the servers of $d ($who); stopped them with \`LAB_DIR=$d ../shared/lab/stop.sh auth\` (by recorded PID)$([ "$RESTORE_LAB" = 1 ] && echo ", restarted with its start-auth.sh at the end of the run")"
			LAB_DIR=$d "$LAB_SCRIPTS/stop.sh" auth >"$OUT/stop-$(basename "$d").log" 2>&1 || true
			STOPPED_OTHER+=("$d")
		done
		sleep 0.5
		busy=$(ss -Hlun | awk '{ print $4 }' | grep -Fx -f <(echo "$want") || true)
		[ -z "$busy" ] || { ss -Hlunp | grep -F -f <(echo "$want") >&2; die "lab addresses still in use (above); stop those servers first"; }
	fi
	log "starting the lab hierarchy: one tern-auth per zone (20), pinned to CPU $HIER_CPU"
	local i=0 label zone addr file
	while IFS=$'\t' read -r label zone addr file; do
		d=$LAB_DIR/tern-auth/$label
		rm -rf "$d"
		mkdir -p "$d"
		start_bg "$PID_DIR/auth-$label.pid" tern-auth "$d/tern-auth.log" "${HIER_PIN[@]}" \
			"$TERN_AUTH" --listen "$addr:53" --zone "$zone=$file" --threads 1 --data-dir "$d/data" \
			--metrics "127.0.0.1:$((METRICS_BASE + i))"
		echo "$((METRICS_BASE + i))" >"$d/metrics.port"
		i=$((i + 1))
	done <"$LAB_DIR/servers.tsv"
	local ok fail=0
	while IFS=$'\t' read -r label zone addr file; do
		ok=0
		for i in $(seq 1 50); do
			if dig @"$addr" "$zone" SOA +norec +time=1 +tries=1 2>/dev/null | grep -q 'flags: qr aa'; then ok=1 && break; fi
			pid_alive "$PID_DIR/auth-$label.pid" || break
			sleep 0.2
		done
		if [ $ok = 0 ]; then
			log "  tern-auth for $zone on $addr does not answer; log tail:"
			tail -5 "$LAB_DIR/tern-auth/$label/tern-auth.log" >&2 || true
			fail=1
		fi
	done <"$LAB_DIR/servers.tsv"
	[ $fail = 0 ] || die "the tern-auth lab hierarchy did not come up"
	for f in "$PID_DIR"/auth-*.pid; do pin_tree "$f" "$HIER_CPU"; done
	HIER_UP=1
	log "  20 tern-auth up; root 127.53.0.1, trust anchor $LAB_DIR/anchors/root.ds"
}
hier_queries() { # queries answered by the whole hierarchy so far (sum of tern_auth_queries_total)
	local f sum=0 v
	for f in "$LAB_DIR"/tern-auth/*/metrics.port; do
		v=$(curl -s --max-time 2 "http://127.0.0.1:$(cat "$f")/metrics" 2>/dev/null |
			awk '/^tern_auth_queries_total/ { s += $NF } END { printf "%.0f", s }')
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# --- resolvers: start / stop ------------------------------------------------------------------
res_pidfile() { case $1 in tern-resolver) echo "$PID_DIR/resolver-tern-$2.pid" ;; *) echo "$PID_DIR/resolver-$1-$2.pid" ;; esac; }
start_resolver() { # NAME PORT [METRICS_PORT]
	local name=$1 port=$2 mport=${3:-} pidf d i out extra=()
	pidf=$(res_pidfile "$name" "$port")
	case $name in
	tern-resolver)
		d=$LAB_DIR/resolvers/tern-$port
		rm -rf "$d"
		mkdir -p "$d"
		[ -n "$mport" ] && extra=(--metrics "127.0.0.1:$mport")
		start_bg "$pidf" tern-resolver "$d/tern-resolver.log" "${SRV_PIN[@]}" "$TERN_RES" \
			--listen "127.0.0.1:$port" --root-hints "$LAB_DIR/root.hints" \
			--trust-anchor "$LAB_DIR/anchors/root.ds" --threads "$WORKERS" --data-dir "$d/data" "${extra[@]}" "${TERN_RES_ARGS[@]}"
		for i in $(seq 1 40); do
			pid_alive "$pidf" || { tail -20 "$d/tern-resolver.log" >&2; return 1; }
			out=$(dig @127.0.0.1 -p "$port" . SOA +time=1 +tries=1 2>/dev/null) || true
			printf '%s' "$out" | grep -q 'status: NOERROR' && break
			sleep 0.5
		done
		printf '%s' "$out" | grep -q 'status: NOERROR' || { tail -20 "$d/tern-resolver.log" >&2; return 1; }
		;;
	unbound | pdns-recursor | kresd)
		"$LAB_SCRIPTS/start-resolver.sh" "$name" "$port" >>"$OUT/start-$name.log" 2>&1 || { tail -20 "$OUT/start-$name.log" >&2; return 1; }
		;;
	*) return 1 ;;
	esac
	pin_tree "$pidf" "$SRV_CPU"
}
stop_resolver() { stop_pidfile "$(res_pidfile "$1" "$2")" 2>/dev/null; }
res_log() { case $1 in tern-resolver) echo "$LAB_DIR/resolvers/tern-$2/tern-resolver.log" ;; *) ls "$LAB_DIR/resolvers/$1-$2/"*.log 2>/dev/null | head -1 ;; esac; }
check_ad() { # PORT QNAME QTYPE -> 0 if the answer is NOERROR with AD
	dig @127.0.0.1 -p "$1" "$2" "$3" +dnssec +time=3 +tries=1 2>/dev/null | grep -q 'flags:.* ad[ ;]'
}

# --- one measurement: throughput at full speed, then latency at a fixed rate --------------------
# measure SCEN ROUND TARGET KIND ADDR PORT QFILE PIDFILE
measure() {
	local scen=$1 round=$2 name=$3 kind=$4 addr=$5 port=$6 qf=$7 pidf=$8
	local f=$OUT/$scen/$name-r$round c0 c1 qps avg lost done rc cpu lqps lavg llost ldone lrc p50 p99 rss
	mkdir -p "$OUT/$scen"
	pid_alive "$pidf" || { note "$scen: $name (PID file $pidf) was not running at round $round"; return 1; }
	c0=$(cpu_ticks "$pidf")
	timeout $((SECS + 20)) "${CLI_PIN[@]}" dnsperf -s "$addr" -p "$port" -d "$qf" -l "$SECS" \
		-c "$CLIENTS" -T "$THREADS" -q "$OUTST" -t 2 -D >"$f-tput.txt" 2>&1 || true
	c1=$(cpu_ticks "$pidf")
	read -r qps avg lost done rc < <(dnsperf_stats "$f-tput.txt")
	cpu=$(awk -v d=$((c1 - c0)) -v n="$done" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.2f", d / hz * 1e6 / n; else print "-" }')
	timeout $((LAT_SECS + 20)) "${CLI_PIN[@]}" dnsperf -s "$addr" -p "$port" -d "$qf" -l "$LAT_SECS" \
		-c "$CLIENTS" -T 1 -Q "$LAT_QPS" -t 2 -D -v >"$f-lat.txt" 2>&1 || true
	read -r lqps lavg llost ldone lrc < <(dnsperf_stats "$f-lat.txt")
	read -r p50 p99 < <(latency_stats "$f-lat.txt" 2)
	gzip -f "$f-lat.txt"
	rss=$(mib "$(rss_kib "$pidf")")
	pid_alive "$pidf" || note "$scen: $name died during round $round (see its log)"
	record "$scen" "$round" "$name" "$kind" "$qps" "$cpu" "$avg" "$lavg" "$p50" "$p99" "$lost" "$llost" "$done" "$rc" "$rss" "-"
	log "$(printf '%-13s r%d %-14s %8s qps  cpu %6s us/q  avg %6s ms | at %s qps: avg %6s p50 %6s p99 %6s ms  lost %s/%s  rss %s MiB  %s' \
		"$scen" "$round" "$name" "$qps" "$cpu" "$avg" "$LAT_QPS" "$lavg" "$p50" "$p99" "$lost" "$llost" "$rss" "$rc")"
}

# --- scenario: baseline -------------------------------------------------------------------------
QRES=$OUT/queries-hit.txt
for ((i = 0; i < HIT_NAMES; i++)); do printf 'h%04d.bench.test A\n' "$i"; done >"$QRES"

scenario_baseline() {
	log "== baseline: nullresp (echo as REFUSED, recvmmsg/sendmmsg) on 127.54.9.9:53"
	gcc -O2 -Wall -o "$LAB_DIR/bin/nullresp" "$LAB_SCRIPTS/nullresp.c"
	local budget=$(((SECS + LAT_SECS + 60) * RUNS + 60)) r
	start_bg "$PID_DIR/bench-nullresp.pid" nullresp "$OUT/nullresp.log" "${SRV_PIN[@]}" \
		"$LAB_DIR/bin/nullresp" 127.54.9.9 53 "$budget"
	dns_ready 127.54.9.9 53 . SOA 20 || die "nullresp did not answer"
	for ((r = 1; r <= RUNS; r++)); do
		measure baseline "$r" nullresp baseline 127.54.9.9 53 "$QRES" "$PID_DIR/bench-nullresp.pid"
	done
	stop_pidfile "$PID_DIR/bench-nullresp.pid"
}

# --- scenario: resolver cache hits --------------------------------------------------------------
scenario_hit() {
	start_hierarchy
	log "== resolver-hit: $HIT_NAMES cached names of bench.test (signed, validated), DO=1"
	local port=$PORT_BASE t list=() r warmed
	declare -gA HIT_PORT=()
	for t in $RESOLVERS; do
		have_target "$t" || { note "resolver-hit: $t is not installed, skipped"; continue; }
		if ! start_resolver "$t" "$port"; then note "resolver-hit: $t did not start (see $OUT/start-$t.log), skipped"; port=$((port + 1)); continue; fi
		# warm: every name once at a gentle rate, then a second pass must be all NOERROR
		"${CLI_PIN[@]}" dnsperf -s 127.0.0.1 -p "$port" -d "$QRES" -n 1 -Q 2000 -t 5 -D >"$OUT/warm1-$t.txt" 2>&1 || true
		"${CLI_PIN[@]}" dnsperf -s 127.0.0.1 -p "$port" -d "$QRES" -n 1 -Q 5000 -t 5 -D >"$OUT/warm2-$t.txt" 2>&1 || true
		warmed=1
		if ! grep -q "Response codes: *NOERROR $HIT_NAMES (100.00%)" "$OUT/warm2-$t.txt"; then
			note "resolver-hit: $t: second warm-up pass was not $HIT_NAMES NOERROR: $(grep -E 'Queries lost|Response codes' "$OUT/warm2-$t.txt" | tr -s ' ' | tr '\n' ' ')"
			warmed=0
		fi
		if ! check_ad "$port" h0000.bench.test A; then
			note "resolver-hit: $t: h0000.bench.test A has no AD bit after warm-up"
			warmed=0
		fi
		if [ $warmed = 0 ] && [ "$t" != tern-resolver ]; then
			note "resolver-hit: $t skipped (warm-up failed)"
			stop_resolver "$t" "$port"
			port=$((port + 1))
			continue
		fi
		HIT_PORT[$t]=$port
		list+=("$t")
		port=$((port + 1))
	done
	[ ${#list[@]} -gt 0 ] || { note "resolver-hit: no resolver started"; return 0; }
	for ((r = 1; r <= RUNS; r++)); do
		for t in $(rotate "$r" "${list[@]}"); do
			measure resolver-hit "$r" "$t" "$([ "$t" = tern-resolver ] && echo tern || echo peer)" \
				127.0.0.1 "${HIT_PORT[$t]}" "$QRES" "$(res_pidfile "$t" "${HIT_PORT[$t]}")" || true
		done
	done
	for t in "${list[@]}"; do
		echo "$t threads: $(nthreads "$(res_pidfile "$t" "${HIT_PORT[$t]}")")" >>"$OUT/threads.txt"
		[ "$t" = tern-resolver ] && cp "$(res_log "$t" "${HIT_PORT[$t]}")" "$OUT/resolver-hit/tern-resolver.log" 2>/dev/null
		stop_resolver "$t" "${HIT_PORT[$t]}"
	done
}

# --- scenario: resolver cache misses ------------------------------------------------------------
miss_names() { # ROUND -> query file of MISS_NAMES names that force a resolution
	local r=$1 f=$OUT/queries-miss-r$1.txt
	case $MISS_SET in
	bench) for ((i = 0; i < MISS_NAMES; i++)); do printf 'h%04d.bench.test A\n' "$i"; done ;;
	wild) awk -v n="$MISS_NAMES" -v r="$r" -v s="$RANDOM" 'BEGIN { for (i = 0; i < n; i++) printf "w%d-%d-%07d.wild.sec.test A\n", s, r, i }' ;;
	nx) awk -v n="$MISS_NAMES" -v r="$r" -v s="$RANDOM" 'BEGIN { srand(s + r); for (i = 0; i < n; i++) printf "x%08x%06d.n3.example A\n", int(rand() * 4294967295), i }' ;;
	esac >"$f"
	echo "$f"
}
miss_prime() { # PORT: fill the infrastructure cache (root, TLD, zone keys), check validation
	case $MISS_SET in
	bench) check_ad "$1" bench.test. SOA ;;
	wild) check_ad "$1" sec.test. SOA ;;
	nx) check_ad "$1" n3.example. SOA ;;
	esac
}
scenario_miss() {
	start_hierarchy
	log "== resolver-miss: $MISS_NAMES names ($MISS_SET), each asked once of a fresh resolver; max rate (-q $MISS_OUTST), then $MISS_QPS qps"
	local port=$((PORT_BASE + 10)) t r qf pidf list=() f c0 c1 a0 a1 qps avg lost done rc cpu lqps lavg llost ldone lrc p50 p99 rss up
	for t in $RESOLVERS; do
		have_target "$t" && list+=("$t") || note "resolver-miss: $t is not installed, skipped"
	done
	mkdir -p "$OUT/resolver-miss"
	for ((r = 1; r <= RUNS; r++)); do
		qf=$(miss_names "$r")
		for t in $(rotate "$r" "${list[@]}"); do
			f=$OUT/resolver-miss/$t-r$r
			pidf=$(res_pidfile "$t" "$port")
			# (a) max rate: every name once, MISS_OUTST outstanding
			if ! start_resolver "$t" "$port" || ! miss_prime "$port"; then
				note "resolver-miss: $t did not start or prime (round $r)"
				stop_resolver "$t" "$port"
				continue
			fi
			sleep 0.3
			a0=$(hier_queries)
			c0=$(cpu_ticks "$pidf")
			timeout $((MISS_CAP + 15)) "${CLI_PIN[@]}" dnsperf -s 127.0.0.1 -p "$port" -d "$qf" -n 1 -l "$MISS_CAP" \
				-c "$CLIENTS" -q "$MISS_OUTST" -t 3 -D >"$f-tput.txt" 2>&1 || true
			c1=$(cpu_ticks "$pidf")
			a1=$(hier_queries)
			read -r qps avg lost done rc < <(dnsperf_stats "$f-tput.txt")
			cpu=$(awk -v d=$((c1 - c0)) -v n="$done" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.1f", d / hz * 1e6 / n; else print "-" }')
			up=$(awk -v a=$((a1 - a0)) -v n="$done" 'BEGIN { if (n > 0) printf "%.2f", a / n; else print "-" }')
			pid_alive "$pidf" || note "resolver-miss: $t died during the max-rate run of round $r"
			[ "$t" = tern-resolver ] && cp "$(res_log "$t" "$port")" "$f-tput.log" 2>/dev/null
			stop_resolver "$t" "$port"
			# (b) latency: a fresh resolver, the same names at a fixed rate
			if ! start_resolver "$t" "$port" || ! miss_prime "$port"; then
				note "resolver-miss: $t did not start or prime (round $r, latency run)"
				stop_resolver "$t" "$port"
				continue
			fi
			sleep 0.3
			timeout $((MISS_CAP + 15)) "${CLI_PIN[@]}" dnsperf -s 127.0.0.1 -p "$port" -d "$qf" -n 1 -l "$MISS_CAP" \
				-c "$CLIENTS" -q 2000 -Q "$MISS_QPS" -t 3 -D -v >"$f-lat.txt" 2>&1 || true
			read -r lqps lavg llost ldone lrc < <(dnsperf_stats "$f-lat.txt")
			read -r p50 p99 < <(latency_stats "$f-lat.txt" 3)
			gzip -f "$f-lat.txt"
			rss=$(mib "$(rss_kib "$pidf")")
			pid_alive "$pidf" || note "resolver-miss: $t died during the latency run of round $r"
			[ "$t" = tern-resolver ] && cp "$(res_log "$t" "$port")" "$f-lat.log" 2>/dev/null
			stop_resolver "$t" "$port"
			record resolver-miss "$r" "$t" "$([ "$t" = tern-resolver ] && echo tern || echo peer)" \
				"$qps" "$cpu" "$avg" "$lavg" "$p50" "$p99" "$lost" "$llost" "$done" "$rc" "$rss" "$up"
			log "$(printf 'resolver-miss r%d %-14s %7s res/s  cpu %7s us/res  upstream %s q/res  avg %6s ms | at %s qps: avg %6s p50 %6s p99 %6s ms  lost %s/%s  rss %s MiB  %s' \
				"$r" "$t" "$qps" "$cpu" "$up" "$avg" "$MISS_QPS" "$lavg" "$p50" "$p99" "$lost" "$llost" "$rss" "$rc")"
		done
	done
}

# --- scenario: memory per 100,000 cached names ----------------------------------------------------
# Distinct names under the wildcard *.wild.sec.test: with aggressive use of the cached NSEC
# (RFC 8198) a resolver may synthesise them instead of caching a resolved RRset per name, so for
# this scenario Unbound runs with aggressive-nsec: no and PowerDNS Recursor with
# aggressive-nsec-cache-size=0 (BENCH_MEM_AGGRESSIVE=1 keeps the lab settings). Knot Resolver has
# no such switch; its cache is an LMDB file mapping, reported as the file's growth.
MEM_AGGR=${BENCH_MEM_AGGRESSIVE:-0}
TERN_RES_ARGS=() # extra tern-resolver arguments (the memory scenario's config)
wait_answers() { # PORT PIDFILE -> 0 once the resolver answers . SOA (bounded 20 s)
	local i
	for i in $(seq 1 40); do
		pid_alive "$2" || return 1
		dig @127.0.0.1 -p "$1" . SOA +time=1 +tries=1 2>/dev/null | grep -q 'status: NOERROR' && return 0
		sleep 0.5
	done
	return 1
}
mem_no_aggressive() { # NAME PORT: restart a peer started by start-resolver.sh without RFC 8198 synthesis
	local name=$1 port=$2 d=$LAB_DIR/resolvers/$1-$2 pidf
	pidf=$(res_pidfile "$name" "$port")
	case $name in
	unbound)
		stop_pidfile "$pidf"
		sed -i 's/^\( *aggressive-nsec:\).*/\1 no/' "$d/unbound.conf"
		start_bg "$pidf" unbound "$d/stdout.log" "${SRV_PIN[@]}" unbound -d -c "$d/unbound.conf"
		;;
	pdns-recursor)
		stop_pidfile "$pidf"
		echo "aggressive-nsec-cache-size=0" >>"$d/recursor.conf"
		start_bg "$pidf" pdns_recursor "$d/recursor.log" "${SRV_PIN[@]}" pdns_recursor --config-dir="$d"
		;;
	*) return 0 ;;
	esac
	wait_answers "$port" "$pidf" && pin_tree "$pidf" "$SRV_CPU"
}
kresd_cache_kib() { du -k "$LAB_DIR/resolvers/kresd-$1/cache/data.mdb" 2>/dev/null | awk '{ print $1 }'; }
scenario_mem() {
	start_hierarchy
	log "== resolver-mem: RSS growth while caching $MEM_NAMES distinct wildcard names (*.wild.sec.test)"
	local port=$((PORT_BASE + 20)) mport=$((METRICS_BASE + 40)) t pidf qf=$OUT/queries-mem.txt s0 s1 k0 k1 c0 c1 a0 a1
	local qps avg lost done rc rrsets per cpu up extra
	awk -v n="$MEM_NAMES" 'BEGIN { for (i = 0; i < n; i++) printf "m%06d.wild.sec.test A\n", i }' >"$qf"
	mkdir -p "$OUT/resolver-mem"
	local tern_cfg=$OUT/resolver-mem/tern-no-aggressive.toml
	printf '[dnssec]\naggressive_nsec = false\n' >"$tern_cfg"
	for t in $RESOLVERS; do
		have_target "$t" || continue
		pidf=$(res_pidfile "$t" "$port")
		# Tern, like the peers, without RFC 8198 synthesis here (it would answer the wildcard
		# names from the cached wildcard and its NSEC proof).
		TERN_RES_ARGS=()
		[ "$MEM_AGGR" = 0 ] && TERN_RES_ARGS=(--config "$tern_cfg")
		if ! start_resolver "$t" "$port" "$mport" || { [ "$MEM_AGGR" = 0 ] && ! mem_no_aggressive "$t" "$port"; } ||
			! check_ad "$port" sec.test. SOA || ! check_ad "$port" prime.wild.sec.test. A; then
			note "resolver-mem: $t did not start or prime"
			stop_resolver "$t" "$port"
			continue
		fi
		sleep 1
		k0=$(rss_kib "$pidf")
		extra=-
		[ "$t" = kresd ] && extra=$(kresd_cache_kib "$port")
		a0=$(hier_queries)
		c0=$(cpu_ticks "$pidf")
		s0=$(date +%s.%N)
		timeout $((MEM_CAP + 15)) "${CLI_PIN[@]}" dnsperf -s 127.0.0.1 -p "$port" -d "$qf" -n 1 -l "$MEM_CAP" \
			-c "$CLIENTS" -q 200 -t 3 -D >"$OUT/resolver-mem/$t.txt" 2>&1 || true
		s1=$(date +%s.%N)
		c1=$(cpu_ticks "$pidf")
		a1=$(hier_queries)
		sleep 1
		k1=$(rss_kib "$pidf")
		read -r qps avg lost done rc < <(dnsperf_stats "$OUT/resolver-mem/$t.txt")
		cpu=$(awk -v d=$((c1 - c0)) -v n="$done" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.1f", d / hz * 1e6 / n; else print "-" }')
		up=$(awk -v a=$((a1 - a0)) -v n="$done" 'BEGIN { if (n > 0) printf "%.2f", a / n; else print "-" }')
		rrsets=-
		if [ "$t" = tern-resolver ]; then
			rrsets=$(curl -s --max-time 3 "http://127.0.0.1:$mport/metrics" | awk '
				/^tern_resolver_cache_entries\{cache="rrset"\}/ { r = $NF } /^tern_resolver_cache_entries\{cache="answer"\}/ { a = $NF }
				/^tern_resolver_cache_entries\{cache="packet"\}/ { p = $NF } /^tern_resolver_cache_memory_bytes/ { m = $NF }
				END { printf "entries: rrset %s, answer %s, packet %s; rrset-cache estimate %.1f MiB", r, a, p, m / 1048576 }')
			cp "$(res_log "$t" "$port")" "$OUT/resolver-mem/tern-resolver.log" 2>/dev/null
		elif [ "$t" = kresd ]; then
			rrsets="LMDB cache file grew by $(awk -v a="${extra:-0}" -v b="$(kresd_cache_kib "$port")" 'BEGIN { printf "%.1f", (b - a) / 1024 }') MiB"
		fi
		per=$(awk -v a="$k0" -v b="$k1" -v n="$done" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / 1024 * 100000 / n; else print "-" }')
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\n' "$t" "$(mib "$k0")" "$(mib "$k1")" "$done" "$per" "$rrsets" \
			"$(awk -v a="$s0" -v b="$s1" 'BEGIN { print b - a }')" "$rc" "$lost" "$up" "$cpu" >>"$MEM"
		log "$(printf 'resolver-mem %-14s rss %s -> %s MiB after %s answers (%s, lost %s): %s MiB per 100k names; %s upstream q and %s us CPU per answer  %s' \
			"$t" "$(mib "$k0")" "$(mib "$k1")" "$done" "$rc" "$lost" "$per" "$up" "$cpu" "$rrsets")"
		pid_alive "$pidf" || note "resolver-mem: $t died while caching"
		stop_resolver "$t" "$port"
	done
}

# --- scenario: authoritative, signed 100,000-record zone ------------------------------------------
AZ=bench100k.
AZDIR=$LAB_DIR/auth100k
build_auth_zone() {
	local key="$AUTH_RECORDS $AUTH_DELEG v2" ksk zsk now
	mkdir -p "$AZDIR"
	if [ -s "$AZDIR/zone.signed" ] && [ "$(cat "$AZDIR/params" 2>/dev/null)" = "$key" ] &&
		[ $(($(date +%s) - $(stat -c %Y "$AZDIR/zone.signed"))) -lt $((330 * 86400)) ]; then
		log "  reusing $AZDIR/zone.signed"
		return 0
	fi
	rm -rf "$AZDIR"
	mkdir -p "$AZDIR/keys"
	log "  generating $AZ: $AUTH_RECORDS A records + $AUTH_DELEG delegations (half with DS)"
	awk -v n="$AUTH_RECORDS" -v d="$AUTH_DELEG" 'BEGIN {
		print "$ORIGIN bench100k."; print "$TTL 3600"
		print "@ IN SOA ns1 hostmaster 1 3600 900 1209600 300"
		print "@ IN NS ns1"; print "ns1 IN A 127.54.1.1"
		for (i = 0; i < n; i++) printf "h%06d IN A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
		for (i = 0; i < d; i++) {
			printf "d%04d IN NS ns1.d%04d\nns1.d%04d IN A 10.200.%d.%d\n", i, i, i, int(i / 256) % 256, i % 256
			if (i % 2 == 0) { h = sprintf("%08x", i * 2654435761 % 4294967296); printf "d%04d IN DS %d 13 2 %s%s%s%s%s%s%s%s\n", i, 1000 + i, h, h, h, h, h, h, h, h }
		}
	}' >"$AZDIR/zone.unsigned"
	log "  signing it with dnssec-signzone (ECDSAP256SHA256, NSEC3: SHA-1, 0 iterations, no salt) for knotd/nsd/pdns-auth"
	ksk=$(dnssec-keygen -q -a ECDSAP256SHA256 -f KSK -K "$AZDIR/keys" "$AZ")
	zsk=$(dnssec-keygen -q -a ECDSAP256SHA256 -K "$AZDIR/keys" "$AZ")
	{ cat "$AZDIR/zone.unsigned"; grep -v '^;' "$AZDIR/keys/$ksk.key"; grep -v '^;' "$AZDIR/keys/$zsk.key"; } >"$AZDIR/zone.keys"
	now=$(date +%s)
	timeout 600 dnssec-signzone -q -O full -N keep -d "$AZDIR" -3 - -H 0 -s "$(date -u -d "@$((now - 3600))" +%Y%m%d%H%M%S)" \
		-e "$(date -u -d "@$((now + 365 * 86400))" +%Y%m%d%H%M%S)" -o "$AZ" -f "$AZDIR/zone.signed.tmp" \
		"$AZDIR/zone.keys" "$AZDIR/keys/$ksk" "$AZDIR/keys/$zsk" >"$AZDIR/sign.log" 2>&1 || { cat "$AZDIR/sign.log" >&2; die "dnssec-signzone failed"; }
	mv "$AZDIR/zone.signed.tmp" "$AZDIR/zone.signed"
	echo "$key" >"$AZDIR/params"
}
auth_queries() { # deterministic mix: hits, NXDOMAIN, referrals (one per line, cycled by dnsperf)
	local f=$OUT/queries-auth.txt
	awk -v q="$AUTH_QUERIES" -v n="$AUTH_RECORDS" -v d="$AUTH_DELEG" -v ph="$MIX_HIT" -v pn="$MIX_NX" 'BEGIN {
		srand(42)
		for (i = 0; i < q; i++) {
			x = rand() * 100
			if (x < ph || d == 0) printf "h%06d.bench100k. A\n", int(rand() * n)
			else if (x < ph + pn) printf "nx%06d%04d.bench100k. A\n", int(rand() * 1000000), i % 10000
			else printf "www.d%04d.bench100k. A\n", int(rand() * d)
		}
	}' >"$f"
	echo "$f"
}
AUTH_ADDR_tern_auth=127.54.1.1 AUTH_ADDR_knotd=127.54.1.2 AUTH_ADDR_nsd=127.54.1.3 AUTH_ADDR_pdns_auth=127.54.1.4
auth_addr() { local v="AUTH_ADDR_${1//-/_}"; echo "${!v}"; }
start_auth() { # NAME -> starts it on its address, waits until the zone is served signed
	local name=$1 addr d t0 t1 i ok=0 pidf=$PID_DIR/bench-$1.pid
	addr=$(auth_addr "$name")
	d=$OUT/auth/$name
	rm -rf "$d"
	mkdir -p "$d"
	t0=$(date +%s.%N)
	case $name in
	tern-auth)
		local zf=$AZDIR/zone.unsigned
		if [ "$TERN_AUTH_SIGN" = online ]; then
			"$TERN_AUTH" zone secure "$AZ" --nsec3 --data-dir "$d/data" >"$d/secure.log" 2>&1 || { cat "$d/secure.log" >&2; return 1; }
		else
			zf=$AZDIR/zone.signed
		fi
		start_bg "$pidf" tern-auth "$d/tern-auth.log" "${SRV_PIN[@]}" "$TERN_AUTH" --listen "$addr:53" \
			--zone "$AZ=$zf" --threads "$WORKERS" --data-dir "$d/data"
		;;
	knotd)
		cat >"$d/knot.conf" <<EOF
server:
    rundir: "$d"
    listen: $addr@53
    udp-workers: $WORKERS
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$d"
log:
  - target: "$d/knot.log"
    any: warning
template:
  - id: default
    semantic-checks: off
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: $AZ
    file: "$AZDIR/zone.signed"
EOF
		start_bg "$pidf" knotd "$d/out.log" "${SRV_PIN[@]}" knotd -c "$d/knot.conf"
		;;
	nsd)
		cat >"$d/nsd.conf" <<EOF
server:
    ip-address: $addr
    port: 53
    server-count: $WORKERS
    reuseport: yes
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "$d/zone.list"
    xfrdfile: "$d/xfrd.state"
    pidfile: "$d/nsd.pid"
    logfile: "$d/nsd.log"
    verbosity: 0
    # response rate limiting is on by default (200 qps per client prefix and answer class): all
    # NXDOMAIN answers of a zone share one bucket, so it would drop the NSEC3 part of the mix
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: $AZ
    zonefile: "$AZDIR/zone.signed"
EOF
		nsd-checkconf "$d/nsd.conf" || return 1
		start_bg "$pidf" nsd "$d/out.log" "${SRV_PIN[@]}" nsd -d -c "$d/nsd.conf"
		;;
	pdns-auth)
		echo "zone \"${AZ%.}\" { type master; file \"$AZDIR/zone.signed\"; };" >"$d/named.conf"
		cat >"$d/pdns.conf" <<EOF
launch=bind
bind-config=$d/named.conf
bind-dnssec-db=$d/bind-dnssec.sqlite3
local-address=$addr
local-port=53
socket-dir=$d
daemon=no
guardian=no
disable-syslog=yes
write-pid=no
setuid=
setgid=
security-poll-suffix=
loglevel=4
receiver-threads=$WORKERS
distributor-threads=1
EOF
		pdnsutil --config-dir="$d" create-bind-db "$d/bind-dnssec.sqlite3" >"$d/pdnsutil.log" 2>&1 || return 1
		pdnsutil --config-dir="$d" set-presigned "${AZ%.}" >>"$d/pdnsutil.log" 2>&1 || return 1
		# NSEC3 parameters as in the zone; not "narrow" (that would synthesise unsigned NSEC3s)
		pdnsutil --config-dir="$d" set-nsec3 "${AZ%.}" '1 0 0 -' >>"$d/pdnsutil.log" 2>&1 || true
		start_bg "$pidf" pdns_server "$d/out.log" "${SRV_PIN[@]}" pdns_server --config-dir="$d"
		;;
	*) return 1 ;;
	esac
	# ready when the apex SOA comes back signed (tern-auth signs the zone at load); bounded 300 s
	for i in $(seq 1 1500); do
		pid_alive "$pidf" || break
		if dig @"$addr" "$AZ" SOA +dnssec +norec +time=1 +tries=1 2>/dev/null | grep -q 'RRSIG.*SOA'; then ok=1 && break; fi
		sleep 0.2
	done
	t1=$(date +%s.%N)
	[ $ok = 1 ] || { tail -5 "$d"/*.log >&2 2>/dev/null; return 1; }
	pin_tree "$pidf" "$SRV_CPU"
	echo "$name ready $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after start, RSS $(mib "$(rss_kib "$pidf")") MiB" >>"$OUT/auth/load-times.txt"
}
check_auth_answers() { # NAME -> 0 if a hit, an NXDOMAIN and a referral look right (DO=1)
	local name=$1 addr out bad=""
	addr=$(auth_addr "$name")
	out=$(dig @"$addr" h000042.bench100k. A +dnssec +norec +time=2 +tries=1 2>&1)
	grep -q 'status: NOERROR' <<<"$out" && grep -q 'flags: qr aa' <<<"$out" && grep -q 'RRSIG.*A 13' <<<"$out" || bad="$bad hit"
	out=$(dig @"$addr" nx-check.bench100k. A +dnssec +norec +time=2 +tries=1 2>&1)
	grep -q 'status: NXDOMAIN' <<<"$out" && [ "$(grep -c 'IN[[:space:]]*NSEC3[[:space:]]' <<<"$out")" -ge 2 ] &&
		[ "$(grep -c 'IN[[:space:]]*NSEC3[[:space:]]' <<<"$out")" = "$(grep -c 'RRSIG[[:space:]]*NSEC3 ' <<<"$out")" ] || bad="$bad nxdomain"
	out=$(dig @"$addr" www.d0002.bench100k. A +dnssec +norec +time=2 +tries=1 2>&1)
	grep -q 'status: NOERROR' <<<"$out" && ! grep -q 'flags: qr aa' <<<"$out" && grep -q 'd0002.bench100k.*NS' <<<"$out" &&
		grep -q 'd0002.bench100k.*DS' <<<"$out" || bad="$bad referral-secure"
	out=$(dig @"$addr" www.d0003.bench100k. A +dnssec +norec +time=2 +tries=1 2>&1)
	grep -q 'status: NOERROR' <<<"$out" && grep -q 'd0003.bench100k.*NS' <<<"$out" &&
		grep -q 'IN[[:space:]]*NSEC3[[:space:]]' <<<"$out" && grep -q 'RRSIG[[:space:]]*NSEC3 ' <<<"$out" || bad="$bad referral-insecure"
	for q in h000042:A nx-check:A www.d0002:A www.d0003:A; do
		dig @"$addr" "${q%%:*}.bench100k." "${q#*:}" +dnssec +norec +time=2 +tries=1 >>"$OUT/auth/$name/check-answers.txt" 2>&1 || true
	done
	[ -z "$bad" ] && return 0
	note "auth: $name gave unexpected answers for:$bad (see out/$STAMP/auth/$name/check-answers.txt)"
	return 1
}
scenario_auth() {
	log "== auth: signed (NSEC3) zone $AZ, $AUTH_RECORDS records, mix hit/nx/referral $AUTH_MIX, DO=1"
	build_auth_zone
	local qf t r list=()
	qf=$(auth_queries)
	mkdir -p "$OUT/auth"
	for t in $AUTHS; do
		have_target "$t" || { note "auth: $t is not installed, skipped"; continue; }
		if ! start_auth "$t"; then
			note "auth: $t did not come up with the zone (see out/$STAMP/auth/$t/), skipped"
			stop_pidfile "$PID_DIR/bench-$t.pid"
			continue
		fi
		check_auth_answers "$t" || true
		list+=("$t")
	done
	for ((r = 1; r <= RUNS; r++)); do
		for t in $(rotate "$r" "${list[@]}"); do
			measure auth "$r" "$t" "$([ "$t" = tern-auth ] && echo tern || echo peer)" "$(auth_addr "$t")" 53 "$qf" "$PID_DIR/bench-$t.pid" || true
		done
	done
	for t in "${list[@]}"; do
		echo "$t threads: $(nthreads "$PID_DIR/bench-$t.pid")" >>"$OUT/threads.txt"
		stop_pidfile "$PID_DIR/bench-$t.pid"
	done
}

# --- meta, run, report ----------------------------------------------------------------------------
{
	echo "STAMP=$STAMP"
	echo "WHAT=$what"
	echo "NCPU=$NCPU"
	echo "CPU_MODEL='$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')'"
	echo "MEM_TOTAL='$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)'"
	echo "KERNEL='$(uname -sr)'"
	echo "OS='$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")'"
	echo "GIT_REV=$GIT_REV"
	echo "GIT_DIRTY=$GIT_DIRTY"
	echo "TERN_RES_VERSION='$("$TERN_RES" --version 2>&1 | head -1)'"
	echo "TERN_AUTH_VERSION='$("$TERN_AUTH" --version 2>&1 | head -1)'"
	echo "TERN_BUILT='$(date -u -r "$TERN_RES" +%Y-%m-%dT%H:%MZ)'"
	echo "V_UNBOUND='$(unbound -V 2>&1 | head -1 | sed 's/^Version /Unbound /')'"
	echo "V_PDNS_REC='$({ pdns_recursor --version 2>&1 || true; } | grep -m1 -o 'PowerDNS Recursor [0-9.]*' || true)'"
	echo "V_KRESD='$(kresd --version 2>&1 | head -1)'"
	echo "V_KNOT='$(knotd -V 2>&1 | head -1)'"
	echo "V_NSD='$(nsd -v 2>&1 | head -1)'"
	echo "V_PDNS_AUTH='$({ pdns_server --version 2>&1 || true; } | grep -m1 -o 'PowerDNS Authoritative Server [0-9.]*' || echo 'pdns-auth not installed')'"
	echo "V_DNSPERF='$(dnsperf -h 2>&1 | grep -m1 Version)'"
	echo "V_BIND='$(dnssec-signzone -V 2>&1 | head -1)'"
	echo "SECS=$SECS RUNS=$RUNS CLIENTS=$CLIENTS THREADS=$THREADS OUTST=$OUTST LAT_QPS=$LAT_QPS LAT_SECS=$LAT_SECS"
	echo "HIT_NAMES=$HIT_NAMES MISS_SET=$MISS_SET MISS_NAMES=$MISS_NAMES MISS_OUTST=$MISS_OUTST MISS_QPS=$MISS_QPS MISS_CAP=$MISS_CAP"
	echo "MEM_NAMES=$MEM_NAMES MEM_CAP=$MEM_CAP MEM_AGGR=$MEM_AGGR AUTH_RECORDS=$AUTH_RECORDS AUTH_DELEG=$AUTH_DELEG AUTH_MIX=$AUTH_MIX AUTH_QUERIES=$AUTH_QUERIES"
	echo "TERN_AUTH_SIGN=$TERN_AUTH_SIGN WORKERS=$WORKERS LAYOUT=$LAYOUT SRV_CPU=$SRV_CPU CLI_CPU=$CLI_CPU HIER_CPU=$HIER_CPU"
	echo "BG0=$BG0 LOAD0='$LOAD0' LAB_DIR=$LAB_DIR"
} >"$OUT/meta.env"

case $what in
all)
	scenario_baseline
	scenario_hit
	scenario_miss
	scenario_mem
	scenario_auth
	;;
baseline) scenario_baseline ;;
resolver-hit) scenario_hit ;;
resolver-miss) scenario_miss ;;
resolver-mem) scenario_mem ;;
auth) scenario_auth ;;
esac

# Tern's own complaints during the run (warnings, errors, panics in its logs)
for f in "$LAB_DIR"/tern-auth/*/tern-auth.log "$OUT"/auth/tern-auth/tern-auth.log "$OUT"/resolver-*/*.log; do
	[ -s "$f" ] || continue
	n=$(grep -ciE 'panic|ERROR' "$f" || true)
	w=$(grep -c 'WARN' "$f" || true)
	if [ "${n:-0}" -gt 0 ] || [ "${w:-0}" -gt 0 ]; then
		note "log $(echo "$f" | sed "s|$OUT|out/$STAMP|; s|$LAB_DIR|\$LAB_DIR|"): $n error/panic and $w warning lines; first: $(grep -m1 -iE 'panic|ERROR|WARN' "$f" | cut -c1-200)"
	fi
done

T_END=$(date +%s)
BG1=$(bg_load)
{
	echo "ELAPSED=$((T_END - T_START)) BUILD_SECS=$BUILD_SECS"
	echo "BG1=$BG1 LOAD1='$(cut -d' ' -f1-3 /proc/loadavg)'"
} >>"$OUT/meta.env"
"$BENCH_DIR/report.sh" "$OUT" >"$OUT/RESULTS.md"
if [ "$what" = all ]; then
	cp "$OUT/RESULTS.md" "$BENCH_DIR/RESULTS.md"
	log "wrote $BENCH_DIR/RESULTS.md (and $OUT/RESULTS.md); $((T_END - T_START)) s"
else
	log "wrote $OUT/RESULTS.md ($what only; bench/RESULTS.md is rewritten by 'all'); $((T_END - T_START)) s"
fi
