//! Incremental AES-256-GCM over one stream (96-bit IV, 128-bit tag), built from the `aes` and
//! `ctr` (Ctr32BE) crates and [`super::ghash`] (wide carry-less multiplication where the CPU
//! has it, the `ghash` crate elsewhere), so a multi-GiB object can be encrypted or decrypted in
//! pieces of any size while producing exactly what a one-shot AES-256-GCM produces.
//!
//! Decryption releases plaintext before the tag is checked (that is what streaming means):
//! callers must keep the output provisional until [`GcmDecryptor::verify`] succeeds.

use aes::Aes256;
use aes::cipher::{
    Array, BlockCipherEncrypt, InnerIvInit, KeyInit, StreamCipher, StreamCipherCore,
    StreamCipherCoreWrapper,
};
use ctr::{CtrCore, flavors::Ctr32BE};
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, Zeroizing};

use super::error::{CryptoError, CryptoResult};
use super::ghash::{BLOCK_LEN, Ghash, GhashStream};
use super::secret::Key256;

/// Length of a GCM nonce (IV) in bytes.
pub const IV_LEN: usize = 12;
/// Length of a GCM tag in bytes.
pub const TAG_LEN: usize = 16;
/// Largest plaintext one GCM stream may carry: 2^36 − 32 bytes (NIST SP 800-38D).
pub const MAX_PLAINTEXT_LEN: u64 = (1 << 36) - 32;

/// Bytes handled per CTR + GHASH pass: both passes touch the data while it is still in L1/L2.
const CHUNK: usize = 32 * 1024;

pub(super) type Block = aes::Block;
pub(super) type Ctr = StreamCipherCoreWrapper<CtrCore<Aes256, Ctr32BE>>;

/// The state shared by both directions: keystream, GHASH accumulator and lengths.
struct GcmState {
    ctr: Ctr,
    /// GHASH of the AAD, then of the ciphertext so far.
    ghash: GhashStream,
    /// E(K, J0), XORed into the GHASH output to form the tag.
    tag_mask: [u8; TAG_LEN],
    aad_len: u64,
    text_len: u64,
}

impl GcmState {
    fn new(key: &Key256, iv: &[u8; IV_LEN], aad: &[u8]) -> Self {
        let cipher = Aes256::new(<&Array<u8, _>>::from(key.expose()));
        let ghash = GhashStream::new(ghash_after_aad(&hash_key(&cipher), aad));

        // J0 = IV || 0^31 || 1; the first keystream block (counter 1) masks the tag and the
        // content starts at inc32(J0).
        let mut core = CtrCore::<Aes256, Ctr32BE>::inner_iv_init(cipher, &counter_block(iv, 1));
        let mut mask = Block::default();
        core.write_keystream_block(&mut mask);
        let mut tag_mask = [0u8; TAG_LEN];
        tag_mask.copy_from_slice(&mask);
        mask.as_mut_slice().zeroize();

        Self {
            ctr: StreamCipherCoreWrapper::from_core(core),
            ghash,
            tag_mask,
            aad_len: aad.len() as u64,
            text_len: 0,
        }
    }

    /// Accounts for `len` more bytes, refusing to pass the GCM limit.
    fn reserve(&mut self, len: usize) -> CryptoResult<()> {
        let total = self
            .text_len
            .checked_add(len as u64)
            .ok_or(CryptoError::TooLong)?;
        if total > MAX_PLAINTEXT_LEN {
            return Err(CryptoError::TooLong);
        }
        self.text_len = total;
        Ok(())
    }

    /// Applies the keystream; the length was reserved, so the 32-bit counter cannot run out.
    fn keystream(&mut self, buf: &mut [u8]) -> CryptoResult<()> {
        self.ctr
            .try_apply_keystream(buf)
            .map_err(|_| CryptoError::TooLong)
    }

    /// Feeds ciphertext to GHASH.
    fn absorb(&mut self, data: &[u8]) {
        self.ghash.absorb(data);
    }

    fn tag(&self) -> [u8; TAG_LEN] {
        let mut ghash = self.ghash.padded();
        ghash.update_blocks(&lengths_block(self.aad_len, self.text_len));
        let s = ghash.finalize();
        let mut tag = [0u8; TAG_LEN];
        for ((t, a), b) in tag.iter_mut().zip(s.iter()).zip(self.tag_mask.iter()) {
            *t = a ^ b;
        }
        tag
    }
}

