//! GHASH, the authenticator inside AES-GCM, over whole 16-byte blocks. On x86-64 CPUs with
//! carry-less multiplication on wide vectors (VPCLMULQDQ) it multiplies 16 or 32 blocks at a
//! time by precomputed powers of H and reduces once per group ([`x86_64`]); everywhere else it
//! is the RustCrypto `ghash` crate. Every backend computes the same function: the tests check
//! each one against `ghash` on random keys, data and splits.
//!
//! The wide backends work in the POLYVAL field (RFC 8452, appendix A): GHASH(H, X) =
//! rev(POLYVAL(mulX(rev(H)), rev(X₁), …)), where rev reverses the bytes of a block.

#[cfg(target_arch = "x86_64")]
mod x86_64;

use ghash::GHash;
use ghash::universal_hash::UniversalHash as _;
use zeroize::Zeroize as _;

/// One GHASH block.
pub const BLOCK_LEN: usize = 16;

/// Which implementation computes the hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GhashBackend {
    /// AVX-512 with VPCLMULQDQ: 32 blocks per reduction.
    Avx512,
    /// AVX2 with VPCLMULQDQ: 16 blocks per reduction.
    Avx2,
    /// The `ghash` crate (CLMUL / PMULL where the CPU has them, constant-time software if not).
    Portable,
}

impl GhashBackend {
    /// The fastest backend this CPU runs.
    pub fn best() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if x86_64::avx512_available() {
                return Self::Avx512;
            }
            if x86_64::avx2_available() {
                return Self::Avx2;
            }
        }
        Self::Portable
    }
}

/// A running GHASH under one key H.
#[derive(Clone)]
pub struct Ghash {
    state: State,
}

#[derive(Clone)]
enum State {
    #[cfg(target_arch = "x86_64")]
    Wide(Box<x86_64::Wide>),
    Portable(GHash),
}

impl Ghash {
    /// Starts a hash keyed with `h` = E(K, 0¹²⁸), on the fastest backend this CPU runs.
    pub fn new(h: &[u8; BLOCK_LEN]) -> Self {
        Self::with_backend(h, GhashBackend::best()).unwrap_or_else(|| Self::portable(h))
    }

    /// Starts a hash on a given backend; `None` when this CPU cannot run it.
    pub fn with_backend(h: &[u8; BLOCK_LEN], backend: GhashBackend) -> Option<Self> {
        let state = match backend {
            GhashBackend::Portable => return Some(Self::portable(h)),
            #[cfg(target_arch = "x86_64")]
            GhashBackend::Avx512 | GhashBackend::Avx2 => {
                let mut key = polyval_key(h);
                let wide = x86_64::Wide::new(&key, backend == GhashBackend::Avx512);
                key.zeroize();
                State::Wide(Box::new(wide?))
            }
            #[cfg(not(target_arch = "x86_64"))]
            GhashBackend::Avx512 | GhashBackend::Avx2 => return None,
        };
        Some(Self { state })
    }

    fn portable(h: &[u8; BLOCK_LEN]) -> Self {
        Self {
            state: State::Portable(GHash::new(&(*h).into())),
        }
    }

    /// The backend in use.
    pub fn backend(&self) -> GhashBackend {
        match &self.state {
            #[cfg(target_arch = "x86_64")]
            State::Wide(wide) if wide.is_avx512() => GhashBackend::Avx512,
            #[cfg(target_arch = "x86_64")]
            State::Wide(_) => GhashBackend::Avx2,
            State::Portable(_) => GhashBackend::Portable,
        }
    }

    /// Absorbs whole blocks. `blocks.len()` must be a multiple of 16; a trailing partial
    /// block is the caller's to carry (zero-padded at the end, as GCM does).
    pub fn update_blocks(&mut self, blocks: &[u8]) {
        debug_assert!(blocks.len().is_multiple_of(BLOCK_LEN), "whole blocks only");
        match &mut self.state {
            #[cfg(target_arch = "x86_64")]
            State::Wide(wide) => wide.update(blocks),
            State::Portable(ghash) => {
                let (blocks, _) = ghash::Block::slice_as_chunks(blocks);
                ghash.update(blocks);
            }
        }
    }

    /// The hash of everything absorbed.
    pub fn finalize(self) -> [u8; BLOCK_LEN] {
        match self.state {
            #[cfg(target_arch = "x86_64")]
            State::Wide(wide) => {
                let mut out = wide.value();
                out.reverse();
                out
            }
            State::Portable(ghash) => ghash.finalize().into(),
        }
    }
}

/// GHASH over bytes that arrive in pieces of any length: whole blocks are absorbed as they
/// come, a partial block is carried to the next piece, and [`GhashStream::padded`] zero-pads
/// the last one, as GCM pads its AAD and its text.
#[derive(Clone)]
pub struct GhashStream {
    ghash: Ghash,
    pending: [u8; BLOCK_LEN],
    pending_len: usize,
}

