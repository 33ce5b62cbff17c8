//! Chart descriptions and their rendering with plotters, to SVG text or PNG
//! bytes.
//!
//! The run, sweep and compare plots describe *what* to draw ([`Chart`]:
//! panels of lines, stacked bars, shaded bands and vertical markers, with
//! titles, axis labels and a legend); this module decides *how*: a fixed 1200×700 canvas, one
//! palette, the bundled DejaVu Sans font (compiled in and registered with
//! plotters' `ab_glyph` text renderer, so no system font library is used),
//! legends beside or below the plotting area so they never hide data. The
//! same description renders to SVG (no timestamps or random ids: the same
//! chart gives the same bytes) and to PNG (an RGB buffer encoded with the
//! `png` crate).
//!
//! Time axes ([`Panel::x_time`]) are labelled with the scenario's UTC
//! clock, ticks on whole minutes, hours or days, a date where a day begins.
//!
//! Depends on nothing of the crate but the plot error type and the UTC
//! calendar of `sim::calendar`.

use std::sync::OnceLock;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use super::values::{Builder, Iter as ValuesIter, Values};
use super::PlotError;
use crate::sim::calendar::civil_from_days;
use std::sync::Arc;

/// Canvas width, pixels.
pub const WIDTH: u32 = 1200;
/// Canvas height, pixels.
pub const HEIGHT: u32 = 700;

/// DejaVu Sans 2.37 (see `assets/fonts/`).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// The family name every text style uses; the bundled font is registered
/// under it.
const FAMILY: &str = "sans-serif";

/// Line colours, in order of use (a colour-blind-friendly categorical set).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of marker lines (interruption notices) and of shortfalls
/// (tasks below the desired count, requests not served).
pub const MARKER_COLOR: usize = 3;

/// Opacity of a confidence band.
pub const BAND_ALPHA: f64 = 0.18;
/// Opacity of a shaded shortfall: strong enough to catch the eye.
pub const DEFICIT_ALPHA: f64 = 0.45;

/// Legend row height, pixels.
const ROW: i32 = 22;

/// Registers the bundled font with plotters once per process.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Draw(
            "the bundled font assets/fonts/DejaVuSans.ttf could not be loaded".into(),
        ))
    }
}

/// A whole image: a title over one or more panels stacked vertically.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Title at the top of the image.
    pub title: String,
    /// Panels, top to bottom, sharing the height evenly.
    pub panels: Vec<Panel>,
}

/// One plotting area with its axes and legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Caption above the plotting area (for images with several panels).
    pub caption: Option<String>,
    /// X axis label, with its unit.
    pub x_label: String,
    /// Y axis label, with its unit.
    pub y_label: String,
    /// Numeric x, or categories placed at 0, 1, 2, ...
    pub x_axis: XAxis,
    /// x is hours since this instant (Unix seconds): ticks fall on whole
    /// clock minutes, hours or days and read as UTC clock times, a date
    /// where a day begins (numeric x only).
    pub x_time: Option<i64>,
    /// Tick labels of x carry a `%`.
    pub x_percent: bool,
    /// Tick labels of y carry a `%`.
    pub y_percent: bool,
    /// Fraction of the x span added on both sides (room for point markers).
    pub x_pad: f64,
    /// Label only whole-number x ticks (x is a count such as a cluster size).
    pub x_integer: bool,
    /// Values the y range must include (e.g. 0, or 0 and 100 for percentages).
    pub y_include: Vec<f64>,
    /// Lines, drawn in order over bands and markers.
    pub lines: Vec<Line>,
    /// Shaded bands, drawn first.
    pub bands: Vec<Band>,
    /// Sets of vertical marker lines at given x values.
    pub markers: Vec<Markers>,
    /// Vertical error bars with caps (e.g. a confidence interval around a
    /// point), drawn under the lines' dots.
    pub error_bars: Vec<ErrorBars>,
    /// Bar series, stacked in order where they share an x ([`Bars`]);
    /// drawn over the bands, under the markers and lines.
    pub bars: Vec<Bars>,
    /// Width of a bar in x units (a category is 1 wide).
    pub bar_width: f64,
    /// Text written just above the stack of bars at each x (e.g. its
    /// total); it gets head room in the y range.
    pub bar_labels: Vec<(f64, String)>,
    /// A warning written in red above a bar's label (e.g. work the
    /// variant dropped).
    pub bar_notes: Vec<(f64, String)>,
    /// Where the legend goes.
    pub legend: LegendPlace,
    /// A heading line above the legend entries.
    pub legend_title: Option<String>,
    /// Extra legend entries for bands (a swatch and a text), after the lines.
    pub band_note: Option<(usize, String)>,
}

impl Panel {
    /// A panel with numeric x, no bands, markers or padding, legend at the right.
    pub fn new(x_label: impl Into<String>, y_label: impl Into<String>) -> Panel {
        Panel {
            caption: None,
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_axis: XAxis::Numeric,
            x_time: None,
            x_percent: false,
            y_percent: false,
            x_pad: 0.0,
            x_integer: false,
            y_include: vec![0.0],
            lines: Vec::new(),
            bands: Vec::new(),
            markers: Vec::new(),
            error_bars: Vec::new(),
            bars: Vec::new(),
            bar_width: 0.6,
            bar_labels: Vec::new(),
            bar_notes: Vec::new(),
            legend: LegendPlace::Right,
            legend_title: None,
            band_note: None,
        }
    }
}

/// The kind of x axis.
#[derive(Debug, Clone, PartialEq)]
pub enum XAxis {
    /// Numbers, ticks chosen by plotters.
    Numeric,
    /// Labels of the positions 0, 1, 2, ...
    Categories(Vec<String>),
}

/// Where a panel's legend is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendPlace {
    /// A column at the right of the plotting area.
    Right,
    /// Rows under the plotting area (for long labels).
    Below,
}

/// One line of a panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Legend text.
    pub label: String,
    /// Palette index (wraps around).
    pub color: usize,
    /// Dashed instead of solid.
    pub dashed: bool,
    /// A dot at every point.
    pub dots: bool,
    /// Points joined by a line (false: dots only, for values that are not
    /// a trend, such as one per category).
    pub connect: bool,
    /// Points, in drawing order.
    pub points: Points,
}

/// The points of a line: pairs, or a sampled series (x values shared with
/// the other lines drawn from the same samples, y values a [`Values`]
/// column), so that a chart of hundreds of long series holds each x once
/// and each y column compactly.
#[derive(Debug, Clone)]
pub enum Points {
    /// `(x, y)` pairs.
    Pairs(Vec<(f64, f64)>),
    /// `(xs[i], ys[i])` for every i.
    Sampled {
        /// The x values.
        xs: Arc<[f64]>,
        /// The y values, as many.
        ys: Values,
    },
}

