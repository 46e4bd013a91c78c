//! Fuzzes the small grammars of the command line and the window: `--where` filters (which
//! must print back as what they parse from), `s3://BUCKET/KEY` addresses, Batch Operations
//! `--created-before` dates, transfer `--include`/`--exclude` patterns, and KMS key names as
//! the audit shortens and compares them. None may panic.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use s3seal::batch::selection::parse_date;
use s3seal::s3::S3Uri;
use s3seal::s3::bucket::filter::{ObjectFilter, same_kms_key};
use s3seal::s3::kms::short_kms;
use s3seal::transfer::tree::TreeFilter;

#[derive(Debug, Arbitrary)]
enum Input {
    Where(String),
    Uri(String),
    Date(String),
    Patterns {
        include: Vec<String>,
        exclude: Vec<String>,
        paths: Vec<String>,
    },
    Kms(String, String),
}

fuzz_target!(|input: Input| {
    match input {
        Input::Where(text) => {
            if let Ok(filter) = text.parse::<ObjectFilter>() {
                let printed = filter.to_string();
                let again = printed.parse::<ObjectFilter>().expect("a printed filter parses");
                assert_eq!(again, filter, "{text:?} printed as {printed:?}");
            }
        }
        Input::Uri(text) => {
            if let Ok(uri) = text.parse::<S3Uri>() {
                let _ = uri.require_object();
                let _ = uri.upload_target(std::path::Path::new("dir/file.txt"));
                let again = uri.to_string().parse::<S3Uri>().expect("a printed address parses");
                assert_eq!(again, uri);
            }
        }
        Input::Date(text) => {
            let _ = parse_date(&text);
        }
        Input::Patterns {
            include,
            exclude,
            paths,
        } => {
            if let Ok(filter) = TreeFilter::new(include, exclude) {
                let _ = filter.is_empty();
                for path in &paths {
                    let _ = filter.admits(path);
                }
            }
        }
        Input::Kms(a, b) => {
            let _ = short_kms(&a);
            let _ = same_kms_key(&a, &b);
        }
    }
});
