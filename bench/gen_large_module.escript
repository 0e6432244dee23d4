#!/usr/bin/env escript
%% Writes the WAT of the benchmark's large module: Functions functions of
%% Statements arithmetic statements each (about 12 bytes of code per
%% statement), chained by guarded calls so none is dead code. With the
%% defaults the binary has about 3 MB of code.
%% Usage: gen_large_module.escript Out.wat [Functions [Statements]]
-mode(compile).

main([Out]) -> main([Out, "3000", "80"]);
main([Out, Functions]) -> main([Out, Functions, "80"]);
main([Out, FunctionsS, StatementsS]) ->
    Functions = list_to_integer(FunctionsS),
    Statements = list_to_integer(StatementsS),
    Ops = {"i32.add", "i32.mul", "i32.xor", "i32.rotl", "i32.sub", "i32.or"},
    Body = fun(F) ->
        [[io_lib:format("    local.get ~b i32.const ~b ~s local.get ~b ~s local.set ~b~n",
                        [S rem 4, (F * 7919 + S * 104729) rem 1000003,
                         element(1 + (F + S) rem 6, Ops), (S + 1) rem 4,
                         element(1 + (F * 3 + S) rem 6, Ops), (S + 2) rem 4])
          || S <- lists:seq(1, Statements)],
         case F of
             0 -> [];
             _ -> io_lib:format("    local.get 0 i32.const 1 i32.and (if (then local.get 1 "
                                "local.get 2 call ~b local.set 3))~n", [F - 1])
         end]
    end,
    Funcs = [[io_lib:format("  (func (param i32 i32) (result i32) (local i32 i32)~n", []),
              Body(F),
              "    local.get 0 local.get 1 i32.add local.get 2 i32.xor local.get 3 i32.add)\n"]
             || F <- lists:seq(0, Functions - 1)],
    Wat = ["(module\n", Funcs,
           io_lib:format("  (export \"run\" (func ~b)))~n", [Functions - 1])],
    ok = file:write_file(Out, Wat).
