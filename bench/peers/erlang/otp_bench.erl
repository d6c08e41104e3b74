%% Erlang/OTP side of the side-by-side benchmarks (bench/run drives it).
%%
%% Each workload is one function written the way an Erlang programmer would write it: plain
%% spawn/receive loops, gen_server for calls, supervisor for restarts. The schedulers are set
%% by the emulator flag +S N:N, so the programs themselves do not care how many there are.
%%
%%   erl -noshell +S 2:2 +P 4194304 -pa DIR -run otp_bench main ping_pong round_trips=2000000
%%
%% Every result is one line on stdout:
%%   bench=<workload> impl=erlang workers=<schedulers online> <key>=<value> ...
%% Sizes come as key=value arguments; missing ones take the full-size defaults below.
-module(otp_bench).
-export([main/1]).

main([Workload | Args]) ->
    Opts = [list_to_tuple(string:split(A, "=")) || A <- Args],
    Code = try
               run(Workload, Opts),
               0
           catch
               Class:Reason:Stack ->
                   io:format("bench=~s impl=erlang workers=~b status=failed reason=~0p~n",
                             [Workload, workers(), {Class, Reason}]),
                   io:format(standard_error, "~p~n", [Stack]),
                   1
           end,
    erlang:halt(Code).

run("spawn", O) -> spawn_workload(int(O, "n", 1000000), str(O, "kind", "process"));
run("ping_pong", O) -> ping_pong(int(O, "round_trips", 2000000));
run("ring", O) -> ring(int(O, "processes", 1000), int(O, "hops", 1000000));
run("fan_out", O) -> fan_out(int(O, "processes", 10000), int(O, "messages", 100));
run("skynet", O) -> skynet(int(O, "leaves", 1000000), int(O, "branching", 10));
run("call_latency", O) -> call_latency(int(O, "calls", 200000), str(O, "mode", "process"));
run("supervisor", O) -> supervisor_restarts(int(O, "restarts", 100000), str(O, "crash", "throw"));
run("recovery", O) -> recovery(int(O, "kills", 20000));
run("contention", O) -> contention(int(O, "senders", 1), int(O, "messages", 2000000));
run("idle", O) -> idle(int(O, "processes", 100000), int(O, "millis", 5000));
run(Other, _) -> error({unknown_workload, Other}).

%% --- 1. spawn: N idle processes, each waiting for one message --------------------------------

spawn_workload(N, Kind) ->
    Base = erlang:system_info(process_count),
    erlang:garbage_collect(),
    Mem0 = erlang:memory(total),
    Rss0 = os_rss(),
    Own0 = own_memory(),
    T0 = now_ns(),
    Pids = start_idle(Kind, N),
    Seconds = since(T0),
    %% The pid list lives on this process's heap; it is not part of what is being measured.
    Own = own_memory() - Own0,
    Mem = erlang:memory(total) - Mem0 - Own,
    Rss = os_rss() - Rss0 - Own,
    T1 = now_ns(),
    stop_idle(Kind, Pids),
    wait_process_count(Base),
    report("spawn", [{kind, list_to_atom(Kind)}, {n, N}, {seconds, Seconds},
                     {spawns_per_s, N / Seconds},
                     {bytes_per_process, Mem / N}, {rss_bytes_per_process, Rss / N},
                     {stop_seconds, since(T1)}]).

start_idle("process", N) -> spawn_idle(N, []);
start_idle("gen_server", N) -> start_servers(N, []).

stop_idle("process", Pids) -> [P ! stop || P <- Pids];
stop_idle("gen_server", Pids) -> [exit(P, shutdown) || P <- Pids].

start_servers(0, Acc) -> Acc;
start_servers(N, Acc) ->
    {ok, P} = gen_server:start(otp_bench_server, idle, []),
    start_servers(N - 1, [P | Acc]).

spawn_idle(0, Acc) -> Acc;
spawn_idle(N, Acc) -> spawn_idle(N - 1, [spawn(fun idle_process/0) | Acc]).

idle_process() ->
    receive stop -> ok end.

own_memory() ->
    {memory, M} = process_info(self(), memory),
    M.

