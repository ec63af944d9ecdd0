//! The synchronous loop: one call of a decorated function (or `Retrying.__call__`), from its
//! first attempt to its result or its exception, all in Rust.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::engine::{Machine, Plan, Resume, Step};
use crate::observe::metrics::Operation;
use crate::py::call_state;
use crate::py::sleep::sleep;
use crate::py::views::PyState;
use crate::state::{Core, NativeState, Outcome, StateMut};
use crate::stats::Stats;

/// One synchronous call, from the first attempt to its result or its exception.
// The call's parts are passed as they are: bundling them would cost a struct per call.
#[allow(clippy::too_many_arguments)]
pub fn run_sync<'py>(
    py: Python<'py>,
    plan: &Arc<Plan>,
    controller: &Bound<'py, PyAny>,
    func: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
    stats: Option<Py<PyDict>>,
    op: &Arc<Operation>,
) -> PyResult<Bound<'py, PyAny>> {
    let (start, started_at) = crate::clock::monotonic_at(py)?;
    let stats = Stats::new(stats);
    stats.begin(py, &start)?;
    if plan.needs_state {
        let mut machine = Machine::new(Arc::clone(plan), stats);
        machine.obs.attach(Arc::clone(op), true);
        let rs = call_state::for_call(py, controller, func, args, kwargs, start)?;
        let mut st = PyState { obj: rs };
        return drive(&mut machine, &mut st, func, args, kwargs);
    }
    let mut core = Core::new(start);
    let mut first_attempt = None;
    let mut ticket = None;
    if plan.returns_first_success {
        // The first attempt, without the engine: a value returned here is the result. A
        // breaker admits it first, and hears how it went; a budget is credited a success.
        if let Some((guard, me)) = &plan.breaker {
            match guard.admit(me.bind(py)) {
                Ok(t) => ticket = Some(t),
                Err(e) => {
                    if plan.observe.metrics {
                        op.refused();
                    }
                    return Err(e);
                }
            }
        }
        let t0 = plan
            .observe
            .metrics
            .then(|| started_at.unwrap_or_else(std::time::Instant::now));
        match func.call(args, kwargs) {
            Ok(v) => {
                if let (Some(t), Some((guard, me))) = (ticket, &plan.breaker) {
                    guard.finish(me.bind(py), t, crate::resilience::breaker::Outcome::Success);
                }
                if let Some((guard, me)) = &plan.budget {
                    guard.on_success(me.bind(py));
                }
                if let Some(t0) = t0 {
                    crate::observe::report::fast_success(op, t0);
                }
                return Ok(v);
            }
            Err(e) => core.outcome = Outcome::Raised(e.into_value(py).into_any()),
        }
        first_attempt = Some(t0);
    }
    let mut machine = Machine::new(Arc::clone(plan), stats);
    machine.admitted(ticket);
    match first_attempt {
        Some(t0) => machine.obs.attach_started(Arc::clone(op), t0),
        None => machine.obs.attach(Arc::clone(op), true),
    }
    let mut st = NativeState {
        py,
        core: &mut core,
    };
    drive(&mut machine, &mut st, func, args, kwargs)
}

fn drive<'py, S: StateMut<'py>>(
    machine: &mut Machine,
    st: &mut S,
    func: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = st.py();
    loop {
        match machine.advance(st, Resume::Nothing)? {
            Step::Attempt => {
                let outcome = match func.call(args, kwargs) {
                    Ok(v) => Outcome::Returned(v.unbind()),
                    Err(e) => Outcome::Raised(e.into_value(py).into_any()),
                };
                crate::engine::record(st, outcome)?;
            }
            Step::Sleep(secs) => {
                crate::engine::prepare(st)?;
                sleep(py, &machine.plan, &secs)?;
            }
            Step::Return(v) => return Ok(v),
            Step::Await(_) => {
                return Err(crate::errors::internal(
                    "a synchronous call was asked to await a callback",
                ))
            }
        }
    }
}
