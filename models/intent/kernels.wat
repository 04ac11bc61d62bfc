;; The intent forward pass's arithmetic, four float32 lanes at a time (WebAssembly SIMD).
;; models/intent/forward.ts keeps the bin search (which rows a row of features adds) and lays out the one linear
;; memory: weights, the members' descriptors, scratch; `network` then runs a row in one call. `npm run build:kernels` assembles this
;; file into kernels.wasm (committed); test/models/kernels.test.ts fails when the two differ.
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

  ;; dst[0 … bytes) += c · src[0 … bytes)
  (func $axpy (param $c f32) (param $src i32) (param $dst i32) (param $bytes i32)
    (local $cv v128) (local $end i32)
    (local.set $cv (f32x4.splat (local.get $c)))
    (local.set $end (i32.add (local.get $dst) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (f32x4.mul (local.get $cv) (v128.load (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next))))

;; dst[0 … bytes) += a · rowA + b · rowB (one pass for a feature's two rows)
  (func $axpy2 (param $a f32) (param $rowA i32) (param $b f32) (param $rowB i32) (param $dst i32) (param $bytes i32)
    (local $av v128) (local $bv v128) (local $end i32)
    (local.set $av (f32x4.splat (local.get $a)))
    (local.set $bv (f32x4.splat (local.get $b)))
    (local.set $end (i32.add (local.get $dst) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (v128.store
          (local.get $dst)
          (f32x4.add
            (v128.load (local.get $dst))
            (f32x4.add (f32x4.mul (local.get $av) (v128.load (local.get $rowA))) (f32x4.mul (local.get $bv) (v128.load (local.get $rowB))))))
        (local.set $rowA (i32.add (local.get $rowA) (i32.const 16)))
        (local.set $rowB (i32.add (local.get $rowB) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next))))

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
    (local $end i32)
    (memory.copy (local.get $out) (local.get $bias) (local.get $bytes))
    (local.set $end (i32.add (local.get $terms) (i32.shl (local.get $count) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $terms) (local.get $end)))
        (if (f32.eq (f32.load offset=12 (local.get $terms)) (f32.const 0))
          (then (call $axpy (f32.load offset=4 (local.get $terms)) (i32.load (local.get $terms)) (local.get $out) (local.get $bytes)))
          (else
            (call $axpy2
              (f32.load offset=4 (local.get $terms))
              (i32.load (local.get $terms))
              (f32.load offset=12 (local.get $terms))
              (i32.load offset=8 (local.get $terms))
              (local.get $out)
              (local.get $bytes))))
        (local.set $terms (i32.add (local.get $terms) (i32.const 16)))
        (br $next))))

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

  ;; out[u] = act(bias[u] + kernel row u · input), rows of inBytes (transposed kernel, zero-padded)
  (func $dense (param $kernel i32) (param $bias i32) (param $in i32) (param $inBytes i32) (param $out i32) (param $units i32) (param $kind i32)
    (local $u i32) (local $at i32)
    (local.set $at (local.get $out))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $u) (local.get $units)))
        (f32.store (local.get $at) (f32.add (f32.load (local.get $bias)) (call $dot (local.get $kernel) (local.get $in) (local.get $inBytes))))
        (local.set $kernel (i32.add (local.get $kernel) (local.get $inBytes)))
        (local.set $bias (i32.add (local.get $bias) (i32.const 4)))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $next)))
    (if (local.get $kind) (then (call $activate (local.get $out) (local.get $out) (local.get $units) (local.get $kind)))))

;; below = Σ_u up[u]·slope(y[u]) · kernel row u: the gradient one dense layer passes down (inBytes wide).
  ;; Overwrites up with up·slope(y).
  (func $backprop (param $kernel i32) (param $inBytes i32) (param $units i32) (param $up i32) (param $y i32) (param $kind i32) (param $below i32)
    (local $u i32) (local $g f32)
    (call $throughActivation (local.get $up) (local.get $y) (local.get $units) (local.get $kind))
    (memory.fill (local.get $below) (i32.const 0) (local.get $inBytes))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $u) (local.get $units)))
        (local.set $g (f32.load (local.get $up)))
        (if (f32.ne (local.get $g) (f32.const 0))
          (then (call $axpy (local.get $g) (local.get $kernel) (local.get $below) (local.get $inBytes))))
        (local.set $kernel (i32.add (local.get $kernel) (local.get $inBytes)))
        (local.set $up (i32.add (local.get $up) (i32.const 4)))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $next))))

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
    (local $f i32) (local $end i32) (local $at i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $f) (local.get $features)))
        (f32.store
          (i32.add (local.get $out) (i32.shl (local.get $f) (i32.const 2)))
          (f32.neg (call $dot (local.get $dEntry) (local.get $meanShare) (local.get $bytes))))
        (local.set $meanShare (i32.add (local.get $meanShare) (local.get $bytes)))
        (local.set $f (i32.add (local.get $f) (i32.const 1)))
        (br $next)))
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
  ;; did when it walked the members), and with $grad ≠ 0 its d logit / d entry added into the entry gradient. The member is described at $d (i32s, bytes for offsets and pointers):
  ;;   +0 first layer's offset in the entry, +4 its units, +8 its activation, +12 the wide term's offset or -1,
  ;;   +16 the number of dense layers after the first (the last is the one-unit output), +20 the first layer's
  ;;   activations; then per dense layer, 28 bytes: kernel, bias, inBytes, units, activation, its output, and
  ;;   the gradient at its input (the buffer the backward pass writes for the layer below).
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
            (call $dense
              (i32.load (local.get $p))
              (i32.load offset=4 (local.get $p))
              (local.get $in)
              (i32.load offset=8 (local.get $p))
              (i32.load offset=20 (local.get $p))
              (i32.load offset=12 (local.get $p))
              (i32.load offset=16 (local.get $p)))
            (local.set $in (i32.load offset=20 (local.get $p)))
            (local.set $p (i32.add (local.get $p) (i32.const 28)))
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
    (local.set $p (i32.add (local.get $d) (i32.add (i32.const 24) (i32.mul (i32.sub (local.get $rest) (i32.const 1)) (i32.const 28)))))
    (local.set $up (i32.load offset=24 (local.get $p)))
    (memory.copy (local.get $up) (i32.load (local.get $p)) (i32.load offset=8 (local.get $p)))
    (local.set $l (i32.sub (local.get $rest) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $l)))
        (local.set $p (i32.sub (local.get $p) (i32.const 28)))
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
