//! Part buffers used again instead of allocated anew: an 8 MiB allocation per part is fresh
//! memory each time (page faults, zeroing), which is a visible share of a client-side upload's
//! time. A buffer handed to the SDK as [`bytes::Bytes`] comes back when the SDK drops it.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

/// Buffers kept for reuse at most; more in flight are simply freed when done.
const KEPT: usize = 16;

/// A shared stack of spare buffers.
#[derive(Clone, Debug, Default)]
pub struct BufferPool {
    spare: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl BufferPool {
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer that can hold `capacity` bytes without allocating.
    pub fn take(&self, capacity: usize) -> Vec<u8> {
        let spare = self
            .spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut buf = spare.unwrap_or_default();
        buf.clear();
        buf.reserve(capacity);
        buf
    }

    fn give(&self, buf: Vec<u8>) {
        let mut spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        if spare.len() < KEPT {
            spare.push(buf);
        }
    }

    /// `buf` as `Bytes` that return it to this pool once the last clone is dropped.
    pub fn bytes(&self, buf: Vec<u8>) -> Bytes {
        Bytes::from_owner(Pooled {
            buf,
            pool: self.clone(),
        })
    }

    #[cfg(test)]
    fn spare_count(&self) -> usize {
        self.spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Owns a buffer lent out as `Bytes`.
struct Pooled {
    buf: Vec<u8>,
    pool: BufferPool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.pool.give(std::mem::take(&mut self.buf));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_when_the_last_clone_goes() {
        let pool = BufferPool::new();
        let mut buf = pool.take(1024);
        assert!(buf.capacity() >= 1024 && buf.is_empty());
        buf.extend_from_slice(b"ciphertext");
        let ptr = buf.as_ptr();
        let bytes = pool.bytes(buf);
        let clone = bytes.clone();
        assert_eq!(&bytes[..], b"ciphertext");
        drop(bytes);
        assert_eq!(pool.spare_count(), 0, "a clone still holds it");
        drop(clone);
        assert_eq!(pool.spare_count(), 1);
        let again = pool.take(512);
        assert!(again.is_empty(), "a reused buffer starts empty");
        assert_eq!(again.as_ptr(), ptr, "the same allocation is reused");
    }

    #[test]
    fn at_most_a_few_are_kept() {
        let pool = BufferPool::new();
        let lent: Vec<Bytes> = (0..KEPT + 5).map(|_| pool.bytes(pool.take(8))).collect();
        drop(lent);
        assert_eq!(pool.spare_count(), KEPT);
    }
}
