#!/usr/bin/env bash
# Webhooks over HTTP against a receiver on 127.0.0.1 (tests/e2e/webhook_receiver.c) that checks
# every signature itself and fails the first two attempts of every event: a registration is
# validated field by field and never echoes its secret; every event is acknowledged exactly
# once, nothing arrives again after its acknowledgement, and no event arrives before every
# earlier event of its subject was acknowledged; a server restart mid-way loses nothing; an
# endpoint that keeps refusing one order's events gets them parked dead after the limit
# (without holding anything else back) and re-delivered by hand; a deleted webhook gets nothing.
source "$(dirname "$0")/lib.sh"
RECEIVER="${OMS_WEBHOOK_RECEIVER:-$(dirname "$OMS_BIN")/tests/webhook_receiver}"
[ -x "$RECEIVER" ] || { echo "no webhook receiver at $RECEIVER" >&2; exit 1; }
SECRET="e2e-webhook-secret"
LOG="$WORK/arrivals.log"
REFUSE="$WORK/refuse-dead" # While it exists, the receiver refuses subjects starting with DEAD.
RECEIVER_PID=""

stop_receiver() {
    if [ -n "$RECEIVER_PID" ] && kill -0 "$RECEIVER_PID" 2>/dev/null; then
        kill -TERM "$RECEIVER_PID" 2>/dev/null || true
        wait "$RECEIVER_PID" 2>/dev/null || true
    fi
}
trap 'stop_receiver; cleanup' EXIT

# conforms METHOD TEMPLATE WHAT: the last answer matches the contract of TEMPLATE.

touch "$LOG" "$REFUSE"
"$RECEIVER" --secret "$SECRET" --log "$LOG" --port-file "$WORK/receiver.port" --fail-first 2 \
    --refuse-prefix DEAD --refuse-file "$REFUSE" 2>"$WORK/receiver.err" &
RECEIVER_PID=$!
for _ in $(seq 1 200); do [ -s "$WORK/receiver.port" ] && break; sleep 0.05; done
[ -s "$WORK/receiver.port" ] || { echo "the receiver did not start" >&2; exit 1; }
HOOK="http://127.0.0.1:$(cat "$WORK/receiver.port")/hook"

# Retries after a few ms, and a delivery is dead after its third failed attempt.
export OMS_WEBHOOK_BACKOFF_MS=5 OMS_WEBHOOK_ATTEMPTS_MAX=3
start_server "$WORK/webhooks.db"

call POST /v1/clock '{"at":"2030-01-01T09:00:00Z"}'; expect_status 200 clock
call PUT /v1/locations/UK1 '{"region":"UK","priority":1}'
call PUT /v1/channels/web '{"locations":["UK1"],"allow_backorder":true,"priority":10}'
for sku in A B C; do
    call PUT "/v1/items/$sku" '{"policy":"backorder","lead_time_days":7}'
    call POST /v1/stock/adjustments "{\"sku\":\"$sku\",\"location\":\"UK1\",\"delta\":3}"
done

# Registration: every field checked, errors name it.
call POST /v1/webhooks '{"url":"ftp://example.com/x","secret":"s","types":["*"]}'
expect_error 422 invalid_field url "a url that is not http(s)"
call POST /v1/webhooks "{\"url\":\"$HOOK\",\"secret\":\"\",\"types\":[\"*\"]}"
expect_error 422 invalid_field secret "an empty secret"
call POST /v1/webhooks "{\"url\":\"$HOOK\",\"secret\":\"$(printf 'k%.0s' $(seq 1 257))\",\"types\":[\"*\"]}"
expect_error 422 invalid_field secret "a secret over 256 bytes"
call POST /v1/webhooks "{\"url\":\"$HOOK\",\"secret\":\"s\",\"types\":[\"order.created\",\"order.eaten\"]}"
expect_error 422 invalid_field 'types[1]' "an unknown event type"
call POST /v1/webhooks "{\"url\":\"$HOOK\",\"secret\":\"s\",\"types\":[1]}"
expect_error 422 invalid_field 'types[0]' "a type that is not a string"
call POST /v1/webhooks "{\"url\":\"$HOOK\",\"secret\":\"s\"}"
expect_error 422 missing_field types "no types"
call POST /v1/webhooks "{\"url\":\"$HOOK\",\"secret\":\"s\",\"types\":[]}"
expect_error 422 invalid_field types "no types"

