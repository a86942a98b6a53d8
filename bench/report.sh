#!/usr/bin/env bash
# bench/report.sh OUTDIR - print RESULTS.md (markdown) from the raw results of one bench/run.sh
# run: OUTDIR/meta.env, results.tsv, mem.tsv, notes.md, threads.txt, auth/load-times.txt.
# bench/run.sh calls it; run it by hand only to re-render an old run's bench/out/<time>/.
set -euo pipefail
OUT=${1:?usage: report.sh OUTDIR}
[ -f "$OUT/meta.env" ] || { echo "no $OUT/meta.env" >&2; exit 1; }
# shellcheck source=/dev/null
. "$OUT/meta.env"
RES=$OUT/results.tsv
MEM=$OUT/mem.tsv
has() { awk -F'\t' -v s="$1" '$1 == s { f = 1 } END { exit !f }' "$RES"; }

# table SCENARIO REF_PEER : one row per target, Tern first; ratios Tern/peer per round, median
table() {
	awk -F'\t' -v scen="$1" -v basefile="$RES" -v latq="$2" -v miss="$3" '
	function median(s,   a, n, i, j, t) {
		n = split(s, a, " "); if (n == 0) return "-"
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
		return a[int((n + 1) / 2)]
	}
	function num(x) { return x != "-" && x != "" }
	$1 == "baseline" { bq[$2] = $5 }
	$1 == scen {
		r = $2; t = $3
		if (!(t in seen)) { seen[t] = 1; order[++nt] = t; kind[t] = $4 }
		qps[t, r] = $5; cpu[t, r] = $6; avgf[t, r] = $7; lavg[t, r] = $8; p50[t, r] = $9; p99[t, r] = $10
		lt[t, r] = $11; ll[t, r] = $12; rc[t] = $14; rss[t] = $15; ex[t, r] = $16; rounds[r] = 1
		if (kind[t] == "tern") tern = t
	}
	END {
		for (r in bq) bqs = bqs " " bq[r]
		bmed = median(bqs)
		if (miss) {
			print "| target | resolutions/s (median) | per round | server CPU per resolution (µs) | Tern / peer CPU | Tern / peer res/s | upstream queries per resolution | avg latency at max rate (ms) | avg / p50 / p99 at " latq " qps (ms) | lost max-rate / fixed-rate (max) | RSS after (MiB) | response codes |"
			print "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
		} else {
			print "| target | median QPS | QPS per round | server CPU per answer (µs) | Tern / peer CPU | Tern / peer QPS | % of baseline QPS | avg latency at full load (ms) | avg / p50 / p99 at " latq " qps (ms) | lost full / fixed (max) | RSS after (MiB) | response codes |"
			print "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
		}
		# Tern first, then the peers in the order they ran in round 1
		k = 0
		if (tern != "") out[++k] = tern
		for (i = 1; i <= nt; i++) if (order[i] != tern) out[++k] = order[i]
		for (i = 1; i <= k; i++) {
			t = out[i]; sq = sc = sa = sl = s5 = s9 = se = ""; per = ""; mlt = 0; mll = 0; rq = rcp = ""
			for (r = 1; r <= 9; r++) {
				if (!((t, r) in qps)) continue
				sq = sq " " qps[t, r]; per = per (per == "" ? "" : " / ") qps[t, r]
				if (num(cpu[t, r])) sc = sc " " cpu[t, r]
				sa = sa " " avgf[t, r]; sl = sl " " lavg[t, r]; s5 = s5 " " p50[t, r]; s9 = s9 " " p99[t, r]
				if (num(ex[t, r])) se = se " " ex[t, r]
				if (lt[t, r] + 0 > mlt) mlt = lt[t, r] + 0
				if (ll[t, r] + 0 > mll) mll = ll[t, r] + 0
				if (t != tern && tern != "" && ((tern, r) in qps)) {
					if (qps[t, r] > 0) rq = rq " " sprintf("%.3f", qps[tern, r] / qps[t, r])
					if (num(cpu[t, r]) && num(cpu[tern, r]) && cpu[t, r] > 0) rcp = rcp " " sprintf("%.3f", cpu[tern, r] / cpu[t, r])
				}
			}
			mq = median(sq)
			pb = (bmed != "-" && bmed > 0 && kind[t] != "baseline") ? sprintf("%.0f%%", 100 * mq / bmed) : "-"
			label = (t == tern) ? "**" t "**" : t
			ratio_c = (t == tern) ? "—" : (rcp == "" ? "-" : median(rcp) "×")
			ratio_q = (t == tern) ? "—" : (rq == "" ? "-" : median(rq) "×")
			rcs = rc[t]; gsub(/,/, ", ", rcs); gsub(/:/, " ", rcs)
			if (miss)
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %d / %d | %s | %s |\n", label, mq, per, median(sc), ratio_c, ratio_q, median(se), median(sa), median(sl), median(s5), median(s9), mlt, mll, rss[t], rcs
			else
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %d / %d | %s | %s |\n", label, mq, per, median(sc), ratio_c, ratio_q, pb, median(sa), median(sl), median(s5), median(s9), mlt, mll, (kind[t] == "baseline" ? "-" : rss[t]), rcs
		}
	}' "$RES"
}

