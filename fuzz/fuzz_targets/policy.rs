//! Fuzzes the bucket policy analysis and the TLS merge with arbitrary policy text (a bucket's
//! policy is written by whoever may write it): nothing may panic, and for every policy the
//! merge accepts, the merged policy must be judged as enforcing TLS.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3seal::s3::bucket::policy::{analyze_policy, parse_policy};
use s3seal::s3::bucket::tls_policy::{TlsVersion, enforce_tls, relax_tls};

fuzz_target!(|text: &str| {
    let Ok(policy) = parse_policy(text) else {
        return;
    };
    let bucket = "fuzz-bucket";
    let _ = analyze_policy(&policy, bucket);
    if let Ok(change) = enforce_tls(Some(&policy), bucket, Some(TlsVersion::V1_2))
        && let Some(after) = &change.after
    {
        assert!(
            analyze_policy(after, bucket).tls_enforced,
            "the merged policy does not enforce TLS: {after}"
        );
        let _ = relax_tls(Some(after), bucket);
    }
    if let Ok(change) = relax_tls(Some(&policy), bucket) {
        let _ = change.diff();
    }
});
