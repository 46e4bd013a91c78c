//! The wide GHASH backends for x86-64: POLYVAL arithmetic with VPCLMULQDQ on 256-bit (AVX2) or
//! 512-bit (AVX-512) vectors. Each step multiplies a group of blocks by the matching powers of
//! the key, H^n … H^1, adds the products up unreduced and reduces once, so the chain from one
//! step to the next is a single reduction however wide the group.
//!
//! The arithmetic functions are safe `#[target_feature]` functions; the only `unsafe` is the
//! call into them, made only from a [`Wide`], which exists only once the CPU was checked.

#![allow(
    unsafe_code,
    reason = "calling #[target_feature] functions needs unsafe; each call site states why the CPU has the features"
)]

use std::arch::x86_64::{
    __m128i, __m256i, __m512i, _mm_clmulepi64_si128, _mm_set_epi64x, _mm_shuffle_epi8,
    _mm_shuffle_epi32, _mm_slli_si128, _mm_srli_si128, _mm_xor_si128, _mm256_castsi256_si128,
    _mm256_clmulepi64_epi128, _mm256_extracti128_si256, _mm256_setzero_si256, _mm256_shuffle_epi8,
    _mm256_xor_si256, _mm256_zextsi128_si256, _mm512_castsi512_si256, _mm512_clmulepi64_epi128,
    _mm512_extracti64x4_epi64, _mm512_setzero_si512, _mm512_shuffle_epi8, _mm512_xor_si512,
    _mm512_zextsi128_si512,
};

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Blocks per step: 32 with AVX-512 (eight 512-bit loads), 16 with AVX2 (eight 256-bit loads).
const WIDE_512: usize = 32;
const WIDE_256: usize = 16;

/// x^63 + x^62 + x^57, the low half of the POLYVAL reduction polynomial's tail.
const POLY: u64 = 0xC200_0000_0000_0000;

/// `pshufb` control that reverses the bytes of a 128-bit lane (GHASH blocks are big-endian,
/// POLYVAL little-endian).
const REVERSE: [u8; 16] = [15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0];

pub(super) fn avx512_available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("vpclmulqdq")
        && avx2_available()
}

pub(super) fn avx2_available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("vpclmulqdq")
        && std::arch::is_x86_feature_detected!("pclmulqdq")
        && std::arch::is_x86_feature_detected!("ssse3")
}

/// A GHASH in progress: the accumulator and the key powers, both secret, both wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(super) struct Wide {
    /// The running value, in the POLYVAL domain.
    acc: [u8; 16],
    /// `powers[i]` = H^(n−i) for the n-block step (n = 32 or 16; the rest unused for 16), so
    /// consecutive blocks of a step meet descending powers and the last block meets H.
    powers: [[u8; 16]; WIDE_512],
    avx512: bool,
}

impl Wide {
    /// Expands the POLYVAL key `h`; `None` when the CPU lacks what the backend needs.
    pub(super) fn new(h: &[u8; 16], avx512: bool) -> Option<Self> {
        let usable = if avx512 {
            avx512_available()
        } else {
            avx2_available()
        };
        if !usable {
            return None;
        }
        let n = if avx512 { WIDE_512 } else { WIDE_256 };
        let mut powers = [[0u8; 16]; WIDE_512];
        // SAFETY: avx2_available() (implied by avx512_available()) confirmed PCLMULQDQ and SSSE3
        // on this CPU just above.
        unsafe { expand_powers(h, &mut powers[..n]) };
        Some(Self {
            acc: [0; 16],
            powers,
            avx512,
        })
    }

    pub(super) fn is_avx512(&self) -> bool {
        self.avx512
    }

    /// Absorbs whole blocks (any trailing partial block is ignored).
    pub(super) fn update(&mut self, blocks: &[u8]) {
        if self.avx512 {
            // SAFETY: `avx512` is only set by `new` after avx512_available() held.
            unsafe { update_512(&mut self.acc, &self.powers, blocks) }
        } else {
            // SAFETY: a non-AVX-512 `Wide` is only made by `new` after avx2_available() held.
            unsafe { update_256(&mut self.acc, &self.powers, blocks) }
        }
    }

