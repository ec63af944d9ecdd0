//! Direct calls of built-in strategies from Python: `stop_after_attempt(3)(retry_state)` runs
//! the same Rust code as the engine.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::num::Num;
use crate::py::views::with_view;
use crate::stats::Stats;
use crate::strategy::retry::Retry;
use crate::strategy::stop::Stop;
use crate::strategy::wait::Wait;

#[pyfunction]
pub fn evaluate_stop(
    strategy: &Bound<'_, PyAny>,
    retry_state: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let stop = Stop::compile_native(strategy)?;
    with_view(retry_state, |view| stop.evaluate(view))
}

#[pyfunction]
pub fn evaluate_wait<'py>(
    strategy: &Bound<'py, PyAny>,
    retry_state: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let wait = Wait::compile_native(strategy)?;
    let value: Num = with_view(retry_state, |view| wait.evaluate(view))?;
    Ok(value.to_py(strategy.py()))
}

#[pyfunction]
pub fn evaluate_retry<'py>(
    strategy: &Bound<'py, PyAny>,
    retry_state: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let retry = Retry::compile_native(strategy)?;
    with_view(retry_state, |view| retry.value(view))
}

/// tenacity's `begin()` on a statistics dict.
#[pyfunction]
pub fn begin_statistics(py: Python<'_>, statistics: Py<PyDict>) -> PyResult<()> {
    let start = crate::clock::monotonic(py)?;
    Stats::new(Some(statistics)).begin(py, &start)
}

/// Called by the strategy base classes' `__setattr__` and `__delattr__`.
#[pyfunction]
pub fn strategy_changed(strategy: &Bound<'_, PyAny>) {
    crate::strategy::note_changed(strategy);
}
