%% Codes and limits shared by the driver (c_src) and the Erlang side (src).
%% Generated from c_src/wire.hpp by c_src/test/print_wire_hrl.cpp; do not edit.
%% Regenerate: build/c_src/test/print_wire_hrl > include/hb_beamr_wire.hrl
%% (the ctest wire_hrl_matches fails while this file differs).

%% port_control operations (c_src/fast_path.hpp); 0 is the driver's no-op.
-define(HB_CTL_PING, 0).
-define(HB_CTL_CALL, 1).
-define(HB_CTL_ANSWER, 2).
-define(HB_CTL_RESUME, 3).
-define(HB_CTL_REQUEST, 4).
-define(HB_CTL_MOVE, 5).

%% First byte of a port_control reply.
-define(HB_REPLY_DATA, 0).  % <<0, Data>>: {ok, Data}
-define(HB_REPLY_TERM, 1).  % <<1, Term>>: binary_to_term(Term)
-define(HB_REPLY_RESULTS, 2).  % <<2, Values>>: {ok, Results}
-define(HB_REPLY_IMPORT, 3).  % <<3, Index:32, Values>>: import Index waits

%% First byte of a compact command or answer (c_src/compact.hpp).
-define(HB_COMPACT_CALL, 0).
-define(HB_COMPACT_INDIRECT, 1).
-define(HB_COMPACT_ANSWER, 4).
-define(HB_COMPACT_REJECT, 5).

%% Value codes of the compact encoding: <<Code, Payload:64>>.
-define(HB_VALUE_INT, 0).
-define(HB_VALUE_UINT, 1).
-define(HB_VALUE_FLOAT, 2).
-define(HB_VALUE_NAN, 3).
-define(HB_VALUE_INFINITY, 4).
-define(HB_VALUE_NEG_INFINITY, 5).
-define(HB_VALUE_NULL, 6).
-define(HB_VALUE_INVALID, 7).
-define(HB_VALUE_REF, 8).

%% Largest max_stack option, in bytes.
-define(HB_MAX_STACK, 65011712).
%% Call time limits at or above this many milliseconds mean no limit.
-define(HB_MAX_TIMEOUT_MS, 1099511627776).
