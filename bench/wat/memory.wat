;; memory.wat: a memory that the benchmark grows to 1, 64 or 256 MiB, for
;; read/write and snapshot throughput.
(module
  (memory (export "memory") 1)
  ;; grow(pages) = memory.grow: the old size in pages, or -1.
  (func (export "grow") (param $pages i32) (result i32)
    (memory.grow (local.get $pages))))
