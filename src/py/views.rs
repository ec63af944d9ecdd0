//! The views of a call's state held by Python objects: a `RetryCallState` (the engine's own
//! object, read and written in place) or any object that looks like one (read by attribute).

use pyo3::prelude::*;

use crate::names;
use crate::num::Num;
use crate::py::call_state::RetryCallState;
use crate::state::{elapsed, resolve_future, Core, OutcomeRef, StateMut, StateView};

/// State held by a `RetryCallState` object. Each access borrows it briefly, never across a
/// call into Python.
pub struct PyState<'py> {
    pub obj: Bound<'py, RetryCallState>,
}

impl<'py> StateView<'py> for PyState<'py> {
    fn py(&self) -> Python<'py> {
        self.obj.py()
    }
    fn attempt_number(&self) -> PyResult<Num> {
        Ok(self
            .obj
            .try_borrow()?
            .core
            .attempt_number
            .clone_ref(self.py()))
    }
    fn seconds_since_start(&self) -> PyResult<Option<Num>> {
        let readings = self.obj.try_borrow()?.core.clock_readings(self.py());
        elapsed(self.py(), readings)
    }
    fn upcoming_sleep(&self) -> PyResult<Num> {
        Ok(self
            .obj
            .try_borrow()?
            .core
            .upcoming_sleep
            .clone_ref(self.py()))
    }
    fn outcome(&self) -> PyResult<OutcomeRef<'py>> {
        let peeked = self.obj.try_borrow()?.core.outcome.peek(self.py());
        peeked.or_else(|fut| resolve_future(&fut))
    }
    fn object(&self) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.obj.clone().into_any())
    }
}

/// Any object that looks like a `RetryCallState` (a test double, say), read by attribute.
pub struct DuckState<'py> {
    pub obj: Bound<'py, PyAny>,
}

impl<'py> StateView<'py> for DuckState<'py> {
    fn py(&self) -> Python<'py> {
        self.obj.py()
    }
    fn attempt_number(&self) -> PyResult<Num> {
        Ok(Num::from_py(
            &self.obj.getattr(names::attempt_number(self.py()))?,
        ))
    }
    fn seconds_since_start(&self) -> PyResult<Option<Num>> {
        let v = self.obj.getattr(names::seconds_since_start(self.py()))?;
        Ok(if v.is_none() {
            None
        } else {
            Some(Num::from_py(&v))
        })
    }
    fn upcoming_sleep(&self) -> PyResult<Num> {
        Ok(Num::from_py(
            &self.obj.getattr(names::upcoming_sleep(self.py()))?,
        ))
    }
    fn outcome(&self) -> PyResult<OutcomeRef<'py>> {
        let fut = self.obj.getattr(names::outcome(self.py()))?;
        if fut.is_none() {
            return Ok(OutcomeRef::Missing);
        }
        resolve_future(&fut)
    }
    fn object(&self) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.obj.clone())
    }
}

impl<'py> StateMut<'py> for PyState<'py> {
    fn with_core<R>(&mut self, f: impl FnOnce(&mut Core) -> R) -> PyResult<R> {
        let mut guard = self.obj.try_borrow_mut()?;
        Ok(f(&mut guard.core))
    }
    fn observable(&self) -> bool {
        true
    }
}

/// Picks the view for an object handed in from Python.
pub fn with_view<'py, R>(
    obj: &Bound<'py, PyAny>,
    f: impl FnOnce(&dyn StateView<'py>) -> PyResult<R>,
) -> PyResult<R> {
    match obj.cast::<RetryCallState>() {
        Ok(rs) => f(&PyState { obj: rs.clone() }),
        Err(_) => f(&DuckState { obj: obj.clone() }),
    }
}
