%%% Instance threads run below the VM's schedulers (issue 13, item 12): a
%%% spinning call takes a core only while no scheduler wants it. What the
%%% policy buys is measured in bench/ (group sched); this checks that it is
%%% applied, from the kernel's view of the threads (/proc, Linux only).
-module(hb_beamr_27_thread_priority_tests).

-include_lib("eunit/include/eunit.hrl").

%% The nice value of instance threads (kInstanceNice in instance_thread.cpp).
-define(INSTANCE_NICE, 19).

instance_thread_is_below_the_schedulers_test_() ->
    case file:read_file_info("/proc/self/task") of
        {ok, _} -> [fun instance_thread_is_niced/0];
        {error, _} -> []
    end.

instance_thread_is_niced() ->
    Before = tasks(),
    W = hb_beamr_test_util:start("fac"),
    %% The init started the port's thread; it is one of the new tasks.
    New = maps:without(maps:keys(Before), tasks()),
    ok = hb_beamr:stop(W),
    Instance = [Nice || {Name, Nice} <- maps:values(New),
                        lists:prefix("hb_beamr", Name)],
    ?assertMatch([_ | _], Instance),
    ?assertEqual([?INSTANCE_NICE], lists:usort(Instance)),
    %% The schedulers keep the VM's own priority.
    Schedulers = [Nice || {Name, Nice} <- maps:values(Before),
                          lists:suffix("_scheduler", Name)],
    ?assertMatch([_ | _], Schedulers),
    ?assertEqual([0], lists:usort(Schedulers)).

%% This VM's threads: #{Tid => {Name, Nice}}.
tasks() ->
    Dir = "/proc/" ++ os:getpid() ++ "/task",
    {ok, Tids} = file:list_dir(Dir),
    maps:from_list([{Tid, Info} || Tid <- Tids,
                                   {ok, Info} <- [task(filename:join(Dir, Tid))]]).

task(Dir) ->
    case file:read_file(filename:join(Dir, "stat")) of
        {ok, Stat} ->
            %% "pid (comm) state ppid ..." where comm may hold spaces: the
            %% fields after the last ')' are fixed; nice is field 19.
            [Head, Rest] = string:split(Stat, ")", trailing),
            [_, Name] = string:split(Head, "("),
            Fields = string:lexemes(Rest, " "),
            {ok, {binary_to_list(Name), binary_to_integer(lists:nth(19 - 2, Fields))}};
        {error, _} ->
            error % the thread ended meanwhile
    end.