impl Points {
    /// A sampled series: `(xs[i], ys[i])`.
    pub fn sampled(xs: &Arc<[f64]>, ys: Values) -> Points {
        Points::Sampled {
            xs: Arc::clone(xs),
            ys,
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        match self {
            Points::Pairs(v) => v.len(),
            Points::Sampled { xs, ys } => xs.len().min(ys.len()),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The points in order.
    pub fn iter(&self) -> PointsIter<'_> {
        match self {
            Points::Pairs(v) => PointsIter::Pairs(v.iter()),
            Points::Sampled { xs, ys } => PointsIter::Sampled(xs.iter(), ys.iter()),
        }
    }

    /// The points as pairs.
    pub fn to_vec(&self) -> Vec<(f64, f64)> {
        match self {
            Points::Pairs(v) => v.clone(),
            Points::Sampled { .. } => {
                let mut out = Vec::with_capacity(self.len());
                out.extend(self.iter());
                out
            }
        }
    }
}

impl From<Vec<(f64, f64)>> for Points {
    fn from(v: Vec<(f64, f64)>) -> Points {
        Points::Pairs(v)
    }
}

impl FromIterator<(f64, f64)> for Points {
    fn from_iter<I: IntoIterator<Item = (f64, f64)>>(iter: I) -> Points {
        Points::Pairs(iter.into_iter().collect())
    }
}

impl PartialEq for Points {
    fn eq(&self, other: &Points) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl PartialEq<Vec<(f64, f64)>> for Points {
    fn eq(&self, other: &Vec<(f64, f64)>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter().copied())
    }
}

/// The points of a [`Points`], in order.
#[derive(Debug, Clone)]
pub enum PointsIter<'a> {
    /// Over pairs.
    Pairs(std::slice::Iter<'a, (f64, f64)>),
    /// Over a sampled series.
    Sampled(std::slice::Iter<'a, f64>, ValuesIter<'a>),
}

impl Iterator for PointsIter<'_> {
    type Item = (f64, f64);

    #[inline]
    fn next(&mut self) -> Option<(f64, f64)> {
        match self {
            PointsIter::Pairs(it) => it.next().copied(),
            PointsIter::Sampled(xs, ys) => Some((*xs.next()?, ys.next()?)),
        }
    }
}

/// The points of a [`Band`]: triples, or a sampled series (x values shared,
/// lower and upper edges [`Values`] columns).
#[derive(Debug, Clone)]
pub enum BandPoints {
    /// `(x, low, high)` triples.
    Triples(Vec<(f64, f64, f64)>),
    /// `(xs[i], low[i], high[i])` for every i.
    Sampled {
        /// The x values.
        xs: Arc<[f64]>,
        /// The lower edge.
        low: Values,
        /// The upper edge.
        high: Values,
    },
}

impl BandPoints {
    /// Number of points.
    pub fn len(&self) -> usize {
        match self {
            BandPoints::Triples(v) => v.len(),
            BandPoints::Sampled { xs, low, high } => xs.len().min(low.len()).min(high.len()),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The points in order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (f64, f64, f64)> + '_> {
        match self {
            BandPoints::Triples(v) => Box::new(v.iter().copied()),
            BandPoints::Sampled { xs, low, high } => Box::new(
                xs.iter()
                    .zip(low.iter().zip(high.iter()))
                    .map(|(&x, (l, h))| (x, l, h)),
            ),
        }
    }

    /// The points as triples.
    pub fn to_vec(&self) -> Vec<(f64, f64, f64)> {
        match self {
            BandPoints::Triples(v) => v.clone(),
            BandPoints::Sampled { .. } => {
                let mut out = Vec::with_capacity(self.len());
                out.extend(self.iter());
                out
            }
        }
    }
}

impl From<Vec<(f64, f64, f64)>> for BandPoints {
    fn from(v: Vec<(f64, f64, f64)>) -> BandPoints {
        BandPoints::Triples(v)
    }
}

impl FromIterator<(f64, f64, f64)> for BandPoints {
    fn from_iter<I: IntoIterator<Item = (f64, f64, f64)>>(iter: I) -> BandPoints {
        BandPoints::Triples(iter.into_iter().collect())
    }
}

impl PartialEq for BandPoints {
    fn eq(&self, other: &BandPoints) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl PartialEq<Vec<(f64, f64, f64)>> for BandPoints {
    fn eq(&self, other: &Vec<(f64, f64, f64)>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter().copied())
    }
}

impl Line {
    /// A solid line without dots.
    pub fn solid(label: impl Into<String>, color: usize, points: impl Into<Points>) -> Line {
        Line {
            label: label.into(),
            color,
            dashed: false,
            dots: false,
            connect: true,
            points: points.into(),
        }
    }

    /// Dots at the points, not joined.
    pub fn points(label: impl Into<String>, color: usize, points: impl Into<Points>) -> Line {
        Line {
            dots: true,
            connect: false,
            ..Line::solid(label, color, points)
        }
    }

    /// A dashed line without dots.
    pub fn dashed(label: impl Into<String>, color: usize, points: impl Into<Points>) -> Line {
        Line {
            dashed: true,
            ..Line::solid(label, color, points)
        }
    }
}

/// A shaded region between a lower and an upper curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Palette index.
    pub color: usize,
    /// `(x, low, high)`, in x order.
    pub points: BandPoints,
    /// Opacity of the fill ([`BAND_ALPHA`], [`DEFICIT_ALPHA`]).
    pub alpha: f64,
    /// Its own legend entry, if any.
    pub label: Option<String>,
}

impl Band {
    /// An unlabelled confidence band.
    pub fn interval(color: usize, points: Vec<(f64, f64, f64)>) -> Band {
        Band {
            color,
            points: points.into(),
            alpha: BAND_ALPHA,
            label: None,
        }
    }

    /// The shortfall of `actual` below `target` (both sampled at the same
    /// x, in order), shaded in the shortfall colour: the band runs from the
    /// actual value up to the target where the actual one is lower, and is
    /// flat elsewhere. `None` when there is no shortfall.
    pub fn shortfall(
        label: impl Into<String>,
        actual: &[(f64, f64)],
        target: &[(f64, f64)],
    ) -> Option<Band> {
        let points: Vec<(f64, f64, f64)> = actual
            .iter()
            .zip(target)
            .map(|(&(x, a), &(_, t))| (x, a, a.max(t)))
            .collect();
        if points.iter().all(|p| p.2 - p.1 < 1e-9) {
            return None;
        }
        Some(Band {
            color: MARKER_COLOR,
            points: points.into(),
            alpha: DEFICIT_ALPHA,
            label: Some(label.into()),
        })
    }

    /// [`Band::shortfall`] of two sampled series at the x values `xs`
    /// (`actual` and `target` at each of them), held as columns.
    pub fn sampled_shortfall(
        label: impl Into<String>,
        xs: &Arc<[f64]>,
        actual: &Values,
        target: &Values,
    ) -> Option<Band> {
        // The upper edge, and whether it is ever above the lower one (over
        // the x values there are), run of both by run.
        let mut high = Builder::new();
        let mut at = 0;
        let mut below = false;
        actual.for_each_joint_run(target, |a, t, n| {
            let h = a.max(t);
            high.push_run(h, n);
            let close = h - a < 1e-9;
            below |= at < xs.len() && !close;
            at += n;
        });
        if !below {
            return None;
        }
        let high = high.finish();
        Some(Band {
            color: MARKER_COLOR,
            points: BandPoints::Sampled {
                xs: Arc::clone(xs),
                low: actual.clone(),
                high,
            },
            alpha: DEFICIT_ALPHA,
            label: Some(label.into()),
        })
    }
}

/// Vertical error bars, one per point, in a line's colour.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorBars {
    /// Palette index.
    pub color: usize,
    /// `(x, low, high)`.
    pub points: Vec<(f64, f64, f64)>,
}

/// One series of bars: a filled rectangle per point, [`Panel::bar_width`]
/// wide and centred on its x. The series of a panel stack where they share
/// an x: a positive height rises from the top of the positive bars before
/// it, a negative one hangs from the bottom of the negative ones (so parts
/// of a total add up visually).
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    /// Legend text.
    pub label: String,
    /// Palette index.
    pub color: usize,
    /// `(x, height)`; on a categorical axis x is the category's position.
    pub points: Vec<(f64, f64)>,
}

/// One drawn bar segment: the series it belongs to, its x, and its bottom
/// and top in y.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    series: usize,
    x: f64,
    bottom: f64,
    top: f64,
}

/// Stacks `bars` in order: every point becomes a segment starting where
/// the earlier series' segments of the same sign ended at the same x.
fn stack(bars: &[Bars]) -> Vec<Segment> {
    // Per x seen so far: (x, top of the positive stack, bottom of the negative one).
    let mut ends: Vec<(f64, f64, f64)> = Vec::new();
    let mut out = Vec::new();
    for (series, b) in bars.iter().enumerate() {
        for &(x, h) in &b.points {
            let at = match ends.iter().position(|e| (e.0 - x).abs() < 1e-9) {
                Some(i) => i,
                None => {
                    ends.push((x, 0.0, 0.0));
                    ends.len() - 1
                }
            };
            let e = &mut ends[at];
            let (bottom, top) = if h >= 0.0 {
                e.1 += h;
                (e.1 - h, e.1)
            } else {
                e.2 += h;
                (e.2, e.2 - h)
            };
            out.push(Segment {
                series,
                x,
                bottom,
                top,
            });
        }
    }
    out
}

/// Top of the stack of bars at `x` (0 where nothing rises above the axis).
fn stack_top(segments: &[Segment], x: f64) -> f64 {
    segments
        .iter()
        .filter(|s| (s.x - x).abs() < 1e-9)
        .map(|s| s.top)
        .fold(0.0, f64::max)
}

/// Vertical lines across the plotting area.
#[derive(Debug, Clone, PartialEq)]
pub struct Markers {
    /// Legend text.
    pub label: String,
    /// Palette index.
    pub color: usize,
    /// Where.
    pub xs: Vec<f64>,
}

/// What a legend row shows beside its text.
enum Swatch {
    Line {
        color: usize,
        dashed: bool,
        dot: bool,
        line: bool,
    },
    Band(usize, f64),
    Bar(usize),
    Marker(usize),
    None,
}

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The colour of a line: dashed lines (a target, such as a desired count)
/// are a darker shade, so that their dashes still show where they lie on
/// top of the solid line of the same colour.
fn line_color(i: usize, dashed: bool) -> RGBAColor {
    let c = color(i);
    if dashed {
        let d = |v: u8| (u16::from(v) * 3 / 5) as u8;
        RGBColor(d(c.0), d(c.1), d(c.2)).to_rgba()
    } else {
        c.to_rgba()
    }
}

