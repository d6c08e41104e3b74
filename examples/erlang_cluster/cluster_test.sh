#!/usr/bin/env bash
# The erlang_cluster example against a real erl, as the tutorial plays it: erl pings the
# BitActor node, sends to its registered processes, calls its gen_servers and its C++
# functions; the BitActor node calls erl's prices server and functions when erl connects; then
# erl is killed and the BitActor node must see noconnection, nodedown and an rpc that fails
# with {erpc, noconnection}. A private epmd (started by the example on a free port, as erl
# would start one) and unique node names keep it apart from anything else on the machine.
# Usage: cluster_test.sh <erlang_cluster> <prices.erl>
set -euo pipefail
example=$1
prices_src=$2

tmp=$(mktemp -d)
ERL_EPMD_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export ERL_EPMD_PORT
node="cluster_$$@localhost"
shell="shell_$$@localhost"
cookie="cluster_test_cookie"
cpp_pid=""
erl_pid=""
cleanup() {
  local p
  for p in $erl_pid $cpp_pid; do
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

erlc -o "$tmp" "$prices_src"
mkfifo "$tmp/cpp" "$tmp/erl"
touch "$tmp/cpp.log" "$tmp/erl.log"

# Each side's output is read as it comes, so the test waits on the lines it needs with a
# bounded timeout instead of guessing how long anything takes. The two sides run at once, so
# a line may come before or after another side's: what was read is kept and searched first.
# expect <cpp|erl> <grep mode: -Fx for the exact line, -E for a regular expression> <pattern>
expect() {
  local src=$1 mode=$2 pattern=$3 fd=3 line left end=$((SECONDS + 30))
  [ "$src" = erl ] && fd=4
  until grep -q "$mode" -- "$pattern" "$tmp/$src.log"; do
    left=$((end - SECONDS))
    if ((left <= 0)) || ! IFS= read -r -t "$left" line <&"$fd"; then
      echo "FAILED: $src did not print: $pattern"
      exit 1
    fi
    echo "$src: $line"
    printf '%s\n' "$line" >>"$tmp/$src.log"
  done
}

"$example" "$node" "$cookie" >"$tmp/cpp" 2>&1 &
cpp_pid=$!
exec 3<"$tmp/cpp"
expect cpp -E "^node $node up \(creation [0-9]+, port [0-9]+\)$"
expect cpp -Fx "ready: echo, counter, orders, calc:add/2, calc:divide/2"

# What the tutorial types into the erl shell, one result per line (~1000p: no line breaks).
erl -noshell -sname "$shell" -setcookie "$cookie" -pa "$tmp" -eval "
  N = '$node',
  Show = fun(What, V) -> io:format(\"~s ~1000p~n\", [What, V]) end,
  {ok, _} = prices:start(),
  Show(ping, net_adm:ping(N)),
  {echo, N} ! {self(), hello},
  Show(echo, receive {echo, _} = E -> E after 10000 -> timeout end),
  Show(incr, gen_server:call({counter, N}, incr)),
  Show(incr, gen_server:call({counter, N}, incr)),
  Show(get, gen_server:call({counter, N}, get)),
  Show(add, rpc:call(N, calc, add, [1, 2])),
  Show(divide, rpc:call(N, calc, divide, [1, 0])),
  Show(nope, rpc:call(N, calc, nope, [])),
  {orders, N} ! {order, <<\"ACME\">>, 10},
  Show(last, gen_server:call({orders, N}, last)),
  Show(noproc, catch gen_server:call({nobody, N}, hi)),
  Show(nodes, {nodes(), nodes(hidden)}),
  io:format(\"erl checks done~n\"),
  timer:sleep(infinity)." >"$tmp/erl" 2>&1 &
erl_pid=$!
exec 4<"$tmp/erl"

expect erl -Fx "ping pong"
expect erl -Fx "echo {echo,hello}"
expect erl -Fx "incr 1"
expect erl -Fx "incr 2"
expect erl -Fx "get 2"
expect erl -Fx "add 3"
expect erl -Fx "divide {badrpc,{'EXIT',{badarith,[{calc,divide,2,[]}]}}}"
expect erl -Fx "nope {badrpc,{'EXIT',{undef,[{calc,nope,[],[]}]}}}"
expect erl -Fx "last {order,<<\"ACME\">>,10}"
expect erl -Fx "noproc {'EXIT',{noproc,{gen_server,call,[{nobody,$node},hi]}}}"
expect erl -Fx "nodes {[],[$node]}"
expect erl -Fx "erl checks done"

expect cpp -Fx "{nodeup,$shell,[{node_type,hidden}]}"
expect cpp -E "^echo: got \{<$shell\.[0-9]+\.[0-9]+>,hello\}$"
expect cpp -Fx "orders: 10 x ACME"
expect cpp -Fx "call {prices, $shell} {price,<<\"ACME\">>} -> {ok,42}"
expect cpp -Fx "rpc prices:total([{<<\"ACME\">>,10}]) -> 420"
expect cpp -Fx "rpc prices:nope() raised error {exception,undef,[{prices,nope,[],[]}]}"
expect cpp -E "^monitoring prices <$shell\.[0-9]+\.[0-9]+>$"

# The Erlang node dies: the monitor fires noconnection, then nodedown, then rpc cannot connect.
kill -9 "$erl_pid"
wait "$erl_pid" 2>/dev/null || true
erl_pid=""
expect cpp -E "^DOWN <$shell\.[0-9]+\.[0-9]+>: noconnection$"
expect cpp -Fx "{nodedown,$shell,[{node_type,hidden},{nodedown_reason,connection_closed}]}"
expect cpp -Fx "rpc after nodedown: {erpc,noconnection}"
expect cpp -Fx "bye"
if ! wait "$cpp_pid"; then
  echo "FAILED: the example did not exit with 0"
  exit 1
fi
cpp_pid=""
echo "erlang cluster: OK"