# goal NAME: the median over rounds of (Tern CPU / peer CPU), QPS ratio and p99 of both
ratio() { # SCEN TERN PEER FIELD(6=cpu,5=qps,10=p99) -> median of per-round Tern/peer
	awk -F'\t' -v s="$1" -v a="$2" -v b="$3" -v f="$4" '
	function median(s,   x, n, i, j, t) { n = split(s, x, " "); if (n == 0) return "-"
		for (i = 2; i <= n; i++) { t = x[i]; for (j = i - 1; j >= 1 && x[j] + 0 > t + 0; j--) x[j + 1] = x[j]; x[j + 1] = t }
		return x[int((n + 1) / 2)] }
	$1 == s && $3 == a { va[$2] = $f } $1 == s && $3 == b { vb[$2] = $f }
	END { for (r in va) if ((r in vb) && vb[r] + 0 > 0 && va[r] != "-") l = l " " sprintf("%.3f", va[r] / vb[r]); print median(l) }' "$RES"
}
med() { # SCEN TARGET FIELD -> median over rounds
	awk -F'\t' -v s="$1" -v a="$2" -v f="$3" '
	function median(s,   x, n, i, j, t) { n = split(s, x, " "); if (n == 0) return "-"
		for (i = 2; i <= n; i++) { t = x[i]; for (j = i - 1; j >= 1 && x[j] + 0 > t + 0; j--) x[j + 1] = x[j]; x[j + 1] = t }
		return x[int((n + 1) / 2)] }
	$1 == s && $3 == a && $f != "-" { l = l " " $f } END { print median(l) }' "$RES"
}
verdict() { # VALUE OP LIMIT -> PASS / FAIL / not measured
	[ "$1" = - ] || [ -z "$1" ] && { echo "not measured"; return; }
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == "<=") ? (v <= l) : (v >= l); print ok ? "**PASS**" : "**FAIL**" }'
}

busy=$(awk -v b="${BG0:-0}" -v c="${BG1:-0}" 'BEGIN { print (b >= 15 || c >= 15) ? 1 : 0 }')
echo "# Tern benchmark results"
echo
echo "> **Generated by \`bench/run.sh all\` — do not edit by hand; re-run the script to regenerate.**"
echo "> Raw output of this run: \`bench/out/$STAMP/\` (gitignored): dnsperf output per target and round,"
echo "> \`results.tsv\`, \`mem.tsv\`, server logs, \`run.log\`."
echo
if [ -z "${BUILD_SECS:-}" ]; then # older runs: from cargo's own summary
	BUILD_SECS=$(awk '/Finished/ { for (i = 1; i <= NF; i++) if ($i == "in") { t = $(i + 1) $(i + 2) } } END { print t }' "$OUT/build.log" 2>/dev/null |
		awk '{ m = 0; s = $0; if (match(s, /[0-9]+m/)) { m = substr(s, RSTART, RLENGTH - 1); s = substr(s, RSTART + RLENGTH) } sub(/s$/, "", s); printf "%d", m * 60 + s }')
fi
BUILD_SECS=${BUILD_SECS:-0}
MEASURE=$((ELAPSED - BUILD_SECS))
echo "Run $STAMP (\`$WHAT\`): $((ELAPSED / 60)) min $((ELAPSED % 60)) s in all: $((BUILD_SECS / 60)) min $((BUILD_SECS % 60)) s of \`cargo build --release --bins\`"
echo "and $((MEASURE / 60)) min $((MEASURE % 60)) s of zone building, start-up and measurement."
echo
echo "## Machine and versions"
echo
echo "- Machine: $NCPU CPUs ($CPU_MODEL), $MEM_TOTAL RAM, $KERNEL, $OS."
if [ "$busy" = 1 ]; then
	echo "- **Measured on a busy machine**: before the run ${BG0}% of all $NCPU CPUs were busy with other work"
	echo "  (load average $LOAD0), ${BG1}% after it (load average $LOAD1): other processes competed for the CPUs."
	echo "  Absolute QPS and latencies are noisy; the per-round ratios (Tern and the peer measured back"
	echo "  to back) and the CPU per answer are the steadier figures."
