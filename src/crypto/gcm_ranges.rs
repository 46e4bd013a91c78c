//! AES-256-GCM decryption of one stream in independent ranges — the parts of a ranged
//! download, decrypted in any order on any thread. CTR decrypts from any block boundary; each
//! range's GHASH starts from zero on its own; and because GHASH is linear, the ranges' hashes
//! combine in order into the stream's (the hash of A‖B is hash(A)·H^blocks(B) ⊕ hash(B)), so
//! the tag is checked exactly as a one-pass decryption would check it.
//!
//! As with [`super::gcm_stream`], the plaintext is unauthenticated until
//! [`GcmRanges::verify`] succeeds: keep it where it is discarded on failure.

use aes::Aes256;
use aes::cipher::{Array, BlockCipherEncrypt, InnerIvInit, KeyInit, StreamCipher};
use ctr::CtrCore;
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, Zeroizing};

use super::error::{CryptoError, CryptoResult};
use super::gcm_stream::{
    Ctr, IV_LEN, MAX_PLAINTEXT_LEN, TAG_LEN, counter_block, ghash_after_aad, hash_key,
    lengths_block,
};
use super::ghash::{BLOCK_LEN, Ghash, GhashBackend, GhashStream};
use super::secret::Key256;

/// Bytes handled per CTR + GHASH pass, while they are still in cache.
const CHUNK: usize = 32 * 1024;

/// One GCM stream (key, IV, AAD), to be decrypted range by range.
pub struct GcmRanges {
    cipher: Aes256,
    iv: [u8; IV_LEN],
    /// H = E(K, 0¹²⁸).
    h: Zeroizing<[u8; BLOCK_LEN]>,
    /// GHASH after the AAD.
    aad_hash: Zeroizing<[u8; BLOCK_LEN]>,
    aad_len: u64,
}

/// A running decryption of the ciphertext from one offset on.
pub struct GcmRange {
    ctr: Ctr,
    ghash: GhashStream,
    /// Where the range starts, and where what it has seen so far ends, in the stream.
    start: u64,
    end: u64,
}

/// What a finished range contributes to the tag: its own GHASH and its length.
pub struct RangeHash {
    hash: Zeroizing<[u8; BLOCK_LEN]>,
    len: u64,
}

impl GcmRanges {
    pub fn new(key: &Key256, iv: &[u8; IV_LEN], aad: &[u8]) -> Self {
        let cipher = Aes256::new(<&Array<u8, _>>::from(key.expose()));
        let h = hash_key(&cipher);
        let aad_hash = Zeroizing::new(ghash_after_aad(&h, aad).finalize());
        Self {
            cipher,
            iv: *iv,
            h,
            aad_hash,
            aad_len: aad.len() as u64,
        }
    }

    /// A decryptor for the ciphertext that starts `offset` bytes into the stream. Every range
    /// but the stream's last must start and end on a 16-byte boundary.
    pub fn range(&self, offset: u64) -> CryptoResult<GcmRange> {
        if !offset.is_multiple_of(BLOCK_LEN as u64) {
            return Err(CryptoError::RangeAlignment { offset });
        }
        if offset > MAX_PLAINTEXT_LEN {
            return Err(CryptoError::TooLong);
        }
        // Content block n is counter n + 2 (J0 = 1 masks the tag); it fits, as offset is
        // within the GCM limit of 2³² − 2 blocks.
        let counter =
            u32::try_from(offset / BLOCK_LEN as u64 + 2).map_err(|_| CryptoError::TooLong)?;
        let core = CtrCore::inner_iv_init(self.cipher.clone(), &counter_block(&self.iv, counter));
        Ok(GcmRange {
            ctr: Ctr::from_core(core),
            ghash: GhashStream::new(Ghash::new(&self.h)),
            start: offset,
            end: offset,
        })
    }