wait_process_count(Base) ->
    case erlang:system_info(process_count) =< Base of
        true -> ok;
        false -> timer:sleep(1), wait_process_count(Base)
    end.

%% --- 2. ping-pong: two processes, a ball passed back and forth -------------------------------

ping_pong(RoundTrips) ->
    Main = self(),
    Pong = spawn(fun pong/0),
    Ping = spawn(fun() -> receive go -> ping(Pong, RoundTrips), Main ! done end end),
    T0 = now_ns(),
    Ping ! go,
    receive done -> ok end,
    S = since(T0),
    Pong ! stop,
    report("ping_pong", [{round_trips, RoundTrips}, {seconds, S},
                         {round_trips_per_s, RoundTrips / S}, {msgs_per_s, 2 * RoundTrips / S}]).

ping(_Pong, 0) -> ok;
ping(Pong, N) ->
    Pong ! {self(), ping},
    receive pong -> ping(Pong, N - 1) end.

pong() ->
    receive
        {From, ping} -> From ! pong, pong();
        stop -> ok
    end.

%% --- 3. thread ring: a token passed around a ring of processes --------------------------------

ring(Size, Hops) ->
    Main = self(),
    Members = [spawn(fun() -> receive {next, Next} -> ring_member(Main, Next) end end)
               || _ <- lists:seq(1, Size)],
    [First | Rest] = Members,
    lists:foreach(fun({P, Next}) -> P ! {next, Next} end,
                  lists:zip(Members, Rest ++ [First])),
    T0 = now_ns(),
    First ! {token, Hops},
    receive done -> ok end,
    S = since(T0),
    [exit(P, kill) || P <- Members],
    report("ring", [{processes, Size}, {hops, Hops}, {seconds, S}, {hops_per_s, Hops / S}]).

ring_member(Main, Next) ->
    receive
        {token, 0} -> Main ! done, ring_member(Main, Next);
        {token, K} -> Next ! {token, K - 1}, ring_member(Main, Next)
    end.

%% --- 4. fan-out / fan-in: a coordinator and many workers ----------------------------------------

fan_out(Workers, PerWorker) ->
    Pids = [spawn(fun echo_worker/0) || _ <- lists:seq(1, Workers)],
    Self = self(),
    T0 = now_ns(),
    lists:foreach(fun(P) -> send_n(P, Self, PerWorker) end, Pids),
    Total = Workers * PerWorker,
    Sum = collect_replies(Total, 0),
    S = since(T0),
    Sum =:= Total orelse error({bad_sum, Sum}),
    [P ! stop || P <- Pids],
    report("fan_out", [{processes, Workers}, {messages, PerWorker}, {seconds, S},
                       {msgs_per_s, 2 * Total / S}]).

send_n(_P, _From, 0) -> ok;
send_n(P, From, K) -> P ! {From, 1}, send_n(P, From, K - 1).

echo_worker() ->
    receive
        {From, X} -> From ! {reply, X}, echo_worker();
        stop -> ok
    end.

collect_replies(0, Sum) -> Sum;
collect_replies(K, Sum) -> receive {reply, X} -> collect_replies(K - 1, Sum + X) end.

%% --- 5. skynet: a 10-ary tree of processes summing the leaves' numbers -------------------------

skynet(Leaves, Branching) ->
    Self = self(),
    T0 = now_ns(),
    spawn(fun() -> skynet(Self, 0, Leaves, Branching) end),
    Sum = receive X -> X end,
    S = since(T0),
    Sum =:= Leaves * (Leaves - 1) div 2 orelse error({bad_sum, Sum}),
    report("skynet", [{leaves, Leaves}, {branching, Branching}, {seconds, S}, {sum, Sum}]).

skynet(Parent, Num, 1, _Div) ->
    Parent ! Num;
skynet(Parent, Num, Size, Div) ->
    Self = self(),
    Sub = Size div Div,
    [spawn(fun() -> skynet(Self, Num + I * Sub, Sub, Div) end) || I <- lists:seq(0, Div - 1)],
    Parent ! skynet_collect(Div, 0).

