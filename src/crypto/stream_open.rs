//! Decrypting a client-side object body as it streams: the last 16 bytes are the GCM tag, so
//! they are held back until the body ends, then checked before anything is declared good.

use super::error::{CryptoError, CryptoResult};
use super::gcm_stream::{GcmDecryptor, TAG_LEN};

/// Feeds body chunks through a [`GcmDecryptor`], keeping the trailing tag aside.
pub struct StreamOpener {
    decryptor: GcmDecryptor,
    held: Vec<u8>,
}

impl StreamOpener {
    pub fn new(decryptor: GcmDecryptor) -> Self {
        Self {
            decryptor,
            held: Vec::with_capacity(2 * TAG_LEN),
        }
    }

    /// Decrypts what of `chunk` is certainly not tag, in place, returning the plaintext slice
    /// to write. The plaintext is not authenticated until [`StreamOpener::finish`] succeeds:
    /// write it only somewhere that is discarded on failure.
    pub fn push<'a>(&mut self, chunk: &'a mut Vec<u8>) -> CryptoResult<&'a [u8]> {
        // Prepend what was held back, then hold back the new last TAG_LEN bytes.
        if !self.held.is_empty() {
            let mut joined = std::mem::take(&mut self.held);
            joined.extend_from_slice(chunk);
            *chunk = joined;
        }
        let keep = chunk.len().min(TAG_LEN);
        let split = chunk.len() - keep;
        self.held.extend_from_slice(&chunk[split..]);
        chunk.truncate(split);
        self.decryptor.decrypt_in_place(chunk)?;
        Ok(chunk)
    }

    /// Checks the tag once the body has ended.
    pub fn finish(self) -> CryptoResult<()> {
        let len = self.held.len();
        let tag: [u8; TAG_LEN] = self
            .held
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Truncated { len })?;
        self.decryptor.verify(&tag)
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
            out.extend_from_slice(opener.push(&mut piece)?);
        }
        opener.finish()?;
        Ok(out)
    }

    #[test]
    fn any_chunking_round_trips() {
        for len in [0usize, 1, 15, 16, 17, 100, 4096 + 3] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let (key, body) = sealed(&plain);
            for chunk in [1, 5, 16, 17, 64, 10_000] {
                assert_eq!(
                    open_in_chunks(&key, &body, chunk).unwrap(),
                    plain,
                    "len {len} chunk {chunk}"
                );
            }
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