/// A tick label: at most two decimals, no trailing zeros.
pub fn tick(v: f64) -> String {
    let s = if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// The category at `v` when `v` is (close to) its integer position.
fn category(categories: &[String], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    categories.get(i as usize).cloned().unwrap_or_default()
}

/// Range of `values` widened by `pad` of its span on both sides; a single
/// value gets a unit-wide range.
fn span(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let lo_hi = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    span_of(lo_hi, pad)
}

/// [`span`] of values whose smallest and largest are `(lo, hi)` (infinite
/// for none).
fn span_of((lo, hi): (f64, f64), pad: f64) -> (f64, f64) {
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let d = (hi - lo) * pad;
    (lo - d, hi + d)
}

impl Panel {
    fn x_range(&self) -> (f64, f64) {
        if let XAxis::Categories(c) = &self.x_axis {
            return (-0.5, c.len().max(1) as f64 - 0.5);
        }
        let half = self.bar_width / 2.0;
        // A shared x column counts once: the span is the same.
        let mut columns: Vec<&Arc<[f64]>> = Vec::new();
        let mut pairs: Vec<f64> = Vec::new();
        for l in &self.lines {
            match &l.points {
                Points::Sampled { xs, .. } => columns.push(xs),
                Points::Pairs(v) => pairs.extend(v.iter().map(|p| p.0)),
            }
        }
        for b in &self.bands {
            match &b.points {
                BandPoints::Sampled { xs, .. } => columns.push(xs),
                BandPoints::Triples(v) => pairs.extend(v.iter().map(|p| p.0)),
            }
        }
        let mut distinct: Vec<&Arc<[f64]>> = Vec::new();
        for c in columns {
            if !distinct.iter().any(|d| Arc::ptr_eq(d, c)) {
                distinct.push(c);
            }
        }
        let xs = pairs
            .into_iter()
            .chain(distinct.into_iter().flat_map(|c| c.iter().copied()))
            .chain(
                self.error_bars
                    .iter()
                    .flat_map(|b| b.points.iter().map(|p| p.0)),
            )
            .chain(
                self.bars
                    .iter()
                    .flat_map(|b| b.points.iter().flat_map(|p| [p.0 - half, p.0 + half])),
            );
        span(xs, self.x_pad)
    }

    fn y_range(&self) -> (f64, f64) {
        // Every y value, in the order lines, bands, error bars, bars and
        // floors give them, folded in one loop (a sampled column's runs
        // have its minimum and maximum).
        let mut acc = (f64::INFINITY, f64::NEG_INFINITY);
        let mut add = |v: f64| acc = (acc.0.min(v), acc.1.max(v));
        for l in &self.lines {
            match &l.points {
                Points::Pairs(v) => v.iter().for_each(|p| add(p.1)),
                Points::Sampled { ys, .. } => ys.run_values().for_each(|&y| add(y)),
            }
        }
        for b in &self.bands {
            match &b.points {
                BandPoints::Triples(v) => v.iter().for_each(|p| {
                    add(p.1);
                    add(p.2);
                }),
                BandPoints::Sampled { low, high, .. } => {
                    low.run_values().for_each(|&y| add(y));
                    high.run_values().for_each(|&y| add(y));
                }
            }
        }
        for b in &self.error_bars {
            b.points.iter().for_each(|p| {
                add(p.1);
                add(p.2);
            });
        }
        for s in stack(&self.bars) {
            add(s.bottom);
            add(s.top);
        }
        self.y_include.iter().for_each(|&v| add(v));
        let (lo, hi) = span_of(acc, 0.0);
        let d = (hi - lo) * 0.05;
        // No padding below a floor the caller asked for (0 for counts).
        let lo = if self.y_include.contains(&lo) {
            lo
        } else {
            lo - d
        };
        // Room for the text above the bars, and for a note above that.
        let up = match (self.bar_labels.is_empty(), self.bar_notes.is_empty()) {
            (true, true) => d,
            (false, true) | (true, false) => 2.0 * d,
            (false, false) => 3.5 * d,
        };
        (lo, hi + up)
    }

    fn legend_rows(&self) -> Vec<(Swatch, String)> {
        let mut rows = Vec::new();
        if let Some(t) = &self.legend_title {
            rows.push((Swatch::None, t.clone()));
        }
        // Stacked bars top first, as they appear.
        for b in self.bars.iter().rev() {
            rows.push((Swatch::Bar(b.color), b.label.clone()));
        }
        for l in self.lines.iter().filter(|l| !l.label.is_empty()) {
            rows.push((
                Swatch::Line {
                    color: l.color,
                    dashed: l.dashed,
                    dot: l.dots,
                    line: l.connect,
                },
                l.label.clone(),
            ));
        }
        for b in &self.bands {
            if let Some(label) = &b.label {
                rows.push((Swatch::Band(b.color, b.alpha), label.clone()));
            }
        }
        if let Some((c, text)) = &self.band_note {
            rows.push((Swatch::Band(*c, BAND_ALPHA), text.clone()));
        }
        for m in &self.markers {
            rows.push((Swatch::Marker(m.color), m.label.clone()));
        }
        rows
    }
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// How lines wider than one pixel reach the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stroke {
    /// As one path with its stroke width (SVG: the viewer strokes it).
    Native,
    /// As one-pixel paths offset by a pixel (bitmap). plotters' bitmap
    /// backend turns a wide path into one polygon, which goes wrong on
    /// dense zigzags (spikes across the image, stray dots: plotters issue
    /// #549); one-pixel paths are drawn segment by segment and cannot.
    Offsets,
}

/// Offsets of the one-pixel paths that make a 2-pixel line (a 2×2 brush).
const BRUSH: [(i32, i32); 4] = [(0, 0), (1, 0), (0, 1), (1, 1)];

/// Keeps, of each run of points in one pixel column, the first, the
/// highest, the lowest and the last (in their order): the same pixels are
/// drawn from at most four points per column, however dense the series.
fn decimate(px: &[(i32, i32)]) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(px.len().min(4096));
    let mut i = 0;
    while i < px.len() {
        let x = px[i].0;
        let mut j = i;
        while j < px.len() && px[j].0 == x {
            j += 1;
        }
        let col = &px[i..j];
        let (mut lo, mut hi) = (0, 0);
        for (k, p) in col.iter().enumerate() {
            if p.1 < col[lo].1 {
                lo = k;
            }
            if p.1 > col[hi].1 {
                hi = k;
            }
        }
        let mut keep = [0, lo, hi, col.len() - 1];
        keep.sort_unstable();
        for k in keep {
            if out.last() != Some(&col[k]) {
                out.push(col[k]);
            }
        }
        i = j;
    }
    out
}

/// The pixel x of each value of a shared x column, and where each run of
/// equal pixel x (a pixel column, for [`decimate`]) begins.
struct XPixels {
    /// The x column.
    xs: Arc<[f64]>,
    /// Pixel x of each value.
    px: Vec<i32>,
    /// Start index of each run of equal `px`, then `px.len()`.
    starts: Vec<usize>,
}

/// The pixel x of `xs` by `to_px`, kept in `cache` for the next series on
/// the same column.
fn x_pixels<'a>(
    xs: &Arc<[f64]>,
    to_px: &impl Fn(&(f64, f64)) -> (i32, i32),
    cache: &'a mut Option<XPixels>,
) -> &'a XPixels {
    if !matches!(cache, Some(c) if Arc::ptr_eq(&c.xs, xs)) {
        *cache = None;
    }
    cache.get_or_insert_with(|| {
        let px: Vec<i32> = xs.iter().map(|&x| to_px(&(x, 0.0)).0).collect();
        let mut starts: Vec<usize> = (0..px.len())
            .filter(|&i| i == 0 || px[i] != px[i - 1])
            .collect();
        starts.push(px.len());
        XPixels {
            xs: Arc::clone(xs),
            px,
            starts,
        }
    })
}

