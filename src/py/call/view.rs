//! Where a stepped call keeps its state, and how the engine and Python reach it: in Rust
//! until Python code first asks for a `RetryCallState`, in that object from then on.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::Call;
use crate::num::Num;
use crate::py::call_state::RetryCallState;
use crate::state::{Core, Outcome, OutcomeRef, StateMut, StateView};

/// Where a stepped call keeps its state.
pub(super) enum Held {
    Native(Core),
    Py(Py<RetryCallState>),
}

impl Call {
    /// The call's `RetryCallState`, if it has made one.
    pub fn live_state(slf: &Bound<'_, Call>) -> PyResult<Option<Py<RetryCallState>>> {
        Ok(match &slf.try_borrow()?.held {
            Held::Py(rs) => Some(rs.clone_ref(slf.py())),
            Held::Native(_) => None,
        })
    }

    /// The call's `RetryCallState`, made now if the call has kept its state in Rust so far;
    /// from then on the engine works on that object.
    pub fn observe(slf: &Bound<'_, Call>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let owner = {
            let this = slf.try_borrow()?;
            if let Held::Py(rs) = &this.held {
                return Ok(rs.clone_ref(py).into_any());
            }
            match &this.owner {
                Some(o) => o.bind(py).clone(),
                None => py.None().into_bound(py),
            }
        };
        // Made, and the clock read, before the call is borrowed: both may run Python code.
        let now = crate::clock::monotonic(py)?;
        let rs = RetryCallState::create(
            py,
            &owner,
            &py.None().into_bound(py),
            PyTuple::empty(py).as_any(),
            PyDict::new(py).as_any(),
            Num::Int(0),
        )?;
        let mut this = slf.try_borrow_mut()?;
        let core = match &mut this.held {
            // Made meanwhile, by code that ran above.
            Held::Py(existing) => return Ok(existing.clone_ref(py).into_any()),
            Held::Native(core) => core,
        };
        {
            let mut state = rs.try_borrow_mut()?;
            std::mem::swap(&mut state.core, core);
            // The outcome was recorded without a timestamp (nobody could read it then).
            if state.core.outcome_timestamp.is_none()
                && !matches!(state.core.outcome, Outcome::Missing)
            {
                state.core.outcome_timestamp = Some(now);
            }
        }
        let rs = rs.unbind();
        this.held = Held::Py(rs.clone_ref(py));
        Ok(rs.into_any())
    }
}

/// The state of a stepped call, reached through the call at each access, each borrow
/// brief. Python code that runs during a step may turn the state into a `RetryCallState`
/// (by reading `attempt.retry_state`); the engine goes on with that object then.
pub struct CallView<'py> {
    pub(super) call: Bound<'py, Call>,
}

impl<'py> CallView<'py> {
    pub(super) fn read<R>(&self, f: impl FnOnce(&Core) -> R) -> PyResult<R> {
        let this = self.call.try_borrow()?;
        match &this.held {
            Held::Native(core) => Ok(f(core)),
            Held::Py(rs) => Ok(f(&rs.bind(self.call.py()).try_borrow()?.core)),
        }
    }
}

impl<'py> StateView<'py> for CallView<'py> {
    fn py(&self) -> Python<'py> {
        self.call.py()
    }
    fn attempt_number(&self) -> PyResult<Num> {
        self.read(|c| c.attempt_number.clone_ref(self.py()))
    }
    fn seconds_since_start(&self) -> PyResult<Option<Num>> {
        let readings = self.read(|c| c.clock_readings(self.py()))?;
        crate::state::elapsed(self.py(), readings)
    }
    fn upcoming_sleep(&self) -> PyResult<Num> {
        self.read(|c| c.upcoming_sleep.clone_ref(self.py()))
    }
    fn outcome(&self) -> PyResult<OutcomeRef<'py>> {
        self.read(|c| c.outcome.peek(self.py()))?
            .or_else(|fut| crate::state::resolve_future(&fut))
    }
    fn object(&self) -> PyResult<Bound<'py, PyAny>> {
        Ok(Call::observe(&self.call)?.into_bound(self.py()))
    }
}

impl<'py> StateMut<'py> for CallView<'py> {
    fn with_core<R>(&mut self, f: impl FnOnce(&mut Core) -> R) -> PyResult<R> {
        let mut this = self.call.try_borrow_mut()?;
        match &mut this.held {
            Held::Native(core) => Ok(f(core)),
            Held::Py(rs) => Ok(f(&mut rs.bind(self.call.py()).try_borrow_mut()?.core)),
        }
    }
    fn observable(&self) -> bool {
        self.call
            .try_borrow()
            .map(|this| matches!(this.held, Held::Py(_)))
            .unwrap_or(true)
    }
}