skynet_collect(0, Sum) -> Sum;
skynet_collect(K, Sum) -> receive X -> skynet_collect(K - 1, Sum + X) end.

%% --- 6. call latency: gen_server:call round trips from a client process ------------------------

call_latency(Calls, "process") ->
    {ok, Server} = gen_server:start(otp_bench_server, echo, []),
    Main = self(),
    Warmup = max(1, Calls div 100),
    spawn(fun() ->
                  timed_calls(Server, Warmup, []),
                  T0 = now_ns(),
                  Samples = timed_calls(Server, Calls, []),
                  Main ! {samples, Samples, since(T0)}
          end),
    {Samples, S} = receive {samples, L, Secs} -> {L, Secs} end,
    gen_server:stop(Server),
    Sorted = list_to_tuple(lists:sort(Samples)),
    Mean = lists:sum(Samples) / Calls,
    report("call_latency", [{mode, process}, {calls, Calls}, {seconds, S},
                            {calls_per_s, Calls / S}, {mean_us, Mean / 1000},
                            {p50_us, percentile(Sorted, 0.50) / 1000},
                            {p99_us, percentile(Sorted, 0.99) / 1000},
                            {p999_us, percentile(Sorted, 0.999) / 1000}]);
call_latency(Calls, Mode) ->
    %% Every Erlang caller is a process: there is no "plain thread" form to measure.
    report("call_latency", [{mode, list_to_atom(Mode)}, {calls, Calls},
                            {status, not_applicable}]).

timed_calls(_Server, 0, Acc) -> Acc;
timed_calls(Server, K, Acc) ->
    T0 = erlang:monotonic_time(nanosecond),
    pong = gen_server:call(Server, ping),
    timed_calls(Server, K - 1, [erlang:monotonic_time(nanosecond) - T0 | Acc]).

percentile(Sorted, Q) ->
    N = tuple_size(Sorted),
    element(min(N, max(1, ceil(Q * N))), Sorted).

%% --- 7. supervisor restarts: a one_for_one child that crashes on every message -----------------

supervisor_restarts(Restarts, Crash) ->
    %% Crash and supervisor reports would otherwise be formatted and printed for every
    %% restart; the measurement is of the restart machinery, not of the logger.
    logger:set_primary_config(level, none),
    process_flag(trap_exit, true),
    {ok, Sup} = otp_bench_sup:start_link(self()),
    First = receive {started, P} -> P end,
    T0 = now_ns(),
    crash_loop(First, Restarts, crash_message(Crash)),
    S = since(T0),
    exit(Sup, shutdown),
    receive {'EXIT', Sup, _} -> ok end,
    report("supervisor", [{crash, list_to_atom(Crash)}, {restarts, Restarts}, {seconds, S},
                          {restarts_per_s, Restarts / S}]).

crash_message("throw") -> crash;
crash_message("stop") -> stop.

crash_loop(_Child, 0, _Msg) -> ok;
crash_loop(Child, K, Msg) ->
    Child ! Msg,
    receive {started, Next} -> crash_loop(Next, K - 1, Msg) end.

%% --- 7b. recovery: from the kill of a supervised, registered gen_server to its replacement
%% answering a call by name ------------------------------------------------------------------

recovery(Kills) ->
    logger:set_primary_config(level, none),
    process_flag(trap_exit, true),
    {ok, Sup} = otp_bench_sup:start_link(recovery),
    Warmup = max(1, Kills div 100),
    _ = recovery_samples(Warmup, []),
    Samples = recovery_samples(Kills, []),
    exit(Sup, shutdown),
    receive {'EXIT', Sup, _} -> ok end,
    Sorted = list_to_tuple(lists:sort(Samples)),
    report("recovery", [{kills, Kills}, {mean_us, lists:sum(Samples) / Kills / 1000},
                        {p50_us, percentile(Sorted, 0.50) / 1000},
                        {p99_us, percentile(Sorted, 0.99) / 1000},
                        {p999_us, percentile(Sorted, 0.999) / 1000}]).

