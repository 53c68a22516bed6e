//! Charts as inline SVG: sparklines, stacked bars and waterfall bars. The
//! geometry (where a bar starts and how wide it is) is computed apart from
//! the markup, so tests can check it adds up. Styling is by class only
//! (`app.css`): the Content-Security-Policy allows no inline style.

use maud::{html, Markup};

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
/// lies (from [`stack`]) and a tooltip.
pub struct Segment<'a> {
    pub class: &'static str,
    pub placed: Bar,
    pub title: &'a str,
}

/// A coordinate as the charts write it: to a thousandth of a unit.
fn coordinate(value: f64) -> String {
    format!("{value:.3}")
}

/// A bar of segments (laid end to end by [`stack`]).
pub fn stacked_bar(segments: &[Segment<'_>], label: &str) -> Markup {
    html! {
        svg class="stack" viewBox={ "0 0 " (WIDTH) " 20" } preserveAspectRatio="none" role="img"
            aria-label=(label) {
            @for segment in segments.iter().filter(|segment| segment.placed.width > 0.0) {
                rect class=(segment.class) x=(coordinate(segment.placed.x)) y="0"
                    width=(coordinate(segment.placed.width)) height="20" {
                    title { (segment.title) }
                }
            }
        }
    }
}

/// One waterfall row's bar, with grid lines at the quarters. A bar too
/// thin to see is drawn a little wider (the geometry stays exact).
pub fn span_bar(placed: Bar, class: &'static str, title: &str) -> Markup {
    let width = placed.width.max(2.0);
    let x = placed.x.min(WIDTH - width);
    // SVG elements are closed explicitly: in an HTML document a `<line>`
    // left open would hold the next one.
    html! {
        svg class="bar" viewBox={ "0 0 " (WIDTH) " 12" } preserveAspectRatio="none"
            aria-hidden="true" {
            @for quarter in ["250", "500", "750"] {
                line class="gridline" x1=(quarter) x2=(quarter) y1="0" y2="12" {}
            }
            rect class=(class) x=(coordinate(x)) y="1" width=(coordinate(width)) height="10"
                rx="1" {
                title { (title) }
            }
        }
    }
}

/// A trace's duration as a thin bar, the longest trace listed filling the
/// width.
pub fn duration_bar(placed: Bar) -> Markup {
    html! {
        svg viewBox={ "0 0 " (WIDTH) " 4" } preserveAspectRatio="none" aria-hidden="true" {
            rect x="0" y="0" width=(format!("{:.1}", placed.width)) height="4" {}
        }
    }
}

/// A sparkline of one value per time bucket (`None`: no data then), with
/// a dashed line at `reference` (a threshold) when given. The y axis
/// starts at zero.
pub fn sparkline(values: &[Option<f64>], reference: Option<f64>, label: &str) -> Markup {
    html! {
        svg class="spark" viewBox={ "0 0 " (SPARK_WIDTH) " " (SPARK_HEIGHT) }
            preserveAspectRatio="none" role="img" aria-label=(label) {
            @if let Some(lines) = spark_lines(values, reference) {
                @if let Some(y) = lines.reference_y {
                    line class="spark-ref" x1="0" x2=(SPARK_WIDTH) y1=(y) y2=(y) {}
                }
                @if let Some(points) = lines.points {
                    polyline class="spark-line" points=(points) {}
                }
            }
        }
    }
}

const SPARK_WIDTH: f64 = 100.0;
const SPARK_HEIGHT: f64 = 30.0;

/// Where a sparkline's lines lie, to two decimals.
struct SparkLines {
    reference_y: Option<String>,
    points: Option<String>,
}

/// The geometry of [`sparkline`]; `None` when there is nothing to draw.
fn spark_lines(values: &[Option<f64>], reference: Option<f64>) -> Option<SparkLines> {
    const W: f64 = SPARK_WIDTH;
    const H: f64 = SPARK_HEIGHT;
    let top = values
        .iter()
        .flatten()
        .copied()
        .chain(reference)
        .fold(0.0_f64, f64::max)
        * 1.1;
    if !top.is_finite() || top <= 0.0 || values.is_empty() {
        return None;
    }
    let y = |v: f64| H - 1.0 - v / top * (H - 2.0);
    let step = if values.len() > 1 {
        W / (values.len() - 1) as f64
    } else {
        W
    };
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
    Some(SparkLines {
        reference_y: reference.map(|reference| format!("{:.2}", y(reference))),
        points: (!points.is_empty()).then(|| {
            points
                .iter()
                .map(|(x, y)| format!("{x:.2},{y:.2}"))
                .collect::<Vec<_>>()
                .join(" ")
        }),
    })
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
        let svg =
            sparkline(&[Some(1.0), Some(2.0), None, Some(3.0)], Some(2.5), "<LCP>").into_string();
        assert_eq!(svg.matches("<polyline").count(), 1);
        // x: buckets 0, 1 and 3 of 0..=3 over 100 units; 3.0 is the top.
        assert!(svg.contains("points=\"0.00,"));
        assert!(svg.contains(" 33.33,"));
        assert!(svg.contains(" 100.00,"));
        let lone = sparkline(&[None, Some(1.0), None], None, "x").into_string();
        assert!(lone.contains("points=\"48.50,"));
        assert!(svg.contains("spark-ref"));
        assert!(svg.contains("aria-label=\"&lt;LCP&gt;\""));
        let empty = sparkline(&[None, None], None, "x").into_string();
        assert!(!empty.contains("polyline"));
    }
}
