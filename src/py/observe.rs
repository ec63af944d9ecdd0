//! Observability as Python sees it: the metrics registry as plain data, alert rules, log
//! levels, the logging bridge, and how a controller's options compile into its plan.

use std::sync::{Arc, OnceLock};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};

use crate::observe::alert::{Monitor, Rule};
use crate::observe::events::{self, Lvl};
use crate::observe::metrics::{self, Operation, Snapshot, BUCKET_BOUNDS};
use crate::observe::plan::PlanObserve;
use crate::observe::report;

static LOG_RESET: OnceLock<pyo3_log::ResetHandle> = OnceLock::new();

/// Bridges the `log` records that `tracing` events become to Python logging. Called once,
/// when the module is initialised.
pub fn install_logger(py: Python<'_>) -> PyResult<()> {
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels)?
        .filter(log::LevelFilter::Debug);
    // Only this module installs a `log` logger in this library; if one is there already it
    // is ours, from an earlier initialisation.
    if let Ok(handle) = logger.install() {
        let _ = LOG_RESET.set(handle);
    }
    Ok(())
}

/// Forgets the cached levels of the Python loggers: the next record asks Python again.
/// `pertinax.logs` calls it whenever logging is reconfigured.
#[pyfunction]
pub fn log_reset_cache() {
    events::reset_heard();
    if let Some(h) = LOG_RESET.get() {
        h.reset();
    }
}

/// Sets the levels of the four events (Python level numbers, 0 for off) for every policy
/// without `log_levels=`.
#[pyfunction]
pub fn log_set_levels(levels: [i64; 4]) -> PyResult<()> {
    events::set_global_levels(parse_levels(&levels)?);
    Ok(())
}

#[pyfunction]
pub fn log_levels() -> [i64; 4] {
    events::global_levels().map(Lvl::to_python)
}

fn parse_levels(levels: &[i64; 4]) -> PyResult<[Lvl; 4]> {
    let mut out = [Lvl::Debug; 4];
    for (o, &n) in out.iter_mut().zip(levels) {
        *o = Lvl::from_python(n).ok_or(crate::errors::Error::BadLogLevel(n))?;
    }
    Ok(out)
}

/// Every operation with at least one call, as `{name: {counter: value, ...}}`.
#[pyfunction]
pub fn metrics_snapshot(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    for op in metrics::operations() {
        let s = op.snapshot();
        if s.calls == 0 && s.completed() == 0 {
            continue;
        }
        out.set_item(&s.name, snapshot_dict(py, &s)?)?;
    }
    Ok(out)
}

fn snapshot_dict<'py>(py: Python<'py>, s: &Snapshot) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("calls", s.calls)?;
    d.set_item("first_try", s.first_try)?;
    d.set_item("recovered", s.recovered)?;
    d.set_item("gave_up", s.gave_up)?;
    d.set_item("errors", s.errors)?;
    d.set_item("attempts", s.attempts)?;
    d.set_item("retries", s.retries)?;
    d.set_item("retried_calls", s.retried_calls)?;
    d.set_item("retry_sleep_seconds", s.slept_ns as f64 / 1e9)?;
    d.set_item("budget_exhausted", s.budget_stops)?;
    d.set_item("breaker_stopped", s.breaker_stops)?;
    d.set_item("circuit_open", s.breaker_refusals)?;
    d.set_item("success_rate", s.success_rate())?;
    d.set_item("retry_rate", s.retry_rate())?;
    d.set_item("give_up_rate", s.give_up_rate())?;
    let h = PyDict::new(py);
    h.set_item("bounds", PyTuple::new(py, BUCKET_BOUNDS)?)?;
    h.set_item("counts", PyTuple::new(py, s.duration.counts)?)?;
    h.set_item("sum", s.duration.sum_ns as f64 / 1e9)?;
    h.set_item("count", s.duration.count())?;
    d.set_item("duration", h)?;
    Ok(d)
}

#[pyfunction]
pub fn metrics_reset() {
    metrics::reset();
}

/// Sets (or, with neither rate, removes) the alert rule of `operation`. The Python layer
/// checks the arguments.
#[pyfunction]
#[pyo3(signature = (operation, retry_rate, give_up_rate, window, min_calls, callback))]
pub fn metrics_set_alert(
    operation: &str,
    retry_rate: Option<f64>,
    give_up_rate: Option<f64>,
    window: f64,
    min_calls: u64,
    callback: Option<Py<PyAny>>,
) {
    let op = metrics::operation(operation);
    if retry_rate.is_none() && give_up_rate.is_none() {
        op.set_alert(None);
        return;
    }
    let rule = Rule {
        retry_rate,
        give_up_rate,
        window_ns: metrics::seconds_to_nanos(window).max(1),
        min_calls,
    };
    op.set_alert(Some(Monitor::new(rule, callback)));
}

