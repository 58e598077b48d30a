//! Trend charts as inline SVG, drawn on the server: a line through each
//! bucket's figure over a band of its 95% interval. Hand-rolled rather than
//! a plotting crate: one chart kind, a few dozen lines, no dependency, and
//! markup that a strict CSP allows (presentation attributes, no `style`).

use super::esc;
use std::fmt::Write;

/// One bucket: its label and, when it has data, the figure and interval.
pub struct Point {
    pub label: String,
    pub value: Option<(f64, f64, f64)>,
}

const W: f64 = 640.0;
const H: f64 = 200.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 26.0;
const INK: &str = "#1d4ed8";

/// An SVG chart of `points` on the scale `min..=max`, described by `label`
/// for screen readers. Runs of buckets with data are drawn as separate
/// lines, so an empty day shows as a gap, not as a made-up slope.
pub fn line(label: &str, points: &[Point], (min, max): (f64, f64)) -> String {
    let x = |i: usize| {
        let n = points.len().max(2) - 1;
        LEFT + (W - LEFT - RIGHT) * i as f64 / n as f64
    };
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v.clamp(min, max) - min) / (max - min));
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{label}\" \
         direction=\"ltr\" font-size=\"11\" font-family=\"system-ui,sans-serif\"><title>{label}</title>",
        label = esc(label)
    );
    for v in [min, (min + max) / 2.0, max] {
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#d1d5db\"/>\
             <text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\" fill=\"#4b5563\">{v}</text>",
            x2 = W - RIGHT,
            y = y(v),
            tx = LEFT - 6.0,
            ty = y(v) + 4.0,
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            svg,
            "<text x=\"{LEFT}\" y=\"{ly}\" fill=\"#4b5563\">{a}</text>\
             <text x=\"{rx}\" y=\"{ly}\" text-anchor=\"end\" fill=\"#4b5563\">{b}</text>",
            ly = H - 6.0,
            rx = W - RIGHT,
            a = esc(&first.label),
            b = esc(&last.label),
        );
    }
    let runs = points
        .iter()
        .enumerate()
        .collect::<Vec<_>>()
        .chunk_by(|a, b| a.1.value.is_some() == b.1.value.is_some())
        .filter(|run| run[0].1.value.is_some())
        .map(<[_]>::to_vec)
        .collect::<Vec<_>>();
    for run in &runs {
        let upper = run
            .iter()
            .map(|(i, p)| (x(*i), y(p.value.map_or(0.0, |v| v.2))));
        let lower = run
            .iter()
            .rev()
            .map(|(i, p)| (x(*i), y(p.value.map_or(0.0, |v| v.1))));
        let band: Vec<String> = upper
            .chain(lower)
            .map(|(px, py)| format!("{px:.1},{py:.1}"))
            .collect();
        let _ = write!(
            svg,
            "<polygon points=\"{}\" fill=\"{INK}\" fill-opacity=\"0.15\"/>",
            band.join(" ")
        );
        let line: Vec<String> = run
            .iter()
            .map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(p.value.map_or(0.0, |v| v.0))))
            .collect();
        let _ = write!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"2\"/>",
            line.join(" ")
        );
        for (i, p) in run {
            if let Some((v, low, high)) = p.value {
                let _ = write!(
                    svg,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{INK}\"><title>{}: {v:.1} ({low:.1}–{high:.1})</title></circle>",
                    x(*i),
                    y(v),
                    esc(&p.label),
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(label: &str, value: Option<f64>) -> Point {
        Point {
            label: label.into(),
            value: value.map(|v| (v, v - 5.0, v + 5.0)),
        }
    }

    #[test]
    fn gaps_split_the_line_and_labels_are_escaped() {
        let svg = line(
            "CSAT <per day>",
            &[
                point("d1", Some(80.0)),
                point("d2", Some(90.0)),
                point("d3", None),
                point("d4", Some(70.0)),
            ],
            (0.0, 100.0),
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("aria-label=\"CSAT &lt;per day&gt;\""));
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(
            !svg.contains("style="),
            "a strict CSP refuses style attributes"
        );
        // The top of the scale is drawn at the top margin.
        assert!(svg.contains(&format!("y1=\"{TOP:.1}\"")));
    }

    #[test]
    fn an_empty_chart_has_axes_only() {
        let svg = line("x", &[point("d1", None)], (1.0, 7.0));
        assert!(!svg.contains("<polyline") && svg.contains(">7</text>"));
    }
}
