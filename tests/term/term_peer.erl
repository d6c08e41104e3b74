%% Peer for the term interop tests: reads {packet,4} requests on stdin, answers on stdout.
%% Request: <<Op, Payload/binary>>. Reply: <<Status, Body/binary>> (Status 0 = ok, 1 = error).
-module(term_peer).
-export([main/0]).

main() ->
    Port = open_port({fd, 0, 1}, [binary, {packet, 4}, eof]),
    loop(Port).

loop(Port) ->
    receive
        {Port, {data, <<Op, Payload/binary>>}} ->
            Reply = try {0, handle(Op, Payload)}
                    catch C:R:S -> {1, iolist_to_binary(io_lib:format("~p:~p ~p", [C, R, S]))}
                    end,
            {Status, Body} = Reply,
            Port ! {self(), {command, [Status, Body]}},
            loop(Port);
        {Port, eof} ->
            halt(0)
    end.

v2(T) -> term_to_binary(T, [{minor_version, 2}]).

%% 1: decode, re-encode with {minor_version, 2}.
handle(1, B) -> v2(binary_to_term(B));
%% 2: decode, re-encode with erl 25's defaults (minor_version 1).
handle(2, B) -> term_to_binary(binary_to_term(B));
%% 3: <<Level, Etf>>: decode, re-encode compressed at Level.
handle(3, <<Level, B/binary>>) -> term_to_binary(binary_to_term(B), [{compressed, Level}, {minor_version, 2}]);
%% 8: decode, re-encode with [deterministic]: maps over 32 keys in term order of their keys.
handle(8, B) -> term_to_binary(binary_to_term(B), [deterministic, {minor_version, 2}]);
%% 4: sort a list with lists:sort/1 (Erlang term order).
handle(4, B) -> v2(lists:sort(binary_to_term(B)));
%% 5: <<Seed:32>>: generate a random term; reply v2, v1 and compressed encodings.
handle(5, <<Seed:32>>) ->
    rand:seed(exsss, {Seed, Seed * 7 + 1, Seed * 13 + 5}),
    T = gen(4),
    iolist_to_binary([frame(v2(T)), frame(term_to_binary(T)),
                      frame(term_to_binary(T, [compressed, {minor_version, 2}]))]);
%% 6: print with io_lib:print (no line breaks), UTF-8.
handle(6, B) -> unicode:characters_to_binary(io_lib:print(binary_to_term(B), 1, 100000000, -1));
%% 7: {A, B}: reply <<(A == B), (A =:= B), (A < B)>>.
handle(7, B) ->
    {X, Y} = binary_to_term(B),
    <<(bool(X == Y)), (bool(X =:= Y)), (bool(X < Y))>>.

bool(true) -> 1;
bool(false) -> 0.

frame(B) -> <<(byte_size(B)):32, B/binary>>.

r(N) -> rand:uniform(N).

gen(D) when D =< 0 -> leaf();
gen(D) ->
    case r(9) of
        1 -> list_to_tuple([gen(D - 1) || _ <- lists:seq(1, r(6) - 1)]);
        2 -> [gen(D - 1) || _ <- lists:seq(1, r(6) - 1)];
        3 -> [gen(D - 1) | leaf()];
        4 -> maps:from_list([{gen(D - 2), gen(D - 1)} || _ <- lists:seq(1, r(6) - 1)]);
        5 -> maps:from_list([{leaf(), leaf()} || _ <- lists:seq(1, 30 + r(20))]);
        6 -> X = gen(D - 1), Y = leaf(), fun(Z) -> {X, Y, Z} end;
        _ -> leaf()
    end.

leaf() ->
    case r(16) of
        1 -> r(256) - 1;
        2 -> r(1 bsl 40) - (1 bsl 39);
        3 -> (r(1 bsl 62) bsl (r(600))) * (case r(2) of 1 -> 1; 2 -> -1 end);
        4 -> rand:uniform() * math:pow(10, r(600) - 300);
        5 -> list_to_atom(lists:nth(r(6), ["ok", "Quoted", "é", "a b", "", "x@y"]));
        6 -> binary_to_atom(lists:nth(r(3), [<<"Ω"/utf8>>, <<"日本"/utf8>>, <<"ünï"/utf8>>]), utf8);
        7 -> crypto_free_bytes(r(40) - 1);
        8 -> <<(crypto_free_bytes(3))/binary, (r(127)):7>>;
        9 -> [];
        10 -> [r(255) || _ <- lists:seq(1, r(20))];
        11 -> self();
        12 -> make_ref();
        13 -> fun lists:map/2;
        14 -> hd(erlang:ports());
        15 -> -(r(1 bsl 31));
        _ -> 1.5
    end.

crypto_free_bytes(N) -> list_to_binary([r(256) - 1 || _ <- lists:seq(1, N)]).
