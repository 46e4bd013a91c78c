//! Numbers and times as the window shows them: sizes, dates, speeds, ETAs.

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

#[cfg(test)]
mod tests {
    use super::*;

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
    /// Every non-ASCII character the window's source uses must exist in the bundled fonts:
    /// a missing one would be drawn as a box.
    #[test]
    fn every_symbol_used_has_a_glyph() {
        let sources = [
            include_str!("app.rs"),
            include_str!("apply.rs"),
            include_str!("audit_view.rs"),
            include_str!("badges.rs"),
            include_str!("bucket_view.rs"),
            include_str!("buckets.rs"),
            include_str!("connection.rs"),
            include_str!("encryption_form.rs"),
            include_str!("folder_transfers.rs"),
            include_str!("format.rs"),
            include_str!("incomplete_uploads.rs"),
            include_str!("inspector.rs"),
            include_str!("interrupted.rs"),
            include_str!("inventory_audit.rs"),
            include_str!("inventory_setup.rs"),
            include_str!("key_manager.rs"),
            include_str!("key_trust.rs"),
            include_str!("notices.rs"),
            include_str!("objects_table.rs"),
            include_str!("planned_change.rs"),
            include_str!("remedy.rs"),
            include_str!("transfers.rs"),
            include_str!("upload_dialog.rs"),
            include_str!("upload_folder.rs"),
            include_str!("welcome.rs"),
        ];
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
