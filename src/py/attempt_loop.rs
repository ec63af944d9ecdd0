//! `AttemptLoop`: the native iterator of `for attempt in controller:`.

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::{PyTraverseError, PyVisit};

use crate::engine::{Resume, Step};
use crate::errors::Error;
use crate::py::attempt::AttemptManager;
use crate::py::call::Call;
use crate::py::routing::{route, Route};
use crate::py::sleep::sleep;
use crate::stats::Stats;

/// The iterator of `for attempt in controller:`. It is apart from its `Call` because each
/// `AttemptManager` keeps the call alive (for `attempt.retry_state` after the loop): when
/// the loop is left (`break`, `return`, an exception) this iterator goes away, and the call
/// is counted as ended then, as tenacity's generator would be closed.
#[pyclass(frozen, module = "pertinax._pertinax", name = "AttemptLoop")]
pub struct AttemptLoop {
    call: Py<Call>,
    /// `next()` has run once: a generator refuses a value sent before that.
    started: std::sync::atomic::AtomicBool,
}

#[pymethods]
impl AttemptLoop {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The loop `for attempt in controller:`: the next `AttemptManager`, after any sleep the
    /// engine decides on. A give-up raises; the end of the call stops the loop, with the
    /// final value discarded, as tenacity's generator does. The call is borrowed only
    /// between the Python code that runs here (strategies, hooks, the clock, the sleep).
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, AttemptManager>>> {
        self.started
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let slf = self.call.bind(py);
        loop {
            let (finished, stepping) = Call::finished_or_stepping(slf)?;
            if finished {
                return Ok(None);
            }
            if stepping {
                // A callback of this loop's own step asked for the next attempt: refused,
                // and the running step goes on.
                return Err(Error::AlreadyRunning.into());
            }
            match Call::step(slf, Resume::Nothing) {
                Ok(Step::Attempt) => {
                    let manager = match Call::live_state(slf)? {
                        Some(rs) => AttemptManager::live(rs),
                        None => AttemptManager::lazy(slf.clone().unbind()),
                    };
                    return Bound::new(py, manager).map(Some);
                }
                Ok(Step::Sleep(secs)) => {
                    Call::prepare_next(slf)?;
                    let plan = Call::plan_of(slf)?;
                    if let Err(e) = sleep(py, &plan, &secs) {
                        Call::finish(slf)?;
                        Call::conclude(slf);
                        return Err(e);
                    }
                }
                Ok(Step::Return(_)) => {
                    Call::finish(slf)?;
                    return Ok(None);
                }
                Ok(Step::Await(_)) => {
                    Call::finish(slf)?;
                    return Err(crate::errors::internal(
                        "a synchronous loop was asked to await a callback",
                    ));
                }
                Err(e) => {
                    Call::finish(slf)?;
                    return Err(e);
                }
            }
        }
    }

    /// A generator's `send`: the loop takes no values, so it is `next()`; as with a generator
    /// that has not started, a value other than None is refused.
    fn send<'py>(
        &self,
        py: Python<'py>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, AttemptManager>> {
        if !value.is_none() && !self.started.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(crate::errors::Error::SentBeforeStart("generator").into());
        }
        match self.__next__(py)? {
            Some(manager) => Ok(manager),
            None => Err(pyo3::exceptions::PyStopIteration::new_err(())),
        }
    }

    /// A generator's `throw`: the loop ends, and the exception comes back out of it.
    #[pyo3(signature = (exc, *_rest))]
    fn throw(
        &self,
        py: Python<'_>,
        exc: Bound<'_, PyAny>,
        _rest: &Bound<'_, PyTuple>,
    ) -> PyResult<()> {
        self.close(py)?;
        Err(
            if exc.is_instance_of::<pyo3::exceptions::PyBaseException>() {
                PyErr::from_value(exc)
            } else {
                PyErr::from_value(exc.call0()?)
            },
        )
    }

    /// A generator's `close`: the loop ends here, counted as left from inside the loop.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let call = self.call.bind(py);
        Call::finish(call)?;
        Call::conclude(call);
        Ok(())
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.call)
    }
}

impl Drop for AttemptLoop {
    fn drop(&mut self) {
        let _ = Python::try_attach(|py| Call::conclude(self.call.bind(py)));
    }
}

/// `for attempt in controller:` (`BaseRetrying.__iter__`). A disabled controller, or one
/// whose class overrides `iter` or `begin`, gets the Python generator that tenacity would
/// run; otherwise the engine runs the loop: a call with no function, attempted by the
/// loop's body, which keeps its state in Rust until Python asks for `attempt.retry_state`
/// (or a callback needs it).
#[pyfunction]
pub fn iterate<'py>(controller: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = controller.py();
    let (plan, statistics) = match route(controller)? {
        Route::Disabled => return controller.call_method0(pyo3::intern!(py, "_iterate_disabled")),
        Route::Python => return controller.call_method0(pyo3::intern!(py, "_iterate_with_iter")),
        Route::Engine(plan, statistics) => (plan, statistics),
    };
    let start = crate::clock::monotonic(py)?;
    let stats = Stats::new(Some(statistics));
    stats.begin(py, &start)?;
    let op = crate::py::observe::operation_for(&plan.observe, controller, None)?;
    let observable = plan.needs_state;
    let mut call = Call::started(
        py,
        plan,
        stats,
        controller,
        &py.None().into_bound(py),
        &PyTuple::empty(py),
        None,
        start,
        op,
        observable,
    )?;
    call.set_owner(controller.clone().unbind());
    Ok(Bound::new(
        py,
        AttemptLoop {
            call: Py::new(py, call)?,
            started: std::sync::atomic::AtomicBool::new(false),
        },
    )?
    .into_any())
}
