;; The offers ranking's similarity term: dot products of the context vector with candidates' item vectors,
;; four float32 lanes at a time (WebAssembly SIMD). models/offers/ranker.ts keeps the item vectors table in
;; this module's memory (row-major, `dim` float32 per item, as the model stores it), writes the query and the
;; candidate list beside it, and keeps the control flow. `npm run build:kernels` assembles this file into
;; similarity.wasm (committed); test/models/kernels.test.ts fails when the two differ.
(module
  (memory (export "memory") 1)

  ;; out[c] = query · row(items[c]) for c < count: items are int32 row numbers, a row is dim float32 at
  ;; vectors + row number · 4·dim (rows need not be 16-byte aligned: the loads are unaligned); out is float32.
  ;; The lanes sum four at a time, a dim that is not a multiple of four ends in a scalar tail.
  (func (export "dots") (param $query i32) (param $vectors i32) (param $dim i32) (param $items i32) (param $count i32) (param $out i32)
    (local $end i32) (local $rowBytes i32) (local $vectorBytes i32) (local $row i32) (local $rowEnd i32) (local $vectorEnd i32) (local $q i32)
    (local $acc v128) (local $sum f32)
    (local.set $end (i32.add (local.get $items) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $rowBytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $vectorBytes (i32.and (local.get $rowBytes) (i32.const -16)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $items) (local.get $end)))
        (local.set $row (i32.add (local.get $vectors) (i32.mul (i32.load (local.get $items)) (local.get $rowBytes))))
        (local.set $rowEnd (i32.add (local.get $row) (local.get $rowBytes)))
        (local.set $vectorEnd (i32.add (local.get $row) (local.get $vectorBytes)))
        (local.set $q (local.get $query))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (block $lanesDone
          (loop $lanes
            (br_if $lanesDone (i32.ge_u (local.get $row) (local.get $vectorEnd)))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load align=4 (local.get $row)) (v128.load align=4 (local.get $q)))))
            (local.set $row (i32.add (local.get $row) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $lanes)))
        (local.set $sum
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $row) (local.get $rowEnd)))
            (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $row)) (f32.load (local.get $q)))))
            (local.set $row (i32.add (local.get $row) (i32.const 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br $tail)))
        (f32.store (local.get $out) (local.get $sum))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $items (i32.add (local.get $items) (i32.const 4)))
        (br $next)))))
