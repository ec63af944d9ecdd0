//! The clock: Python's `time.monotonic`, looked up at call time so that a test that patches it
//! (or freezes time) is obeyed, as it is by tenacity.
//!
//! While `time.monotonic` is the real one, the time is read from Rust's monotonic clock (the
//! same `CLOCK_MONOTONIC` on Linux), offset once to Python's reading, which saves a Python call
//! and a float object on the hot path.

use std::sync::OnceLock;
use std::time::Instant;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::names;
use crate::num::Num;

pub fn original_monotonic(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    CELL.import(py, "time", "monotonic")
}

/// Python's monotonic reading at a known Rust instant.
static ANCHOR: OnceLock<(f64, Instant)> = OnceLock::new();

fn anchored(py: Python<'_>, original: &Bound<'_, PyAny>, now: Instant) -> PyResult<f64> {
    if let Some((base, at)) = ANCHOR.get() {
        return Ok(base + now.saturating_duration_since(*at).as_secs_f64());
    }
    let before = Instant::now();
    let base: f64 = original.call0()?.extract()?;
    let after = Instant::now();
    // The midpoint of the two Rust readings stands for the moment Python read its clock.
    let at = before + (after - before) / 2;
    let (base, at) = *ANCHOR.get_or_init(|| (base, at));
    let _ = py;
    Ok(base + now.saturating_duration_since(at).as_secs_f64())
}

pub fn monotonic(py: Python<'_>) -> PyResult<Num> {
    Ok(monotonic_at(py)?.0)
}

/// `monotonic`, with the Rust instant it was read at when it came from Rust's clock: a call's
/// duration (for the metrics) starts from the same reading, instead of taking another.
pub fn monotonic_at(py: Python<'_>) -> PyResult<(Num, Option<Instant>)> {
    let current = names::time_attr(py, names::monotonic(py))?;
    let original = original_monotonic(py)?;
    if current.is(original) {
        let now = Instant::now();
        return Ok((Num::Float(anchored(py, original, now)?), Some(now)));
    }
    Ok((Num::from_py(&current.call0()?), None))
}

/// The Rust instant at which the anchored clock read `seconds`, when the anchor is set and the
/// reading came from it.
pub fn instant_of(seconds: f64) -> Option<Instant> {
    let (base, at) = ANCHOR.get()?;
    let offset = seconds - base;
    if offset >= 0.0 && offset.is_finite() {
        at.checked_add(std::time::Duration::from_secs_f64(offset))
    } else {
        None
    }
}
