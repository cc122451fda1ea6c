# bench/lib/common.sh - helpers every part of bench/run.sh uses: messages, ports, key=value
# lines, CPU accounting of a process tree and of the whole machine. Sourced, never run.

log() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 2; }

# kv KEY LINE: the value of key=value in a result line ("" when absent).
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1; }

# free_port: a TCP port on 127.0.0.1 that nothing listens on now. Callers retry on another
# when a bind fails anyway (other people's tests share the machine).
free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free port"
}

# wait_port PORT PID: waits (up to 30 s) until something accepts on 127.0.0.1:PORT; fails
# early when PID has exited.
wait_port() {
    for _ in $(seq 1 600); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# User-mode CPU seconds the whole machine spent so far (every core: user + nice), from
# /proc/stat. User time only: kernel time includes our own loopback traffic and disk I/O
# completions, which no process is charged for.
machine_user() {
    awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%.2f", ($2 + $3) / hz }' /proc/stat
}

# tree_cpu PID [user]: CPU seconds (user + system; user only with "user") that PID and its
# live descendants used so far, children that exited included (their time moves into their
# parent's cutime/cstime when reaped, so PostgreSQL's backends count after they disconnect).
tree_cpu() {
    local field="${2:-all}"
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$1" -v hz="$(getconf CLK_TCK)" -v field="$field" '
        {
            pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
            parent[pid] = f[2]
            t[pid] = (field == "user") ? f[12] + f[14] : f[12] + f[13] + f[14] + f[15]
        }
        END {
            for (p in t) {
                q = p
                for (depth = 0; depth < 64 && q != "" && q != "0"; depth++) {
                    if (q == root) { sum += t[p]; break }
                    q = parent[q]
                }
            }
            printf "%.2f", sum / hz
        }'
}

# Measuring a cell: meter_start SERVER_PID (or "" when there is no server) before the load, meter_stop after it with the
# client's user and system CPU seconds; sets METER as key=value pairs: server_cpu_s,
# client_cpu_s, others_user_s (user-mode CPU seconds the rest of the machine used meanwhile:
# other people's builds and tests; above about 1 s the cell is disturbed), loadavg_before.
meter_start() {
    METER_PID="$1"
    METER_LOAD=$(cut -d' ' -f1 /proc/loadavg)
    METER_BUSY0=$(machine_user)
    METER_CPU0=0 METER_USER0=0
    [ -z "$METER_PID" ] || METER_CPU0=$(tree_cpu "$METER_PID") METER_USER0=$(tree_cpu "$METER_PID" user)
}
meter_stop() { # CLIENT_USER_S CLIENT_SYS_S
    local busy1 cpu1=0 user1=0
    busy1=$(machine_user)
    [ -z "$METER_PID" ] || cpu1=$(tree_cpu "$METER_PID") user1=$(tree_cpu "$METER_PID" user)
    METER=$(awk -v b0="$METER_BUSY0" -v b1="$busy1" -v c0="$METER_CPU0" -v c1="$cpu1" \
        -v u0="$METER_USER0" -v u1="$user1" -v cu="$1" -v cs="$2" -v load="$METER_LOAD" 'BEGIN {
            x = b1 - b0 - (u1 - u0) - cu
            printf "server_cpu_s=%.2f client_cpu_s=%.2f others_user_s=%.2f loadavg_before=%s",
                c1 - c0, cu + cs, (x < 0 ? 0 : x), load }')
}

# timed FILE CMD...: runs CMD, its stdout to FILE.out, its stderr to FILE.err, its user and
# system CPU seconds to FILE.time ("U S"); returns CMD's status.
timed() {
    local f="$1" rc=0
    shift
    local TIMEFORMAT='%U %S'
    { time "$@" >"$f.out" 2>"$f.err" || rc=$?; } 2>"$f.time"
    return "$rc"
}

# percentiles: reads one latency a line (any unit) on stdin, prints "P50 P99" in that unit.
percentiles() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "0 0"; exit }
        i50 = int((NR - 1) * 0.50) + 1; i99 = int((NR - 1) * 0.99) + 1
        print v[i50], v[i99] }'
}

# ratio A B: A / B with two decimals, "n/a" when either is missing or B is 0.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'
}

# set_result LINE RATE P50 P99 [PROBLEM...]: what a cell function hands back: RES_LINE (its raw
# key=value line), RES_RATE (operations per second), RES_P50/RES_P99 (ms, "" when not
# measured), RES_CHECK ("ok", or "FAIL: " and the problems; sets FAILED=1).
set_result() {
    RES_LINE="$1" RES_RATE="$2" RES_P50="$3" RES_P99="$4"
    shift 4
    if [ $# -eq 0 ]; then
        RES_CHECK=ok
    else
        RES_CHECK="FAIL: $(IFS=';'; echo "$*")"
        FAILED=1
    fi
}
