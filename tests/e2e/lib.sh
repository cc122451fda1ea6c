# Shared helpers for the end-to-end tests: start `oms serve` on a free loopback port with a
# fresh database, call the API with curl, check answers with jq, stop the server at exit.
# Each test sources this file; OMS_BIN, OMS_SRC and OMS_TEST_TMP come from CTest.
set -euo pipefail

: "${OMS_BIN:?OMS_BIN must point at the oms binary}"
: "${OMS_SRC:?OMS_SRC must point at the source tree}"
TMP_ROOT="${OMS_TEST_TMP:-/tmp}"
WORK="$(mktemp -d "$TMP_ROOT/e2e.XXXXXX")"
SERVER_PID=""
PORT=""
BASE=""
FAILURES=0

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    FAILURES=$((FAILURES + 1))
}

# start_server DB [extra args...]: starts oms serve on a port the kernel picks (port 0: no
# race with other tests or with clients' ephemeral ports), reads the port from the line the
# server prints, and waits for /healthz.
start_server() {
    local db="$1"
    shift
    : >"$WORK/server.out"
    "$OMS_BIN" serve --db "$db" --port 0 --threads 2 "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
    SERVER_PID=$!
    for _ in $(seq 1 400); do
        PORT=$(sed -n 's#^oms: listening on http://[^:]*:\([0-9]*\)$#\1#p' "$WORK/server.out")
        if [ -n "$PORT" ]; then
            BASE="http://127.0.0.1:$PORT"
            if curl -fsS "$BASE/healthz" >/dev/null 2>&1; then return 0; fi
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "server exited early:" >&2
            cat "$WORK/server.err" >&2
            return 1
        fi
        sleep 0.05
    done
    echo "server did not become healthy" >&2
    return 1
}

stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" || fail "server exited with status $? on SIGTERM"
        SERVER_PID=""
    fi
}

# call METHOD PATH [BODY] [extra curl args...]: sets STATUS and writes the body to $WORK/body.
call() {
    local method="$1" path="$2" body="${3:-}"
    shift 3 2>/dev/null || shift $#
    if [ -n "$body" ]; then
        STATUS=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X "$method" "$BASE$path" \
            -H 'Content-Type: application/json' --data-binary "$body" "$@")
    else
        STATUS=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X "$method" "$BASE$path" "$@")
    fi
}

# expect_status CODE WHAT
expect_status() {
    if [ "$STATUS" != "$1" ]; then
        fail "$2: status $STATUS, wanted $1: $(head -c 300 "$WORK/body")"
        return 1
    fi
}

# expect JQ_EXPR WHAT: the body must make the jq expression true.
expect() {
    if ! jq -e "$1" "$WORK/body" >/dev/null 2>&1; then
        fail "$2: '$1' is not true of $(head -c 400 "$WORK/body")"
        return 1
    fi
}

# expect_error STATUS CODE FIELD WHAT: an API error body naming the field ("null" for none).
expect_error() {
    expect_status "$1" "$4" || return 0
    expect ".error.code == \"$2\"" "$4" || return 0
    if [ "$3" = "null" ]; then
        expect '.error.field == null' "$4"
    else
        expect ".error.field == \"$3\"" "$4"
    fi
    expect '.error.message | length > 0' "$4"
}

# body_of JQ_EXPR: prints a value of the last body.
body_of() { jq -r "$1" "$WORK/body"; }

API="$OMS_SRC/docs/openapi.json"
SCHEMA="$OMS_SRC/tests/e2e/schema.jq"

# conforms METHOD PATH WHAT: the last body matches docs/openapi.json's schema of PATH's answer
# with the last status (tests/e2e/schema.jq); fails WHAT with the problems otherwise.
conforms() {
    local problems
    problems=$(jq -r --slurpfile api "$API" --arg path "$2" --arg method "$1" \
        --arg status "$STATUS" -f "$SCHEMA" "$WORK/body" 2>&1) || problems="jq failed: $problems"
    [ -z "$problems" ] || fail "$3: $problems"
}

finish() {
    if [ "$FAILURES" -gt 0 ]; then
        echo "$FAILURES check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
}