else
	echo "- Background load: ${BG0}% of all CPUs busy before the run (load average $LOAD0), ${BG1}% after ($LOAD1)."
fi
dirty=""
[ "${GIT_DIRTY:-0}" -gt 0 ] && dirty=" plus uncommitted changes in $GIT_DIRTY tracked source file(s)"
echo "- Tern: git \`$GIT_REV\`$dirty; \`$TERN_RES_VERSION\`, \`$TERN_AUTH_VERSION\`; release build of $TERN_BUILT."
echo "- Peers: $V_UNBOUND, $V_PDNS_REC, $V_KRESD, $V_KNOT, $V_NSD, $V_PDNS_AUTH."
echo "- Tools: dnsperf ${V_DNSPERF#Version }, $V_BIND (signing of the peers' zone)."
echo
echo "## Settings"
echo
echo "- One server worker each (\`WORKERS=$WORKERS\`): tern \`--threads $WORKERS\`, unbound \`num-threads\`,"
echo "  pdns-recursor \`threads\`, one kresd process, knotd \`udp-workers\`, nsd \`server-count\`, pdns \`receiver-threads\`."
echo "- CPU layout \`$LAYOUT\`: every server (all its threads, re-pinned after start) on CPU $SRV_CPU, dnsperf on CPU"
echo "  $CLI_CPU, the lab hierarchy's 20 tern-auth processes on CPU $HIER_CPU."
echo "- Throughput: \`dnsperf -l $SECS -c $CLIENTS -T $THREADS -q $OUTST -t 2 -D\` (DO=1, as fast as possible)."
echo "  Latency: a separate run at a fixed offered rate, \`-Q $LAT_QPS -l $LAT_SECS -v\` (per-query latencies;"
echo "  a lost query counts as the 2 s timeout in the percentiles)."
echo "- $RUNS round(s); in each round every target runs once, the order rotated by one position per round"
echo "  (Tern first in round 1), so Tern and the peers alternate. Medians over rounds; a ratio"
echo "  Tern / peer is taken inside each round (same machine state), then its median."
echo "- Server CPU per answer = (utime + stime of all the server's threads and processes over the"
echo "  throughput run, from \`/proc/PID/stat\`) / answers received by dnsperf."
echo
if has baseline; then
	echo "## Baseline: a trivial responder"
	echo
	echo "\`nullresp\` (../shared/lab/nullresp.c) echoes each query back as REFUSED with recvmmsg/sendmmsg and"
	echo "parses nothing: the rate dnsperf and the kernel's loopback path reach on this machine."
	echo
	table baseline "$LAT_QPS" 0
	echo
fi
if has resolver-hit; then
	echo "## 1. Resolver, cache hits"
	echo
	echo "$HIT_NAMES distinct names \`h0000..h$(printf '%04d' $((HIT_NAMES - 1))).bench.test A\` (signed, TTL 1 day) resolved and"
	echo "validated through the lab hierarchy (warm-up, checked all NOERROR and AD), then replayed with DO=1."
	echo
	table resolver-hit "$LAT_QPS" 0
	echo
fi
if has resolver-miss; then
	echo "## 2. Resolver, cache misses"
	echo
	case $MISS_SET in
	bench) echo "The $MISS_NAMES names \`h0000..h$(printf '%04d' $((MISS_NAMES - 1))).bench.test A\`, each asked once of a freshly started" ;;
	wild) echo "$MISS_NAMES distinct random names under the wildcard \`*.wild.sec.test\`, each asked once of a freshly started" ;;
	nx) echo "$MISS_NAMES distinct random NXDOMAIN names under \`n3.example\` (NSEC3), each asked once of a freshly started" ;;
	esac
	echo "resolver whose infrastructure cache was primed (one validated query for the zone's SOA): every"
	echo "answer needs an upstream query to the zone's tern-auth and a signature check. Two runs per round,"
	echo "each on a fresh resolver: max rate (\`-n 1 -q $MISS_OUTST\`: resolutions/s, CPU per resolution, upstream"
	echo "queries per resolution counted by the hierarchy's tern-auth metrics) and fixed rate (\`-Q $MISS_QPS\`: latency)."
	[ "$MISS_SET" = bench ] && echo "(Positive answers of distinct names cannot be synthesised from cached NSEC records, RFC 8198, by any peer.)"
	echo
	table resolver-miss "$MISS_QPS" 1
	echo
