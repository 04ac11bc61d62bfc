;; item2vec's Adagrad row updates (models/offers/item2vec.ts), two float64 lanes at a time (WebAssembly
;; SIMD). The tables are float32, as in the model; every step computes in float64 exactly as the
;; TypeScript loop it replaced did (read a float32, compute in float64, store rounded to float32; the
;; squares are read back as stored), so the vectors are the same bit for bit. `npm run build:kernels`
;; assembles this file into adagrad.wasm (committed).
(module
  (memory (export "memory") 1)

  ;; For r < count, row = rows[r] (int32): squares[row] += g², table[row] -= lr·g / (√squares[row] + eps),
  ;; with g = grads[r] (dim float32 each, row-major; an odd dim ends in a scalar step). Rows in order: a row listed twice gets both
  ;; updates, the second seeing the first's squares.
  (func (export "update") (param $table i32) (param $squares i32) (param $rows i32) (param $count i32) (param $grads i32) (param $dim i32) (param $lr f64) (param $eps f64)
    (local $end i32) (local $rowBytes i32) (local $o i32) (local $oEnd i32) (local $at i32)
    (local $pairsEnd i32) (local $g v128) (local $s v128) (local $lr2 v128) (local $eps2 v128) (local $g1 f64) (local $s1 f64)
    (local.set $lr2 (f64x2.splat (local.get $lr)))
    (local.set $eps2 (f64x2.splat (local.get $eps)))
    (local.set $rowBytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $end (i32.add (local.get $rows) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $rows) (local.get $end)))
        (local.set $o (i32.mul (i32.load (local.get $rows)) (local.get $rowBytes)))
        (local.set $oEnd (i32.add (local.get $o) (local.get $rowBytes)))
        (local.set $pairsEnd (i32.add (local.get $o) (i32.and (local.get $rowBytes) (i32.const -8))))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_u (local.get $o) (local.get $pairsEnd)))
            (local.set $g (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $grads))))
            (local.set $at (i32.add (local.get $squares) (local.get $o)))
            (local.set $s (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $at))) (f64x2.mul (local.get $g) (local.get $g))))
            (v128.store64_lane 0 (local.get $at) (f32x4.demote_f64x2_zero (local.get $s)))
            ;; the squares as stored (float32), as the TypeScript loop read them back
            (local.set $s (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $at))))
            (local.set $at (i32.add (local.get $table) (local.get $o)))
            (v128.store64_lane 0 (local.get $at)
              (f32x4.demote_f64x2_zero
                (f64x2.sub
                  (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $at)))
                  (f64x2.div (f64x2.mul (local.get $lr2) (local.get $g)) (f64x2.add (f64x2.sqrt (local.get $s)) (local.get $eps2))))))
            (local.set $o (i32.add (local.get $o) (i32.const 8)))
            (local.set $grads (i32.add (local.get $grads) (i32.const 8)))
            (br $pairs)))
        (if (i32.lt_u (local.get $o) (local.get $oEnd))
          (then
            (local.set $g1 (f64.promote_f32 (f32.load (local.get $grads))))
            (local.set $at (i32.add (local.get $squares) (local.get $o)))
            (f32.store (local.get $at) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $at))) (f64.mul (local.get $g1) (local.get $g1)))))
            (local.set $s1 (f64.promote_f32 (f32.load (local.get $at))))
            (local.set $at (i32.add (local.get $table) (local.get $o)))
            (f32.store (local.get $at)
              (f32.demote_f64
                (f64.sub
                  (f64.promote_f32 (f32.load (local.get $at)))
                  (f64.div (f64.mul (local.get $lr) (local.get $g1)) (f64.add (f64.sqrt (local.get $s1)) (local.get $eps))))))
            (local.set $grads (i32.add (local.get $grads) (i32.const 4)))))
        (local.set $rows (i32.add (local.get $rows) (i32.const 4)))
        (br $next)))))
