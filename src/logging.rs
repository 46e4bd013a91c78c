//! Logging setup shared by every front end, with the one rule that no log line may carry key
//! material, whatever filter the user asks for.
//!
//! The AWS SigV4 signer logs the whole request it signs at TRACE level, headers included
//! (`aws-sigv4` `sign.rs`: `trace!(request = ?request, …, "signing request")`), and an SSE-C
//! request's headers hold the key in base64. The SDK's own header redaction does not cover that
//! event, so TRACE events from `aws_sigv4` are dropped here before any filter the user sets.

use std::io::IsTerminal as _;

use tracing::{Level, Metadata};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The filter when neither `S3SEAL_LOG` nor `RUST_LOG` is set: warnings, except from the AWS
/// credential and region probes (`aws_config`), whose warnings are expected whenever a source
/// is absent (no IMDS off EC2, no profile file) — s3seal reports a missing credential or region
/// itself, in one line that says what to do.
pub const DEFAULT_FILTER: &str = "warn,aws_config=error";

/// Targets whose TRACE events may contain secrets and are never emitted.
const SECRET_BEARING_TRACE_TARGETS: [&str; 1] = ["aws_sigv4"];

/// Whether an event may be logged at all, before user filtering.
pub fn is_safe_to_log(meta: &Metadata<'_>) -> bool {
    !(*meta.level() == Level::TRACE
        && SECRET_BEARING_TRACE_TARGETS
            .iter()
            .any(|t| meta.target().starts_with(t)))
}

/// Logs to standard error, filtered by `S3SEAL_LOG` (or `RUST_LOG`), `default` otherwise.
pub fn init(default: &str) {
    let filter = EnvFilter::try_from_env("S3SEAL_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only for a person at a terminal: a log piped to a file or a program stays plain.
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(filter)
        .with_filter(filter_fn(is_safe_to_log));
    // A second init (e.g. in tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