call GET '/v1/events?after=0&limit=1000'; START=$(body_of '.next')
call POST /v1/webhooks "{\"url\":\"$HOOK\",\"secret\":\"$SECRET\",\"types\":[\"*\"]}"
expect_status 201 "register"; conforms post /v1/webhooks "register"
expect ".id == \"wh_1\" and .url == \"$HOOK\" and .types == [\"*\"] and .active and (has(\"secret\") | not)" "the webhook, without its secret"
call GET /v1/webhooks/wh_1; expect_status 200 "get webhook"; conforms get /v1/webhooks/{id} "get webhook"
grep -q "$SECRET" "$WORK/body" && fail "GET shows the secret"
call GET /v1/webhooks/wh_9; expect_error 404 not_found null "unknown webhook"
call GET '/v1/webhooks/wh_1/deliveries?status=lost'; expect_error 422 invalid_field status "unknown status"

order() { # order ID SKU QTY
    call POST /v1/orders "{\"id\":\"$1\",\"channel\":\"web\",\"region\":\"UK\",\"lines\":[{\"sku\":\"$2\",\"qty\":$3},{\"sku\":\"C\",\"qty\":1}]}"
    expect_status 201 "order $1"
}

# fetch_events: the events after START as "seq subject type" lines.
fetch_events() {
    call GET "/v1/events?after=$START&limit=1000"
    jq -r '.events[] | "\(.seq) \(.subject) \(.type)"' "$WORK/body" >"$WORK/events"
}

# unacked [all]: events without a 2xx arrival (those of DEAD subjects left out unless "all").
unacked() {
    awk -v all="${1:-}" 'FILENAME == ARGV[1] { if ($2 == 200) acked[$1] = 1; next }
        !acked[$1] && (all == "all" || index($2, "DEAD") != 1) { n++ }
        END { print n + 0 }' "$LOG" "$WORK/events"
}

wait_acked() { # wait_acked [all] WHAT
    for _ in $(seq 1 600); do
        [ "$(unacked "${1:-}")" = 0 ] && return 0
        sleep 0.05
    done
    fail "$2: $(unacked "${1:-}") event(s) never acknowledged"
}

order O-1 A 2; order O-2 B 5; order DEAD-1 A 1; order O-3 A 4
call POST /v1/orders/O-3/cancel ''; expect_status 200 "cancel O-3"
call POST /v1/supply '{"id":"PO-1","sku":"B","location":"UK1","qty":10,"expected_date":"2030-01-08"}'
# Stop the server while deliveries are under way, then go on after a restart.
for _ in $(seq 1 100); do [ "$(grep -c ' 200 ' "$LOG")" -ge 3 ] && break; sleep 0.01; done
stop_server
start_server "$WORK/webhooks.db"
order O-4 B 3; order O-5 C 2
call POST /v1/supply/PO-1/receipts '{"qty":10}'; expect_status 200 receipt
order O-6 A 1
fetch_events
[ "$(wc -l <"$WORK/events")" -gt 20 ] || fail "too few events: $(wc -l <"$WORK/events")"
wait_acked "" "every event but DEAD-1's"

# DEAD-1's events were refused three times each and parked dead; they held nothing else back.
dead_count=$(awk 'index($2, "DEAD") == 1' "$WORK/events" | wc -l)
for _ in $(seq 1 400); do
    call GET '/v1/webhooks/wh_1/deliveries?status=dead&limit=1000'
    [ "$(body_of '.deliveries | length')" = "$dead_count" ] && break
    sleep 0.05
