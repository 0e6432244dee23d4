;; wasi_loop.wat: import_loop's loop with a WASI import instead of env.tick,
;; to measure an import the WASI provider answers in C++. args_sizes_get
;; only writes two words, so the row is the provider's overhead.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; loop(n) calls args_sizes_get n times and returns how many answered 0.
  (func (export "loop") (param $n i32) (result i32)
    (local $i i32)
    (local $ok i32)
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $ok
          (i32.add (local.get $ok)
                   (i32.eqz (call $args_sizes_get (i32.const 0) (i32.const 4)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (local.get $ok)))