    /// The POLYVAL value so far (little-endian).
    pub(super) fn value(&self) -> [u8; 16] {
        self.acc
    }
}

fn load(b: &[u8; 16]) -> __m128i {
    bytemuck::pod_read_unaligned(b)
}

fn store(v: __m128i) -> [u8; 16] {
    bytemuck::cast(v)
}

/// (t1·x^128 + t0) · x^-128 mod P: Montgomery reduction of a 256-bit carry-less product, two
/// 64-bit folds by x^64·P.
#[inline]
#[target_feature(enable = "pclmulqdq,ssse3")]
fn reduce(t1: __m128i, t0: __m128i) -> __m128i {
    let c = _mm_set_epi64x(0, POLY.cast_signed());
    let v = _mm_xor_si128(
        _mm_shuffle_epi32(t0, 0x4e),
        _mm_clmulepi64_si128(t0, c, 0x00),
    );
    _mm_xor_si128(
        _mm_xor_si128(t1, _mm_shuffle_epi32(v, 0x4e)),
        _mm_clmulepi64_si128(v, c, 0x00),
    )
}

/// Reduces the three partial sums of a schoolbook product (lo = a0·b0, hi = a1·b1,
/// mid = a0·b1 + a1·b0).
#[inline]
#[target_feature(enable = "pclmulqdq,ssse3")]
fn reduce_parts(lo: __m128i, hi: __m128i, mid: __m128i) -> __m128i {
    reduce(
        _mm_xor_si128(hi, _mm_srli_si128(mid, 8)),
        _mm_xor_si128(lo, _mm_slli_si128(mid, 8)),
    )
}

/// a · b · x^-128 mod P (POLYVAL's dot).
#[inline]
#[target_feature(enable = "pclmulqdq,ssse3")]
fn dot(a: __m128i, b: __m128i) -> __m128i {
    let lo = _mm_clmulepi64_si128(a, b, 0x00);
    let hi = _mm_clmulepi64_si128(a, b, 0x11);
    let mid = _mm_xor_si128(
        _mm_clmulepi64_si128(a, b, 0x01),
        _mm_clmulepi64_si128(a, b, 0x10),
    );
    reduce_parts(lo, hi, mid)
}

/// Fills `out` with H^n … H^1 (n = out.len()).
#[target_feature(enable = "pclmulqdq,ssse3")]
fn expand_powers(h: &[u8; 16], out: &mut [[u8; 16]]) {
    let h = load(h);
    let mut p = h;
    for slot in out.iter_mut().rev() {
        *slot = store(p);
        p = dot(p, h);
    }
}

/// Absorbs the blocks left after the wide steps one at a time, with H = `powers[n−1]`.
#[inline]
#[target_feature(enable = "pclmulqdq,ssse3")]
fn update_tail(mut acc: __m128i, h: &[u8; 16], blocks: &[u8]) -> __m128i {
    let h = load(h);
    let reverse = load(&REVERSE);
    let (blocks, _) = blocks.as_chunks::<16>();
    for block in blocks {
        acc = dot(
            _mm_xor_si128(acc, _mm_shuffle_epi8(load(block), reverse)),
            h,
        );
    }
    acc
}