/// Removes every alert rule.
#[pyfunction]
pub fn metrics_clear_alerts() {
    for op in metrics::operations() {
        op.set_alert(None);
    }
}

/// Moves the alert windows' clock forward, for tests.
#[pyfunction]
pub fn metrics_advance_clock(seconds: f64) {
    report::advance_clock(metrics::seconds_to_nanos(seconds));
}

/// Sets the callable told of every retry, `(operation, attempt, wait, exception)`, or None.
#[pyfunction]
#[pyo3(signature = (hook))]
pub fn set_retry_hook(hook: Option<Py<PyAny>>) {
    report::set_retry_hook(hook);
}

/// The name the metrics and the logs use for `func` under `controller`.
#[pyfunction]
#[pyo3(signature = (controller, func = None))]
pub fn operation_name(
    controller: &Bound<'_, PyAny>,
    func: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    Ok(resolve(controller, func)?.name().to_owned())
}

/// The operation of a call: the controller's `name=`, else the function's qualified name,
/// else (a `for attempt in ...` loop) the qualified name of the function running the loop.
pub fn resolve(
    controller: &Bound<'_, PyAny>,
    func: Option<&Bound<'_, PyAny>>,
) -> PyResult<Arc<Operation>> {
    let py = controller.py();
    if let Some(name) = controller_name(controller)? {
        return Ok(metrics::operation(&name));
    }
    let name: PyResult<String> = match func {
        Some(f) if !f.is_none() => {
            static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            CELL.import(py, "pertinax._utils", "get_callback_name")
                .and_then(|g| g.call1((f,)))
                .and_then(|n| n.extract())
        }
        _ => {
            static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            CELL.import(py, "pertinax.metrics", "_caller_operation")
                .and_then(|g| g.call0())
                .and_then(|n| n.extract())
        }
    };
    // A callable whose name cannot be read (a broken `__qualname__` property) still runs:
    // observing it must never fail the call.
    let name = name.unwrap_or_else(|_| "<unknown>".to_owned());
    Ok(metrics::operation(&name))
}

fn controller_name(controller: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let py = controller.py();
    match controller.getattr_opt(pyo3::intern!(py, "_name"))? {
        Some(n) if !n.is_none() => Ok(Some(n.str()?.to_string())),
        _ => Ok(None),
    }
}

/// The operation for a call of `func` (None for a loop) under a compiled plan: the plan's
/// named operation, or the one resolved for the same function last time.
pub fn operation_for(
    plan: &PlanObserve,
    controller: &Bound<'_, PyAny>,
    func: Option<&Bound<'_, PyAny>>,
) -> PyResult<Arc<Operation>> {
    if let Some(op) = &plan.named {
        return Ok(Arc::clone(op));
    }
    let func = func.filter(|f| !f.is_none());
    if let Ok(last) = plan.last.lock() {
        if let Some((key, op)) = last.as_ref() {
            let same = match (key, func) {
                (None, None) => true,
                (Some(k), Some(f)) => k.is(f),
                _ => false,
            };
            if same {
                return Ok(Arc::clone(op));
            }
        }
    }
    // Resolved outside the lock: it runs Python code.
    let op = resolve(controller, func)?;
    let new = Some((func.map(|f| f.clone().unbind()), Arc::clone(&op)));
    let old = match plan.last.lock() {
        Ok(mut last) => std::mem::replace(&mut *last, new),
        Err(_) => None,
    };
    // Dropped after the lock is released: a decref may run Python code.
    drop(old);
    Ok(op)
}

/// Reads the controller's observability options (attributes a subclass may lack: the
/// defaults apply then).
pub fn compile(controller: &Bound<'_, PyAny>) -> PyResult<PlanObserve> {
    let py = controller.py();
    let metrics = match controller.getattr_opt(pyo3::intern!(py, "metrics"))? {
        Some(v) => v.is_truthy()?,
        None => true,
    };
    let levels = match controller.getattr_opt(pyo3::intern!(py, "log_levels"))? {
        Some(v) if !v.is_none() => {
            static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            let codes: [i64; 4] = CELL
                .import(py, "pertinax.logs", "_level_numbers")?
                .call1((v,))?
                .extract()?;
            Some(parse_levels(&codes)?)
        }
        _ => None,
    };
    let named = controller_name(controller)?.map(|n| metrics::operation(&n));
    Ok(PlanObserve {
        metrics,
        levels,
        named,
        last: std::sync::Mutex::new(None),
    })
}
