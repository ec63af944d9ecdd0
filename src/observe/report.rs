//! What observing reports beyond the counts: the alert windows' clock and their crossings
//! (logged, and handed to the rule's callback), the retry hook, and the count of a first-try
//! success that never entered the engine.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

use pyo3::prelude::*;

use crate::num::Num;
use crate::observe::alert::Fired;
use crate::observe::metrics::{nanos, Operation, Verdict};
use crate::state::OutcomeRef;

/// The clock of alert windows: monotonic nanoseconds since first use, plus whatever tests
/// moved it forward by.
static ORIGIN: LazyLock<Instant> = LazyLock::new(Instant::now);
static SKEW_NS: AtomicU64 = AtomicU64::new(0);

pub fn clock_ns(at: Instant) -> u64 {
    nanos(at.saturating_duration_since(*ORIGIN)).saturating_add(SKEW_NS.load(Relaxed))
}

pub fn advance_clock(ns: u64) {
    SKEW_NS.fetch_add(ns, Relaxed);
}

/// A hook called on every retry with `(operation, attempt, wait, exception)`: how the
/// OpenTelemetry integration puts retries on the active span. Off, it costs one load.
static RETRY_HOOK_SET: AtomicBool = AtomicBool::new(false);
static RETRY_HOOK: Mutex<Option<Py<PyAny>>> = Mutex::new(None);

pub fn set_retry_hook(hook: Option<Py<PyAny>>) {
    let mut slot = RETRY_HOOK.lock().unwrap_or_else(|e| e.into_inner());
    RETRY_HOOK_SET.store(hook.is_some(), Relaxed);
    *slot = hook;
}

/// A first-try success that never entered the engine.
#[inline]
pub fn fast_success(op: &Operation, t0: Instant) {
    let end = Instant::now();
    op.fast_success(nanos(end.saturating_duration_since(t0)));
    if op.has_alert() {
        if let Some(m) = op.alert().as_mut() {
            m.record(clock_ns(end), false, false);
        }
    }
}

/// Records a call's end in the alert window; reports any crossing.
pub fn alert_check(
    py: Option<Python<'_>>,
    op: &Operation,
    verdict: Verdict,
    retried: bool,
    end: Instant,
) {
    if !op.has_alert() {
        return;
    }
    let now = clock_ns(end);
    let gave_up = verdict == Verdict::GaveUp;
    let fired = match op.alert().as_mut() {
        Some(m) => {
            m.record(now, retried, gave_up);
            if retried || gave_up {
                m.check(now)
            } else {
                Vec::new()
            }
        }
        None => return,
    };
    if fired.is_empty() {
        return;
    }
    match py {
        Some(py) => report_alerts(py, op, &fired),
        None => {
            let _ = Python::try_attach(|py| report_alerts(py, op, &fired));
        }
    }
}

/// Logs each crossing at ERROR under `pertinax.alert` and calls the rule's callback with a
/// dict. A failing callback is reported as unraisable: it must not fail the retried call.
#[cold]
fn report_alerts(py: Python<'_>, op: &Operation, fired: &[Fired]) {
    let (callback, window) = match op.alert().as_ref() {
        Some(m) => (
            m.callback.as_ref().map(|c| c.clone_ref(py)),
            m.rule().window_ns as f64 / 1e9,
        ),
        None => return,
    };
    for f in fired {
        crate::observe::events::emit_alert(
            py,
            format_args!(
                "{}: {} {:.3} over the last {} seconds crossed the threshold {} ({} of {} calls)",
                op.name(),
                f.rate.name().replace('_', " "),
                f.value,
                window,
                f.threshold,
                f.matching,
                f.calls
            ),
        );
        if let Some(cb) = &callback {
            let result = alert_dict(py, op, f, window).and_then(|d| cb.bind(py).call1((d,)));
            if let Err(e) = result {
                e.write_unraisable(py, None);
            }
        }
    }
}

fn alert_dict<'py>(
    py: Python<'py>,
    op: &Operation,
    f: &Fired,
    window: f64,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let d = pyo3::types::PyDict::new(py);
    d.set_item("operation", op.name())?;
    d.set_item("rate", f.rate.name())?;
    d.set_item("value", f.value)?;
    d.set_item("threshold", f.threshold)?;
    d.set_item("window", window)?;
    d.set_item("calls", f.calls)?;
    d.set_item("matching", f.matching)?;
    Ok(d)
}

/// Whether a retry hook is set: one load.
#[inline]
pub fn retry_hook_set() -> bool {
    RETRY_HOOK_SET.load(Relaxed)
}

/// Tells the retry hook of a retry; a failing hook is reported as unraisable.
#[cold]
pub fn call_retry_hook(
    py: Python<'_>,
    operation: &str,
    attempt: &Num,
    wait: &Num,
    outcome: &OutcomeRef<'_>,
) {
    let hook = RETRY_HOOK
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(|h| h.clone_ref(py));
    let Some(hook) = hook else { return };
    let exc = match outcome {
        OutcomeRef::Raised(e) => e.clone(),
        _ => py.None().into_bound(py),
    };
    let args = (operation, attempt.to_py(py), wait.to_py(py), exc);
    if let Err(e) = hook.bind(py).call1(args) {
        e.write_unraisable(py, None);
    }
}