/// `decimate(&pixels(points, ..))`, without the pixels of every point: a
/// sampled series is walked run of equal values by pixel column, so a run
/// over many columns costs a step per column, not per point.
fn decimated(
    points: &Points,
    to_px: &impl Fn(&(f64, f64)) -> (i32, i32),
    xs_cache: &mut Option<XPixels>,
) -> Vec<(i32, i32)> {
    let (xs, ys) = match points {
        Points::Sampled { xs, ys } => (xs, ys),
        Points::Pairs(_) => return decimate(&pixels(points, to_px, xs_cache)),
    };
    let XPixels { px, starts, .. } = x_pixels(xs, to_px, xs_cache);
    let total = xs.len().min(ys.len());
    let x_any = xs.first().copied().unwrap_or(0.0);
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(total.min(4096));
    // The pixel column being walked: where it starts, and the (index in
    // the column, y) of its first, lowest, highest and last points, as
    // `decimate` picks them (the first of equal lows and highs).
    let flush = |out: &mut Vec<(i32, i32)>, x: i32, keep: [(usize, i32); 4]| {
        let mut keep = keep;
        keep.sort_unstable_by_key(|k| k.0);
        for (_, y) in keep {
            if out.last() != Some(&(x, y)) {
                out.push((x, y));
            }
        }
    };
    let mut col = 0; // starts[col] <= at < starts[col + 1]
    let mut keep = [(0, 0); 4];
    let mut at = 0;
    ys.for_each_run(|y, n| {
        let end = (at + n).min(total);
        if at >= end {
            return;
        }
        let py = to_px(&(x_any, y)).1;
        while at < end {
            while starts[col + 1] <= at {
                col += 1;
            }
            let from = starts[col];
            let last = starts[col + 1].min(end) - 1 - from;
            if at == from {
                if at > 0 {
                    flush(&mut out, px[at - 1], keep);
                }
                keep = [(0, py), (0, py), (0, py), (last, py)];
            } else {
                let k = at - from;
                if py < keep[1].1 {
                    keep[1] = (k, py);
                }
                if py > keep[2].1 {
                    keep[2] = (k, py);
                }
                keep[3] = (last, py);
            }
            at = from + last + 1;
        }
    });
    if at > 0 {
        flush(&mut out, px[at - 1], keep);
    }
    out
}

/// The pixels of `points` by `to_px`, which maps x and y independently
/// (plotters' cartesian coordinates): a sampled series maps its shared x
/// column once (kept in `xs_cache` for the next series on it) and each run
/// of equal y values once, the same pixels as point by point.
fn pixels(
    points: &Points,
    to_px: &impl Fn(&(f64, f64)) -> (i32, i32),
    xs_cache: &mut Option<XPixels>,
) -> Vec<(i32, i32)> {
    let (xs, ys) = match points {
        Points::Pairs(v) => return v.iter().map(to_px).collect(),
        Points::Sampled { xs, ys } => (xs, ys),
    };
    let px = &x_pixels(xs, to_px, xs_cache).px;
    let x_any = xs.first().copied().unwrap_or(0.0);
    let mut out = Vec::with_capacity(points.len());
    let mut at = px.iter();
    ys.for_each_run(|y, n| {
        let py = to_px(&(x_any, y)).1;
        out.extend(at.by_ref().take(n).map(|&x| (x, py)));
    });
    out
}

/// Splits a pixel path into dashes `on` pixels long with gaps of `off`.
fn dashes(path: &[(i32, i32)], on: f64, off: f64) -> Vec<Vec<(i32, i32)>> {
    let f = |p: (i32, i32)| (f64::from(p.0), f64::from(p.1));
    let round = |v: Vec<(f64, f64)>| -> Vec<(i32, i32)> {
        v.into_iter()
            .map(|(x, y)| (x.round() as i32, y.round() as i32))
            .collect()
    };
    let mut out = Vec::new();
    let Some(&start) = path.first() else {
        return out;
    };
    let mut cur = vec![f(start)];
    let mut drawing = true;
    let mut left = on;
    for w in path.windows(2) {
        let (a, b) = (f(w[0]), f(w[1]));
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let mut t = 0.0;
        while len - t > left {
            t += left;
            let p = (a.0 + (b.0 - a.0) * t / len, a.1 + (b.1 - a.1) * t / len);
            if drawing {
                cur.push(p);
                out.push(round(std::mem::take(&mut cur)));
            } else {
                cur = vec![p];
            }
            drawing = !drawing;
            left = if drawing { on } else { off };
        }
        left -= len - t;
        if drawing {
            cur.push(b);
        }
    }
    if drawing && cur.len() > 1 {
        out.push(round(cur));
    }
    out
}

/// Draws a pixel path (coordinates relative to `area`), solid or dashed.
fn stroke<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    path: &[(i32, i32)],
    c: RGBAColor,
    width: u32,
    dash: Option<(f64, f64)>,
    mode: Stroke,
) -> DrawResult {
    let pieces = match dash {
        Some((on, off)) => dashes(path, on, off),
        None => vec![path.to_vec()],
    };
    for piece in pieces {
        if width <= 1 || mode == Stroke::Native {
            area.draw(&PathElement::new(piece, c.stroke_width(width)))
                .map_err(err)?;
        } else {
            for (dx, dy) in BRUSH {
                let moved: Vec<(i32, i32)> = piece.iter().map(|&(x, y)| (x + dx, y + dy)).collect();
                area.draw(&PathElement::new(moved, c.stroke_width(1)))
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// What a render of a chart keeps for the next render of the same chart
/// (PNG and SVG are drawn at the same size): per panel, its y range and,
/// for the plotting area and ranges it had, its lines' decimated paths.
#[derive(Debug, Default)]
pub(super) struct Shared {
    panels: Vec<PanelShared>,
}

/// A plotting area's pixel ranges and base pixel, and its x and y ranges
/// (bits): equal keys map every point to the same pixel.
type MapKey = ([i32; 6], [u64; 4]);

/// One panel's part of [`Shared`].
#[derive(Debug, Default)]
struct PanelShared {
    y_range: Option<(f64, f64)>,
    key: Option<MapKey>,
    /// The decimated pixel path of each connected line, in order.
    paths: Vec<Vec<(i32, i32)>>,
}

/// Draws `chart` on `root`.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    mode: Stroke,
    shared: &mut Shared,
) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let (w, _) = root.dim_in_pixel();
    let title_font = (FAMILY, 26)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let fits = |text: &str| -> Result<bool, String> {
        let (tw, _) = root
            .estimate_text_size(text, &(FAMILY, 26).into_text_style(root))
            .map_err(err)?;
        Ok(tw + 24 <= w)
    };
    let title_lines = wrap(&chart.title, fits)?;
    for (i, line) in title_lines.iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            (w as i32 / 2, 12 + TITLE_LINE * i as i32),
            title_font.clone(),
        ))
        .map_err(err)?;
    }
    let top = 50 + TITLE_LINE as u32 * (title_lines.len().max(1) as u32 - 1);
    let body = root.margin(top, 8, 8, 12);
    let n = chart.panels.len().max(1);
    shared
        .panels
        .resize_with(chart.panels.len(), PanelShared::default);
    for (i, (area, panel)) in body
        .split_evenly((n, 1))
        .iter()
        .zip(&chart.panels)
        .enumerate()
    {
        draw_panel(area, panel, mode, &mut shared.panels[i])?;
    }
    Ok(())
}

/// A numeric axis whose labelled ticks (and vertical grid lines) are
/// chosen here, not by plotters: category positions, clock steps, round
/// numbers.
struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // The labelled (bold) lines only; no light lines between them.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
}

/// Height of a title line, pixels.
const TITLE_LINE: i32 = 32;

/// Splits `text` at spaces into as few lines as `fits` accepts, each line
/// as long as it can be; a word is never cut (a word too long for a line
/// gets a line of its own).
fn wrap(text: &str, fits: impl Fn(&str) -> Result<bool, String>) -> Result<Vec<String>, String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        if cur.is_empty() {
            cur = word.to_string();
            continue;
        }
        let longer = format!("{cur} {word}");
        if fits(&longer)? {
            cur = longer;
        } else {
            lines.push(std::mem::replace(&mut cur, word.to_string()));
        }
    }
    lines.push(cur);
    Ok(lines)
}

/// Step candidates of a time axis, seconds: whole seconds, minutes, hours,
/// days and a week, each a divisor of the next larger day or hour.
const TIME_STEPS: [i64; 17] = [
    10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800,
    604_800,
];

