//! Decrypting a client-side object body as it streams: the last 16 bytes are the GCM tag, so
//! they are held back until the body ends, then checked before anything is declared good.

use super::error::{CryptoError, CryptoResult};
use super::gcm_stream::{GcmDecryptor, TAG_LEN};

/// Feeds body chunks through a [`GcmDecryptor`], keeping the trailing tag aside.
pub struct StreamOpener {
    decryptor: GcmDecryptor,
    /// The last (up to) 16 bytes seen: the tag, if the body ends here.
    held: [u8; TAG_LEN],
    held_len: usize,
}

/// The plaintext one [`StreamOpener::push`] released, in order: a few bytes that were held
/// back from the previous chunk, then most of this chunk (decrypted in place).
pub struct Opened<'a> {
    head: [u8; TAG_LEN],
    head_len: usize,
    body: &'a [u8],
}

impl Opened<'_> {
    /// The released plaintext as two slices, to be written one after the other.
    pub fn parts(&self) -> [&[u8]; 2] {
        [&self.head[..self.head_len], self.body]
    }

    /// Bytes released.
    pub fn len(&self) -> usize {
        self.head_len + self.body.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl StreamOpener {
    pub fn new(decryptor: GcmDecryptor) -> Self {
        Self {
            decryptor,
            held: [0; TAG_LEN],
            held_len: 0,
        }
    }

    /// Decrypts what of `chunk` is certainly not tag (in place, without copying the chunk) and
    /// returns the plaintext to write. The plaintext is not authenticated until
    /// [`StreamOpener::finish`] succeeds: write it only somewhere that is discarded on failure.
    pub fn push<'a>(&mut self, chunk: &'a mut [u8]) -> CryptoResult<Opened<'a>> {
        let mut head = [0u8; TAG_LEN];
        if chunk.len() >= TAG_LEN {
            // Everything held is released; the chunk's own last 16 bytes are held instead.
            let head_len = self.held_len;
            head[..head_len].copy_from_slice(&self.held[..head_len]);
            self.decryptor.decrypt_in_place(&mut head[..head_len])?;
            let (body, tail) = chunk.split_at_mut(chunk.len() - TAG_LEN);
            self.held.copy_from_slice(tail);
            self.held_len = TAG_LEN;
            self.decryptor.decrypt_in_place(body)?;
            return Ok(Opened {
                head,
                head_len,
                body,
            });
        }
        // A short chunk: held ++ chunk is under 32 bytes; keep its last 16, release the rest.
        let mut joined = [0u8; 2 * TAG_LEN];
        let total = self.held_len + chunk.len();
        joined[..self.held_len].copy_from_slice(&self.held[..self.held_len]);
        joined[self.held_len..total].copy_from_slice(chunk);
        let keep = total.min(TAG_LEN);
        let head_len = total - keep;
        head[..head_len].copy_from_slice(&joined[..head_len]);
        self.held[..keep].copy_from_slice(&joined[head_len..total]);
        self.held_len = keep;
        self.decryptor.decrypt_in_place(&mut head[..head_len])?;
        Ok(Opened {
            head,
            head_len,
            body: &[],
        })
    }

    /// Checks the tag once the body has ended.
    pub fn finish(self) -> CryptoResult<()> {
        if self.held_len < TAG_LEN {
            return Err(CryptoError::Truncated { len: self.held_len });
        }
        self.decryptor.verify(&self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{GcmEncryptor, Key256};

    fn sealed(plain: &[u8]) -> (Key256, Vec<u8>) {
        let key = Key256::generate().unwrap();
        let mut enc = GcmEncryptor::new(&key, &[7u8; 12], b"");
        let mut body = plain.to_vec();
        enc.encrypt_in_place(&mut body).unwrap();
        body.extend_from_slice(&enc.finalize());
        (key, body)
    }

    fn open_in_chunks(key: &Key256, body: &[u8], chunk: usize) -> CryptoResult<Vec<u8>> {
        let mut opener = StreamOpener::new(GcmDecryptor::new(key, &[7u8; 12], b""));
        let mut out = Vec::new();
        for piece in body.chunks(chunk.max(1)) {
            let mut piece = piece.to_vec();
            let opened = opener.push(&mut piece)?;
            for part in opened.parts() {
                out.extend_from_slice(part);
            }
        }
        opener.finish()?;
        Ok(out)
    }

    #[test]
    fn any_chunking_round_trips() {
        for len in [0usize, 1, 15, 16, 17, 100, 4096 + 3] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let (key, body) = sealed(&plain);
            for chunk in [1, 5, 15, 16, 17, 31, 32, 33, 64, 10_000] {
                assert_eq!(
                    open_in_chunks(&key, &body, chunk).unwrap(),
                    plain,
                    "len {len} chunk {chunk}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_split_points_round_trip(
            len in 0usize..600,
            cuts in proptest::collection::vec(0usize..700, 0..12),
        ) {
            let plain: Vec<u8> = (0..len).map(|i| (i * 13 % 251) as u8).collect();
            let (key, body) = sealed(&plain);
            let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
            bounds.extend([0, body.len()]);
            bounds.sort_unstable();
            let mut opener = StreamOpener::new(GcmDecryptor::new(&key, &[7u8; 12], b""));
            let mut out = Vec::new();
            for w in bounds.windows(2) {
                let mut piece = body[w[0]..w[1]].to_vec();
                let opened = opener.push(&mut piece).unwrap();
                proptest::prop_assert_eq!(opened.len(), opened.parts().iter().map(|p| p.len()).sum::<usize>());
                for part in opened.parts() {
                    out.extend_from_slice(part);
                }
            }
            opener.finish().unwrap();
            proptest::prop_assert_eq!(out, plain);
        }
    }

    #[test]
    fn tampering_and_truncation_fail() {
        let (key, mut body) = sealed(b"attack at dawn, bring snacks");
        let last = body.len() - 1;
        body[last] ^= 1;
        assert!(open_in_chunks(&key, &body, 7).is_err());
        body[last] ^= 1;
        body[0] ^= 0x80;
        assert!(open_in_chunks(&key, &body, 7).is_err());
        body[0] ^= 0x80;
        assert!(matches!(
            open_in_chunks(&key, &body[..10], 3),
            Err(CryptoError::Truncated { .. })
        ));
        assert!(open_in_chunks(&key, &body, 3).is_ok());
    }
}
