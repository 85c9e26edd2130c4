#!/usr/bin/env bash
# Fuzzes swiveld's HTTP API from Docs/openapi.yaml with schemathesis: every operation, valid and invalid
# documents and parameters, checking that no request gets a 5xx or kills the daemon, that invalid data is
# refused, and that status codes and answers match the spec.
#
#   sudo Scripts/api-fuzz.sh             CI: fixed seed, EXAMPLES [25] per operation (about 1-2 minutes)
#   sudo EXAMPLES=500 Scripts/api-fuzz.sh    the long run
#
# swiveld runs in a network namespace of its own with no devices, so ports the fuzzer creates (random
# `device` names) can only be TAPs in that namespace and never grab a host interface. The product has no
# TCP listener: socat on 127.0.0.1 forwards to the Unix socket. /v1/capture and /v1/actions/trace-live
# (streams that wait for traffic) are excluded. Needs root; installs python3-venv and socat when missing
# and schemathesis (pinned) in a venv under .build-apifuzz/.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
EXAMPLES=${EXAMPLES:-25}; SEED=${SEED:-20261128}; PORT=${PORT:-18080}
NS=swapifz$$; SOCK=/tmp/$NS.sock; VENV=.build-apifuzz/venv
for p in python3-venv socat; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || { apt-get update -qq; apt-get install -y -qq "$p" >/dev/null; }
done
[ -x "$VENV/bin/schemathesis" ] || { /usr/bin/python3 -m venv "$VENV" && "$VENV/bin/pip" install -q schemathesis==4.32.5; } || exit 1
BIN=$(swift build --show-bin-path)
[ -x "$BIN/swiveld" ] || swift build --product swiveld >/dev/null || exit 1

cleanup() {
    [ -n "${SOCAT:-}" ] && kill "$SOCAT" 2>/dev/null
    [ -n "${SWIVELD:-}" ] && kill "$SWIVELD" 2>/dev/null && wait "$SWIVELD" 2>/dev/null
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$NS" 2>/dev/null; rm -f "$SOCK"
}
trap cleanup EXIT INT TERM
ip netns add "$NS" && ip -n "$NS" link set lo up || exit 1
ip netns exec "$NS" "$BIN/swiveld" --socket "$SOCK" --state-file none --log-level error >/tmp/$NS.log 2>&1 &
SWIVELD=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
socat TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"$SOCK" &
SOCAT=$!
sleep 0.3

"$VENV/bin/schemathesis" run Docs/openapi.yaml --url "http://127.0.0.1:$PORT" --seed "$SEED" --max-examples "$EXAMPLES" \
    --checks not_a_server_error,negative_data_rejection,status_code_conformance,response_schema_conformance \
    --exclude-path /v1/capture --exclude-path /v1/actions/trace-live --request-timeout 10 --workers 1 \
    --no-color >/tmp/$NS-schemathesis.txt 2>&1
rc=$?
tail -25 /tmp/$NS-schemathesis.txt
alive=no; kill -0 "$SWIVELD" 2>/dev/null && alive=yes
echo "APIFUZZ examples_per_operation=$EXAMPLES seed=$SEED schemathesis_exit=$rc swiveld_alive=$alive"
[ "$alive" = yes ] || { echo "swiveld died:"; tail -20 /tmp/$NS.log; exit 1; }
exit $rc