fi
if [ -s "$MEM" ]; then
	echo "## Memory: RSS per 100,000 cached names"
	echo
	echo "A fresh resolver, primed, then $MEM_NAMES distinct names \`mNNNNNN.wild.sec.test A\` (wildcard answers: each"
	echo "a new A RRset with its RRSIG, plus the message/packet entry) asked once each, as fast as it answers"
	echo "(\`-q 200\`, at most $MEM_CAP s). RSS growth scaled to 100,000 answers."
	if [ "${MEM_AGGR:-0}" = 0 ]; then
		echo "So that every name is really resolved and cached rather than synthesised from the cached NSEC"
		echo "(RFC 8198), Unbound runs here with \`aggressive-nsec: no\` and PowerDNS Recursor with"
		echo "\`aggressive-nsec-cache-size=0\`; Knot Resolver has no such switch (and its cache is an LMDB file"
		echo "mapping, so its RSS hardly moves: the file's growth is shown instead)."
	fi
	echo
	echo "| target | RSS before (MiB) | RSS after (MiB) | answers (lost) | **MiB per 100,000 names** | Tern / peer | upstream queries per answer | server CPU per answer (µs) | time (s) | response codes | cache detail |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
	tper=$(awk -F'\t' '$1 == "tern-resolver" { print $5 }' "$MEM")
	awk -F'\t' -v tp="${tper:--}" '{
		ratio = ($1 == "tern-resolver" || tp == "-" || $5 + 0 <= 0 || $1 == "kresd") ? "—" : sprintf("%.2f×", tp / $5)
		rc = $8; gsub(/,/, ", ", rc); gsub(/:/, " ", rc)
		label = ($1 == "tern-resolver") ? "**" $1 "**" : $1
		printf "| %s | %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s |\n", label, $2, $3, $4, $9, $5, ratio, $10, $11, $7, rc, ($6 == "-" ? "" : $6) }' "$MEM"
	echo
fi
if has auth; then
	echo "## 3. Authoritative, signed 100,000-record zone"
	echo
	echo "Zone \`bench100k.\`: $AUTH_RECORDS A records \`h000000..\` plus $AUTH_DELEG delegations \`dNNNN\` (NS + glue, half with DS),"
	echo "NSEC3 (SHA-1, 0 iterations, no salt), ECDSAP256SHA256. Queries (DO=1), $AUTH_QUERIES lines cycled: hit / NXDOMAIN"
	echo "(NSEC3 closest-encloser proof) / referral = $AUTH_MIX %."
	if [ "$TERN_AUTH_SIGN" = online ]; then
		echo "tern-auth signs the zone itself at load (\`tern-auth zone secure bench100k. --nsec3\`, own keys); knotd, nsd and"
		echo "pdns-auth serve the same records signed offline by dnssec-signzone (\`-3 - -H 0\`)."
	else
		echo "All servers, tern-auth included, serve the same zone signed offline by dnssec-signzone (\`-3 - -H 0\`)."
	fi
	echo
	table auth "$LAT_QPS" 0
	echo
	if [ -s "$OUT/auth/load-times.txt" ]; then
		echo "Start-up (until the apex SOA is served signed) and RSS right after:"
		sed 's/^/- /' "$OUT/auth/load-times.txt"
		echo
	fi
fi

echo "## Goals (issue 6)"
echo
echo "| goal | measured (median of per-round ratios) | target | result |"
echo "|---|---:|---:|---|"
if has resolver-hit; then
	rc=$(ratio resolver-hit tern-resolver unbound 6)
	rq=$(ratio resolver-hit tern-resolver unbound 5)
	tp=$(med resolver-hit tern-resolver 10)
	up=$(med resolver-hit unbound 10)
	echo "| resolver: server CPU per cached answer, Tern / Unbound | ${rc}× | ≤ 0.80× | $(verdict "$rc" '<=' 0.8) |"
	echo "| resolver: cached-answer QPS, Tern / Unbound (consequence) | ${rq}× | ≥ 1.00× | $(verdict "$rq" '>=' 1.0) |"
	pv=not\ measured
	[ "$tp" != - ] && [ "$up" != - ] && pv=$(awk -v a="$tp" -v b="$up" 'BEGIN { print (a <= b || a - b < 0.05) ? "**PASS**" : "**FAIL**" }')
	echo "| resolver: p99 at $LAT_QPS qps, Tern vs Unbound (no worse; 0.05 ms tolerance) | $tp ms vs $up ms | ≤ Unbound | $pv |"
	if has baseline; then
		tc=$(med resolver-hit tern-resolver 6)
		nc=$(med baseline nullresp 6)
		sv=not\ measured
		[ "$tc" != - ] && [ "$nc" != - ] && sv=$(awk -v a="$tc" -v b="$nc" 'BEGIN { print (a < b) ? "**PASS**" : "not yet" }')
		echo "| stretch: Tern CPU per cached answer below nullresp's | $tc µs vs $nc µs | < nullresp | $sv |"
	fi
