//! Fuzzes `Envelope::parse_instruction_file` with raw bodies and with JSON objects of envelope
//! names, plus object metadata: it must never panic, and accepted envelopes must round-trip
//! through `to_instruction_file`.
#![no_main]

mod common;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use s3seal::crypto::Envelope;

#[derive(Debug, Arbitrary)]
enum Body {
    Raw(Vec<u8>),
    Entries(common::Meta),
}

#[derive(Debug, Arbitrary)]
struct Input {
    body: Body,
    object: common::Meta,
}

fuzz_target!(|input: Input| {
    let body = match &input.body {
        Body::Raw(bytes) => bytes.clone(),
        Body::Entries(entries) => {
            let map: serde_json::Map<String, serde_json::Value> = entries
                .render()
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            serde_json::Value::Object(map).to_string().into_bytes()
        }
    };
    let object = input.object.render();
    if let Ok(env) = Envelope::parse_instruction_file(&body, object.iter().map(|(k, v)| (k, v))) {
        let (file, object_meta) = env.to_instruction_file();
        let again = Envelope::parse_instruction_file(file.as_bytes(), &object_meta)
            .expect("own instruction file parses");
        assert_eq!(again, env);
    }
});
