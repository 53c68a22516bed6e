//! Charts as inline SVG: sparklines, stacked bars and waterfall bars. The
//! geometry (where a bar starts and how wide it is) is computed apart from
//! the markup, so tests can check it adds up. Styling is by class only
//! (`app.css`): the Content-Security-Policy allows no inline style.

use super::escape::Esc;

/// The width of every bar's coordinate system; bars stretch to their box
/// (`preserveAspectRatio="none"`).
pub const WIDTH: f64 = 1000.0;

/// A horizontal extent within `0..=WIDTH`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub width: f64,
}

#[cfg(test)]
impl Bar {
    pub fn end(self) -> f64 {
        self.x + self.width
    }
}

/// `length` from `start`, on a scale where `total` is `WIDTH`; clamped into
/// the scale, and empty when `total` is not positive.
pub fn bar(start: f64, length: f64, total: f64) -> Bar {
    if !total.is_finite() || total <= 0.0 || !start.is_finite() || !length.is_finite() {
        return Bar { x: 0.0, width: 0.0 };
    }
    let x = (start / total * WIDTH).clamp(0.0, WIDTH);
    let end = ((start + length.max(0.0)) / total * WIDTH).clamp(x, WIDTH);
    Bar { x, width: end - x }
}

/// `values` laid end to end on a scale where `total` is `WIDTH`.
pub fn stack(values: &[f64], total: f64) -> Vec<Bar> {
    let mut start = 0.0;
    values
        .iter()
        .map(|&value| {
            let placed = bar(start, value, total);
            start += value.max(0.0);
            placed
        })
        .collect()
}

/// One segment of a stacked bar: a CSS class from a fixed set, where it
/// lies (from [`stack`]) and a tooltip (escaped here).
pub struct Segment<'a> {
    pub class: &'static str,
    pub placed: Bar,
    pub title: &'a str,
}

/// A bar of segments (laid end to end by [`stack`]).
pub fn stacked_bar(segments: &[Segment<'_>], label: &str) -> String {
    let mut out = format!(
        "<svg class=\"stack\" viewBox=\"0 0 {WIDTH} 20\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\">",
        Esc(label)
    );
    for segment in segments {
        let placed = segment.placed;
        if placed.width > 0.0 {
            out.push_str(&format!(
                "<rect class=\"{}\" x=\"{:.3}\" y=\"0\" width=\"{:.3}\" height=\"20\"><title>{}</title></rect>",
                segment.class,
                placed.x,
                placed.width,
                Esc(segment.title)
            ));
        }
    }
    out.push_str("</svg>");
    out
}

/// One waterfall row's bar, with grid lines at the quarters. A bar too
/// thin to see is drawn a little wider (the geometry stays exact).
pub fn span_bar(placed: Bar, class: &'static str, title: &str) -> String {
    let width = placed.width.max(2.0);
    let x = placed.x.min(WIDTH - width);
    format!(
        "<svg class=\"bar\" viewBox=\"0 0 {WIDTH} 12\" preserveAspectRatio=\"none\" aria-hidden=\"true\">\
         <line class=\"gridline\" x1=\"250\" x2=\"250\" y1=\"0\" y2=\"12\"/>\
         <line class=\"gridline\" x1=\"500\" x2=\"500\" y1=\"0\" y2=\"12\"/>\
         <line class=\"gridline\" x1=\"750\" x2=\"750\" y1=\"0\" y2=\"12\"/>\
         <rect class=\"{class}\" x=\"{x:.3}\" y=\"1\" width=\"{width:.3}\" height=\"10\" rx=\"1\"><title>{}</title></rect></svg>",
        Esc(title)
    )
}

/// A sparkline of one value per time bucket (`None`: no data then), with
/// a dashed line at `reference` (a threshold) when given. The y axis
/// starts at zero.
pub fn sparkline(values: &[Option<f64>], reference: Option<f64>, label: &str) -> String {
    const W: f64 = 100.0;
    const H: f64 = 30.0;
    let top = values
        .iter()
        .flatten()
        .copied()
        .chain(reference)
        .fold(0.0_f64, f64::max)
        * 1.1;
    let mut out = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {W} {H}\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\">",
        Esc(label)
    );
    if !top.is_finite() || top <= 0.0 || values.is_empty() {
        out.push_str("</svg>");
        return out;
    }
    let y = |v: f64| H - 1.0 - v / top * (H - 2.0);
    let step = if values.len() > 1 {
        W / (values.len() - 1) as f64
    } else {
        W
    };
    if let Some(reference) = reference {
        out.push_str(&format!(
            "<line class=\"spark-ref\" x1=\"0\" x2=\"{W}\" y1=\"{0:.2}\" y2=\"{0:.2}\"/>",
            y(reference)
        ));
    }
    // One line through the buckets with data (a bucket without data is
    // skipped, not drawn as zero); a lone point is a dash.
    let mut points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, value)| value.map(|v| (i as f64 * step, y(v))))
        .collect();
    if let [(x, y)] = points[..] {
        points = vec![((x - 1.5).max(0.0), y), ((x + 1.5).min(W), y)];
    }
    if !points.is_empty() {
        let joined: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.2},{y:.2}"))
            .collect();
        out.push_str(&format!(
            "<polyline class=\"spark-line\" points=\"{}\"/>",
            joined.join(" ")
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacked_values_fill_the_width_exactly() {
        let bars = stack(&[50.0, 30.0, 120.0, 45.0, 0.0], 245.0);
        assert_eq!(bars[0].x, 0.0);
        for pair in bars.windows(2) {
            assert!((pair[0].end() - pair[1].x).abs() < 1e-9);
        }
        assert!((bars[4].end() - WIDTH).abs() < 1e-9);
        assert_eq!(bars[4].width, 0.0);
    }

    #[test]
    fn bars_stay_inside_the_scale() {
        assert_eq!(
            bar(10.0, 20.0, 100.0),
            Bar {
                x: 100.0,
                width: 200.0
            }
        );
        assert_eq!(
            bar(90.0, 50.0, 100.0),
            Bar {
                x: 900.0,
                width: 100.0
            }
        );
        assert_eq!(bar(-5.0, 1.0, 100.0).x, 0.0);
        assert_eq!(bar(0.0, 1.0, 0.0).width, 0.0);
        assert_eq!(bar(f64::NAN, 1.0, 10.0).width, 0.0);
    }

    #[test]
    fn sparklines_skip_empty_buckets_and_escape_their_label() {
        let svg = sparkline(&[Some(1.0), Some(2.0), None, Some(3.0)], Some(2.5), "<LCP>");
        assert_eq!(svg.matches("<polyline").count(), 1);
        // x: buckets 0, 1 and 3 of 0..=3 over 100 units; 3.0 is the top.
        assert!(svg.contains("points=\"0.00,"));
        assert!(svg.contains(" 33.33,"));
        assert!(svg.contains(" 100.00,"));
        let lone = sparkline(&[None, Some(1.0), None], None, "x");
        assert!(lone.contains("points=\"48.50,"));
        assert!(svg.contains("spark-ref"));
        assert!(svg.contains("aria-label=\"&lt;LCP&gt;\""));
        let empty = sparkline(&[None, None], None, "x");
        assert!(!empty.contains("polyline"));
    }
}