    /// Checks `tag` against the ranges' hashes, given in stream order and covering the
    /// ciphertext from its first byte to its last without gaps.
    pub fn verify(&self, ranges: &[RangeHash], tag: &[u8; TAG_LEN]) -> CryptoResult<()> {
        let mut acc = Zeroizing::new(*self.aad_hash);
        let mut text_len = 0u64;
        let mut power: Option<(u64, Zeroizing<[u8; BLOCK_LEN]>)> = None;
        // An empty range (a part of the object that holds only tag bytes) adds nothing.
        let ranges: Vec<&RangeHash> = ranges.iter().filter(|r| r.len > 0).collect();
        for (i, range) in ranges.iter().enumerate() {
            let last = i + 1 == ranges.len();
            if !last && !range.len.is_multiple_of(BLOCK_LEN as u64) {
                return Err(CryptoError::RangeAlignment {
                    offset: text_len + range.len,
                });
            }
            text_len = text_len
                .checked_add(range.len)
                .ok_or(CryptoError::TooLong)?;
            let blocks = range.len.div_ceil(BLOCK_LEN as u64);
            // Full ranges all have the same length: reuse H^blocks.
            if power.as_ref().is_none_or(|(b, _)| *b != blocks) {
                power = Some((blocks, pow(&self.h, blocks)));
            }
            if let Some((_, h_pow)) = &power {
                *acc = mul(&acc, h_pow);
            }
            xor_into(&mut acc, &range.hash);
        }
        if text_len > MAX_PLAINTEXT_LEN {
            return Err(CryptoError::TooLong);
        }
        xor_into(&mut acc, &lengths_block(self.aad_len, text_len));
        *acc = mul(&acc, &self.h);
        let mut mask = counter_block(&self.iv, 1);
        self.cipher.encrypt_block(&mut mask);
        xor_into(&mut acc, &mask.into());
        mask.as_mut_slice().zeroize();
        if bool::from(acc.ct_eq(tag)) {
            Ok(())
        } else {
            Err(CryptoError::AuthenticationFailed)
        }
    }
}

impl GcmRange {
    /// Decrypts the range's next `ciphertext` (no tag bytes) into `plaintext`, of the same
    /// length: the ciphertext is read once, where it lies, and never copied.
    pub fn decrypt_to(&mut self, ciphertext: &[u8], plaintext: &mut [u8]) -> CryptoResult<()> {
        if ciphertext.len() != plaintext.len() {
            return Err(CryptoError::Truncated {
                len: plaintext.len(),
            });
        }
        let end = self
            .end
            .checked_add(ciphertext.len() as u64)
            .filter(|end| *end <= MAX_PLAINTEXT_LEN)
            .ok_or(CryptoError::TooLong)?;
        for (input, output) in ciphertext.chunks(CHUNK).zip(plaintext.chunks_mut(CHUNK)) {
            self.ghash.absorb(input);
            self.ctr
                .try_apply_keystream_b2b(input, output)
                .map_err(|_| CryptoError::TooLong)?;
        }
        self.end = end;
        Ok(())
    }

    /// Ends the range (a trailing partial block is zero-padded, as GCM pads the last block).
    pub fn finish(self) -> RangeHash {
        RangeHash {
            hash: Zeroizing::new(self.ghash.padded().finalize()),
            len: self.end - self.start,
        }
    }
}

/// a·b in GCM's field, computed as the GHASH of the one block `a` under the key `b`.
fn mul(a: &[u8; BLOCK_LEN], b: &[u8; BLOCK_LEN]) -> [u8; BLOCK_LEN] {
    let mut ghash = Ghash::with_backend(b, GhashBackend::Portable).unwrap_or_else(|| Ghash::new(b));
    ghash.update_blocks(a);
    ghash.finalize()
}

/// h^n by squaring and multiplying (GCM's 1 is the block with only its first bit set).
fn pow(h: &[u8; BLOCK_LEN], mut n: u64) -> Zeroizing<[u8; BLOCK_LEN]> {
    let mut one = [0u8; BLOCK_LEN];
    one[0] = 0x80;
    let mut result = Zeroizing::new(one);
    let mut base = Zeroizing::new(*h);
    while n > 0 {
        if n & 1 == 1 {
            *result = mul(&result, &base);
        }
        *base = mul(&base, &base);
        n >>= 1;
    }
    result
}