recovery_samples(0, Acc) -> Acc;
recovery_samples(K, Acc) ->
    Old = whereis(recovery_target),
    T0 = erlang:monotonic_time(nanosecond),
    exit(Old, kill),
    answered_by_another(Old),
    recovery_samples(K - 1, [erlang:monotonic_time(nanosecond) - T0 | Acc]).

answered_by_another(Old) ->
    case whereis(recovery_target) of
        New when is_pid(New), New =/= Old ->
            try gen_server:call(New, ping) of
                pong -> ok
            catch
                exit:_ -> answered_by_another(Old)
            end;
        _ ->
            %% Not restarted yet: let the supervisor run before looking again.
            erlang:yield(),
            answered_by_another(Old)
    end.

%% --- 8. mailbox under contention: N senders, one receiver --------------------------------------

contention(Senders, Messages) ->
    Main = self(),
    PerSender = Messages div Senders,
    Total = PerSender * Senders,
    Receiver = spawn(fun() -> count_messages(Total), Main ! done end),
    Pids = [spawn(fun() -> receive go -> send_msgs(Receiver, PerSender) end end)
            || _ <- lists:seq(1, Senders)],
    T0 = now_ns(),
    [P ! go || P <- Pids],
    receive done -> ok end,
    S = since(T0),
    report("contention", [{senders, Senders}, {messages, Total}, {seconds, S},
                          {msgs_per_s, Total / S}]).

send_msgs(_To, 0) -> ok;
send_msgs(To, K) -> To ! {msg, K}, send_msgs(To, K - 1).

count_messages(0) -> ok;
count_messages(K) -> receive {msg, _} -> count_messages(K - 1) end.

%% --- 9. idle cost: CPU used by a node holding idle processes -----------------------------------

idle(N, Millis) ->
    Base = erlang:system_info(process_count),
    Pids = spawn_idle(N, []),
    timer:sleep(200),                            % let the spawn burst settle
    Cpu0 = os_cpu_seconds(),
    T0 = now_ns(),
    timer:sleep(Millis),
    Cpu = os_cpu_seconds() - Cpu0,
    Wall = since(T0),
    [P ! stop || P <- Pids],
    wait_process_count(Base),
    report("idle", [{processes, N}, {seconds, Wall}, {cpu_seconds, Cpu},
                    {cpu_percent, 100 * Cpu / Wall}]).

%% --- helpers ---------------------------------------------------------------------------------

workers() -> erlang:system_info(schedulers_online).

now_ns() -> erlang:monotonic_time(nanosecond).
since(T0) -> (now_ns() - T0) / 1.0e9.

%% Resident set of the whole beam process (pages of /proc/self/statm), in bytes.
os_rss() ->
    {ok, Bin} = file:read_file("/proc/self/statm"),
    [_Size, Resident | _] = string:lexemes(binary_to_list(Bin), " \n"),
    list_to_integer(Resident) * 4096.

%% User + system CPU of the whole beam process (all its threads), from /proc/self/stat.
os_cpu_seconds() ->
    {ok, Bin} = file:read_file("/proc/self/stat"),
    %% Fields after the command name (which is in parentheses and may hold spaces).
    [_, After] = string:split(binary_to_list(Bin), ") ", trailing),
    Fields = string:lexemes(After, " "),
    (list_to_integer(lists:nth(12, Fields)) + list_to_integer(lists:nth(13, Fields))) / 100.

int(Opts, Key, Default) ->
    case lists:keyfind(Key, 1, Opts) of
        {_, V} -> list_to_integer(V);
        false -> Default
    end.

str(Opts, Key, Default) ->
    case lists:keyfind(Key, 1, Opts) of
        {_, V} -> V;
        false -> Default
    end.

report(Bench, KVs) ->
    Fields = [io_lib:format(" ~s=~s", [K, value(V)]) || {K, V} <- KVs],
    io:format("bench=~s impl=erlang workers=~b~s~n", [Bench, workers(), Fields]).

value(V) when is_float(V) -> float_to_list(V, [{decimals, 3}, compact]);
value(V) when is_integer(V) -> integer_to_list(V);
value(V) when is_atom(V) -> atom_to_list(V).
