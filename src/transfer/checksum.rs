//! The full-object checksum S3 keeps (CRC64NVME, CRC32, CRC32C, SHA1 or SHA256), recomputed
//! here over bytes as they pass: what a download received, or what a local file holds.

use aws_smithy_checksums::http::HttpChecksum;
use base64::Engine as _;

/// A checksum S3 keeps for the whole object, to compare with the bytes seen.
pub struct FullChecksum {
    /// S3's name: `CRC64NVME`, `CRC32`, `CRC32C`, `SHA1`, `SHA256`.
    pub name: &'static str,
    /// Base64, as S3 reports it.
    pub expected: String,
    hasher: Box<dyn HttpChecksum>,
}

/// The bytes seen do not give the checksum S3 has.
#[derive(Debug)]
pub struct Mismatch {
    pub name: &'static str,
    pub expected: String,
    pub actual: String,
}

impl FullChecksum {
    /// `None` for an algorithm this build does not know.
    pub fn new(name: &'static str, expected: String) -> Option<Self> {
        let algorithm: aws_smithy_checksums::ChecksumAlgorithm = name.parse().ok()?;
        Some(Self {
            name,
            expected,
            hasher: algorithm.into_impl(),
        })
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
    }

    /// Compares what was seen with what S3 has; `Ok` names the algorithm that matched.
    pub fn verify(self) -> Result<&'static str, Mismatch> {
        let actual = base64::engine::general_purpose::STANDARD.encode(self.hasher.finalize());
        if actual == self.expected {
            Ok(self.name)
        } else {
            Err(Mismatch {
                name: self.name,
                expected: self.expected,
                actual,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64nvme_of_known_bytes() {
        // CRC-64/NVME check value of "123456789" (0xAE8B14860A799888), base64 of its bytes.
        let check = base64::engine::general_purpose::STANDARD
            .encode(0xAE8B_1486_0A79_9888u64.to_be_bytes());
        let mut sum = FullChecksum::new("CRC64NVME", check.clone()).unwrap();
        sum.update(b"1234");
        sum.update(b"56789");
        assert_eq!(sum.verify().unwrap(), "CRC64NVME");
        let mut wrong = FullChecksum::new("CRC64NVME", check).unwrap();
        wrong.update(b"123456780");
        assert!(wrong.verify().is_err());
        assert!(FullChecksum::new("NOSUCH", String::new()).is_none());
    }
}