/// Ticks of a time axis from `x0` to `x1` hours after `start` (Unix
/// seconds): at most `max` of them, on whole multiples of a clock step
/// (UTC), as hours after `start`; and the step, seconds.
pub fn time_ticks(start: i64, x0: f64, x1: f64, max: usize) -> (Vec<f64>, i64) {
    let t0 = start as f64 + x0 * 3600.0;
    let t1 = start as f64 + x1 * 3600.0;
    let span = (t1 - t0).max(1.0);
    let max = max.max(2) as f64;
    let step = TIME_STEPS
        .iter()
        .copied()
        .find(|&s| span / s as f64 <= max)
        .unwrap_or_else(|| 604_800 * (span / 604_800.0 / max).ceil() as i64);
    let first = (t0 / step as f64).ceil() as i64;
    let last = (t1 / step as f64).floor() as i64;
    let ticks = (first..=last)
        .map(|k| (k * step - start) as f64 / 3600.0)
        .collect();
    (ticks, step)
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Thu 26 Nov` of the UTC day holding `epoch` (Unix seconds), with the
/// year when `year` is set.
pub fn day_text(epoch: i64, year: bool) -> String {
    let days = epoch.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let wd = WEEKDAYS[(days + 4).rem_euclid(7) as usize];
    let mon = MONTHS[(m as usize).saturating_sub(1) % 12];
    if year {
        format!("{wd} {d} {mon} {y}")
    } else {
        format!("{wd} {d} {mon}")
    }
}

/// The tick label of a time axis at `epoch`: the date where a day begins,
/// else the clock time (`HH:MM`, `HH:MM:SS` when the step is below a
/// minute).
pub fn clock_text(epoch: i64, step: i64) -> String {
    let sod = epoch.rem_euclid(86_400);
    if sod == 0 {
        return day_text(epoch, false);
    }
    let (h, m, s) = (sod / 3600, sod / 60 % 60, sod % 60);
    if step < 60 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}")
    }
}

/// At most `max` ticks from `x0` to `x1` on multiples of 1, 2 or 5 times a
/// power of ten (whole numbers only when `integer`).
pub fn nice_ticks(x0: f64, x1: f64, max: usize, integer: bool) -> Vec<f64> {
    let span = x1 - x0;
    if span.is_nan() || span <= 0.0 || !span.is_finite() {
        return vec![x0];
    }
    let raw = span / max.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let mut step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|st| *st >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    if integer {
        step = step.max(1.0).round();
    }
    let first = (x0 / step - 1e-9).ceil() as i64;
    let last = (x1 / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// `v` with a `%` when `percent`.
fn with_percent(v: String, percent: bool) -> String {
    if percent && !v.is_empty() {
        format!("{v}%")
    } else {
        v
    }
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    mode: Stroke,
    shared: &mut PanelShared,
) -> DrawResult {
    let mut rows = panel.legend_rows();
    let font = (FAMILY, 15).into_text_style(area);
    let (w, h) = area.dim_in_pixel();
    // Category tick labels too wide for their share of the axis become
    // (1), (2), ... with a key in the legend.
    let categories: Vec<String> = match &panel.x_axis {
        XAxis::Numeric => Vec::new(),
        XAxis::Categories(c) => {
            let cell = w.saturating_sub(120) / c.len().max(1) as u32;
            let mut widest = 0;
            for label in c {
                widest = widest.max(area.estimate_text_size(label, &font).map_err(err)?.0);
            }
            if widest + 16 > cell {
                rows.push((Swatch::None, format!("{}:", panel.x_label)));
                for (i, label) in c.iter().enumerate() {
                    rows.push((Swatch::None, format!("({}) {label}", i + 1)));
                }
                (1..=c.len()).map(|i| format!("({i})")).collect()
            } else {
                c.clone()
            }
        }
    };
    let (plot_area, legend_area) = match panel.legend {
        LegendPlace::Right => {
            let mut text_w = 0;
            for (_, text) in &rows {
                text_w = text_w.max(area.estimate_text_size(text, &font).map_err(err)?.0);
            }
            let lw = (text_w + 64).clamp(150, w * 2 / 5);
            area.split_horizontally(w - lw)
        }
        LegendPlace::Below => {
            let lh = (rows.len() as u32 * ROW as u32 + 12).min(h / 2);
            area.split_vertically(h - lh)
        }
    };
    let (x0, x1) = panel.x_range();
    let (y0, y1) = *shared.y_range.get_or_insert_with(|| panel.y_range());
    let mut builder = ChartBuilder::on(&plot_area);
    if let Some(c) = &panel.caption {
        builder.caption(c, (FAMILY, 18));
    }
    // x ticks: the categories' positions, whole clock steps, or round numbers.
    let plot_w = plot_area.dim_in_pixel().0.saturating_sub(90).max(100) as usize;
    let (x_ticks, time_step) = match (&panel.x_axis, panel.x_time) {
        (XAxis::Categories(c), _) => ((0..c.len()).map(|i| i as f64).collect(), 0),
        (XAxis::Numeric, Some(start)) => time_ticks(start, x0, x1, plot_w / 90),
        (XAxis::Numeric, None) => (nice_ticks(x0, x1, plot_w / 80, panel.x_integer), 0),
    };
    let mut cc = builder
        .margin(8)
        .x_label_area_size(46)
        .y_label_area_size(74)
        .build_cartesian_2d(
            Ticked {
                inner: (x0..x1).into(),
                ticks: x_ticks,
            },
            y0..y1,
        )
        .map_err(err)?;

    let y_fmt = |v: &f64| with_percent(tick(*v), panel.y_percent);
    let num_fmt = |v: &f64| {
        if let Some(start) = panel.x_time {
            return clock_text(start + (v * 3600.0).round() as i64, time_step);
        }
        if panel.x_integer && (v - v.round()).abs() > 1e-9 {
            String::new()
        } else {
            with_percent(tick(*v), panel.x_percent)
        }
    };
    let cat_fmt = |v: &f64| category(&categories, *v);
    let mut mesh = cc.configure_mesh();
    mesh.x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .axis_desc_style((FAMILY, 17))
        .label_style((FAMILY, 15))
        .bold_line_style(RGBColor(215, 215, 215))
        .light_line_style(RGBColor(240, 240, 240))
        .y_label_formatter(&y_fmt);
    match &panel.x_axis {
        XAxis::Numeric => {
            mesh.x_label_formatter(&num_fmt);
        }
        XAxis::Categories(_) => {
            mesh.x_label_formatter(&cat_fmt);
        }
    }
    if !panel.bars.is_empty() {
        // Vertical grid lines would run through the bars.
        mesh.disable_x_mesh();
    }
    mesh.draw().map_err(err)?;

    // Pixel columns of the plotting area: a band or a set of markers with
    // more points than that is drawn from its envelope per column.
    let columns = plot_area.dim_in_pixel().0 as usize;
    let (bx, by) = area.get_base_pixel();
    // The same pixels as the render before (same plotting area, same
    // ranges): its line paths are taken as they are.
    let (rx, ry) = cc.plotting_area().get_pixel_range();
    let key: MapKey = (
        [rx.start, rx.end, ry.start, ry.end, bx, by],
        [x0.to_bits(), x1.to_bits(), y0.to_bits(), y1.to_bits()],
    );
    let connected = panel.lines.iter().filter(|l| l.connect).count();
    let reuse = shared.key == Some(key) && shared.paths.len() == connected;
    if !reuse {
        shared.key = Some(key);
        shared.paths.clear();
    }
    // The pixel x of the shared x column last drawn.
    let mut xs_cache: Option<XPixels> = None;
    for b in &panel.bands {
        let fill = color(b.color).mix(b.alpha).filled();
        if b.points.len() > columns {
            // Each edge keeps, per pixel column, its first, highest, lowest
            // and last point: every peak and dip of both edges is there.
            let px = |x: f64, y: f64| {
                let (x, y) = cc.backend_coord(&(x, y));
                (x - bx, y - by)
            };
            let (upper, lower) = match &b.points {
                BandPoints::Sampled { xs, low, high } => {
                    let edge = |ys: &Values| Points::sampled(xs, ys.clone());
                    let upper = decimated(&edge(high), &|p| px(p.0, p.1), &mut xs_cache);
                    let mut lower = pixels(&edge(low), &|p| px(p.0, p.1), &mut xs_cache);
                    lower.reverse();
                    (upper, decimate(&lower))
                }
                BandPoints::Triples(points) => {
                    let upper: Vec<(i32, i32)> = points.iter().map(|p| px(p.0, p.2)).collect();
                    let lower: Vec<(i32, i32)> =
                        points.iter().rev().map(|p| px(p.0, p.1)).collect();
                    (decimate(&upper), decimate(&lower))
                }
            };
            let mut outline = upper;
            outline.extend(lower);
            area.draw(&Polygon::new(outline, fill)).map_err(err)?;
        } else {
            let points = b.points.to_vec();
            let mut outline: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.2)).collect();
            outline.extend(points.iter().rev().map(|p| (p.0, p.1)));
            cc.draw_series(std::iter::once(Polygon::new(outline, fill)))
                .map_err(err)?;
        }
    }
    let segments = stack(&panel.bars);
    let half = panel.bar_width / 2.0;
    for s in &segments {
        if s.top > s.bottom {
            let c = color(panel.bars[s.series].color);
            cc.draw_series(std::iter::once(Rectangle::new(
                [(s.x - half, s.bottom), (s.x + half, s.top)],
                c.filled(),
            )))
            .map_err(err)?;
        }
    }
    // Lines, markers and bar labels are placed in pixels, relative to `area`.
    let to_px = |p: &(f64, f64)| {
        let (x, y) = cc.backend_coord(p);
        (x - bx, y - by)
    };
    let label_at: Vec<((i32, i32), &String)> = panel
        .bar_labels
        .iter()
        .map(|(x, text)| (to_px(&(*x, stack_top(&segments, *x))), text))
        .collect();
    let notes_at: Vec<((i32, i32), &String)> = panel
        .bar_notes
        .iter()
        .map(|(x, text)| (to_px(&(*x, stack_top(&segments, *x))), text))
        .collect();
    for m in &panel.markers {
        // More marks than pixel columns (a month of spot notices): one per
        // column, since more would only darken the same pixels.
        let mut drawn = std::collections::BTreeSet::new();
        for &x in &m.xs {
            let path = [to_px(&(x, y0)), to_px(&(x, y1))];
            if m.xs.len() > columns && !drawn.insert(path[0].0) {
                continue;
            }
            stroke(
                area,
                &path,
                color(m.color).mix(0.8),
                1,
                Some((5.0, 4.0)),
                mode,
            )?;
        }
    }
    for b in &panel.error_bars {
        let c = line_color(b.color, false);
        for &(x, lo, hi) in &b.points {
            let (bottom, top) = (to_px(&(x, lo)), to_px(&(x, hi)));
            stroke(area, &[bottom, top], c, 2, None, mode)?;
            for (cx, cy) in [bottom, top] {
                stroke(area, &[(cx - 7, cy), (cx + 7, cy)], c, 2, None, mode)?;
            }
        }
    }
    for (j, l) in panel.lines.iter().filter(|l| l.connect).enumerate() {
        if !reuse {
            shared
                .paths
                .push(decimated(&l.points, &to_px, &mut xs_cache));
        }
        let path = &shared.paths[j];
        let dash = l.dashed.then_some((9.0, 6.0));
        stroke(area, path, line_color(l.color, l.dashed), 2, dash, mode)?;
    }
    for l in &panel.lines {
        if l.dots {
            cc.draw_series(
                l.points
                    .iter()
                    .map(|p| Circle::new(p, 4, color(l.color).filled())),
            )
            .map_err(err)?;
        }
    }
    let label_font = (FAMILY, 15)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    for ((px, py), text) in label_at {
        area.draw(&Text::new(text.clone(), (px, py - 4), label_font.clone()))
            .map_err(err)?;
    }
    let note_font = (FAMILY, 15)
        .into_font()
        .color(&color(MARKER_COLOR))
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    for ((px, py), text) in notes_at {
        // Above the label, when there is one.
        let up = if panel.bar_labels.is_empty() { 4 } else { 24 };
        area.draw(&Text::new(text.clone(), (px, py - up), note_font.clone()))
            .map_err(err)?;
    }
    draw_legend(&legend_area, &rows, panel.legend, mode)
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[(Swatch, String)],
    place: LegendPlace,
    mode: Stroke,
) -> DrawResult {
    let font = (FAMILY, 15).into_font().color(&BLACK);
    // Right: start level with the top of the plotting area; below: under
    // the x axis label, indented like the plotting area.
    let (x, top) = match place {
        LegendPlace::Right => (10, 14),
        LegendPlace::Below => (90, 4),
    };
    for (i, (swatch, text)) in rows.iter().enumerate() {
        let y = top + i as i32 * ROW + ROW / 2;
        let text_x = match swatch {
            Swatch::None => x,
            _ => x + 44,
        };
        match *swatch {
            Swatch::Line {
                color: c,
                dashed,
                dot,
                line,
            } => {
                let dash = dashed.then_some((7.0, 4.0));
                if line {
                    stroke(
                        area,
                        &[(x, y), (x + 36, y)],
                        line_color(c, dashed),
                        2,
                        dash,
                        mode,
                    )?;
                }
                if dot {
                    area.draw(&Circle::new((x + 18, y), 4, color(c).filled()))
                        .map_err(err)?;
                }
            }
            Swatch::Band(c, alpha) => {
                area.draw(&Rectangle::new(
                    [(x, y - 7), (x + 36, y + 7)],
                    color(c).mix(alpha).filled(),
                ))
                .map_err(err)?;
            }
            Swatch::Bar(c) => {
                area.draw(&Rectangle::new(
                    [(x + 8, y - 7), (x + 28, y + 7)],
                    color(c).filled(),
                ))
                .map_err(err)?;
            }
            Swatch::Marker(c) => {
                let path = [(x + 18, y - 9), (x + 18, y + 9)];
                stroke(area, &path, color(c).mix(0.8), 1, Some((5.0, 4.0)), mode)?;
            }
            Swatch::None => {}
        }
        area.draw(&Text::new(
            text.clone(),
            (text_x, y),
            font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Renders `chart` as an SVG document.
pub fn svg(chart: &Chart) -> Result<String, PlotError> {
    svg_shared(chart, &mut Shared::default())
}

/// [`svg`], reusing what a render of `chart` before left in `shared`.
pub(super) fn svg_shared(chart: &Chart, shared: &mut Shared) -> Result<String, PlotError> {
    ensure_font()?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart, Stroke::Native, shared).map_err(PlotError::Draw)?;
        root.present().map_err(|e| PlotError::Draw(e.to_string()))?;
    }
    Ok(text)
}

/// Renders `chart` as a PNG image (8-bit RGB).
pub fn png(chart: &Chart) -> Result<Vec<u8>, PlotError> {
    png_shared(chart, &mut Shared::default())
}

/// [`png`], reusing what a render of `chart` before left in `shared` (and
/// leaving in it what the next can reuse).
pub(super) fn png_shared(chart: &Chart, shared: &mut Shared) -> Result<Vec<u8>, PlotError> {
    ensure_font()?;
    let mut pixels = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart, Stroke::Offsets, shared).map_err(PlotError::Draw)?;
        root.present().map_err(|e| PlotError::Draw(e.to_string()))?;
    }
    let mut out = Vec::new();
    let encode = |e: png::EncodingError| PlotError::Draw(format!("PNG encoding: {e}"));
    {
        let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(encode)?;
        writer.write_image_data(&pixels).map_err(encode)?;
        writer.finish().map_err(encode)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Chart {
        let mut p = Panel::new("time (h)", "tasks");
        p.lines
            .push(Line::solid("running", 0, vec![(0.0, 1.0), (1.0, 3.0)]));
        p.lines
            .push(Line::dashed("desired", 0, vec![(0.0, 2.0), (1.0, 3.0)]));
        p.bands
            .push(Band::interval(1, vec![(0.0, 0.5, 1.5), (1.0, 2.0, 4.0)]));
        p.markers.push(Markers {
            label: "notice".into(),
            color: MARKER_COLOR,
            xs: vec![0.5],
        });
        Chart {
            title: "sample".into(),
            panels: vec![p],
        }
    }

    #[test]
    fn time_ticks_fall_on_the_clock() {
        // 2026-11-26T00:00:00Z, a Thursday.
        let start = 1_795_651_200;
        assert_eq!(day_text(start, true), "Thu 26 Nov 2026");
        // Two days, at most 9 ticks: every 6 hours, dates at midnight.
        let (ticks, step) = time_ticks(start, 0.0, 48.0, 9);
        assert_eq!(step, 21_600);
        assert_eq!(ticks, (0..=8).map(|k| k as f64 * 6.0).collect::<Vec<_>>());
        let text = |h: f64| clock_text(start + (h * 3600.0) as i64, step);
        assert_eq!(text(0.0), "Thu 26 Nov");
        assert_eq!(text(6.0), "06:00");
        assert_eq!(text(24.0), "Fri 27 Nov");
        // A 140-second window from 06:48:27: every 15 s, with seconds.
        let from = (6.0 * 3600.0 + 48.0 * 60.0 + 27.0) / 3600.0;
        let (ticks, step) = time_ticks(start, from, from + 140.0 / 3600.0, 10);
        assert_eq!(step, 15);
        assert_eq!(
            clock_text(start + (ticks[0] * 3600.0).round() as i64, step),
            "06:48:30"
        );
        // A week: one tick a day.
        let (ticks, step) = time_ticks(start, 0.0, 168.0, 9);
        assert_eq!((ticks.len(), step), (8, 86_400));
    }

    #[test]
    fn round_ticks() {
        assert_eq!(
            nice_ticks(0.0, 100.0, 6, false),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(
            nice_ticks(3.8, 9.2, 12, true),
            vec![4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
        );
        assert_eq!(
            nice_ticks(-0.04, 0.04, 4, false),
            vec![-0.04, -0.02, 0.0, 0.02, 0.04]
        );
    }

    #[test]
    fn titles_wrap_between_words() {
        // At most 10 characters a line.
        let fits = |t: &str| -> Result<bool, String> { Ok(t.chars().count() <= 10) };
        assert_eq!(
            wrap("short a longword b", fits).unwrap(),
            vec!["short a", "longword b"]
        );
        // A word longer than a line stands alone, uncut.
        assert_eq!(
            wrap("x onDemandPercentage y", fits).unwrap(),
            vec!["x", "onDemandPercentage", "y"]
        );
        // A long title in an image: two text lines, each word whole.
        let mut c = sample();
        c.title = "word ".repeat(25).trim_end().to_string();
        let text = svg(&c).unwrap();
        assert_eq!(text.matches("\nword word").count(), 2, "{text}");
    }

    #[test]
    fn ticks_are_short() {
        // (value, label)
        let table = [
            (0.0, "0"),
            (-0.0001, "0"),
            (2.5, "2.5"),
            (0.126, "0.13"), // two decimals at most
            (100.0, "100"),
            (86400.0, "86400"),
        ];
        for (v, want) in table {
            assert_eq!(tick(v), want, "tick({v})");
        }
    }

    #[test]
    fn decimation_keeps_each_columns_extremes_in_order() {
        // Column 0: 5, 3, 9, 6 -> first 5, highest-up 3, lowest-down 9, last 6;
        // column 1: 6, 6 -> one point; column 2: 1.
        let px = [
            (0, 5),
            (0, 3),
            (0, 4),
            (0, 9),
            (0, 6),
            (1, 6),
            (1, 6),
            (2, 1),
        ];
        assert_eq!(
            decimate(&px),
            vec![(0, 5), (0, 3), (0, 9), (0, 6), (1, 6), (2, 1)]
        );
        assert!(decimate(&[]).is_empty());
    }

    #[test]
    fn a_sampled_series_decimates_as_its_pixels_do() {
        // Runs of equal values and plain values, over x columns with many
        // points per pixel column, about one, and unevenly spread (a pixel
        // column may hold one point), and ys shorter or longer than xs:
        // the same path as decimating every point's pixel.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for case in 0..300 {
            let n = 1 + next(3000) as usize;
            let xs: Arc<[f64]> = match case % 3 {
                0 => (0..n).map(|i| i as f64).collect(),
                1 => {
                    let mut x = 0.0;
                    (0..n)
                        .map(|_| {
                            x += next(100) as f64 / 10.0;
                            x
                        })
                        .collect()
                }
                _ => (0..n).map(|i| (n - i) as f64).collect(),
            };
            let scale = [0.05, 0.4, 1.0, 3.0][case % 4];
            let to_px = |p: &(f64, f64)| ((p.0 * scale).floor() as i32, (p.1 * 7.0) as i32 - 50);
            let len = match case % 5 {
                0 => n.saturating_sub(next(5) as usize),
                1 => n + next(5) as usize,
                _ => n,
            };
            let step = 1 + next(40);
            let mut y = 0.0;
            let ys: Values = (0..len)
                .map(|_| {
                    if next(step) == 0 {
                        y = next(20) as f64 - 5.0;
                    }
                    y
                })
                .collect();
            let points = Points::sampled(&xs, ys);
            let mut cache = None;
            let want = decimate(&pixels(&points, &to_px, &mut cache));
            let mut fresh = None;
            assert_eq!(decimated(&points, &to_px, &mut fresh), want, "case {case}");
            assert_eq!(decimated(&points, &to_px, &mut cache), want, "case {case}");
        }
        let empty = Points::sampled(&Arc::from([]), Values::from(&[][..]));
        assert!(decimated(&empty, &|_| (0, 0), &mut None).is_empty());
    }

    #[test]
    fn the_second_format_reuses_the_first_ones_paths_to_the_byte() {
        // A dense sampled line and a dashed one over two panels, drawn as
        // PNG then SVG sharing their paths: the same bytes as drawn alone.
        let xs: Arc<[f64]> = (0..20_000).map(|i| f64::from(i) / 60.0).collect();
        let ys: Values = (0..20_000)
            .map(|i| f64::from((i / 37) % 50 + (i % 7)))
            .collect();
        let mut top = Panel::new("time (h)", "tasks");
        top.lines
            .push(Line::solid("running", 0, Points::sampled(&xs, ys.clone())));
        top.lines.push(Line::dashed(
            "desired",
            1,
            Points::sampled(&xs, ys.iter().map(|y| y + 3.0).collect()),
        ));
        let mut below = Panel::new("time (h)", "rate");
        below
            .lines
            .push(Line::solid("rate", 2, vec![(0.0, 1.0), (300.0, 4.0)]));
        let chart = Chart {
            title: "shared".into(),
            panels: vec![top, below],
        };
        let mut shared = Shared::default();
        let png_first = png_shared(&chart, &mut shared).unwrap();
        assert_eq!(shared.panels[0].paths.len(), 2);
        let svg_second = svg_shared(&chart, &mut shared).unwrap();
        assert_eq!(png_first, png(&chart).unwrap());
        assert_eq!(svg_second, svg(&chart).unwrap());
        // The other way round too.
        let mut shared = Shared::default();
        assert_eq!(svg_shared(&chart, &mut shared).unwrap(), svg_second);
        assert_eq!(png_shared(&chart, &mut shared).unwrap(), png_first);
    }

    #[test]
    fn dashes_alternate_along_the_path() {
        // 0..30 along x, 10 on 5 off: dashes 0-10 and 15-25, then 30 ends on.
        let d = dashes(&[(0, 0), (30, 0)], 10.0, 5.0);
        assert_eq!(d, vec![vec![(0, 0), (10, 0)], vec![(15, 0), (25, 0)]]);
        // A dash continues around a corner.
        let d = dashes(&[(0, 0), (6, 0), (6, 6)], 10.0, 5.0);
        assert_eq!(d[0], vec![(0, 0), (6, 0), (6, 4)]);
    }

    #[test]
    fn long_categories_are_numbered_with_a_key() {
        let long = |s: &str| format!("{s}{}", "x".repeat(120));
        let mut p = Panel::new("strategy", "tasks");
        p.legend = LegendPlace::Below;
        p.x_axis = XAxis::Categories(vec![long("a"), long("b")]);
        p.lines
            .push(Line::solid("n=1", 0, vec![(0.0, 1.0), (1.0, 2.0)]));
        let mut c = Chart {
            title: "t".into(),
            panels: vec![p],
        };
        let text = svg(&c).unwrap();
        assert!(text.contains("\n(2)\n"), "numbered tick");
        assert!(
            text.contains(&format!("(1) {}", long("a"))),
            "key in the legend"
        );
        // Short ones are written as they are.
        c.panels[0].x_axis = XAxis::Categories(vec!["a".into(), "b".into()]);
        let text = svg(&c).unwrap();
        assert!(text.contains("\na\n") && !text.contains("(1)"));
    }

    #[test]
    fn categories_only_at_their_positions() {
        let c = vec!["a".to_string(), "b".to_string()];
        assert_eq!(category(&c, 0.0), "a");
        assert_eq!(category(&c, 1.0), "b");
        assert_eq!(category(&c, 0.5), "");
        assert_eq!(category(&c, 2.0), "");
        assert_eq!(category(&c, -1.0), "");
    }

    #[test]
    fn ranges_cover_lines_bands_and_included_values() {
        let p = &sample().panels[0];
        assert_eq!(p.x_range(), (0.0, 1.0));
        // y from 0 (included, not padded) to 4, plus 5% of 4 on top.
        let (lo, hi) = p.y_range();
        assert_eq!(lo, 0.0);
        assert!((hi - 4.2).abs() < 1e-9, "{hi}");
        // A single value gets a unit range.
        assert_eq!(span([3.0].into_iter(), 0.1), (2.5, 3.5));
        assert_eq!(span(std::iter::empty(), 0.1), (0.0, 1.0));
    }

    fn bars(label: &str, color: usize, points: &[(f64, f64)]) -> Bars {
        Bars {
            label: label.into(),
            color,
            points: points.to_vec(),
        }
    }

    #[test]
    fn bars_stack_by_x_and_sign() {
        // Series 0 at x 0 and 1, series 1 at x 1 and 2, series 2 negative at 1.
        let b = [
            bars("a", 0, &[(0.0, 2.0), (1.0, 3.0)]),
            bars("b", 1, &[(1.0, 4.0), (2.0, 1.0)]),
            bars("c", 2, &[(1.0, -1.5)]),
            bars("d", 3, &[(1.0, 0.5)]),
        ];
        let seg = |series, x, bottom, top| Segment {
            series,
            x,
            bottom,
            top,
        };
        let s = stack(&b);
        assert_eq!(
            s,
            vec![
                seg(0, 0.0, 0.0, 2.0),
                seg(0, 1.0, 0.0, 3.0),
                seg(1, 1.0, 3.0, 7.0), // on top of a's 3
                seg(1, 2.0, 0.0, 1.0),
                seg(2, 1.0, -1.5, 0.0), // below the axis
                seg(3, 1.0, 7.0, 7.5),  // back on the positive stack
            ]
        );
        assert_eq!(stack_top(&s, 1.0), 7.5);
        assert_eq!(stack_top(&s, 5.0), 0.0);
    }

    #[test]
    fn bar_ranges_cover_the_stacks_and_their_labels() {
        let mut p = Panel::new("variant", "USD");
        p.x_axis = XAxis::Categories(vec!["a".into(), "b".into()]);
        p.bars = vec![
            bars("x", 0, &[(0.0, 6.0), (1.0, 2.0)]),
            bars("y", 1, &[(0.0, 4.0)]),
        ];
        assert_eq!(p.x_range(), (-0.5, 1.5));
        // 0 to the tallest stack, 10, plus 5% on top...
        let (lo, hi) = p.y_range();
        assert_eq!(lo, 0.0);
        assert!((hi - 10.5).abs() < 1e-9, "{hi}");
        // ... or 10% with text above the bars.
        p.bar_labels = vec![(0.0, "10".into())];
        assert!((p.y_range().1 - 11.0).abs() < 1e-9);
        // On a numeric axis the bars' widths count.
        p.x_axis = XAxis::Numeric;
        p.bar_width = 0.5;
        assert_eq!(p.x_range(), (-0.25, 1.25));
        // The legend lists the stack top first.
        let rows: Vec<String> = p.legend_rows().into_iter().map(|r| r.1).collect();
        assert_eq!(rows, vec!["y", "x"]);
    }

    #[test]
    fn bars_are_drawn_with_their_labels() {
        let mut p = Panel::new("variant", "USD");
        p.x_axis = XAxis::Categories(vec!["a".into(), "b".into()]);
        p.bars = vec![bars("part", 2, &[(0.0, 6.0), (1.0, 0.0)])];
        p.bar_labels = vec![(0.0, "$6".into()), (1.0, "$0".into())];
        let c = Chart {
            title: "bars".into(),
            panels: vec![p],
        };
        let text = svg(&c).unwrap();
        assert!(text.contains("\n$6\n") && text.contains("\n$0\n"), "{text}");
        // One filled bar (the zero-height one is not drawn) and its swatch.
        let green = "fill=\"#2CA02C\"";
        assert_eq!(text.matches(green).count(), 2, "{text}");
        assert_eq!(&png(&c).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    }

    /// The points of every `<polygon>` of an SVG, in pixels.
    fn polygons(svg: &str) -> Vec<Vec<(f64, f64)>> {
        svg.split("<polygon")
            .skip(1)
            .map(|rest| {
                let points = rest.split("points=\"").nth(1).unwrap();
                points[..points.find('"').unwrap()]
                    .split_whitespace()
                    .map(|xy| {
                        let (x, y) = xy.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    /// A chart of one band of `n` points from 1 to 2, with a spike of the
    /// top to 50 and a dip of the bottom to -30 at one point each when
    /// `extremes`.
    fn band_chart(n: usize, extremes: bool) -> Chart {
        let mut p = Panel::new("x", "y");
        p.y_include = vec![-40.0, 60.0];
        let points = (0..n)
            .map(|i| {
                let x = i as f64;
                match i {
                    _ if !extremes => (x, 1.0, 2.0),
                    i if i == n / 2 => (x, 1.0, 50.0),
                    i if i == 3 * n / 4 => (x, -30.0, 2.0),
                    _ => (x, 1.0, 2.0),
                }
            })
            .collect();
        p.bands.push(Band::interval(0, points));
        Chart {
            title: "band".into(),
            panels: vec![p],
        }
    }

    #[test]
    fn a_band_denser_than_the_pixels_is_drawn_from_its_envelope() {
        // 40,000 points: a handful per pixel column, and the one-point
        // spike and dip still reach as far as they go.
        let flat = polygons(&svg(&band_chart(40_000, false)).unwrap()).remove(0);
        let got = polygons(&svg(&band_chart(40_000, true)).unwrap()).remove(0);
        assert!(got.len() <= 8 * WIDTH as usize, "{} points", got.len());
        let top = |v: &[(f64, f64)]| v.iter().map(|p| p.1).fold(f64::MAX, f64::min);
        let bottom = |v: &[(f64, f64)]| v.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        // y grows downwards: 50 is ~48% of the span above 2, -30 ~31% below 1.
        assert!(
            top(&got) < top(&flat) - 100.0,
            "{} {}",
            top(&got),
            top(&flat)
        );
        assert!(
            bottom(&got) > bottom(&flat) + 80.0,
            "{} {}",
            bottom(&got),
            bottom(&flat)
        );
        // Fewer points than pixel columns: every point is drawn, as before.
        let small = polygons(&svg(&band_chart(300, true)).unwrap()).remove(0);
        assert_eq!(small.len(), 2 * 300);
    }

    #[test]
    fn markers_denser_than_the_pixels_are_drawn_once_per_column() {
        let marks = |n: usize| {
            let mut c = sample();
            c.panels[0].markers[0].xs = (0..n).map(|i| i as f64 / n as f64).collect();
            svg(&c).unwrap().matches("<polyline").count()
        };
        // Each mark is a dashed line of some dashes, one polyline each.
        let (none, one) = (marks(0), marks(1));
        let dashes = one - none;
        let many = marks(20_000) - none;
        assert!(many > dashes * 500, "{many}: about one mark per column");
        assert!(
            many <= dashes * WIDTH as usize,
            "{many}: at most one per column"
        );
    }

    #[test]
    fn sampled_series_draw_the_same_pixels_as_pairs() {
        // 3,000 samples (more than the pixel columns, so lines and bands
        // are drawn from their envelopes): steps, a spike, a dip, and a
        // rate changing every sample; shared x values.
        let xs: Arc<[f64]> = (0..3000).map(|i| f64::from(i) / 60.0).collect();
        let steps: Vec<f64> = (0..3000).map(|i| f64::from(i / 37 % 9)).collect();
        let rate: Vec<f64> = (0..3000)
            .map(|i| 5.0 + (f64::from(i) * 0.37).sin() * 3.0)
            .collect();
        let mut target = steps.clone();
        target[1200] = 20.0;
        target[2000] = -3.0;
        let col = |v: &[f64]| Values::from(v);
        let pairs =
            |v: &[f64]| -> Vec<(f64, f64)> { xs.iter().copied().zip(v.iter().copied()).collect() };
        let mut sampled = Panel::new("time (h)", "tasks");
        sampled
            .lines
            .push(Line::solid("steps", 0, Points::sampled(&xs, col(&steps))));
        sampled.lines.push(Line::dashed(
            "target",
            1,
            Points::sampled(&xs, col(&target)),
        ));
        sampled
            .lines
            .push(Line::solid("rate", 2, Points::sampled(&xs, col(&rate))));
        let band = Band::sampled_shortfall("short", &xs, &col(&steps), &col(&target)).unwrap();
        sampled.bands.push(band);
        let mut plain = Panel::new("time (h)", "tasks");
        plain.lines.push(Line::solid("steps", 0, pairs(&steps)));
        plain.lines.push(Line::dashed("target", 1, pairs(&target)));
        plain.lines.push(Line::solid("rate", 2, pairs(&rate)));
        plain
            .bands
            .push(Band::shortfall("short", &pairs(&steps), &pairs(&target)).unwrap());
        assert_eq!(sampled, plain);
        let chart = |p: Panel| Chart {
            title: "t".into(),
            panels: vec![p],
        };
        let (a, b) = (chart(sampled), chart(plain));
        assert!(matches!(
            a.panels[0].bands[0].points,
            BandPoints::Sampled { .. }
        ));
        assert_eq!(svg(&a).unwrap(), svg(&b).unwrap());
        assert!(png(&a).unwrap() == png(&b).unwrap());
        // No shortfall, no band.
        assert!(Band::sampled_shortfall("s", &xs, &col(&steps), &col(&steps)).is_none());
    }

    #[test]
    fn svg_is_deterministic_and_png_has_the_canvas_size() {
        let c = sample();
        let a = svg(&c).unwrap();
        assert_eq!(a, svg(&c).unwrap());
        assert!(a.contains("<svg"));
        assert!(a.contains("\nsample\n"), "{a}");
        let p = png(&c).unwrap();
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height, big-endian, at bytes 16..24.
        assert_eq!(&p[16..20], &WIDTH.to_be_bytes());
        assert_eq!(&p[20..24], &HEIGHT.to_be_bytes());
    }
}
