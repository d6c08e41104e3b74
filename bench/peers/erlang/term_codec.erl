%% term_to_binary/binary_to_term throughput on the workloads of bench/term/term_codec_bench:
%%   small  - {call, counter, 42, incr, 1234567}
%%   binary - a 1 MiB binary
%%   list   - lists:seq(1, 100000)
%% and term_to_iovec/2 on the binary (bench=term_encode_binary_iovec), the counterpart of
%% BitActor's encode_iovec(): both reference the binary instead of copying it.
%% Prints: bench=term_<encode|decode>_<name> impl=erlang workers=1 terms_per_s=N mb_per_s=M
%% erl_call=F (median of 5 runs of at least 0.2 s; MB = 10^6 encoded bytes).
%% Encoding uses {minor_version, 2}, the atom encoding BitActor writes by default.
%% Run: erlc term_codec.erl && erl -noshell -s term_codec main [quick] -s init stop
-module(term_codec).
-export([main/0, main/1]).

main() -> main([]).

main(Args) ->
    Quick = lists:member(quick, Args),
    {MinUs, Runs} = case Quick of true -> {20000, 1}; false -> {200000, 5} end,
    Workloads = [{small, {call, counter, 42, incr, 1234567}},
                 {binary, binary:copy(<<"x">>, 1 bsl 20)},
                 {list, lists:seq(1, 100000)}],
    lists:foreach(
      fun({Name, T}) ->
              Bin = term_to_binary(T, [{minor_version, 2}]),
              Enc = median(fun() -> term_to_binary(T, [{minor_version, 2}]) end, MinUs, Runs),
              report(encode, Name, Enc, byte_size(Bin), term_to_binary),
              Dec = median(fun() -> binary_to_term(Bin) end, MinUs, Runs),
              report(decode, Name, Dec, byte_size(Bin), binary_to_term)
      end, Workloads),
    {binary, Big} = lists:keyfind(binary, 1, Workloads),
    BigSize = iolist_size(term_to_iovec(Big, [{minor_version, 2}])),
    Iov = median(fun() -> term_to_iovec(Big, [{minor_version, 2}]) end, MinUs, Runs),
    report(encode, binary_iovec, Iov, BigSize, term_to_iovec).

report(Op, Name, Rate, Bytes, Call) ->
    io:format("bench=term_~s_~s impl=erlang workers=1 terms_per_s=~w mb_per_s=~.1f"
              " erl_call=~s~n",
              [Op, Name, round(Rate), Rate * Bytes / 1.0e6, Call]).

median(F, MinUs, Runs) ->
    Rates = lists:sort([rate(F, MinUs) || _ <- lists:seq(1, Runs)]),
    lists:nth(length(Rates) div 2 + 1, Rates).

rate(F, MinUs) ->
    Start = erlang:monotonic_time(microsecond),
    rate(F, MinUs, Start, 0).

rate(F, MinUs, Start, N) ->
    loop(F, 16),
    Elapsed = erlang:monotonic_time(microsecond) - Start,
    case Elapsed >= MinUs of
        true -> (N + 16) * 1.0e6 / Elapsed;
        false -> rate(F, MinUs, Start, N + 16)
    end.

loop(_, 0) -> ok;
loop(F, K) -> F(), loop(F, K - 1).
