//! Fuzzes `Envelope::parse` with metadata maps: it must never panic, and whatever it accepts
//! must survive `to_metadata` unchanged.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use s3seal::crypto::Envelope;

fuzz_target!(|input: common::Meta| {
    let meta = input.render();
    let _ = Envelope::instruction_file_hint(meta.iter().map(|(k, v)| (k, v)));
    if let Ok(Some(env)) = Envelope::parse(meta.iter().map(|(k, v)| (k, v))) {
        let written = env.to_metadata();
        assert!(written.values().all(|v| v.is_ascii()));
        let again = Envelope::parse(&written).expect("own metadata parses");
        assert_eq!(again.as_ref(), Some(&env));
        let _ = env.s3seal_key_id();
    }
});
