//! The window's look: no text smaller than one step below the body text, and every text
//! colour at a contrast of at least 4.5:1 (WCAG AA) against the backgrounds it is drawn on, in
//! the dark and the light theme. Views take their colours for good, cautionary and bad news
//! from here rather than naming RGB values, so that each reads on both backgrounds.

use egui::{Color32, FontFamily, FontId, TextStyle, Theme, Visuals};

/// Body and button text, in points.
pub const BODY: f32 = 13.0;
/// Small text (explanations, notes): one step below the body, never egui's 9 points.
pub const SMALL: f32 = 12.0;
#[cfg(test)]
/// The least contrast between text and its background (WCAG 2 AA, normal text).
pub const MIN_CONTRAST: f32 = 4.5;

/// Sets the text sizes and both themes' colours on `ctx`.
pub fn apply(ctx: &egui::Context) {
    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (
                TextStyle::Small,
                FontId::new(SMALL, FontFamily::Proportional),
            ),
            (TextStyle::Body, FontId::new(BODY, FontFamily::Proportional)),
            (
                TextStyle::Button,
                FontId::new(BODY, FontFamily::Proportional),
            ),
            (
                TextStyle::Heading,
                FontId::new(18.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(BODY, FontFamily::Monospace),
            ),
        ]
        .into();
    });
    for theme in [Theme::Dark, Theme::Light] {
        ctx.style_mut_of(theme, |style| style.visuals = visuals(theme));
    }
}

/// egui's visuals for `theme`, with the text colours that fall short of 4.5:1 there moved until
/// they reach it: on the dark background weak text and errors (and the body text made lighter
/// to stay apart from weak text); on the light one weak text, errors, warnings and links.
pub fn visuals(theme: Theme) -> Visuals {
    let mut v = theme.default_visuals();
    match theme {
        Theme::Dark => {
            v.widgets.noninteractive.fg_stroke.color = Color32::from_gray(185);
            v.weak_text_color = Some(Color32::from_gray(145));
            v.error_fg_color = Color32::from_rgb(0xff, 0x6e, 0x6e);
        }
        Theme::Light => {
            v.widgets.noninteractive.fg_stroke.color = Color32::from_gray(60);
            v.weak_text_color = Some(Color32::from_gray(96));
            v.error_fg_color = Color32::from_rgb(0xb4, 0x00, 0x00);
            v.warn_fg_color = Color32::from_rgb(0xa0, 0x46, 0x00);
            v.hyperlink_color = Color32::from_rgb(0x00, 0x64, 0xc8);
        }
    }
    v
}

/// Text that reports something done or safe (a finished transfer, HTTPS, a trusted key).
pub fn good(visuals: &Visuals) -> Color32 {
    if visuals.dark_mode {
        Color32::from_rgb(0x5c, 0xb8, 0x60)
    } else {
        Color32::from_rgb(0x2e, 0x7d, 0x32)
    }
}

/// Text that asks for a look (a warning, an amber verdict).
pub fn caution(visuals: &Visuals) -> Color32 {
    visuals.warn_fg_color
}

/// Text that reports a failure or a risk.
pub fn bad(visuals: &Visuals) -> Color32 {
    visuals.error_fg_color
}

#[cfg(test)]
/// The backgrounds text is drawn on: panels, windows, text fields, striped rows. (The window
/// draws no `code` text, so egui's code background is not among them.)
pub fn backgrounds(visuals: &Visuals) -> [Color32; 4] {
    let striped = Color32::from_rgb(
        visuals
            .panel_fill
            .r()
            .saturating_add(visuals.faint_bg_color.r()),
        visuals
            .panel_fill
            .g()
            .saturating_add(visuals.faint_bg_color.g()),
        visuals
            .panel_fill
            .b()
            .saturating_add(visuals.faint_bg_color.b()),
    );
    [
        visuals.panel_fill,
        visuals.window_fill,
        visuals.text_edit_bg_color(),
        striped,
    ]
}

#[cfg(test)]
/// The WCAG 2 contrast ratio of two opaque colours, from 1 (the same) to 21 (black on white).
pub fn contrast(a: Color32, b: Color32) -> f32 {
    let (la, lb) = (luminance(a), luminance(b));
    let (light, dark) = if la > lb { (la, lb) } else { (lb, la) };
    (light + 0.05) / (dark + 0.05)
}

#[cfg(test)]
/// Relative luminance (WCAG 2) of an sRGB colour.
fn luminance(c: Color32) -> f32 {
    let channel = |v: u8| {
        let v = f32::from(v) / 255.0;
        if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every colour text is drawn in, by name.
    fn text_colours(v: &Visuals) -> Vec<(&'static str, Color32)> {
        vec![
            ("text", v.text_color()),
            ("weak text", v.weak_text_color()),
            ("strong text", v.strong_text_color()),
            ("warning", v.warn_fg_color),
            ("error", v.error_fg_color),
            ("link", v.hyperlink_color),
            ("good", good(v)),
            ("caution", caution(v)),
            ("bad", bad(v)),
        ]
    }

    #[test]
    fn every_text_colour_reads_on_every_background_in_both_themes() {
        let mut short = Vec::new();
        for theme in [Theme::Dark, Theme::Light] {
            let v = visuals(theme);
            for (name, fg) in text_colours(&v) {
                for bg in backgrounds(&v) {
                    let ratio = contrast(fg, bg);
                    if ratio < MIN_CONTRAST {
                        short.push(format!("{theme:?} {name} {fg:?} on {bg:?}: {ratio:.2}"));
                    }
                }
            }
        }
        assert!(
            short.is_empty(),
            "below {MIN_CONTRAST}:1:\n{}",
            short.join("\n")
        );
    }

    #[test]
    fn egui_defaults_fall_short_where_this_theme_moves_them() {
        // The reason for this module: egui's own weak text (dark) and error text (light) do not
        // reach AA, so a check against the defaults must fail.
        let dark = Theme::Dark.default_visuals();
        assert!(contrast(dark.weak_text_color(), dark.panel_fill) < MIN_CONTRAST);
        let light = Theme::Light.default_visuals();
        assert!(contrast(light.error_fg_color, light.panel_fill) < MIN_CONTRAST);
    }

    #[test]
    fn contrast_matches_wcag_reference_values() {
        assert!((contrast(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(Color32::WHITE, Color32::WHITE) - 1.0).abs() < 0.001);
        // #767676 on white is the classic lightest AA grey: 4.54:1.
        let grey = Color32::from_gray(0x76);
        assert!((contrast(grey, Color32::WHITE) - 4.54).abs() < 0.01);
    }

    #[test]
    fn small_text_is_one_step_below_the_body() {
        let ctx = egui::Context::default();
        apply(&ctx);
        for theme in [Theme::Dark, Theme::Light] {
            let style = ctx.style_of(theme);
            let size = |s: TextStyle| style.text_styles[&s].size;
            assert!(size(TextStyle::Small) >= size(TextStyle::Body) - 1.0);
            assert!(size(TextStyle::Small) > 9.0);
        }
    }
}