/// 16 blocks per step: eight 256-bit loads, each two blocks against two powers.
#[target_feature(enable = "avx2,vpclmulqdq,pclmulqdq,ssse3")]
fn update_256(acc: &mut [u8; 16], powers: &[[u8; 16]; WIDE_512], data: &[u8]) {
    const LOADS: usize = WIDE_256 / 2;
    let mut a = load(acc);
    let mut steps = data.chunks_exact(16 * WIDE_256);
    let reverse: __m256i = bytemuck::cast([REVERSE; 2]);
    let mut keys = [_mm256_setzero_si256(); LOADS];
    for (j, key) in keys.iter_mut().enumerate() {
        // Lane 0 holds the earlier block of a load, which meets the higher power.
        *key = bytemuck::cast([powers[2 * j], powers[2 * j + 1]]);
    }
    for step in &mut steps {
        let (loads, _) = step.as_chunks::<32>();
        let mut lo = _mm256_setzero_si256();
        let mut hi = _mm256_setzero_si256();
        let mut mid = _mm256_setzero_si256();
        for (j, (bytes, key)) in loads.iter().zip(&keys).enumerate() {
            let mut d =
                _mm256_shuffle_epi8(bytemuck::pod_read_unaligned::<__m256i>(bytes), reverse);
            if j == 0 {
                d = _mm256_xor_si256(d, _mm256_zextsi128_si256(a));
            }
            lo = _mm256_xor_si256(lo, _mm256_clmulepi64_epi128(d, *key, 0x00));
            hi = _mm256_xor_si256(hi, _mm256_clmulepi64_epi128(d, *key, 0x11));
            mid = _mm256_xor_si256(mid, _mm256_clmulepi64_epi128(d, *key, 0x01));
            mid = _mm256_xor_si256(mid, _mm256_clmulepi64_epi128(d, *key, 0x10));
        }
        a = reduce_parts(fold_256(lo), fold_256(hi), fold_256(mid));
    }
    a = update_tail(a, &powers[WIDE_256 - 1], steps.remainder());
    *acc = store(a);
    keys.zeroize();
}

/// 32 blocks per step: eight 512-bit loads, each four blocks against four powers.
#[target_feature(enable = "avx512f,avx512bw,avx2,vpclmulqdq,pclmulqdq,ssse3")]
fn update_512(acc: &mut [u8; 16], powers: &[[u8; 16]; WIDE_512], data: &[u8]) {
    const LOADS: usize = WIDE_512 / 4;
    let mut a = load(acc);
    let mut steps = data.chunks_exact(16 * WIDE_512);
    let reverse: __m512i = bytemuck::cast([REVERSE; 4]);
    let mut keys = [_mm512_setzero_si512(); LOADS];
    for (j, key) in keys.iter_mut().enumerate() {
        *key = bytemuck::cast([
            powers[4 * j],
            powers[4 * j + 1],
            powers[4 * j + 2],
            powers[4 * j + 3],
        ]);
    }
    for step in &mut steps {
        let (loads, _) = step.as_chunks::<64>();
        let mut lo = _mm512_setzero_si512();
        let mut hi = _mm512_setzero_si512();
        let mut mid = _mm512_setzero_si512();
        for (j, (bytes, key)) in loads.iter().zip(&keys).enumerate() {
            let mut d =
                _mm512_shuffle_epi8(bytemuck::pod_read_unaligned::<__m512i>(bytes), reverse);
            if j == 0 {
                d = _mm512_xor_si512(d, _mm512_zextsi128_si512(a));
            }
            lo = _mm512_xor_si512(lo, _mm512_clmulepi64_epi128(d, *key, 0x00));
            hi = _mm512_xor_si512(hi, _mm512_clmulepi64_epi128(d, *key, 0x11));
            mid = _mm512_xor_si512(mid, _mm512_clmulepi64_epi128(d, *key, 0x01));
            mid = _mm512_xor_si512(mid, _mm512_clmulepi64_epi128(d, *key, 0x10));
        }
        let fold = |v: __m512i| {
            fold_256(_mm256_xor_si256(
                _mm512_castsi512_si256(v),
                _mm512_extracti64x4_epi64(v, 1),
            ))
        };
        a = reduce_parts(fold(lo), fold(hi), fold(mid));
    }
    // What is left (fewer than 32 blocks) goes through the one-block path with H.
    a = update_tail(a, &powers[WIDE_512 - 1], steps.remainder());
    *acc = store(a);
    keys.zeroize();
}

/// The sum of a 256-bit vector's two 128-bit lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn fold_256(v: __m256i) -> __m128i {
    _mm_xor_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1))
}
