//! Throughput of s3seal's incremental AES-256-GCM stream on one core, fed in 1 MiB pieces the
//! way uploads feed it. Prints MB/s (10^6 bytes per second) for `scripts/bench` to compare with
//! `openssl speed -evp aes-256-gcm` in the same run.

use std::time::Instant;

fn main() -> Result<(), s3seal::crypto::CryptoError> {
    let total: usize = std::env::var("GCM_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
        * 1024
        * 1024;
    let piece = 1024 * 1024;
    let mut buf = vec![0x5au8; 64 * 1024 * 1024];
    // Warm up once, then time passes over the buffer until `total` bytes were processed.
    let _ = s3seal::crypto::gcm_stream::bench_encrypt_in_place(&mut buf, piece);
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let mut done = 0;
        while done < total {
            let tag = s3seal::crypto::gcm_stream::bench_encrypt_in_place(&mut buf, piece)?;
            std::hint::black_box(tag);
            done += buf.len();
        }
        best = best.min(start.elapsed().as_secs_f64() / done as f64);
    }
    println!("gcm_stream_mb_per_s {:.1}", 1.0 / best / 1e6);
    Ok(())
}
