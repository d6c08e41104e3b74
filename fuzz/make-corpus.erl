#!/usr/bin/env escript
%% Writes the seed corpus for term_decode_fuzz: erl's own encodings of a spread of terms.
%% Usage: fuzz/make-corpus.erl [OutDir]   (default fuzz/corpus/term_decode)
-mode(compile).

main(Args) ->
    Dir = case Args of [D] -> D; [] -> "fuzz/corpus/term_decode" end,
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    Ref = make_ref(),
    Fun = fun(X) -> {X, Ref} end,
    Remote = binary_to_term(<<131, 88, 119, 3, "a@b", 0:32, 7:32, 2:32>>),
    Terms = [
        {small_int, 42}, {integer, -123456}, {big, 1 bsl 100}, {neg_big, -(1 bsl 64)},
        {large_big, 1 bsl 2100}, {float, 3.14159}, {neg_zero, -0.0}, {tiny_float, 5.0e-324},
        {atom, hello}, {quoted_atom, 'Hello World'}, {utf8_atom, binary_to_atom(<<"Ωλ"/utf8>>, utf8)},
        {empty_atom, ''}, {nil, []}, {string, "hello world"}, {list, [1, 2.0, three, <<"4">>]},
        {improper, [a, b | c]}, {tuple, {ok, 1, "two", <<3>>}}, {large_tuple, list_to_tuple(lists:seq(1, 300))},
        {empty_tuple, {}}, {map, #{a => 1, <<"b">> => [2], {c} => #{}}},
        {large_map, maps:from_list([{N, N * N} || N <- lists:seq(1, 40)])},
        {binary, <<"binary data">>}, {empty_binary, <<>>}, {bitstring, <<1, 2, 3:5>>},
        {pid, self()}, {remote_pid, Remote}, {ref, Ref}, {port, hd(erlang:ports())},
        {fun_closure, Fun}, {export, fun lists:map/2}, {nested, [[[[{deep, [[[]]]}]]]]},
        {unicode_string, "héllo ✓"}, {long_list, lists:seq(1, 1000)},
        {message, {'$gen_call', {self(), Ref}, {get, key}}},
        {bools, [true, false, undefined]}
    ],
    lists:foreach(
      fun({Name, T}) ->
              write(Dir, Name, "", term_to_binary(T)),
              write(Dir, Name, "_v2", term_to_binary(T, [{minor_version, 2}])),
              Packed = term_to_binary(T, [compressed]),
              case Packed of
                  <<131, 80, _/binary>> -> write(Dir, Name, "_z", Packed);
                  _ -> ok
              end
      end, Terms).

write(Dir, Name, Suffix, Bin) ->
    ok = file:write_file(filename:join(Dir, atom_to_list(Name) ++ Suffix ++ ".etf"), Bin).
