%% Erlang/OTP side of the dist_* workloads (bench/run; bench/dist/dist_suite.py starts the
%% pairs): two `erl -sname` nodes over loopback through a private epmd, or one end of a pair
%% with a BitActor node (bench/bitactor/dist_bench.cpp speaks the same terms).
%%
%%   erl -noshell -hidden -sname A@localhost -setcookie C +S N:N -pa DIR \
%%       -run dist_bench main server workers=N          prints `ready peer=A@localhost`
%%   erl ... -sname B@localhost ... -run dist_bench main client <workload> peer=A@localhost ...
%%
%% The server registers
%%   dist_bench  {hello, From}      -> From ! {hello, self(), whereis(dist_call)}
%%               {ping, From, N}    -> From ! {pong, N}
%%               {stream, From, N}  -> counts the next N binaries, then
%%                                     From ! {stream_done, N, Bytes, Nanoseconds}
%%   dist_call   otp_bench_server's echo gen_server (gen_server:call(_, ping) -> pong)
%% and runs until the harness stops the emulator (SIGTERM: init:stop/0).
%% Every result is one line: bench=<workload> impl=<impl> workers=<schedulers> key=value ...
-module(dist_bench).
-export([main/1]).

main(["server" | _Args]) ->  % workers=N is +S N:N, given to the emulator
    try
        {ok, _} = otp_bench_server:start_link_registered(dist_call, echo),
        Call = whereis(dist_call),
        register(dist_bench, spawn_link(fun() -> server(Call, none) end)),
        io:format("ready peer=~s~n", [node()]),
        receive stop -> ok end
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "dist_bench server: ~p~n~p~n", [{Class, Reason}, Stack]),
            erlang:halt(1)
    end;
main(["client", Workload | Args]) ->
    Opts = opts(Args),
    Impl = str(Opts, "impl", "erlang"),
    Code = try
               client(Workload, list_to_atom(str(Opts, "peer", "")), Impl, Opts),
               0
           catch
               Class:Reason:Stack ->
                   io:format("bench=~s impl=~s workers=~b status=failed reason=~0p~n",
                             [Workload, Impl, workers(), {Class, Reason}]),
                   io:format(standard_error, "~p~n", [Stack]),
                   1
           end,
    erlang:halt(Code).

%% --- the server -----------------------------------------------------------------------------

server(Call, Stream) ->
    receive
        Bin when is_binary(Bin) ->
            server(Call, count(Stream, byte_size(Bin)));
        {ping, From, N} ->
            From ! {pong, N},
            server(Call, Stream);
        {stream, From, N} ->
            server(Call, {From, N, 0, 0, now_ns()});
        {hello, From} ->
            From ! {hello, self(), Call},
            server(Call, Stream)
    end.

count({From, Want, Got, Bytes, T0}, Size) when Got + 1 =:= Want ->
    From ! {stream_done, Want, Bytes + Size, now_ns() - T0},
    none;
count({From, Want, Got, Bytes, T0}, Size) ->
    {From, Want, Got + 1, Bytes + Size, T0};
count(none, _) ->
    none.

%% --- the client -----------------------------------------------------------------------------

client("dist_ping_pong", Peer, Impl, O) ->
    N = int(O, "round_trips", 100000),
    {Server, _} = hello(Peer),
    _ = ping_pong(Server, max(1, N div 100)),
    Seconds = ping_pong(Server, N),
    report("dist_ping_pong", Impl, [{round_trips, N}, {seconds, Seconds},
                                    {round_trips_per_s, N / Seconds}]);
client("dist_call", Peer, Impl, O) ->
    N = int(O, "calls", 50000),
    Via = str(O, "via", "name"),
    {_, CallPid} = hello(Peer),
    Dest = case Via of
               "name" -> {dist_call, Peer};
               "pid" -> CallPid
           end,
    _ = calls(Dest, max(1, N div 100), []),
    T0 = now_ns(),
    Samples = calls(Dest, N, []),
    Seconds = since(T0),
    Sorted = lists:sort(Samples),
    report("dist_call", Impl,
           [{via, list_to_atom(Via)}, {calls, N}, {seconds, Seconds}, {calls_per_s, N / Seconds},
            {mean_us, lists:sum(Sorted) / N / 1000},
            {p50_us, percentile(Sorted, 0.50) / 1000}, {p99_us, percentile(Sorted, 0.99) / 1000},
            {p999_us, percentile(Sorted, 0.999) / 1000}]);
