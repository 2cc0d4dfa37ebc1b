#!/usr/bin/env bash
# run-peers.sh several times in a row, and the bars judged on the median ratio of those rounds.
#   benchmarks/peers/rounds.sh [--rounds R] [run-peers.sh options]
# On a shared machine one run's ratio moves by a fifth with the neighbours' load (each participant runs its epochs
# minutes after the other). Every round is a whole run-peers.sh run (its own log folder under --logs, default a new
# temporary directory), printed as it ends; the last table lists, per workload and peer, each round's ratio, their
# median and the verdict of the median against the bar. Exit status: 0 every median passes, 1 some median fails,
# 3 a round had a participant missing or failing.
set -u -o pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROUNDS=5
LOGS=""
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS="${2:?--rounds needs a number}"; shift 2 ;;
        --logs) LOGS="${2:?--logs needs a folder}"; shift 2 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) ARGS+=("$1"); shift ;;
    esac
done
case "$ROUNDS" in ''|*[!0-9]*|0) echo "rounds.sh: --rounds must be a positive integer, got '$ROUNDS'" >&2; exit 2 ;; esac
[ -n "$LOGS" ] || LOGS="$(mktemp -d "${TMPDIR:-/tmp}/dbn4j-rounds.XXXXXX")"
mkdir -p "$LOGS" || { echo "rounds.sh: cannot create $LOGS" >&2; exit 2; }
STATUS=0
for r in $(seq 1 "$ROUNDS"); do
    echo "== round $r of $ROUNDS ($(date -u +%H:%M:%S) UTC; load average $(cut -d' ' -f1-3 /proc/loadavg))"
    bash "$HERE/run-peers.sh" "${ARGS[@]}" --logs "$LOGS/round-$r" >"$LOGS/round-$r.txt" 2>&1
    rc=$?
    [ "$rc" -eq 3 ] && STATUS=3
    # The results table: from its header to the first empty line.
    awk '/^== results/ { on = 1 } on && NF == 0 { exit } on' "$LOGS/round-$r.txt"
    echo
done
echo "== rounds: ratio = peer epoch s / dbn4j epoch s of each round; the bar is judged on the median"
# Rows "workload dbn4j_s peer peer_s ratio bar result" of every round's table, bars only (INFO rows have bar "-").
for r in $(seq 1 "$ROUNDS"); do
    awk '/^== results/ { on = 1; next } on && NF == 0 { exit } on && $1 != "workload" { print $1, $3, $5, $6 }' \
        "$LOGS/round-$r.txt"
done | awk -v rounds="$ROUNDS" '
    $4 ~ /^>=/ && $3 ~ /^[0-9.]+$/ {
        key = $1 " " $2; if (!(key in bar)) { order[++n] = key; bar[key] = substr($4, 3) }
        list[key] = list[key] (list[key] == "" ? "" : ",") $3; count[key]++; v[key, count[key]] = $3
    }
    END {
        printf "%-26s %-6s %-34s %7s %6s  %s\n", "workload", "peer", "ratios", "median", "bar", "result"
        failed = 0
        for (i = 1; i <= n; i++) {
            k = order[i]; c = count[k]
            for (a = 1; a <= c; a++) s[a] = v[k, a] + 0
            for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++) if (s[b] < s[a]) { t = s[a]; s[a] = s[b]; s[b] = t }
            med = c % 2 ? s[(c + 1) / 2] : (s[c / 2] + s[c / 2 + 1]) / 2
            ok = med >= bar[k] + 0; if (!ok) failed = 1
            split(k, w, " ")
            note = c < rounds ? sprintf(" (%d of %d rounds)", c, rounds) : ""
            printf "%-26s %-6s %-34s %7.2f %6s  %s%s\n", w[1], w[2], list[k], med, ">=" bar[k], ok ? "PASS" : "FAIL", note
        }
        exit failed
    }'
rc=$?
[ "$STATUS" -eq 0 ] && [ "$rc" -ne 0 ] && STATUS=1
echo "logs: $LOGS"
exit "$STATUS"
