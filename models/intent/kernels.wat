;; The intent forward pass's arithmetic, four float32 lanes at a time (WebAssembly SIMD).
;; models/intent/forward.ts keeps the bin search (which rows a row of features adds) and lays out the one linear
;; memory: weights, the members' descriptors, scratch; `network` then runs a row in one call. Layers sum
;; weight rows scaled by their inputs into running sums held in locals (output-stationary), so no result is
;; summed across lanes and none is stored before it is complete. `npm run build:kernels` assembles this file
;; into kernels.wasm (committed); test/models/kernels.test.ts fails when the two differ.
;;
;; Conventions: pointers and lengths are in bytes; every vector length is a multiple of 16 bytes (the caller
;; pads rows with zeros); activations are coded 0 linear, 1 relu, 2 elu, 3 tanh.
(module
  (memory (export "memory") 1)

  ;; e^x in float32, four lanes at a time: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its degree-7 Taylor
  ;; polynomial (truncation error below 1e-8 relative), 2^n built in the exponent bits. Clamped to the
  ;; normal float range.
  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.max (f32x4.min (local.get $x) (f32x4.splat (f32.const 88))) (f32x4.splat (f32.const -87))))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896)))))
    (local.set $r
      (f32x4.sub
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693145751953125))))
        (f32x4.mul (local.get $n) (f32x4.splat (f32.const 1.428606765330187e-06)))))
    (local.set $p (f32x4.splat (f32.const 1.98412698412698e-04)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.38888888888889e-03))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.33333333333333e-03))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.16666666666667e-02))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 0.166666666666667))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 0.5))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1))))
    (f32x4.mul
      (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23))))

  (func $act4 (param $x v128) (param $kind i32) (result v128)
    (local $t v128)
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then (return (f32x4.max (local.get $x) (f32x4.splat (f32.const 0))))))
    (if (i32.eq (local.get $kind) (i32.const 2))
      (then
        (return
          (v128.bitselect
            (local.get $x)
            (f32x4.sub (call $exp4 (local.get $x)) (f32x4.splat (f32.const 1)))
            (f32x4.gt (local.get $x) (f32x4.splat (f32.const 0)))))))
    (if (i32.eq (local.get $kind) (i32.const 3))
      (then
        (local.set $t (call $exp4 (f32x4.add (local.get $x) (local.get $x))))
        (return
          (f32x4.div
            (f32x4.sub (local.get $t) (f32x4.splat (f32.const 1)))
            (f32x4.add (local.get $t) (f32x4.splat (f32.const 1)))))))
    (local.get $x))

  ;; One value: a lane of $act4 (the tails of vectors that are not multiples of four).
  (func $act (param $x f32) (param $kind i32) (result f32)
    (f32x4.extract_lane 0 (call $act4 (f32x4.splat (local.get $x)) (local.get $kind))))

  ;; d activation / d pre-activation, from the activation's output y, for one value (a lane of $slope4)
  (func $slope (param $y f32) (param $kind i32) (result f32)
    (f32x4.extract_lane 0 (call $slope4 (f32x4.splat (local.get $y)) (local.get $kind))))

  ;; d activation / d pre-activation, from the activations' outputs y, four at a time
  (func $slope4 (param $y v128) (param $kind i32) (result v128)
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then (return (v128.and (f32x4.gt (local.get $y) (f32x4.splat (f32.const 0))) (f32x4.splat (f32.const 1))))))
    (if (i32.eq (local.get $kind) (i32.const 2))
      (then
        (return
          (v128.bitselect
            (f32x4.splat (f32.const 1))
            (f32x4.add (local.get $y) (f32x4.splat (f32.const 1)))
            (f32x4.gt (local.get $y) (f32x4.splat (f32.const 0)))))))
    (if (i32.eq (local.get $kind) (i32.const 3))
      (then (return (f32x4.sub (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $y) (local.get $y))))))
    (f32x4.splat (f32.const 1)))

  ;; up[u] ·= slope(y[u]) for u < count: the gradient at a layer's outputs becomes the gradient at its
  ;; pre-activations (four at a time, then one at a time)
  (func $throughActivation (param $up i32) (param $y i32) (param $count i32) (param $kind i32)
    (local $end i32) (local $vend i32)
    (if (i32.eqz (local.get $kind)) (then (return)))
    (local.set $end (i32.add (local.get $up) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $vend (i32.add (local.get $up) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $up) (local.get $vend)))
        (v128.store (local.get $up) (f32x4.mul (v128.load (local.get $up)) (call $slope4 (v128.load (local.get $y)) (local.get $kind))))
        (local.set $up (i32.add (local.get $up) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $next)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $up) (local.get $end)))
        (f32.store (local.get $up) (f32.mul (f32.load (local.get $up)) (call $slope (f32.load (local.get $y)) (local.get $kind))))
        (local.set $up (i32.add (local.get $up) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $next))))

  ;; a · b over bytes (a multiple of 16)
  (func $dot (param $a i32) (param $b i32) (param $bytes i32) (result f32)
    (local $acc v128) (local $end i32)
    (local.set $end (i32.add (local.get $a) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $next)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; v · (a · rowA + b · rowB)
  (func $dot2 (param $v i32) (param $a f32) (param $rowA i32) (param $b f32) (param $rowB i32) (param $bytes i32) (result f32)
    (local $av v128) (local $bv v128) (local $acc v128) (local $end i32)
    (local.set $av (f32x4.splat (local.get $a)))
    (local.set $bv (f32x4.splat (local.get $b)))
    (local.set $end (i32.add (local.get $v) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $v) (local.get $end)))
        (local.set $acc
          (f32x4.add
            (local.get $acc)
            (f32x4.mul
              (v128.load (local.get $v))
              (f32x4.add (f32x4.mul (local.get $av) (v128.load (local.get $rowA))) (f32x4.mul (local.get $bv) (v128.load (local.get $rowB)))))))
        (local.set $rowA (i32.add (local.get $rowA) (i32.const 16)))
        (local.set $rowB (i32.add (local.get $rowB) (i32.const 16)))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (br $next)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; Entry pre-activations: out = bias + Σ_t (a_t · rowA_t + b_t · rowB_t) over the terms of one feature row.
  ;; A term is 16 bytes: rowA pointer (i32), a (f32), rowB pointer (i32), b (f32); b = 0 means rowA alone.
  (func $entry (param $terms i32) (param $count i32) (param $bias i32) (param $out i32) (param $bytes i32)
    (local $end i32) (local $o i32) (local $t i32) (local $a v128) (local $b v128) (local $ra i32) (local $rb i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $end (i32.add (local.get $terms) (i32.shl (local.get $count) (i32.const 4))))
    ;; Sixteen columns at a time in four running sums over the terms (each row read once, the sums stored once),
    ;; then four at a time; per column the same additions in the same order as one row after another.
    (block $blocks
      (loop $block
        (br_if $blocks (i32.gt_u (i32.add (local.get $o) (i32.const 64)) (local.get $bytes)))
        (local.set $s0 (v128.load (i32.add (local.get $bias) (local.get $o))))
        (local.set $s1 (v128.load offset=16 (i32.add (local.get $bias) (local.get $o))))
        (local.set $s2 (v128.load offset=32 (i32.add (local.get $bias) (local.get $o))))
        (local.set $s3 (v128.load offset=48 (i32.add (local.get $bias) (local.get $o))))
        (local.set $t (local.get $terms))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $t) (local.get $end)))
            (local.set $a (v128.load32_splat offset=4 (local.get $t)))
            (local.set $ra (i32.add (i32.load (local.get $t)) (local.get $o)))
            (if (f32.eq (f32.load offset=12 (local.get $t)) (f32.const 0))
              (then
                (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $a) (v128.load (local.get $ra)))))
                (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $a) (v128.load offset=16 (local.get $ra)))))
                (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $a) (v128.load offset=32 (local.get $ra)))))
                (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $a) (v128.load offset=48 (local.get $ra))))))
              (else
                (local.set $b (v128.load32_splat offset=12 (local.get $t)))
                (local.set $rb (i32.add (i32.load offset=8 (local.get $t)) (local.get $o)))
                (local.set $s0 (f32x4.add (local.get $s0) (f32x4.add (f32x4.mul (local.get $a) (v128.load (local.get $ra))) (f32x4.mul (local.get $b) (v128.load (local.get $rb))))))
                (local.set $s1 (f32x4.add (local.get $s1) (f32x4.add (f32x4.mul (local.get $a) (v128.load offset=16 (local.get $ra))) (f32x4.mul (local.get $b) (v128.load offset=16 (local.get $rb))))))
                (local.set $s2 (f32x4.add (local.get $s2) (f32x4.add (f32x4.mul (local.get $a) (v128.load offset=32 (local.get $ra))) (f32x4.mul (local.get $b) (v128.load offset=32 (local.get $rb))))))
                (local.set $s3 (f32x4.add (local.get $s3) (f32x4.add (f32x4.mul (local.get $a) (v128.load offset=48 (local.get $ra))) (f32x4.mul (local.get $b) (v128.load offset=48 (local.get $rb))))))))
            (local.set $t (i32.add (local.get $t) (i32.const 16)))
            (br $next)))
        (v128.store (i32.add (local.get $out) (local.get $o)) (local.get $s0))
        (v128.store offset=16 (i32.add (local.get $out) (local.get $o)) (local.get $s1))
        (v128.store offset=32 (i32.add (local.get $out) (local.get $o)) (local.get $s2))
        (v128.store offset=48 (i32.add (local.get $out) (local.get $o)) (local.get $s3))
        (local.set $o (i32.add (local.get $o) (i32.const 64)))
        (br $block)))
    (block $blocks
      (loop $block
        (br_if $blocks (i32.ge_u (local.get $o) (local.get $bytes)))
        (local.set $s0 (v128.load (i32.add (local.get $bias) (local.get $o))))
        (local.set $t (local.get $terms))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $t) (local.get $end)))
            (local.set $a (v128.load32_splat offset=4 (local.get $t)))
            (local.set $ra (i32.add (i32.load (local.get $t)) (local.get $o)))
            (if (f32.eq (f32.load offset=12 (local.get $t)) (f32.const 0))
              (then (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $a) (v128.load (local.get $ra))))))
              (else
                (local.set $s0
                  (f32x4.add
                    (local.get $s0)
                    (f32x4.add
                      (f32x4.mul (local.get $a) (v128.load (local.get $ra)))
                      (f32x4.mul (v128.load32_splat offset=12 (local.get $t)) (v128.load (i32.add (i32.load offset=8 (local.get $t)) (local.get $o)))))))))
            (local.set $t (i32.add (local.get $t) (i32.const 16)))
            (br $next)))
        (v128.store (i32.add (local.get $out) (local.get $o)) (local.get $s0))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $block))))

  ;; dst[u] = act(src[u]) for u < count (floats): four at a time, then one at a time
  (func $activate (export "activate") (param $src i32) (param $dst i32) (param $count i32) (param $kind i32)
    (local $end i32) (local $vend i32)
    (if (i32.eqz (local.get $kind))
      (then
        (memory.copy (local.get $dst) (local.get $src) (i32.shl (local.get $count) (i32.const 2)))
        (return)))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $vend (i32.add (local.get $src) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $vend)))
        (v128.store (local.get $dst) (call $act4 (v128.load (local.get $src)) (local.get $kind)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (f32.store (local.get $dst) (call $act (f32.load (local.get $src)) (local.get $kind)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $next))))

  ;; out[u] = act(bias[u] + Σ_i input[i] · kernel[i][u]) with the kernel as TF.js stores it, [inputs × units],
  ;; each row padded to whole vectors (unitBytes): sixteen units at a time in four running sums, then four at a
  ;; time, reading every weight once and summing nothing across lanes (a dot product per unit would do both).
  ;; $bias 0: no bias (the backward pass runs a transposed kernel through here).
  (func $denseRows (param $kernel i32) (param $bias i32) (param $in i32) (param $inputs i32) (param $unitBytes i32) (param $out i32) (param $units i32) (param $kind i32)
    (local $u i32) (local $w i32) (local $x i32) (local $xEnd i32) (local $x4 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $xEnd (i32.add (local.get $in) (i32.shl (local.get $inputs) (i32.const 2))))
    ;; $u: byte offset of the first unit of the block within a row
    (block $blocks
      (loop $block
        (br_if $blocks (i32.gt_u (i32.add (local.get $u) (i32.const 64)) (local.get $unitBytes)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (if (local.get $bias)
          (then
            (local.set $a0 (v128.load (i32.add (local.get $bias) (local.get $u))))
            (local.set $a1 (v128.load offset=16 (i32.add (local.get $bias) (local.get $u))))
            (local.set $a2 (v128.load offset=32 (i32.add (local.get $bias) (local.get $u))))
            (local.set $a3 (v128.load offset=48 (i32.add (local.get $bias) (local.get $u))))))
        (local.set $w (i32.add (local.get $kernel) (local.get $u)))
        (local.set $x (local.get $in))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $x) (local.get $xEnd)))
            (local.set $x4 (v128.load32_splat (local.get $x)))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x4) (v128.load (local.get $w)))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x4) (v128.load offset=16 (local.get $w)))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $x4) (v128.load offset=32 (local.get $w)))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $x4) (v128.load offset=48 (local.get $w)))))
            (local.set $w (i32.add (local.get $w) (local.get $unitBytes)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $next)))
        (v128.store (i32.add (local.get $out) (local.get $u)) (local.get $a0))
        (v128.store offset=16 (i32.add (local.get $out) (local.get $u)) (local.get $a1))
        (v128.store offset=32 (i32.add (local.get $out) (local.get $u)) (local.get $a2))
        (v128.store offset=48 (i32.add (local.get $out) (local.get $u)) (local.get $a3))
        (local.set $u (i32.add (local.get $u) (i32.const 64)))
        (br $block)))
    (block $blocks
      (loop $block
        (br_if $blocks (i32.ge_u (local.get $u) (local.get $unitBytes)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (if (local.get $bias) (then (local.set $a0 (v128.load (i32.add (local.get $bias) (local.get $u))))))
        (local.set $w (i32.add (local.get $kernel) (local.get $u)))
        (local.set $x (local.get $in))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $x) (local.get $xEnd)))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load32_splat (local.get $x)) (v128.load (local.get $w)))))
            (local.set $w (i32.add (local.get $w) (local.get $unitBytes)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $next)))
        (v128.store (i32.add (local.get $out) (local.get $u)) (local.get $a0))
        (local.set $u (i32.add (local.get $u) (i32.const 16)))
        (br $block)))
    (if (local.get $kind) (then (call $activate (local.get $out) (local.get $out) (local.get $units) (local.get $kind)))))

  ;; below = Σ_u up[u]·slope(y[u]) · kernel row u (the kernel transposed, rows of inBytes): the gradient one
  ;; dense layer passes down. Overwrites up with up·slope(y).
  (func $backprop (param $kernel i32) (param $inBytes i32) (param $units i32) (param $up i32) (param $y i32) (param $kind i32) (param $below i32)
    (call $throughActivation (local.get $up) (local.get $y) (local.get $units) (local.get $kind))
    (call $denseRows (local.get $kernel) (i32.const 0) (local.get $up) (local.get $units) (local.get $inBytes) (local.get $below) (i32.const 0) (i32.const 0)))

  ;; dst[u] += up[u]·slope(y[u]) for u < count: the first layer's share of the entry gradient. Overwrites up.
  (func $gradient (param $up i32) (param $y i32) (param $count i32) (param $kind i32) (param $dst i32)
    (local $end i32) (local $vend i32)
    (call $throughActivation (local.get $up) (local.get $y) (local.get $count) (local.get $kind))
    (local.set $end (i32.add (local.get $up) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $vend (i32.add (local.get $up) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $up) (local.get $vend)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $up))))
        (local.set $up (i32.add (local.get $up) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $up) (local.get $end)))
        (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $up))))
        (local.set $up (i32.add (local.get $up) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $next))))

  ;; Per raw feature f: out[f] = Σ over f's terms of dEntry · (a·rowA + b·rowB) − dEntry · meanShare row f,
  ;; i.e. the entry gradient against the feature's share of the entry minus its share at the training mean.
  ;; featureOf holds each term's raw feature (i32).
  (func $contributions (param $terms i32) (param $featureOf i32) (param $count i32) (param $dEntry i32) (param $bytes i32) (param $meanShare i32) (param $features i32) (param $out i32)
    (local $end i32) (local $at i32)
    ;; out = −(share at the mean) · dEntry for every feature at once: $meanShare holds the shares negated and
    ;; transposed ([entry columns × features], rows padded), so this is a layer without bias or activation.
    (call $denseRows
      (local.get $meanShare) (i32.const 0) (local.get $dEntry) (i32.shr_u (local.get $bytes) (i32.const 2))
      (i32.and (i32.add (i32.shl (local.get $features) (i32.const 2)) (i32.const 15)) (i32.const -16))
      (local.get $out) (local.get $features) (i32.const 0))
    (local.set $end (i32.add (local.get $terms) (i32.shl (local.get $count) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $terms) (local.get $end)))
        (local.set $at (i32.add (local.get $out) (i32.shl (i32.load (local.get $featureOf)) (i32.const 2))))
        (f32.store
          (local.get $at)
          (f32.add
            (f32.load (local.get $at))
            (if (result f32) (f32.eq (f32.load offset=12 (local.get $terms)) (f32.const 0))
              (then (f32.mul (f32.load offset=4 (local.get $terms)) (call $dot (local.get $dEntry) (i32.load (local.get $terms)) (local.get $bytes))))
              (else
                (call $dot2
                  (local.get $dEntry)
                  (f32.load offset=4 (local.get $terms))
                  (i32.load (local.get $terms))
                  (f32.load offset=12 (local.get $terms))
                  (i32.load offset=8 (local.get $terms))
                  (local.get $bytes))))))
        (local.set $terms (i32.add (local.get $terms) (i32.const 16)))
        (local.set $featureOf (i32.add (local.get $featureOf) (i32.const 4)))
        (br $next))))

  ;; One member's logit from the entry pre-activations (summed with its wide term in float64, as JavaScript
  ;; did when it walked the members), and with $grad ≠ 0 its d logit / d entry added into the entry gradient.
  ;; The member is described at $d (i32s, bytes for offsets and pointers):
  ;;   +0 first layer's offset in the entry, +4 its units, +8 its activation, +12 the wide term's offset or -1,
  ;;   +16 the number of dense layers after the first (the last is the one-unit output), +20 the first layer's
  ;;   activations; then per dense layer, 32 bytes: its kernel transposed ([units × inputs], rows of inBytes,
  ;;   for the backward pass), bias (padded to whole vectors), inBytes, units, activation, its output, the
  ;;   gradient at its input (the buffer the backward pass writes for the layer below), and its kernel as
  ;;   TF.js stores it ([inputs × units], rows padded to whole vectors, for the forward pass).
  (func $member (param $d i32) (param $entry i32) (param $grad i32) (result f64)
    (local $first i32) (local $units i32) (local $kind i32) (local $wide i32) (local $rest i32) (local $acts i32)
    (local $in i32) (local $l i32) (local $p i32) (local $z f64) (local $up i32)
    (local.set $first (i32.load (local.get $d)))
    (local.set $units (i32.load offset=4 (local.get $d)))
    (local.set $kind (i32.load offset=8 (local.get $d)))
    (local.set $wide (i32.load offset=12 (local.get $d)))
    (local.set $rest (i32.load offset=16 (local.get $d)))
    (local.set $acts (i32.load offset=20 (local.get $d)))
    (if (i32.eqz (local.get $rest))
      (then (local.set $z (f64.promote_f32 (f32.load (i32.add (local.get $entry) (local.get $first))))))
      (else
        (call $activate (i32.add (local.get $entry) (local.get $first)) (local.get $acts) (local.get $units) (local.get $kind))
        (local.set $in (local.get $acts))
        (local.set $p (i32.add (local.get $d) (i32.const 24)))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $l) (local.get $rest)))
            (call $denseRows
              (i32.load offset=28 (local.get $p))
              (i32.load offset=4 (local.get $p))
              (local.get $in)
              (i32.shr_u (i32.load offset=8 (local.get $p)) (i32.const 2))
              (i32.and (i32.add (i32.shl (i32.load offset=12 (local.get $p)) (i32.const 2)) (i32.const 15)) (i32.const -16))
              (i32.load offset=20 (local.get $p))
              (i32.load offset=12 (local.get $p))
              (i32.load offset=16 (local.get $p)))
            (local.set $in (i32.load offset=20 (local.get $p)))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $l (i32.add (local.get $l) (i32.const 1)))
            (br $next)))
        (local.set $z (f64.promote_f32 (f32.load (local.get $in))))))
    (if (i32.ge_s (local.get $wide) (i32.const 0))
      (then (local.set $z (f64.add (local.get $z) (f64.promote_f32 (f32.load (i32.add (local.get $entry) (local.get $wide))))))))
    (if (i32.eqz (local.get $grad)) (then (return (local.get $z))))
    (if (i32.ge_s (local.get $wide) (i32.const 0))
      (then
        (f32.store
          (i32.add (local.get $grad) (local.get $wide))
          (f32.add (f32.load (i32.add (local.get $grad) (local.get $wide))) (f32.const 1)))))
    (if (i32.eqz (local.get $rest))
      (then
        (f32.store
          (i32.add (local.get $grad) (local.get $first))
          (f32.add (f32.load (i32.add (local.get $grad) (local.get $first))) (f32.const 1)))
        (return (local.get $z))))
    ;; The output layer's one kernel row is d logit / d (its input); then back through the layers before it.
    (local.set $p (i32.add (local.get $d) (i32.add (i32.const 24) (i32.mul (i32.sub (local.get $rest) (i32.const 1)) (i32.const 32)))))
    (local.set $up (i32.load offset=24 (local.get $p)))
    (memory.copy (local.get $up) (i32.load (local.get $p)) (i32.load offset=8 (local.get $p)))
    (local.set $l (i32.sub (local.get $rest) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $l)))
        (local.set $p (i32.sub (local.get $p) (i32.const 32)))
        (call $backprop
          (i32.load (local.get $p))
          (i32.load offset=8 (local.get $p))
          (i32.load offset=12 (local.get $p))
          (local.get $up)
          (i32.load offset=20 (local.get $p))
          (i32.load offset=16 (local.get $p))
          (i32.load offset=24 (local.get $p)))
        (local.set $up (i32.load offset=24 (local.get $p)))
        (local.set $l (i32.sub (local.get $l) (i32.const 1)))
        (br $next)))
    (call $gradient (local.get $up) (local.get $acts) (local.get $units) (local.get $kind) (i32.add (local.get $grad) (local.get $first)))
    (local.get $z))

  ;; The whole network for one row in one call: the entry from the row's terms, then each member ($members
  ;; descriptors, their addresses at $table); returns the sum of the members' logits. With $grad ≠ 0 the entry
  ;; gradient is summed at $grad (zeroed first) and each raw feature's contribution written at $out, as
  ;; `contributions` does.
  (func (export "network")
    (param $terms i32) (param $count i32) (param $bias i32) (param $entryAt i32) (param $bytes i32)
    (param $table i32) (param $members i32) (param $grad i32) (param $featureOf i32) (param $meanShare i32) (param $features i32)
    (param $out i32)
    (result f64)
    (local $sum f64) (local $m i32)
    (call $entry (local.get $terms) (local.get $count) (local.get $bias) (local.get $entryAt) (local.get $bytes))
    (if (local.get $grad) (then (memory.fill (local.get $grad) (i32.const 0) (local.get $bytes))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $m) (local.get $members)))
        (local.set $sum
          (f64.add (local.get $sum) (call $member (i32.load (i32.add (local.get $table) (i32.shl (local.get $m) (i32.const 2)))) (local.get $entryAt) (local.get $grad))))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $next)))
    (if (local.get $grad)
      (then
        (call $contributions
          (local.get $terms) (local.get $featureOf) (local.get $count) (local.get $grad) (local.get $bytes)
          (local.get $meanShare) (local.get $features) (local.get $out))))
    (local.get $sum))
)