client("dist_stream", Peer, Impl, O) ->
    Size = int(O, "size", 100),
    N = int(O, "messages", 100000),
    {Server, _} = hello(Peer),
    Payload = binary:copy(<<"x">>, Size),
    T0 = now_ns(),
    Server ! {stream, self(), N},
    stream(Server, Payload, N),
    Sent = since(T0),
    receive
        {stream_done, N, Bytes, Ns} ->
            Seconds = since(T0),
            report("dist_stream", Impl,
                   [{size, Size}, {messages, N}, {seconds, Seconds}, {msgs_per_s, N / Seconds},
                    {mb_per_s, Bytes / Seconds / 1.0e6}, {send_seconds, Sent},
                    {receiver_seconds, Ns / 1.0e9}, {sender_peak_rss_mb, peak_rss() / 1.0e6}])
    after 300000 -> error(the_receiver_did_not_get_every_message)
    end;
client("dist_connect", Peer, Impl, O) ->
    N = int(O, "connects", 50),
    Samples = connects(Peer, N, []),
    Sorted = lists:sort(Samples),
    report("dist_connect", Impl,
           [{connects, N}, {first_ms, hd(Samples) / 1.0e6},
            {p50_ms, percentile(Sorted, 0.50) / 1.0e6}, {max_ms, lists:last(Sorted) / 1.0e6}]);
client(Other, _, _, _) ->
    error({unknown_workload, Other}).

%% {hello, Self} by name: the first message connects; the answer names the server's pids.
hello(Peer) ->
    {dist_bench, Peer} ! {hello, self()},
    receive {hello, Server, Call} -> {Server, Call}
    after 60000 -> error({no_answer_to_hello, Peer})
    end.

ping_pong(Server, N) ->
    T0 = now_ns(),
    bounce(Server, N),
    since(T0).

bounce(_, 0) -> ok;
bounce(Server, N) ->
    Server ! {ping, self(), N},
    receive {pong, N} -> bounce(Server, N - 1) end.

calls(_, 0, Acc) -> Acc;
calls(Dest, N, Acc) ->
    T0 = now_ns(),
    pong = gen_server:call(Dest, ping, infinity),
    calls(Dest, N - 1, [now_ns() - T0 | Acc]).

stream(_, _, 0) -> ok;
stream(Server, Payload, N) ->
    Server ! Payload,
    stream(Server, Payload, N - 1).

%% net_adm:ping/1 connects; disconnect_node/1 drops the connection for the next round.
connects(_, 0, Acc) -> lists:reverse(Acc);
connects(Peer, N, Acc) ->
    T0 = now_ns(),
    pong = net_adm:ping(Peer),
    T = now_ns() - T0,
    true = erlang:disconnect_node(Peer),
    timer:sleep(20),
    connects(Peer, N - 1, [T | Acc]).

%% --- helpers (as otp_bench.erl's) ------------------------------------------------------------

report(Workload, Impl, Pairs) ->
    Fields = [io_lib:format(" ~s=~s", [K, value(V)]) || {K, V} <- Pairs],
    io:format("bench=~s impl=~s workers=~b~s~n", [Workload, Impl, workers(), Fields]).

value(V) when is_float(V) -> io_lib:format("~.3f", [V]);
value(V) when is_integer(V) -> integer_to_list(V);
value(V) when is_atom(V) -> atom_to_list(V).

workers() -> erlang:system_info(schedulers_online).

now_ns() -> erlang:monotonic_time(nanosecond).

since(T0) -> (now_ns() - T0) / 1.0e9.

percentile(Sorted, Q) ->
    Rank = max(1, min(length(Sorted), ceil(Q * length(Sorted)))),
    lists:nth(Rank, Sorted).

%% VmHWM of the emulator's OS process, in bytes.
peak_rss() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    Kb = hd([binary_to_integer(string:trim(V, both, " \tkB"))
             || <<"VmHWM:", V/binary>> <- binary:split(Status, <<"\n">>, [global])] ++ [0]),
    Kb * 1024.

opts(Args) -> [list_to_tuple(string:split(A, "=")) || A <- Args].

int(O, K, D) ->
    case lists:keyfind(K, 1, O) of
        {_, V} -> list_to_integer(V);
        false -> D
    end.

str(O, K, D) ->
    case lists:keyfind(K, 1, O) of
        {_, V} -> V;
        false -> D
    end.
