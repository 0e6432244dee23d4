;; import_loop.wat: a loop whose every iteration calls an import, to measure
;; one import round trip (WebAssembly -> host -> WebAssembly).
(module
  (import "env" "tick" (func $tick (param i32) (result i32)))
  ;; loop(n) calls env.tick n times, feeding each result to the next call,
  ;; and returns the last result (n if tick(i) = i + 1).
  (func (export "loop") (param $n i32) (result i32)
    (local $i i32)
    (local $acc i32)
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (call $tick (local.get $acc)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (local.get $acc)))