done
expect_status 200 "dead letters"; conforms get /v1/webhooks/{id}/deliveries "dead letters"
expect "(.deliveries | length) == $dead_count and all(.deliveries[]; .subject == \"DEAD-1\" and .attempts == 3 and .last_error == \"HTTP 500\" and .next_attempt_at == null)" "DEAD-1's deliveries are dead after 3 attempts"
dead_seqs=$(body_of '[.deliveries[].seq] | join(" ")')
first_ok=$(awk '$2 !~ /^DEAD/ {print $1; exit}' "$WORK/events")

# By hand: only dead deliveries, of known webhooks.
call POST "/v1/webhooks/wh_1/deliveries/$first_ok/redeliver" ''
expect_error 409 conflict null "redeliver a delivered event"
call POST "/v1/webhooks/wh_9/deliveries/$first_ok/redeliver" ''
expect_error 404 not_found null "redeliver to an unknown webhook"
call POST "/v1/webhooks/wh_1/deliveries/0/redeliver" ''
expect_error 422 invalid_field seq "seq 0"
rm -f "$REFUSE"
for seq in $dead_seqs; do
    call POST "/v1/webhooks/wh_1/deliveries/$seq/redeliver" ''
    expect_status 202 "redeliver $seq"; conforms post /v1/webhooks/{id}/deliveries/{seq}/redeliver "redeliver"
done
wait_acked all "the re-delivered events"
for _ in $(seq 1 400); do
    call GET '/v1/webhooks/wh_1/deliveries?status=delivered&limit=1000'
    [ "$(body_of '.deliveries | length')" = "$(wc -l <"$WORK/events")" ] && break
    sleep 0.05
done
expect "(.deliveries | length) == $(wc -l <"$WORK/events")" "every delivery is recorded delivered"
call GET '/v1/webhooks/wh_1/deliveries?status=dead'; expect '.deliveries == []' "no dead letter left"

# The receiver's log against the outbox: signatures, exactly once, order per subject (DEAD-1's
# own order was broken on purpose: its events died one after another, then came back).
awk -v start="$START" 'FILENAME == ARGV[1] { subj[$1] = $2; n++; seqs[n] = $1; want[$1] = 1; next }
    $3 != 1 { print "bad signature on event " $1; bad++ }
    $1 <= start || !($1 in want) { print "event " $1 " was not for this webhook"; bad++; next }
    acked[$1] { print "event " $1 " arrived again after it was acknowledged"; bad++ }
    index($4, "DEAD") != 1 {
        for (i = 1; i <= n && seqs[i] + 0 < $1 + 0; i++)
            if (subj[seqs[i]] == $4 && !acked[seqs[i]]) {
                print "event " $1 " of " $4 " arrived before event " seqs[i] " was acknowledged"; bad++
            }
    }
    $2 == 200 { acked[$1] = 1 }
    END { exit bad > 0 }' "$WORK/events" "$LOG" >"$WORK/log-problems" ||
    fail "receiver log: $(head -5 "$WORK/log-problems" | tr '\n' ';')"
# Every event was tried twice before its acknowledgement (the receiver's --fail-first 2).
awk 'index($4, "DEAD") != 1 { n[$1]++ } END { for (s in n) if (n[s] != 3) { print s; exit 1 } }' "$LOG" >/dev/null ||
    fail "an event was not tried exactly three times"

# Deactivation: nothing more is sent.
call DELETE /v1/webhooks/wh_1; expect_status 204 "delete webhook"
call GET /v1/webhooks/wh_1; expect '.active == false' "deactivated"
call DELETE /v1/webhooks/wh_9; expect_error 404 not_found null "delete unknown webhook"
lines_before=$(wc -l <"$LOG")
order O-7 A 1
sleep 0.5
[ "$(wc -l <"$LOG")" = "$lines_before" ] || fail "a deleted webhook still receives events"

stop_server
finish