impl GhashStream {
    pub fn new(ghash: Ghash) -> Self {
        Self {
            ghash,
            pending: [0; BLOCK_LEN],
            pending_len: 0,
        }
    }

    /// Absorbs the next bytes.
    pub fn absorb(&mut self, mut data: &[u8]) {
        if self.pending_len > 0 {
            let take = (BLOCK_LEN - self.pending_len).min(data.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            if self.pending_len < BLOCK_LEN {
                return;
            }
            self.ghash.update_blocks(&self.pending);
            self.pending_len = 0;
        }
        let (blocks, tail) = data.split_at(data.len() - data.len() % BLOCK_LEN);
        self.ghash.update_blocks(blocks);
        self.pending[..tail.len()].copy_from_slice(tail);
        self.pending_len = tail.len();
    }

    /// The hash of everything absorbed, its last partial block zero-padded; the stream itself
    /// goes on as it was.
    pub fn padded(&self) -> Ghash {
        let mut ghash = self.ghash.clone();
        if self.pending_len > 0 {
            let mut last = [0u8; BLOCK_LEN];
            last[..self.pending_len].copy_from_slice(&self.pending[..self.pending_len]);
            ghash.update_blocks(&last);
            last.zeroize();
        }
        ghash
    }
}

impl Drop for GhashStream {
    fn drop(&mut self) {
        self.pending.zeroize();
    }
}

/// The POLYVAL key that makes POLYVAL compute GHASH under `h`: mulX(rev(h)).
fn polyval_key(h: &[u8; BLOCK_LEN]) -> [u8; BLOCK_LEN] {
    let mut reversed = *h;
    reversed.reverse();
    let mut v = u128::from_le_bytes(reversed);
    reversed.zeroize();
    // Multiply by x modulo x^128 + x^127 + x^126 + x^121 + 1, without a secret-dependent branch.
    let carry = v >> 127;
    let mut product =
        (v << 1) ^ (carry.wrapping_neg() & ((1 << 127) | (1 << 126) | (1 << 121) | 1));
    v.zeroize();
    let out = product.to_le_bytes();
    product.zeroize();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(h: &[u8; 16], data: &[u8]) -> [u8; 16] {
        let mut g = GHash::new(&(*h).into());
        let (blocks, _) = ghash::Block::slice_as_chunks(data);
        g.update(blocks);
        g.finalize().into()
    }

    fn backends() -> Vec<GhashBackend> {
        [
            GhashBackend::Avx512,
            GhashBackend::Avx2,
            GhashBackend::Portable,
        ]
        .into_iter()
        .filter(|b| Ghash::with_backend(&[0; 16], *b).is_some())
        .collect()
    }

    /// Hashes `data` (whole blocks) on `backend`, fed in pieces cut at `cuts` (block multiples).
    fn hash_split(backend: GhashBackend, h: &[u8; 16], data: &[u8], cuts: &[usize]) -> [u8; 16] {
        let blocks = data.len() / 16;
        let mut bounds: Vec<usize> = cuts.iter().map(|c| (c % (blocks + 1)) * 16).collect();
        bounds.extend([0, blocks * 16]);
        bounds.sort_unstable();
        let mut g = Ghash::with_backend(h, backend).unwrap();
        assert_eq!(g.backend(), backend);
        for w in bounds.windows(2) {
            g.update_blocks(&data[w[0]..w[1]]);
        }
        g.finalize()
    }

    #[test]
    fn this_cpu_runs_the_best_backend() {
        let best = GhashBackend::best();
        assert_eq!(Ghash::new(&[1; 16]).backend(), best);
        assert!(backends().contains(&best));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn every_backend_matches_the_ghash_crate(
            h in any::<[u8; 16]>(),
            blocks in prop_oneof![0usize..4, 14usize..18, 30usize..34, 60usize..70, 0usize..300],
            cuts in proptest::collection::vec(any::<usize>(), 0..6),
            seed in any::<u8>(),
        ) {
            let data: Vec<u8> = (0..blocks * 16)
                .map(|i| (i as u8).wrapping_mul(167).wrapping_add(seed) ^ (i >> 8) as u8)
                .collect();
            let want = reference(&h, &data);
            for backend in backends() {
                prop_assert_eq!(hash_split(backend, &h, &data, &cuts), want, "{:?}", backend);
            }
        }
    }

    #[test]
    fn extreme_keys_and_data() {
        let ones = vec![0xffu8; 16 * 100];
        let zeros = vec![0u8; 16 * 100];
        for h in [
            [0u8; 16],
            [0xff; 16],
            {
                let mut k = [0u8; 16];
                k[0] = 0x80;
                k
            },
            {
                let mut k = [0u8; 16];
                k[15] = 1;
                k
            },
        ] {
            for data in [&ones, &zeros] {
                let want = reference(&h, data);
                for backend in backends() {
                    assert_eq!(
                        hash_split(backend, &h, data, &[33, 64]),
                        want,
                        "{backend:?}"
                    );
                }
            }
        }
    }
}
