(module
  (import "env" "memory" (memory 1))

  ;; bfloat16 bits at $src (n values) -> float32 at $dst: each value shifted into the top half of a 32-bit word.
  (func (export "widenBf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $dst)
          (i32x4.shl (i32x4.extend_low_i16x8_u (v128.load (local.get $src))) (i32.const 16)))
        (v128.store offset=16 (local.get $dst)
          (i32x4.shl (i32x4.extend_high_i16x8_u (v128.load (local.get $src))) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next)))
    ;; the last n mod 8 values
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 7)) (i32.const 1))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $src) (local.get $end)))
        (i32.store (local.get $dst) (i32.shl (i32.load16_u (local.get $src)) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 2)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $tail))))

  ;; float16 bits at $src (n values) -> float32 at $dst. Exponent and mantissa move up 13 bits and are scaled by
  ;; 2^112, exact for normal and subnormal values alike; an all-ones exponent (infinity, NaN) becomes the float32
  ;; all-ones exponent with the mantissa kept; the sign is put back last. (Written out twice per loop: V8 does not
  ;; inline wasm calls.)
  (func (export "widenF16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $v v128) (local $h v128) (local $em v128)
    (local $low v128) (local $inf v128) (local $scale v128) (local $expMask v128) (local $signMask v128)
    (local.set $low (i32x4.splat (i32.const 0x7fff)))
    (local.set $inf (i32x4.splat (i32.const 0x7f800000)))
    (local.set $scale (f32x4.splat (f32.const 0x1p112)))
    (local.set $expMask (i32x4.splat (i32.const 0x7c00)))
    (local.set $signMask (i32x4.splat (i32.const 0x8000)))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load (local.get $src)))
        (v128.store (local.get $dst)
          (v128.or
            (v128.bitselect
              (v128.or (local.tee $em (i32x4.shl (v128.and (local.tee $h (i32x4.extend_low_i16x8_u (local.get $v))) (local.get $low)) (i32.const 13))) (local.get $inf))
              (f32x4.mul (local.get $em) (local.get $scale))
              (i32x4.eq (v128.and (local.get $h) (local.get $expMask)) (local.get $expMask)))
            (i32x4.shl (v128.and (local.get $h) (local.get $signMask)) (i32.const 16))))
        (v128.store offset=16 (local.get $dst)
          (v128.or
            (v128.bitselect
              (v128.or (local.tee $em (i32x4.shl (v128.and (local.tee $h (i32x4.extend_high_i16x8_u (local.get $v))) (local.get $low)) (i32.const 13))) (local.get $inf))
              (f32x4.mul (local.get $em) (local.get $scale))
              (i32x4.eq (v128.and (local.get $h) (local.get $expMask)) (local.get $expMask)))
            (i32x4.shl (v128.and (local.get $h) (local.get $signMask)) (i32.const 16))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 7)) (i32.const 1))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store32_lane 0 (local.get $dst)
          (v128.or
            (v128.bitselect
              (v128.or (local.tee $em (i32x4.shl (v128.and (local.tee $h (i32x4.splat (i32.load16_u (local.get $src)))) (local.get $low)) (i32.const 13))) (local.get $inf))
              (f32x4.mul (local.get $em) (local.get $scale))
              (i32x4.eq (v128.and (local.get $h) (local.get $expMask)) (local.get $expMask)))
            (i32x4.shl (v128.and (local.get $h) (local.get $signMask)) (i32.const 16))))
        (local.set $src (i32.add (local.get $src) (i32.const 2)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $tail))))
)