fn xor_into(acc: &mut [u8; BLOCK_LEN], other: &[u8; BLOCK_LEN]) {
    for (a, b) in acc.iter_mut().zip(other) {
        *a ^= b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::gcm_stream::GcmEncryptor;
    use proptest::prelude::*;

    fn sealed(key: &Key256, iv: &[u8; 12], aad: &[u8], plain: &[u8]) -> (Vec<u8>, [u8; 16]) {
        let mut ct = plain.to_vec();
        let mut enc = GcmEncryptor::new(key, iv, aad);
        enc.encrypt_in_place(&mut ct).unwrap();
        (ct, enc.finalize())
    }

    /// Decrypts `ct` cut into ranges of `part` bytes, in reverse order, each fed in pieces of
    /// `piece` bytes; returns the plaintext and the verdict on `tag`.
    fn open(
        key: &Key256,
        iv: &[u8; 12],
        aad: &[u8],
        ct: &[u8],
        tag: &[u8; 16],
        part: usize,
        piece: usize,
    ) -> (Vec<u8>, CryptoResult<()>) {
        let ranges = GcmRanges::new(key, iv, aad);
        let mut out = vec![0u8; ct.len()];
        let starts: Vec<usize> = (0..ct.len().max(1)).step_by(part).collect();
        let mut hashes: Vec<(usize, RangeHash)> = Vec::new();
        for &start in starts.iter().rev() {
            let end = (start + part).min(ct.len());
            let mut range = ranges.range(start as u64).unwrap();
            let pieces = ct[start..end].chunks(piece.max(1));
            for (input, output) in pieces.zip(out[start..end].chunks_mut(piece.max(1))) {
                range.decrypt_to(input, output).unwrap();
            }
            hashes.push((start, range.finish()));
        }
        hashes.sort_by_key(|(start, _)| *start);
        let hashes: Vec<RangeHash> = hashes.into_iter().map(|(_, h)| h).collect();
        let verdict = ranges.verify(&hashes, tag);
        (out, verdict)
    }

    #[test]
    fn powers_and_products() {
        let h = [0x66u8; 16];
        let mut one = [0u8; 16];
        one[0] = 0x80;
        assert_eq!(mul(&one, &h), h);
        assert_eq!(*pow(&h, 0), one);
        assert_eq!(*pow(&h, 1), h);
        assert_eq!(*pow(&h, 3), mul(&mul(&h, &h), &h));
        assert_eq!(*pow(&h, 1000), mul(&pow(&h, 999), &h));
    }

    #[test]
    fn ranges_in_any_order_match_one_pass() {
        let key = Key256::from_bytes([5; 32]);
        let iv = [6u8; 12];
        for (len, part, piece) in [
            (0usize, 16usize, 7usize),
            (1, 16, 1),
            (100, 16, 5),
            (4096 + 3, 1024, 100),
            (1 << 20, 64 * 1024, 4096),
            (1 << 20, 1 << 20, 1 << 20),
        ] {
            for aad in [&b""[..], b"\x00\x73"] {
                let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
                let (ct, tag) = sealed(&key, &iv, aad, &plain);
                let (out, verdict) = open(&key, &iv, aad, &ct, &tag, part, piece);
                assert_eq!(out, plain, "len {len} part {part}");
                verdict.unwrap();
            }
        }
    }

    #[test]
    fn tampering_fails() {
        let key = Key256::from_bytes([5; 32]);
        let iv = [6u8; 12];
        let plain = vec![9u8; 5000];
        let (mut ct, tag) = sealed(&key, &iv, b"", &plain);
        ct[4000] ^= 1;
        assert_eq!(
            open(&key, &iv, b"", &ct, &tag, 1024, 333).1,
            Err(CryptoError::AuthenticationFailed)
        );
        ct[4000] ^= 1;
        let mut bad = tag;
        bad[0] ^= 0x80;
        assert_eq!(
            open(&key, &iv, b"", &ct, &bad, 1024, 333).1,
            Err(CryptoError::AuthenticationFailed)
        );
        // A missing range (the ranges do not cover the stream) fails too.
        let ranges = GcmRanges::new(&key, &iv, b"");
        let mut first = vec![0u8; 1024];
        let mut r = ranges.range(0).unwrap();
        r.decrypt_to(&ct[..1024], &mut first).unwrap();
        assert!(
            r.decrypt_to(&ct[..10], &mut first).is_err(),
            "lengths must agree"
        );
        assert!(ranges.verify(&[r.finish()], &tag).is_err());
        assert!(matches!(
            ranges.range(8),
            Err(CryptoError::RangeAlignment { .. })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn any_aligned_split_matches(
            len in 0usize..6000,
            part_blocks in 1usize..40,
            piece in 1usize..700,
            aad in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let key = Key256::from_bytes([len as u8; 32]);
            let iv = [part_blocks as u8; 12];
            let plain: Vec<u8> = (0..len).map(|i| (i * 13 % 251) as u8).collect();
            let (ct, tag) = sealed(&key, &iv, &aad, &plain);
            let (out, verdict) = open(&key, &iv, &aad, &ct, &tag, part_blocks * 16, piece);
            prop_assert_eq!(out, plain);
            prop_assert!(verdict.is_ok());
        }
    }
}