/// H = E(K, 0¹²⁸), the key of GCM's GHASH under `cipher`.
pub(super) fn hash_key(cipher: &Aes256) -> Zeroizing<[u8; BLOCK_LEN]> {
    let mut h = Block::default();
    cipher.encrypt_block(&mut h);
    let out = Zeroizing::new(h.into());
    h.as_mut_slice().zeroize();
    out
}

/// GHASH under `h` of the AAD, zero-padded to whole blocks: where the text's hash starts.
pub(super) fn ghash_after_aad(h: &[u8; BLOCK_LEN], aad: &[u8]) -> Ghash {
    let mut stream = GhashStream::new(Ghash::new(h));
    stream.absorb(aad);
    stream.padded()
}

/// The counter block `counter` of a stream with a 96-bit IV: IV ‖ counter (big-endian). Block
/// 1 is J0, which masks the tag; the content starts at block 2.
pub(super) fn counter_block(iv: &[u8; IV_LEN], counter: u32) -> Block {
    let mut block = Block::default();
    block[..IV_LEN].copy_from_slice(iv);
    block[IV_LEN..].copy_from_slice(&counter.to_be_bytes());
    block
}

/// GHASH's last block: the bit lengths of the AAD and of the text.
pub(super) fn lengths_block(aad_len: u64, text_len: u64) -> [u8; BLOCK_LEN] {
    let mut lengths = [0u8; BLOCK_LEN];
    lengths[..8].copy_from_slice(&(aad_len * 8).to_be_bytes());
    lengths[8..].copy_from_slice(&(text_len * 8).to_be_bytes());
    lengths
}

impl Drop for GcmState {
    fn drop(&mut self) {
        // The AES key schedule and GHASH key are cleared by the `aes`/`ghash` crates when their
        // `zeroize` features are on; what this type owns is cleared here.
        self.tag_mask.zeroize();
    }
}

/// Incremental AES-256-GCM encryption of one stream.
///
/// `encrypt_in_place` may be called any number of times with any lengths; the concatenated
/// output equals one-shot AES-256-GCM ciphertext, and [`GcmEncryptor::finalize`] gives its tag.
pub struct GcmEncryptor {
    state: GcmState,
}

impl GcmEncryptor {
    /// Starts a stream under `key` with the 96-bit `iv` and the associated data `aad`.
    /// Never reuse an (key, IV) pair for two different plaintexts.
    pub fn new(key: &Key256, iv: &[u8; IV_LEN], aad: &[u8]) -> Self {
        Self {
            state: GcmState::new(key, iv, aad),
        }
    }

    /// Encrypts the next piece of plaintext in place. Fails (and leaves `buf` untouched) when
    /// the stream would exceed [`MAX_PLAINTEXT_LEN`].
    pub fn encrypt_in_place(&mut self, buf: &mut [u8]) -> CryptoResult<()> {
        self.state.reserve(buf.len())?;
        for chunk in buf.chunks_mut(CHUNK) {
            self.state.keystream(chunk)?;
            self.state.absorb(chunk);
        }
        Ok(())
    }

    /// Plaintext bytes processed so far.
    pub fn processed_len(&self) -> u64 {
        self.state.text_len
    }

    /// Ends the stream and returns the 16-byte tag that follows the ciphertext.
    pub fn finalize(self) -> [u8; TAG_LEN] {
        self.state.tag()
    }
}

/// Incremental AES-256-GCM decryption of one stream.
///
/// The plaintext it produces is unauthenticated until [`GcmDecryptor::verify`] returns `Ok`.
pub struct GcmDecryptor {
    state: GcmState,
}

impl GcmDecryptor {
    /// Starts a stream under `key` with the 96-bit `iv` and the associated data `aad`.
    pub fn new(key: &Key256, iv: &[u8; IV_LEN], aad: &[u8]) -> Self {
        Self {
            state: GcmState::new(key, iv, aad),
        }
    }

    /// Decrypts the next piece of ciphertext (without the tag) in place.
    pub fn decrypt_in_place(&mut self, buf: &mut [u8]) -> CryptoResult<()> {
        self.state.reserve(buf.len())?;
        for chunk in buf.chunks_mut(CHUNK) {
            self.state.absorb(chunk);
            self.state.keystream(chunk)?;
        }
        Ok(())
    }

