//! `AttemptManager`: the context manager the `for attempt in Retrying()` loop hands out.
//!
//! A user may build one around any object with tenacity's `set_result` and `set_exception`
//! (`AttemptManager(retry_state)`), and it calls those methods, as tenacity's does. The loop
//! makes its own without a `RetryCallState` when no callback needs one: the outcome goes
//! straight into the engine's `Call`, and `attempt.retry_state` is made the first time
//! someone reads it (from then on the call keeps that object).

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::{PyTraverseError, PyVisit};

use crate::names;
use crate::py::call::Call;
use crate::py::call_state::RetryCallState;
use crate::state::Outcome;

enum Target {
    /// A state object given by the caller: its own methods record the outcome.
    State(Py<PyAny>),
    /// The engine's own state object for this call.
    Live(Py<RetryCallState>),
    /// A call that keeps its state in Rust until Python asks for it.
    Lazy(Py<Call>),
}

#[pyclass(frozen, module = "pertinax", name = "AttemptManager")]
pub struct AttemptManager {
    target: Target,
}

impl AttemptManager {
    pub fn live(state: Py<RetryCallState>) -> Self {
        AttemptManager {
            target: Target::Live(state),
        }
    }

    pub fn lazy(call: Py<Call>) -> Self {
        AttemptManager {
            target: Target::Lazy(call),
        }
    }

    /// Records the body's outcome on the call's state.
    fn record(&self, py: Python<'_>, outcome: Outcome) -> PyResult<()> {
        match &self.target {
            Target::State(state) => match outcome {
                Outcome::Returned(v) => state
                    .bind(py)
                    .call_method1(names::set_result(py), (v,))
                    .map(drop),
                _ => Err(crate::errors::internal(
                    "an exception for a caller's state goes through set_exception",
                )),
            },
            Target::Live(state) => {
                let now = crate::clock::monotonic(py)?;
                let released = state
                    .bind(py)
                    .try_borrow_mut()?
                    .core
                    .put_outcome(outcome, Some(now));
                drop(released);
                Ok(())
            }
            Target::Lazy(call) => Call::record(call.bind(py), outcome),
        }
    }
}

#[pymethods]
impl AttemptManager {
    #[new]
    fn py_new(retry_state: Py<PyAny>) -> Self {
        AttemptManager {
            target: Target::State(retry_state),
        }
    }

    #[getter]
    fn retry_state(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match &self.target {
            Target::State(state) => Ok(state.clone_ref(py)),
            Target::Live(state) => Ok(state.clone_ref(py).into_any()),
            Target::Lazy(call) => Call::observe(call.bind(py)),
        }
    }

    fn __enter__(&self) {}

    /// Records how the body ended. Every exception, `BaseException` included, is stored and
    /// swallowed (`True`); the loop's next step decides whether it is raised.
    #[pyo3(signature = (exc_type, exc_value, traceback))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: &Bound<'_, PyAny>,
        exc_value: &Bound<'_, PyAny>,
        traceback: &Bound<'_, PyAny>,
    ) -> PyResult<Option<bool>> {
        if !exc_type.is_none() && !exc_value.is_none() {
            if let Target::State(state) = &self.target {
                // The triple as it came, for a state object of the caller's own.
                let info = PyTuple::new(py, [exc_type, exc_value, traceback])?;
                state
                    .bind(py)
                    .call_method1(names::set_exception(py), (info,))?;
            } else {
                self.record(py, Outcome::Raised(exc_value.clone().unbind()))?;
            }
            return Ok(Some(true));
        }
        // The body's value is not visible to a context manager: the outcome is None.
        self.record(py, Outcome::Returned(py.None()))?;
        Ok(None)
    }

    fn __aenter__(&self, py: Python<'_>) -> Ready {
        Ready {
            value: Some(py.None()),
        }
    }

    #[pyo3(signature = (exc_type, exc_value, traceback))]
    fn __aexit__(
        &self,
        py: Python<'_>,
        exc_type: &Bound<'_, PyAny>,
        exc_value: &Bound<'_, PyAny>,
        traceback: &Bound<'_, PyAny>,
    ) -> PyResult<Ready> {
        let swallowed = self.__exit__(py, exc_type, exc_value, traceback)?;
        Ok(Ready {
            value: Some(match swallowed {
                Some(b) => pyo3::types::PyBool::new(py, b)
                    .to_owned()
                    .into_any()
                    .unbind(),
                None => py.None(),
            }),
        })
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        match &self.target {
            Target::State(o) => visit.call(o),
            Target::Live(o) => visit.call(o),
            Target::Lazy(o) => visit.call(o),
        }
    }
}

/// An awaitable that is done at once with `value`: what `__aenter__` and `__aexit__` return.
#[pyclass(module = "pertinax._pertinax", name = "Ready")]
pub struct Ready {
    value: Option<Py<PyAny>>,
}

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match self.value.take() {
            Some(v) if v.is_none(py) => Ok(None),
            Some(v) => Err(PyStopIteration::new_err((v,))),
            None => Ok(None),
        }
    }

    /// Ends at once, like the first `__next__`; as with a coroutine that has not started, a
    /// value other than None is refused.
    fn send(&mut self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        if !value.is_none() && self.value.is_some() {
            return Err(crate::errors::Error::SentBeforeStart("coroutine").into());
        }
        let value = self.value.take().unwrap_or_else(|| py.None());
        Err(PyStopIteration::new_err((value,)))
    }

    #[pyo3(signature = (exc, *_rest))]
    fn throw(&mut self, exc: Bound<'_, PyAny>, _rest: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.value = None;
        let err = if exc.is_instance_of::<pyo3::exceptions::PyBaseException>() {
            PyErr::from_value(exc)
        } else {
            PyErr::from_value(exc.call0()?)
        };
        Err(err)
    }

    fn close(&mut self) {
        self.value = None;
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(v) = &self.value {
            visit.call(v)?;
        }
        Ok(())
    }
}
