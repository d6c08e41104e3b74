%% The supervisor of the restart workload (see otp_bench.erl): one permanent child that
%% crashes on every message. The intensity is high enough never to be reached; the period is
%% the smallest OTP accepts (1 s), which also bounds the restart history supervisor.erl scans
%% on each restart.
-module(otp_bench_sup).
-behaviour(supervisor).
-export([start_link/1, init/1]).

start_link(Driver) ->
    supervisor:start_link(?MODULE, Driver).

init(recovery) ->
    %% The recovery workload: a registered echo server, killed again and again.
    Flags = #{strategy => one_for_one, intensity => 1000000000, period => 1},
    Child = #{id => recovery_target,
              start => {otp_bench_server, start_link_registered, [recovery_target, echo]},
              restart => permanent, shutdown => brutal_kill, type => worker},
    {ok, {Flags, [Child]}};
init(Driver) ->
    Flags = #{strategy => one_for_one, intensity => 1000000000, period => 1},
    Child = #{id => crasher,
              start => {otp_bench_server, start_link, [{crasher, Driver}]},
              restart => permanent, shutdown => brutal_kill, type => worker},
    {ok, {Flags, [Child]}}.
