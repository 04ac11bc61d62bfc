;; HMAC-SHA256 (RFC 2104 over FIPS 180-4) for engine/hmac-sha256.ts. The caller compresses the key's inner
;; and outer pad blocks once (into INNER and OUTER); each `hmac` call then runs the message blocks and one
;; outer block. Scalar WebAssembly: V8 keeps the eight working variables in registers, which its
;; JavaScript tier does not manage for this loop (about 4x slower per block).
;;
;; Memory layout (bytes):
;;     0  K, the 64 round constants (little-endian i32)
;;   256  INNER state after the key's ipad block (8 x i32)
;;   288  OUTER state after the key's opad block (8 x i32)
;;   320  W, the message schedule (64 x i32)
;;   576  OUT: the MAC, big-endian (32 bytes)
;;   608  working state (8 x i32)
;;   640  the outer message block: inner digest (32 bytes), then constant padding for 96 bytes in all
;;  1024  MSG: the message, written by the caller; padded here in place (the caller leaves 72 spare bytes)
(module
  (memory (export "memory") 1)
  (data (i32.const 0)
    "\98\2f\8a\42\91\44\37\71\cf\fb\c0\b5\a5\db\b5\e9\5b\c2\56\39\f1\11\f1\59\a4\82\3f\92\d5\5e\1c\ab"
    "\98\aa\07\d8\01\5b\83\12\be\85\31\24\c3\7d\0c\55\74\5d\be\72\fe\b1\de\80\a7\06\dc\9b\74\f1\9b\c1"
    "\c1\69\9b\e4\86\47\be\ef\c6\9d\c1\0f\cc\a1\0c\24\6f\2c\e9\2d\aa\84\74\4a\dc\a9\b0\5c\da\88\f9\76"
    "\52\51\3e\98\6d\c6\31\a8\c8\27\03\b0\c7\7f\59\bf\f3\0b\e0\c6\47\91\a7\d5\51\63\ca\06\67\29\29\14"
    "\85\0a\b7\27\38\21\1b\2e\fc\6d\2c\4d\13\0d\38\53\54\73\0a\65\bb\0a\6a\76\2e\c9\c2\81\85\2c\72\92"
    "\a1\e8\bf\a2\4b\66\1a\a8\70\8b\4b\c2\a3\51\6c\c7\19\e8\92\d1\24\06\99\d6\85\35\0e\f4\70\a0\6a\10"
    "\16\c1\a4\19\08\6c\37\1e\4c\77\48\27\b5\bc\b0\34\b3\0c\1c\39\4a\aa\d8\4e\4f\ca\9c\5b\f3\6f\2e\68"
    "\ee\82\8f\74\6f\63\a5\78\14\78\c8\84\08\02\c7\8c\fa\ff\be\90\eb\6c\50\a4\f7\a3\f9\be\f2\78\71\c6")
  ;; The outer block's padding: 0x80 after the 32-byte digest, the length 96 x 8 = 768 bits big-endian at the end.
  (data (i32.const 672) "\80")
  (data (i32.const 702) "\03")

  (func $bswap (param $x i32) (result i32)
    (i32.or
      (i32.and (i32.rotl (local.get $x) (i32.const 8)) (i32.const 0x00ff00ff))
      (i32.and (i32.rotr (local.get $x) (i32.const 8)) (i32.const 0xff00ff00))))

  ;; One SHA-256 compression of the 64-byte block at $block into the 8 x i32 state at $state.
  (func $compress (export "compress") (param $state i32) (param $block i32)
    (local $i i32) (local $p i32) (local $w i32) (local $t1 i32) (local $t2 i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local $e i32) (local $f i32) (local $g i32) (local $h i32)
    ;; W[0..15]: the block's big-endian words
    (loop $load
      (i32.store offset=320 (local.get $p)
        (call $bswap (i32.load (i32.add (local.get $block) (local.get $p)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $load (i32.lt_u (local.get $p) (i32.const 64))))
    ;; W[16..63] = W[i-16] + s0(W[i-15]) + W[i-7] + s1(W[i-2])
    (loop $expand
      (local.set $w (i32.load offset=260 (local.get $p)))
      (local.set $t1
        (i32.xor (i32.xor (i32.rotr (local.get $w) (i32.const 7)) (i32.rotr (local.get $w) (i32.const 18)))
          (i32.shr_u (local.get $w) (i32.const 3))))
      (local.set $w (i32.load offset=312 (local.get $p)))
      (local.set $t2
        (i32.xor (i32.xor (i32.rotr (local.get $w) (i32.const 17)) (i32.rotr (local.get $w) (i32.const 19)))
          (i32.shr_u (local.get $w) (i32.const 10))))
      (i32.store offset=320 (local.get $p)
        (i32.add
          (i32.add (i32.load offset=256 (local.get $p)) (local.get $t1))
          (i32.add (i32.load offset=292 (local.get $p)) (local.get $t2))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $expand (i32.lt_u (local.get $p) (i32.const 256))))
    (local.set $a (i32.load offset=0 (local.get $state)))
    (local.set $b (i32.load offset=4 (local.get $state)))
    (local.set $c (i32.load offset=8 (local.get $state)))
    (local.set $d (i32.load offset=12 (local.get $state)))
    (local.set $e (i32.load offset=16 (local.get $state)))
    (local.set $f (i32.load offset=20 (local.get $state)))
    (local.set $g (i32.load offset=24 (local.get $state)))
    (local.set $h (i32.load offset=28 (local.get $state)))
    (local.set $p (i32.const 0))
    (loop $round
      ;; t1 = h + S1(e) + ch(e, f, g) + K[i] + W[i]
      (local.set $t1
        (i32.add
          (i32.add
            (i32.add (local.get $h)
              (i32.xor (i32.xor (i32.rotr (local.get $e) (i32.const 6)) (i32.rotr (local.get $e) (i32.const 11)))
                (i32.rotr (local.get $e) (i32.const 25))))
            (i32.xor (local.get $g) (i32.and (local.get $e) (i32.xor (local.get $f) (local.get $g)))))
          (i32.add (i32.load offset=0 (local.get $p)) (i32.load offset=320 (local.get $p)))))
      ;; t2 = S0(a) + maj(a, b, c)
      (local.set $t2
        (i32.add
          (i32.xor (i32.xor (i32.rotr (local.get $a) (i32.const 2)) (i32.rotr (local.get $a) (i32.const 13)))
            (i32.rotr (local.get $a) (i32.const 22)))
          (i32.or (i32.and (local.get $a) (local.get $b))
            (i32.and (local.get $c) (i32.or (local.get $a) (local.get $b))))))
      (local.set $h (local.get $g))
      (local.set $g (local.get $f))
      (local.set $f (local.get $e))
      (local.set $e (i32.add (local.get $d) (local.get $t1)))
      (local.set $d (local.get $c))
      (local.set $c (local.get $b))
      (local.set $b (local.get $a))
      (local.set $a (i32.add (local.get $t1) (local.get $t2)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $round (i32.lt_u (local.get $p) (i32.const 256))))
    (i32.store offset=0 (local.get $state) (i32.add (i32.load offset=0 (local.get $state)) (local.get $a)))
    (i32.store offset=4 (local.get $state) (i32.add (i32.load offset=4 (local.get $state)) (local.get $b)))
    (i32.store offset=8 (local.get $state) (i32.add (i32.load offset=8 (local.get $state)) (local.get $c)))
    (i32.store offset=12 (local.get $state) (i32.add (i32.load offset=12 (local.get $state)) (local.get $d)))
    (i32.store offset=16 (local.get $state) (i32.add (i32.load offset=16 (local.get $state)) (local.get $e)))
    (i32.store offset=20 (local.get $state) (i32.add (i32.load offset=20 (local.get $state)) (local.get $f)))
    (i32.store offset=24 (local.get $state) (i32.add (i32.load offset=24 (local.get $state)) (local.get $g)))
    (i32.store offset=28 (local.get $state) (i32.add (i32.load offset=28 (local.get $state)) (local.get $h))))

  ;; Writes the 8 x i32 state at $from big-endian at $to.
  (func $digest (param $from i32) (param $to i32)
    (local $i i32)
    (loop $word
      (i32.store (i32.add (local.get $to) (local.get $i))
        (call $bswap (i32.load (i32.add (local.get $from) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $word (i32.lt_u (local.get $i) (i32.const 32)))))

  ;; HMAC of the $len-byte message at MSG into OUT.
  (func (export "hmac") (param $len i32)
    (local $end i32) (local $off i32)
    ;; pad: 0x80, zeros, then the bit length of ipad block + message (64 + len bytes), big-endian 64-bit
    (local.set $end (i32.and (i32.add (local.get $len) (i32.const 72)) (i32.const -64)))
    (memory.fill (i32.add (i32.const 1024) (local.get $len)) (i32.const 0) (i32.sub (local.get $end) (local.get $len)))
    (i32.store8 offset=1024 (local.get $len) (i32.const 0x80))
    (i32.store offset=1020 (local.get $end)
      (call $bswap (i32.shl (i32.add (local.get $len) (i32.const 64)) (i32.const 3))))
    (i32.store offset=1016 (local.get $end)
      (call $bswap (i32.shr_u (i32.add (local.get $len) (i32.const 64)) (i32.const 29))))
    (memory.copy (i32.const 608) (i32.const 256) (i32.const 32))
    (loop $block
      (call $compress (i32.const 608) (i32.add (i32.const 1024) (local.get $off)))
      (local.set $off (i32.add (local.get $off) (i32.const 64)))
      (br_if $block (i32.lt_u (local.get $off) (local.get $end))))
    (call $digest (i32.const 608) (i32.const 640))
    (memory.copy (i32.const 608) (i32.const 288) (i32.const 32))
    (call $compress (i32.const 608) (i32.const 640))
    (call $digest (i32.const 608) (i32.const 576)))
)
