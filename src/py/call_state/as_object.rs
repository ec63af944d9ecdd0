//! What a `RetryCallState` shares with tenacity's plain Python object: its repr, the name
//! of its function, and how it copies and pickles.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::RetryCallState;
use crate::names;

pub(super) fn fn_name(slf: &Bound<'_, RetryCallState>) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    // Read out first: naming them runs Python code.
    let (func, owner) = {
        let this = slf.try_borrow()?;
        (this.r#fn.clone_ref(py), this.retry_object.clone_ref(py))
    };
    if !func.is_none(py) {
        return Ok(names::get_callback_name(py)?.call1((func,))?.unbind());
    }
    Ok(owner.bind(py).str()?.into_any().unbind())
}

pub(super) fn repr(slf: &Bound<'_, RetryCallState>) -> PyResult<String> {
    let py = slf.py();
    let clsname = slf.get_type().name()?.to_string();
    let (attempt, idle, outcome) = {
        let this = slf.try_borrow()?;
        (
            this.core.attempt_number.to_py(py),
            this.core.idle_for.to_py(py),
            this.core.outcome.clone_ref(py),
        )
    };
    let rounded = names::builtin_round(py)?.call1((idle, 2))?;
    let slept: f64 = rounded.extract()?;
    let slept = pyo3::types::PyFloat::new(py, slept).repr()?.to_string();
    let last = match outcome.resolve(py)? {
        crate::state::OutcomeRef::Missing => "none yet".to_owned(),
        crate::state::OutcomeRef::Raised(e) => {
            format!("failed ({} {})", e.get_type().name()?, e.str()?)
        }
        crate::state::OutcomeRef::Returned(v) => format!("returned {}", v.str()?),
    };
    Ok(format!(
        "<{clsname} {}: attempt #{}; slept for {slept}; last result: {last}>",
        slf.as_ptr() as usize,
        attempt.str()?
    ))
}

/// Copies and pickles like tenacity's plain Python object: the constructor arguments,
/// then every attribute (the state's own and any set on it) as the state.
pub(super) fn reduce<'py>(slf: &Bound<'py, RetryCallState>) -> PyResult<Bound<'py, PyTuple>> {
    let py = slf.py();
    let (ctor, state) = {
        let this = slf.try_borrow()?;
        let ctor = PyTuple::new(
            py,
            [
                this.retry_object.clone_ref(py),
                this.r#fn.clone_ref(py),
                this.args.clone_ref(py),
                this.kwargs.clone_ref(py),
            ],
        )?;
        (ctor, PyDict::new(py))
    };
    for name in [
        "start_time",
        "attempt_number",
        "outcome",
        "outcome_timestamp",
        "idle_for",
        "next_action",
        "upcoming_sleep",
    ] {
        state.set_item(name, slf.getattr(name)?)?;
    }
    if let Ok(extra) = slf.getattr(pyo3::intern!(py, "__dict__")) {
        state.update(extra.cast::<pyo3::types::PyMapping>()?)?;
    }
    PyTuple::new(
        py,
        [slf.get_type().into_any(), ctor.into_any(), state.into_any()],
    )
}

pub(super) fn set_state(
    slf: &Bound<'_, RetryCallState>,
    state: &Bound<'_, PyDict>,
) -> PyResult<()> {
    for (name, value) in state.iter() {
        slf.setattr(name.cast::<pyo3::types::PyString>()?, value)?;
    }
    Ok(())
}
