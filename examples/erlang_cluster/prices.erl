%% The Erlang side of the erlang_cluster tutorial: a gen_server registered as `prices` that the
%% BitActor node calls with gen_server:call, and a function it calls with rpc.
%%   erlc prices.erl && erl -sname shell@localhost -setcookie tutorial
%%   1> prices:start().
-module(prices).
-behaviour(gen_server).
-export([start/0, total/1]).
-export([init/1, handle_call/3, handle_cast/2]).

start() ->
    gen_server:start({local, prices}, ?MODULE, #{<<"ACME">> => 42, <<"INITECH">> => 7}, []).

%% The price of a list of {Symbol, Quantity}; a symbol without a price is a badmatch.
total(Lines) ->
    lists:sum([begin {ok, P} = gen_server:call(prices, {price, S}), P * Q end || {S, Q} <- Lines]).

init(Prices) ->
    {ok, Prices}.

handle_call({price, Symbol}, _From, Prices) ->
    {reply, maps:find(Symbol, Prices), Prices}.

handle_cast(_Request, Prices) ->
    {noreply, Prices}.
