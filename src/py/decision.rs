//! One decision over a state that Python drives itself: `BaseRetrying.iter(retry_state)`,
//! for the subclasses that tenacity's own Python loop runs.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::engine::{Machine, Resume};
use crate::py::call::{step_tuple, Call, AWAIT};
use crate::py::call_state::RetryCallState;
use crate::py::plan_cache::Engine;
use crate::stats::Stats;

/// A `Call` over a state that Python drives itself (`BaseRetrying.iter(retry_state)`): its
/// counts go on from what the statistics dict already says.
fn decision(
    engine: &Bound<'_, Engine>,
    controller: &Bound<'_, PyAny>,
    retry_state: &Bound<'_, RetryCallState>,
    statistics: Option<Bound<'_, PyDict>>,
    is_async: bool,
) -> PyResult<Call> {
    let py = controller.py();
    let plan = engine.get().plan(controller, is_async)?;
    let stats = Stats::continuing(statistics)?;
    let func = retry_state.try_borrow()?.r#fn.clone_ref(py);
    let op = crate::py::observe::operation_for(&plan.observe, controller, Some(func.bind(py)))?;
    let mut machine = Machine::new(plan, stats);
    machine.obs.attach(op, false);
    Ok(Call::over_state(machine, retry_state.clone().unbind()))
}

/// `BaseRetrying.iter(retry_state)`: one synchronous decision.
#[pyfunction]
pub fn step<'py>(
    py: Python<'py>,
    engine: &Bound<'py, Engine>,
    controller: &Bound<'py, PyAny>,
    retry_state: &Bound<'py, RetryCallState>,
    statistics: Option<Bound<'py, PyDict>>,
) -> PyResult<(u8, Bound<'py, PyAny>)> {
    let call = Bound::new(
        py,
        decision(engine, controller, retry_state, statistics, false)?,
    )?;
    let (kind, value) = step_tuple(py, Call::step(&call, Resume::Nothing)?);
    if kind == AWAIT {
        return Err(crate::errors::internal(
            "a synchronous decision was asked to await a callback",
        ));
    }
    Ok((kind, value))
}

/// `AsyncRetrying.iter(retry_state)`: one decision, stepped by the caller, which awaits what
/// it is asked to.
#[pyfunction]
pub fn async_decision(
    engine: &Bound<'_, Engine>,
    controller: &Bound<'_, PyAny>,
    retry_state: &Bound<'_, RetryCallState>,
    statistics: Option<Bound<'_, PyDict>>,
) -> PyResult<Call> {
    decision(engine, controller, retry_state, statistics, true)
}