else
	echo "| resolver: server CPU per cached answer, Tern / Unbound | - | ≤ 0.80× | not measured in this run |"
fi
if [ -s "$MEM" ]; then
	mt=$(awk -F'\t' '$1 == "tern-resolver" { print $5 }' "$MEM")
	mu=$(awk -F'\t' '$1 == "unbound" { print $5 }' "$MEM")
	if [ -n "$mt" ] && [ -n "$mu" ]; then
		echo "| memory (reported, no target in the issue): RSS per 100,000 cached names, Tern / Unbound | $(awk -v a="$mt" -v b="$mu" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')× ($mt vs $mu MiB) | — | info |"
	fi
fi
if has auth; then
	ra=$(ratio auth tern-auth knotd 6)
	echo "| auth: server CPU per answer on the signed zone, Tern / Knot DNS | ${ra}× | ≤ 1.00× | $(verdict "$ra" '<=' 1.0) |"
else
	echo "| auth: server CPU per answer on the signed zone, Tern / Knot DNS | - | ≤ 1.00× | not measured in this run |"
fi
echo
# Automatic checks of Tern's answers and behaviour against the peers in the same run
checks=$(
	awk -F'\t' '
	$4 == "tern" && ($11 + 0 > 0 || $12 + 0 > 0) { printf "- %s round %s: %s lost %d queries at full speed and %d at the fixed rate.\n", $1, $2, $3, $11, $12 }
	($1 == "resolver-hit" || $1 == "resolver-miss") && $4 == "tern" && $14 != "NOERROR:100.00%" { printf "- %s round %s: tern-resolver answered %s (expected NOERROR 100%%).\n", $1, $2, $14 }
	' "$RES"
	if has resolver-miss; then
		tu=$(med resolver-miss tern-resolver 16)
		uu=$(med resolver-miss unbound 16)
		[ "$tu" != - ] && [ "$uu" != - ] && awk -v a="$tu" -v b="$uu" 'BEGIN { if (a > b * 1.1) printf "- resolver-miss: tern-resolver sent %s upstream queries per resolution, Unbound %s.\n", a, b }'
	fi
	if [ -s "$MEM" ]; then
		awk -F'\t' '$1 == "tern-resolver" { t = $10 } $1 == "unbound" { u = $10 }
			END { if (t != "" && u != "" && t + 0 > (u + 0) * 1.1) printf "- resolver-mem: tern-resolver sent %s upstream queries per wildcard name (two labels below the zone cut), Unbound %s: consistent with QNAME-minimisation steps (the empty non-terminal `wild.sec.test`) being asked again for every name instead of being remembered.\n", t, u }' "$MEM"
	fi
	if has auth; then
		awk -F'\t' '$1 == "auth" && $3 == "tern-auth" { t = $14 } $1 == "auth" && $3 == "knotd" { k = $14 }
			END { if (t != "" && k != "") { split(t, a, /[:%,]/); split(k, b, /[:%,]/); for (i in a) if (a[i] ~ /^[A-Z]+$/) ta[a[i]] = a[i + 1]; for (i in b) if (b[i] ~ /^[A-Z]+$/) tb[b[i]] = b[i + 1];
				for (c in ta) if ((ta[c] - tb[c]) > 0.5 || (tb[c] - ta[c]) > 0.5) printf "- auth: tern-auth answered %s %s%% of the mix, knotd %s%% (last round).\n", c, ta[c], tb[c] } }' "$RES"
	fi
)
echo "## Automatic checks"
echo
if [ -n "$checks" ]; then
	echo "$checks"
else
	echo "- None triggered (checked: lost queries for Tern; resolver answers all NOERROR; tern-auth's response-code split within 0.5 points of knotd's; upstream queries per resolution within 10 % of Unbound's)."
fi
echo
if [ -s "$OUT/notes.md" ]; then
	echo "## Notes from this run"
	echo
	cat "$OUT/notes.md"
	echo
fi
if [ -s "$OUT/threads.txt" ]; then
	echo "Threads per server process tree at the end of its scenario: $(sed 's/ threads:/:/' "$OUT/threads.txt" | tr '\n' ';' | sed 's/;$//; s/;/, /g')."
	echo
fi
echo "Column guide: bench/README.md. Reproduce: \`bench/run.sh all\` (about 14 minutes plus the release build, if the sources changed)."
