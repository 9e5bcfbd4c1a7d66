//! `loss.png`: train and eval loss against the step, drawn with plotters. Text needs a font:
//! the first of a few well-known system fonts (or `HFX_FONT`); without one the chart is drawn
//! with its lines and grid but no labels, and the caller is told.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;

use super::error::{Result, TrainError};
use super::run::{EvalRecord, StepRecord};

const FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
    "C:\\Windows\\Fonts\\segoeui.ttf",
];

/// Register a sans-serif font with plotters once; whether one was found.
fn font() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        let candidates =
            std::env::var_os("HFX_FONT").map(PathBuf::from).into_iter().chain(FONTS.iter().map(PathBuf::from));
        for path in candidates {
            let Ok(bytes) = fs_err::read(&path) else { continue };
            // plotters keeps fonts for the life of the process.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                return true;
            }
        }
        false
    })
}

fn chart_error(e: impl std::fmt::Display) -> TrainError {
    TrainError::Compute(format!("drawing the loss chart: {e}"))
}

/// Draw the chart into `path` (through a temporary file renamed into place). Returns whether
/// it has text (a font was found).
pub fn loss_chart(steps: &[StepRecord], evals: &[EvalRecord], path: &Path) -> Result<bool> {
    let text = font();
    let tmp = path.with_file_name(".loss.partial.png");
    {
        let root = BitMapBackend::new(&tmp, (960, 540)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let last = steps.iter().map(|s| s.step).chain(evals.iter().map(|e| e.step)).max().unwrap_or(1).max(2);
        let values = steps.iter().map(|s| s.loss).chain(evals.iter().map(|e| e.eval_loss)).filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let pad = ((hi - lo) * 0.05).max(1e-3);
        let mut builder = ChartBuilder::on(&root);
        builder.margin(16);
        if text {
            builder.caption("hfx finetune: loss", ("sans-serif", 24)).x_label_area_size(40).y_label_area_size(56);
        }
        let mut chart = builder.build_cartesian_2d(1u64..last, (lo - pad).max(0.0)..hi + pad).map_err(chart_error)?;
        let mut mesh = chart.configure_mesh();
        if text {
            mesh.x_desc("step").y_desc("loss").label_style(("sans-serif", 14));
        } else {
            mesh.x_labels(0).y_labels(0);
        }
        mesh.draw().map_err(chart_error)?;
        let train = chart
            .draw_series(LineSeries::new(steps.iter().map(|s| (s.step, s.loss)), BLUE.stroke_width(2)))
            .map_err(chart_error)?;
        if text {
            train.label("train").legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        }
        if !evals.is_empty() {
            let orange = RGBColor(230, 120, 20);
            let eval = chart
                .draw_series(LineSeries::new(evals.iter().map(|e| (e.step, e.eval_loss)), orange.stroke_width(2)))
                .map_err(chart_error)?;
            if text {
                eval.label("eval")
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], orange.stroke_width(2)));
            }
            chart
                .draw_series(evals.iter().map(|e| Circle::new((e.step, e.eval_loss), 4, orange.filled())))
                .map_err(chart_error)?;
        }
        if text {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font(("sans-serif", 14))
                .draw()
                .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    fs_err::rename(&tmp, path)?;
    Ok(text)
}
