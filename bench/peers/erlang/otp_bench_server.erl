%% The gen_server of the call-latency and supervisor workloads (see otp_bench.erl).
%%  echo             answers every call `ping` with `pong`.
%%  idle             an idle server with empty state (the spawn workload's gen_server kind).
%%  {crasher, Pid}   tells Pid {started, self()} from init; `crash` raises an error, `stop`
%%                   stops it with reason crash (no exception).
-module(otp_bench_server).
-behaviour(gen_server).
-export([start_link/1, start_link_registered/2, init/1, handle_call/3, handle_cast/2, handle_info/2]).

start_link(Arg) ->
    gen_server:start_link(?MODULE, Arg, []).

start_link_registered(Name, Arg) ->
    gen_server:start_link({local, Name}, ?MODULE, Arg, []).

init(echo) ->
    {ok, echo};
init(idle) ->
    {ok, []};
init({crasher, Driver}) ->
    Driver ! {started, self()},
    {ok, Driver}.

handle_call(ping, _From, State) ->
    {reply, pong, State}.

handle_cast(_Msg, State) ->
    {noreply, State}.

handle_info(crash, _Driver) ->
    error(crash);
handle_info(stop, Driver) ->
    {stop, crash, Driver}.
