//! Numbers and times as the window shows them: sizes, dates, speeds, ETAs, progress; and long
//! identifiers (URIs, ETags, ARNs) shortened in the middle to fit one line.

use std::time::Duration;

pub use crate::units::human_size;

/// An RFC 3339 time shortened to `YYYY-MM-DD HH:MM` (UTC), as a file browser shows it.
pub fn short_time(rfc3339: &str) -> &str {
    rfc3339.get(..16).unwrap_or(rfc3339)
}

/// An RFC 3339 time as `YYYY-MM-DD HH:MM UTC` (a report date, an upload's start).
pub fn utc_minute(rfc3339: &str) -> String {
    match short_time(rfc3339).split_once('T') {
        Some((day, minute)) if rfc3339.ends_with('Z') => format!("{day} {minute} UTC"),
        _ => rfc3339.to_owned(),
    }
}

/// `2.0 MiB/s`.
pub fn speed(bytes_per_second: f64) -> String {
    if !bytes_per_second.is_finite() || bytes_per_second <= 0.0 {
        return "—".to_owned();
    }
    format!("{}/s", human_size(bytes_per_second as u64))
}

/// How far a progress bar is filled: `done` of `total`, empty while the total is unknown.
pub fn fraction(done: u64, total: u64) -> f32 {
    if total == 0 {
        0.0
    } else {
        done as f32 / total as f32
    }
}

/// `1:05` or `1:02:03`.
pub fn eta(remaining: Duration) -> String {
    let secs = remaining.as_secs();
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// An ETag as people read it: S3 sends it in quotation marks, which say nothing.
pub fn etag_text(etag: &str) -> &str {
    etag.strip_prefix('"')
        .and_then(|e| e.strip_suffix('"'))
        .unwrap_or(etag)
}

/// `text` cut to `keep` characters plus "…" in the middle, so that both ends stay readable (a
/// URI's bucket and file name, an ETag's part count); `text` itself when it is that short.
pub fn elide_middle(text: &str, keep: usize) -> String {
    let count = text.chars().count();
    if count <= keep {
        return text.to_owned();
    }
    let tail = keep / 2;
    let head = keep - tail;
    let mut out: String = text.chars().take(head).collect();
    out.push('…');
    out.extend(text.chars().skip(count - tail));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_identifiers_keep_both_ends() {
        assert_eq!(etag_text("\"0123abcd\""), "0123abcd");
        assert_eq!(etag_text("\"0123abcd-2\""), "0123abcd-2");
        assert_eq!(etag_text("plain"), "plain");
        assert_eq!(etag_text("\""), "\"");
        assert_eq!(elide_middle("s3://bucket/key", 20), "s3://bucket/key");
        assert_eq!(elide_middle("s3://bucket/long/key.bin", 9), "s3://….bin");
        assert_eq!(elide_middle("abcdef", 0), "…");
        assert_eq!(elide_middle("äöüäöü", 4), "äö…öü");
    }

    #[test]
    fn sizes_and_times() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(short_time("2025-01-02T03:04:05Z"), "2025-01-02T03:04");
        assert_eq!(utc_minute("2026-01-02T03:04:00Z"), "2026-01-02 03:04 UTC");
        assert_eq!(
            utc_minute("2026-01-02T03:04:00+02:00"),
            "2026-01-02T03:04:00+02:00"
        );
        assert_eq!(eta(Duration::from_secs(65)), "1:05");
        assert_eq!(eta(Duration::from_secs(3723)), "1:02:03");
        assert_eq!(speed(0.0), "—");
    }
}

#[cfg(test)]
mod glyph_tests {
    /// Every non-ASCII character the window's source uses (every file of `src/ui/`, and the
    /// core's error messages, which the window shows) must exist in the bundled fonts: a
    /// missing one would be drawn as a box. The folder is read whole, so a new view is covered
    /// without being listed here.
    #[test]
    fn every_symbol_used_has_a_glyph() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("ui"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .collect();
        assert!(paths.len() > 20, "the window's sources: {paths:?}");
        paths.push(root.join("error.rs"));
        let sources: Vec<String> = paths
            .iter()
            .map(|path| std::fs::read_to_string(path).unwrap())
            .collect();
        let ctx = egui::Context::default();
        let mut output = ctx.run_ui(egui::RawInput::default(), |_| {});
        output.textures_delta.clear();
        let mut missing: Vec<char> = sources
            .iter()
            .flat_map(|s| s.lines())
            .filter(|line| !line.trim_start().starts_with("//"))
            .flat_map(str::chars)
            .filter(|c| !c.is_ascii())
            .filter(|&c| !ctx.fonts_mut(|f| f.has_glyph(&egui::FontId::proportional(14.0), c)))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        assert!(missing.is_empty(), "no glyph for {missing:?}");
    }
}
