#!/usr/bin/env bash
# The demo node in distributed mode, called from a real Erlang node: gen_server:call from erl
# reaches the registered 'demo' gen_server and gets the live counts back as a map, and so does
# rpc:call of the C++ function the demo registers as demo:stats/0.
# Usage: distributed_test.sh <bitactor_demo>
set -euo pipefail
demo=$1
name="demo_test_$$"
cookie="demo_test_cookie"

# The demo's output is read as it comes (a coprocess), so the test waits on the line it needs
# with a bounded timeout instead of guessing how long start-up takes.
coproc DEMO { exec "$demo" --seconds 6 --workers-per-service 50 --sname "$name" --cookie "$cookie" 2>&1; }
# A descriptor of our own: bash drops DEMO once the coprocess exits, while its output may still
# be unread.
exec 3<&"${DEMO[0]}"
node=""
while IFS= read -r -t 30 line <&3; do
  echo "demo: $line"
  if [[ $line =~ gen_server:call\(\{demo,\ \'([^\']+)\'\} ]]; then
    node=${BASH_REMATCH[1]}
    break
  fi
done
if [ -z "$node" ]; then
  echo "FAILED: the demo did not announce its node name"
  exit 1
fi

answer=$(timeout 60 erl -sname "probe_$$" -setcookie "$cookie" -noshell -eval "
  Stats = gen_server:call({demo, '$node'}, stats, 10000),
  Pong = gen_server:call({demo, '$node'}, ping, 10000),
  ByRpc = rpc:call('$node', demo, stats, [], 10000),
  io:format(\"~p ~p ~p~n\", [Pong, maps:get(requests, Stats) > 0, maps:get(requests, ByRpc) > 0]),
  halt().")
echo "erl: $answer"
[ "$answer" = "pong true true" ] || { echo "FAILED: unexpected answer from the demo"; exit 1; }

# The demo ends by itself; its summary must say the tree stopped cleanly.
while IFS= read -r -t 60 line <&3; do
  echo "demo: $line"
  if [[ $line == *"tree stopped cleanly"* ]]; then
    echo "distributed demo: OK"
    exit 0
  fi
done
echo "FAILED: the demo did not stop cleanly"
exit 1
