%% The erl side of the distribution tests. Started as
%%   erl -sname Name -setcookie C -hidden -noinput -pa Dir -s dist_peer main
%% it reads commands (term_to_binary, {packet,4}) on stdin and answers each on stdout.
%% Messages to the registered process `inbox` (or to its pid) are queued for {recv, Ms}.
-module(dist_peer).
-export([main/0]).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).

main() ->
    %% stdout carries the replies: send log lines (a refused connection logs one) to stderr.
    ok = logger:remove_handler(default),
    ok = logger:add_handler(stderr, logger_std_h, #{config => #{type => standard_error}}),
    %% `echo`: a gen_server answering {echo, Request} (for calls from BitActor).
    {ok, _} = gen_server:start({local, echo}, ?MODULE, [], []),
    Inbox = spawn(fun inbox/0),
    register(inbox, Inbox),
    Port = open_port({fd, 0, 1}, [binary, {packet, 4}, eof]),
    reply(Port, {ready, node(), Inbox}),
    loop(Port, Inbox).

loop(Port, Inbox) ->
    receive
        {Port, {data, Bin}} ->
            Reply = try handle(binary_to_term(Bin), Inbox)
                    catch C:R -> {error, C, R}
                    end,
            reply(Port, Reply),
            loop(Port, Inbox);
        {Port, eof} ->
            halt(0)
    end.

reply(Port, T) -> Port ! {self(), {command, term_to_binary(T)}}.

handle({ping, Node}, _) -> net_adm:ping(Node);
handle({send, Dest, Msg}, _) -> Dest ! Msg, ok;
handle({recv, Ms}, Inbox) ->
    Inbox ! {take, self(), Ms},
    receive {inbox_reply, R} -> R end;
handle(nodes, _) -> lists:sort(nodes(connected));
handle({disconnect, Node}, _) -> erlang:disconnect_node(Node);
handle({exit, Pid, Reason}, _) -> exit(Pid, Reason), ok;
%% A process that traps exits, links to Pid and forwards everything it gets to the inbox.
handle({spawn_linker, Pid}, Inbox) ->
    Self = self(),
    L = spawn(fun() ->
                  process_flag(trap_exit, true),
                  link(Pid),
                  Self ! {linked, self()},
                  forward(Inbox)
              end),
    receive {linked, L} -> L end;
%% A process that does not trap exits, linked to nothing yet: for links from BitActor.
handle(spawn_idle, _) -> spawn(fun() -> receive stop -> ok end end);
handle({is_alive, Pid}, _) -> is_process_alive(Pid);
%% gen_server:call/3 to a BitActor process (by {Name, Node} or pid): the reply or the exit.
handle({call, Dest, Req, Ms}, _) ->
    try {reply, gen_server:call(Dest, Req, Ms)}
    catch exit:R -> {exit, R}
    end;
%% Another gen_server like echo, registered as Name (for calls that end it).
handle({start_server, Name}, _) ->
    {ok, P} = gen_server:start({local, Name}, ?MODULE, [], []),
    P;
%% The processes monitoring the process registered as Name (from other nodes too).
handle({monitored_by, Name}, _) ->
    {monitored_by, M} = erlang:process_info(whereis(Name), monitored_by),
    M;
%% rpc:call/5 to Node: its result, {badrpc, Reason} included.
handle({rpc, Node, M, F, A, Ms}, _) -> rpc:call(Node, M, F, A, Ms);
%% erpc:call/5 to Node: {return, Value}, or how it raised.
handle({erpc, Node, M, F, A, Ms}, _) ->
    try {return, erpc:call(Node, M, F, A, Ms)}
    catch C:R -> {C, R}
    end;
%% rpc:cast/4 to Node.
handle({rpc_cast, Node, M, F, A}, _) -> rpc:cast(Node, M, F, A);
%% spawn_monitor(Node, M, F, A) (a plain spawn there): the process's exit reason.
handle({spawn_monitor_on, Node, M, F, A, Ms}, _) ->
    {Pid, Ref} = spawn_monitor(Node, M, F, A),
    receive {'DOWN', Ref, process, Pid, Reason} -> Reason after Ms -> timeout end;
%% The pid of this node's echo gen_server.
handle(echo_pid, _) -> whereis(echo);
%% gen_server:cast/2 to a BitActor process.
handle({cast, Dest, Req}, _) -> gen_server:cast(Dest, Req), ok;
%% A process that monitors Pid and forwards the DOWN to the inbox.
handle({spawn_monitor_of, Target}, Inbox) ->
    Self = self(),
    M = spawn(fun() ->
                  Ref = erlang:monitor(process, Target),
                  Self ! {monitoring, self(), Ref},
                  forward(Inbox)
              end),
    receive {monitoring, M, Ref} -> {M, Ref} end;
handle({unlink_from, Linker, Pid}, _) -> Linker ! {do_unlink, Pid}, ok;
%% Sends Dest a binary of Size bytes (byte I is I rem 251) from a new process, which then sends
%% {after_big, Size, erlang:crc32(Bin)}; while it goes out, this process sends {small, I} for
%% I in 1..N. Returns the crc32.
handle({send_big, Dest, Size, N}, _) ->
    Bin = pattern(Size),
    spawn(fun() -> Dest ! {big, Bin}, Dest ! {after_big, Size, erlang:crc32(Bin)} end),
    [Dest ! {small, I} || I <- lists:seq(1, N)],
    erlang:crc32(Bin);
%% Whether Bin is pattern(byte_size(Bin)), and its crc32.
handle({check_big, Bin}, _) -> {Bin =:= pattern(byte_size(Bin)), erlang:crc32(Bin)};
handle(halt, _) -> halt(0).

pattern(Size) ->
    Block = list_to_binary(lists:seq(0, 250)),
    binary:part(binary:copy(Block, Size div 251 + 1), 0, Size).

forward(Inbox) ->
    receive
        {do_unlink, Pid} -> unlink(Pid), Inbox ! {unlinked, Pid}, forward(Inbox);
        M -> Inbox ! M, forward(Inbox)
    end.

inbox() ->
    receive
        {take, From, Ms} ->
            R = receive M -> {got, M} after Ms -> timeout end,
            From ! {inbox_reply, R},
            inbox()
    end.

init([]) -> {ok, nostate}.
handle_call({stop_with, Reason}, _From, S) -> {stop, Reason, S};
handle_call(no_reply, _From, S) -> {noreply, S};
handle_call(Req, _From, S) -> {reply, {echo, Req}, S}.
handle_cast(_, S) -> {noreply, S}.
