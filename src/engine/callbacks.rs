//! How the machine calls the plan's strategies and hooks, what it hands back into itself
//! (`Resume`), and the errors it raises: a give-up, or a callback's own error with the
//! attempt's exception as its context.

use pyo3::prelude::*;

use super::plan::Plan;
use crate::names;
use crate::num::Num;
use crate::state::{OutcomeRef, StateMut, StateView};
use crate::strategy::retry::Retry;
use crate::strategy::stop::Stop;
use crate::strategy::wait::Wait;
use crate::strategy::Callback;

/// A value handed back into the machine: the result of a strategy, or of an awaited callback.
pub enum Resume<'py> {
    Nothing,
    Bool(bool),
    Num(Num),
    Obj(Bound<'py, PyAny>),
}

impl<'py> Resume<'py> {
    pub fn truthy(&self) -> PyResult<bool> {
        match self {
            Resume::Nothing => Ok(false),
            Resume::Bool(b) => Ok(*b),
            Resume::Num(n) => Ok(!n.is_zero()),
            Resume::Obj(o) => o.is_truthy(),
        }
    }

    pub fn into_num(self) -> Num {
        match self {
            Resume::Num(n) => n,
            Resume::Obj(o) => Num::from_py(&o),
            Resume::Bool(b) => Num::Int(i64::from(b)),
            Resume::Nothing => Num::Int(0),
        }
    }

    pub fn into_obj(self, py: Python<'py>) -> Bound<'py, PyAny> {
        match self {
            Resume::Obj(o) => o,
            Resume::Num(n) => n.to_py(py),
            Resume::Bool(b) => pyo3::types::PyBool::new(py, b).to_owned().into_any(),
            Resume::Nothing => py.None().into_bound(py),
        }
    }
}

/// The error to raise when the stop strategy says stop and there is no callback.
#[cold]
pub fn give_up<'py, S: StateMut<'py>>(plan: &Plan, st: &mut S) -> PyErr {
    match try_give_up(plan, st) {
        Ok(e) | Err(e) => e,
    }
}

fn try_give_up<'py, S: StateMut<'py>>(plan: &Plan, st: &mut S) -> PyResult<PyErr> {
    let py = st.py();
    let (fut, made) = st.with_core(|c| c.future_of(py))?.resolve(py)?;
    let fut = match fut {
        Some(f) => {
            if made {
                let keep = f.clone().unbind();
                st.with_core(|c| c.future = Some(keep))?;
            }
            f
        }
        None => py.None().into_bound(py),
    };
    let err = plan.retry_error_cls.bind(py).call1((&fut,))?;
    if plan.reraise {
        // tenacity calls reraise() and, if it returns, raises the RetryError itself.
        err.call_method0(names::reraise(py))?;
    }
    let cause = match st.outcome()? {
        OutcomeRef::Raised(e) => e.into_any(),
        _ => py.None().into_bound(py),
    };
    let pyerr = PyErr::from_value(err);
    let value = pyerr.value(py);
    // `raise err from cause`: sets __cause__ and __suppress_context__.
    value.setattr(pyo3::intern!(py, "__cause__"), cause)?;
    Ok(pyerr)
}

/// Runs a before/after/before_sleep hook; an async hook hands back its awaitable.
pub fn hook<'py, S: StateMut<'py>>(
    st: &mut S,
    cb: &Callback,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let obj = st.object()?;
    let out = cb.call1(st.py(), obj).map_err(|e| with_context(st, e))?;
    Ok(if cb.is_async { Some(out) } else { None })
}

pub fn eval_retry<'py, S: StateMut<'py>>(st: &mut S, retry: &Retry) -> PyResult<Flow<'py>> {
    if let Retry::Python(cb) = retry {
        if cb.is_async {
            return Ok(Flow::Await(cb.call(st).map_err(|e| with_context(st, e))?));
        }
    }
    let v = retry.evaluate(st).map_err(|e| with_context(st, e))?;
    Ok(Flow::Ready(Resume::Bool(v)))
}

pub fn eval_wait<'py, S: StateMut<'py>>(st: &mut S, wait: &Wait) -> PyResult<Flow<'py>> {
    if let Wait::Python(cb) = wait {
        if cb.is_async {
            return Ok(Flow::Await(cb.call(st).map_err(|e| with_context(st, e))?));
        }
    }
    let v = wait.evaluate(st).map_err(|e| with_context(st, e))?;
    Ok(Flow::Ready(Resume::Num(v)))
}

pub fn eval_stop<'py, S: StateMut<'py>>(st: &mut S, stop: &Stop) -> PyResult<Flow<'py>> {
    if let Stop::Python(cb) = stop {
        if cb.is_async {
            return Ok(Flow::Await(cb.call(st).map_err(|e| with_context(st, e))?));
        }
    }
    let v = stop.evaluate(st).map_err(|e| with_context(st, e))?;
    Ok(Flow::Ready(Resume::Bool(v)))
}

pub enum Flow<'py> {
    Ready(Resume<'py>),
    Await(Bound<'py, PyAny>),
}

/// A failure in a callback or a strategy propagates as itself; the user's own exception, when
/// the attempt raised one, stays reachable as its `__context__`.
pub fn with_context<'py>(st: &dyn StateView<'py>, err: PyErr) -> PyErr {
    let py = st.py();
    if let Ok(OutcomeRef::Raised(user)) = st.outcome() {
        let value = err.value(py);
        if !value.is(&user) {
            let has_context = value
                .getattr(pyo3::intern!(py, "__context__"))
                .map(|c| !c.is_none())
                .unwrap_or(true);
            if !has_context {
                let _ = value.setattr(pyo3::intern!(py, "__context__"), user);
            }
        }
    }
    err
}