    /// Ciphertext bytes processed so far.
    pub fn processed_len(&self) -> u64 {
        self.state.text_len
    }

    /// Ends the stream and checks `tag` in constant time.
    pub fn verify(self, tag: &[u8; TAG_LEN]) -> CryptoResult<()> {
        let mut expected = self.state.tag();
        let ok: bool = expected.ct_eq(tag).into();
        expected.zeroize();
        if ok {
            Ok(())
        } else {
            Err(CryptoError::AuthenticationFailed)
        }
    }
}

/// Throughput probe for benchmarks: encrypts `buf` in place as one GCM stream fed in pieces of
/// `piece_len` bytes (0 = all at once) under a fixed test key, and returns the tag.
/// Time it against `openssl speed -evp aes-256-gcm`.
pub fn bench_encrypt_in_place(buf: &mut [u8], piece_len: usize) -> CryptoResult<[u8; TAG_LEN]> {
    let key = Key256::from_bytes([0x42; 32]);
    let mut enc = GcmEncryptor::new(&key, &[0x24; IV_LEN], b"");
    let piece = if piece_len == 0 {
        buf.len().max(1)
    } else {
        piece_len
    };
    for part in buf.chunks_mut(piece) {
        enc.encrypt_in_place(part)?;
    }
    Ok(enc.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::AeadInOut;
    use proptest::prelude::*;

    fn one_shot(key: &[u8; 32], iv: &[u8; 12], aad: &[u8], data: &[u8]) -> (Vec<u8>, [u8; 16]) {
        let cipher = aes_gcm::Aes256Gcm::new(&Array::from(*key));
        let mut buf = data.to_vec();
        let tag = cipher
            .encrypt_inout_detached(&Array::from(*iv), aad, buf.as_mut_slice().into())
            .unwrap();
        let mut t = [0u8; 16];
        t.copy_from_slice(&tag);
        (buf, t)
    }

    /// Encrypts then decrypts `data` split at `cuts`, checking against the one-shot result.
    fn check(key: [u8; 32], iv: [u8; 12], aad: &[u8], data: &[u8], cuts: &[usize]) {
        let (expect_ct, expect_tag) = one_shot(&key, &iv, aad, data);
        let k = Key256::from_bytes(key);
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        bounds.push(0);
        bounds.push(data.len());
        bounds.sort_unstable();

        let mut buf = data.to_vec();
        let mut enc = GcmEncryptor::new(&k, &iv, aad);
        for w in bounds.windows(2) {
            enc.encrypt_in_place(&mut buf[w[0]..w[1]]).unwrap();
        }
        assert_eq!(enc.processed_len(), data.len() as u64);
        assert_eq!(buf, expect_ct);
        assert_eq!(enc.finalize(), expect_tag);

        let mut dec = GcmDecryptor::new(&k, &iv, aad);
        for w in bounds.windows(2) {
            dec.decrypt_in_place(&mut buf[w[0]..w[1]]).unwrap();
        }
        assert_eq!(buf, data);
        dec.verify(&expect_tag).unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn matches_one_shot(
            key in any::<[u8; 32]>(),
            iv in any::<[u8; 12]>(),
            aad in proptest::collection::vec(any::<u8>(), 0..70),
            len in prop_oneof![Just(0usize), Just(1), Just(15), Just(16), Just(17), 0usize..5000],
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
            seed in any::<u8>(),
        ) {
            let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
            check(key, iv, &aad, &data, &cuts);
        }
    }

    #[test]
    fn several_mib_random_splits() {
        let len = 5 * 1024 * 1024 + 13;
        let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
        let cuts = [
            1usize, 17, 4095, 70_000, 1_048_576, 1_048_577, 3_000_001, 5_242_000,
        ];
        check([7u8; 32], [9u8; 12], b"\x00\x73", &data, &cuts);
        check([8u8; 32], [1u8; 12], b"", &data, &[]);
    }

    /// GCM test cases 13-16 of McGrew & Viega (the GCM spec NIST SP 800-38D builds on): AES-256.
    #[test]
    fn nist_vectors_256() {
        struct V(
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
        );
        let vectors = [
            V(
                "0000000000000000000000000000000000000000000000000000000000000000",
                "000000000000000000000000",
                "",
                "",
                "",
                "530f8afbc74536b9a963b4f1c4cb738b",
            ),
            V(
                "0000000000000000000000000000000000000000000000000000000000000000",
                "000000000000000000000000",
                "",
                "00000000000000000000000000000000",
                "cea7403d4d606b6e074ec5d3baf39d18",
                "d0d1c8a799996bf0265b98b5d48ab919",
            ),
            V(
                "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                "cafebabefacedbaddecaf888",
                "",
                "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
                "b094dac5d93471bdec1a502270e3cc6c",
            ),
            V(
                "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                "cafebabefacedbaddecaf888",
                "feedfacedeadbeeffeedfacedeadbeefabaddad2",
                "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
                "76fc6ece0f4e1768cddf8853bb2d551b",
            ),
        ];
        for V(key, iv, aad, pt, ct, tag) in vectors {
            let key: [u8; 32] = hex::decode(key).unwrap().try_into().unwrap();
            let iv: [u8; 12] = hex::decode(iv).unwrap().try_into().unwrap();
            let aad = hex::decode(aad).unwrap();
            let pt = hex::decode(pt).unwrap();
            let k = Key256::from_bytes(key);
            for piece in [1usize, 7, 16, 1000] {
                let mut buf = pt.clone();
                let mut enc = GcmEncryptor::new(&k, &iv, &aad);
                for part in buf.chunks_mut(piece) {
                    enc.encrypt_in_place(part).unwrap();
                }
                assert_eq!(hex::encode(&buf), ct);
                assert_eq!(hex::encode(enc.finalize()), tag);
            }
        }
    }

    #[test]
    fn wrong_tag_and_flipped_bit_fail() {
        let k = Key256::from_bytes([3u8; 32]);
        let mut buf = b"attack at dawn, bring snacks".to_vec();
        let mut enc = GcmEncryptor::new(&k, &[5u8; 12], b"aad");
        enc.encrypt_in_place(&mut buf).unwrap();
        let tag = enc.finalize();

        let mut bad_tag = tag;
        bad_tag[15] ^= 1;
        let mut copy = buf.clone();
        let mut dec = GcmDecryptor::new(&k, &[5u8; 12], b"aad");
        dec.decrypt_in_place(&mut copy).unwrap();
        assert_eq!(dec.verify(&bad_tag), Err(CryptoError::AuthenticationFailed));

        let mut flipped = buf.clone();
        flipped[3] ^= 0x80;
        let mut dec = GcmDecryptor::new(&k, &[5u8; 12], b"aad");
        dec.decrypt_in_place(&mut flipped).unwrap();
        assert_eq!(dec.verify(&tag), Err(CryptoError::AuthenticationFailed));

        let mut dec = GcmDecryptor::new(&k, &[5u8; 12], b"other aad");
        dec.decrypt_in_place(&mut buf.clone()).unwrap();
        assert_eq!(dec.verify(&tag), Err(CryptoError::AuthenticationFailed));
    }

    #[test]
    fn plaintext_limit_is_enforced() {
        let k = Key256::from_bytes([1u8; 32]);
        let mut enc = GcmEncryptor::new(&k, &[0u8; 12], b"");
        // Pretend almost the whole budget is used, then ask for more than is left.
        enc.state.text_len = MAX_PLAINTEXT_LEN - 16;
        let mut buf = [0u8; 17];
        assert_eq!(enc.encrypt_in_place(&mut buf), Err(CryptoError::TooLong));
        assert_eq!(buf, [0u8; 17], "refused input is left untouched");
        let mut exact = [0u8; 16];
        enc.state.text_len = MAX_PLAINTEXT_LEN - 16;
        // The counter itself is fresh here, so only the length bookkeeping is exercised.
        assert!(enc.encrypt_in_place(&mut exact).is_ok());
        assert_eq!(enc.processed_len(), MAX_PLAINTEXT_LEN);
    }

    #[test]
    fn bench_probe_runs() {
        let mut a = vec![0u8; 100_000];
        let mut b = vec![0u8; 100_000];
        let t1 = bench_encrypt_in_place(&mut a, 0).unwrap();
        let t2 = bench_encrypt_in_place(&mut b, 4096).unwrap();
        assert_eq!(t1, t2);
        assert_eq!(a, b);
    }
}
