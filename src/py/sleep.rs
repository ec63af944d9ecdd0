//! The sleep between attempts, as the engine carries it out.

use pyo3::prelude::*;

use crate::engine::Plan;
use crate::names;
use crate::num::Num;

/// Calls the plan's sleep with a `DoSleep`.
///
/// The default sleep (`pertinax.nap.sleep`) only calls `time.sleep`, looked up at call time;
/// the engine does that lookup itself and calls the current `time.sleep` directly, which
/// keeps `mock.patch("time.sleep")` working and saves a Python frame. A zero wait, while
/// `time.sleep` is the real one, is skipped: nothing could observe it, and it costs a
/// system call.
pub fn sleep<'py>(py: Python<'py>, plan: &Plan, secs: &Num) -> PyResult<Bound<'py, PyAny>> {
    if plan.skip_sleep {
        // Testing mode: the sleep is not called at all (async drivers check `skips_sleep`).
        return Ok(py.None().into_bound(py));
    }
    if plan.sleep_is_default {
        let current = names::time_attr(py, names::sleep(py))?;
        if secs.is_zero() {
            if current.is(names::original_time_sleep(py)?) {
                return Ok(py.None().into_bound(py));
            }
            return current.call1((zero_sleep(py)?,));
        }
        return current.call1((names::do_sleep(py)?.call1((secs.to_py(py),))?,));
    }
    if let Some(e) = &plan.sleep_error {
        return Err(e.clone().into());
    }
    let arg = if secs.is_zero() {
        zero_sleep(py)?.clone()
    } else {
        names::do_sleep(py)?.call1((secs.to_py(py),))?
    };
    plan.sleep.bind(py).call1((arg,))
}

/// One shared `DoSleep(0.0)`: most retries in tests and benchmarks wait zero seconds.
fn zero_sleep(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CELL: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    CELL.get_or_try_init(py, || {
        Ok::<_, PyErr>(names::do_sleep(py)?.call1((0.0,))?.unbind())
    })
    .map(|v| v.bind(py))
}
