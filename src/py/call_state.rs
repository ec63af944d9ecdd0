//! `RetryCallState`: tenacity's per-call state object, made only when Python code can see it.
//!
//! It behaves like a plain Python object: every attribute can be read and assigned (tests put
//! `Fraction`s in `start_time`), and it has a `__dict__` for attributes of the user's own
//! (stamina stores one in its retry predicate and reads it back in its wait).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::names;
use crate::num::Num;
use crate::state::{elapsed, Core, NextAction, Outcome};

mod as_object;

#[pyclass(dict, weakref, subclass, module = "pertinax", name = "RetryCallState")]
pub struct RetryCallState {
    /// Set once the fields are written. On CPython 3.11, `object.__new__` makes the instance
    /// `__dict__` of a just-allocated (zero-filled, already GC-tracked) object; that
    /// allocation can start a collection that traverses this object before PyO3 has written
    /// its fields. A zero byte here tells `__traverse__` there is nothing to visit yet.
    ready: bool,
    pub core: Core,
    // Read and written through the accessors below, which release a replaced value only
    // once the object is no longer borrowed (its `__del__` may run Python code).
    pub retry_object: Py<PyAny>,
    pub r#fn: Py<PyAny>,
    pub args: Py<PyAny>,
    pub kwargs: Py<PyAny>,
}

impl RetryCallState {
    pub fn create<'py>(
        py: Python<'py>,
        retry_object: &Bound<'py, PyAny>,
        func: &Bound<'py, PyAny>,
        args: &Bound<'py, PyAny>,
        kwargs: &Bound<'py, PyAny>,
        start_time: Num,
    ) -> PyResult<Bound<'py, RetryCallState>> {
        Bound::new(
            py,
            RetryCallState {
                ready: true,
                core: Core::new(start_time),
                retry_object: retry_object.clone().unbind(),
                r#fn: func.clone().unbind(),
                args: args.clone().unbind(),
                kwargs: kwargs.clone().unbind(),
            },
        )
    }
}

fn opt_num(py: Python<'_>, n: &Option<Num>) -> Py<PyAny> {
    match n {
        Some(n) => n.to_py(py).unbind(),
        None => py.None(),
    }
}

#[pymethods]
impl RetryCallState {
    #[new]
    #[pyo3(signature = (retry_object, r#fn, args, kwargs))]
    fn py_new(
        py: Python<'_>,
        retry_object: Py<PyAny>,
        r#fn: Py<PyAny>,
        args: Py<PyAny>,
        kwargs: Py<PyAny>,
    ) -> PyResult<Self> {
        Ok(RetryCallState {
            ready: true,
            core: Core::new(crate::clock::monotonic(py)?),
            retry_object,
            r#fn,
            args,
            kwargs,
        })
    }

    #[getter(retry_object)]
    fn get_retry_object(&self, py: Python<'_>) -> Py<PyAny> {
        self.retry_object.clone_ref(py)
    }
    #[setter(retry_object)]
    fn set_retry_object(slf: &Bound<'_, Self>, value: Py<PyAny>) -> PyResult<()> {
        let old = std::mem::replace(&mut slf.try_borrow_mut()?.retry_object, value);
        drop(old);
        Ok(())
    }

    #[getter]
    fn r#fn(&self, py: Python<'_>) -> Py<PyAny> {
        self.r#fn.clone_ref(py)
    }
    #[setter]
    fn set_fn(slf: &Bound<'_, Self>, value: Py<PyAny>) -> PyResult<()> {
        let old = std::mem::replace(&mut slf.try_borrow_mut()?.r#fn, value);
        drop(old);
        Ok(())
    }

    #[getter(args)]
    fn get_args(&self, py: Python<'_>) -> Py<PyAny> {
        self.args.clone_ref(py)
    }
    #[setter(args)]
    fn set_args(slf: &Bound<'_, Self>, value: Py<PyAny>) -> PyResult<()> {
        let old = std::mem::replace(&mut slf.try_borrow_mut()?.args, value);
        drop(old);
        Ok(())
    }

    #[getter(kwargs)]
    fn get_kwargs(&self, py: Python<'_>) -> Py<PyAny> {
        self.kwargs.clone_ref(py)
    }
    #[setter(kwargs)]
    fn set_kwargs(slf: &Bound<'_, Self>, value: Py<PyAny>) -> PyResult<()> {
        let old = std::mem::replace(&mut slf.try_borrow_mut()?.kwargs, value);
        drop(old);
        Ok(())
    }

    #[getter]
    fn start_time(&self, py: Python<'_>) -> Py<PyAny> {
        self.core.start_time.to_py(py).unbind()
    }
    #[setter]
    fn set_start_time(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let new = Num::from_py(value);
        let old = std::mem::replace(&mut slf.try_borrow_mut()?.core.start_time, new);
        drop(old);
        Ok(())
    }

    #[getter]
    fn attempt_number(&self, py: Python<'_>) -> Py<PyAny> {
        self.core.attempt_number.to_py(py).unbind()
    }
    #[setter]
    fn set_attempt_number(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let new = Num::from_py(value);
        let old = std::mem::replace(&mut slf.try_borrow_mut()?.core.attempt_number, new);
        drop(old);
        Ok(())
    }

    #[getter]
    fn outcome_timestamp(&self, py: Python<'_>) -> Py<PyAny> {
        opt_num(py, &self.core.outcome_timestamp)
    }
    #[setter]
    fn set_outcome_timestamp(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let new = (!value.is_none()).then(|| Num::from_py(value));
        let old = std::mem::replace(&mut slf.try_borrow_mut()?.core.outcome_timestamp, new);
        drop(old);
        Ok(())
    }

    #[getter]
    fn idle_for(&self, py: Python<'_>) -> Py<PyAny> {
        self.core.idle_for.to_py(py).unbind()
    }
    #[setter]
    fn set_idle_for(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let new = Num::from_py(value);
        let old = std::mem::replace(&mut slf.try_borrow_mut()?.core.idle_for, new);
        drop(old);
        Ok(())
    }

    #[getter]
    fn upcoming_sleep(&self, py: Python<'_>) -> Py<PyAny> {
        self.core.upcoming_sleep.to_py(py).unbind()
    }
    #[setter]
    fn set_upcoming_sleep(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let new = Num::from_py(value);
        let old = std::mem::replace(&mut slf.try_borrow_mut()?.core.upcoming_sleep, new);
        drop(old);
        Ok(())
    }

    /// The `Future` of the latest attempt, or `None`.
    #[getter]
    fn outcome(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        // Made outside the borrow: building a Future runs Python code.
        let pending = slf.try_borrow()?.core.future_of(py);
        let (fut, made) = pending.resolve(py)?;
        let Some(fut) = fut else {
            return Ok(py.None());
        };
        if made {
            slf.try_borrow_mut()?.core.future = Some(fut.clone().unbind());
        }
        Ok(fut.unbind())
    }
    #[setter]
    fn set_outcome(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let new = if value.is_none() {
            Outcome::Missing
        } else {
            Outcome::Future(value.clone().unbind())
        };
        let old = {
            let mut this = slf.try_borrow_mut()?;
            let timestamp = this.core.outcome_timestamp.take();
            this.core.put_outcome(new, timestamp)
        };
        drop(old);
        Ok(())
    }

    /// The `RetryAction` once a sleep is decided, else `None`.
    #[getter]
    fn next_action(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let sleep = {
            let this = slf.try_borrow()?;
            match &this.core.next_action {
                NextAction::Missing => return Ok(py.None()),
                NextAction::Py(o) => return Ok(o.clone_ref(py)),
                NextAction::Sleep(s) => s.clone_ref(py),
            }
        };
        let action = names::retry_action(py)?.call1((sleep.to_py(py),))?;
        slf.try_borrow_mut()?.core.next_action = NextAction::Py(action.clone().unbind());
        Ok(action.unbind())
    }
    #[setter]
    fn set_next_action(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let new = if value.is_none() {
            NextAction::Missing
        } else {
            NextAction::Py(value.clone().unbind())
        };
        let old = std::mem::replace(&mut slf.try_borrow_mut()?.core.next_action, new);
        drop(old);
        Ok(())
    }

    /// "budget" or "breaker" when one of them ended the retries before the stop strategy did.
    #[getter]
    fn stopped_by(&self) -> Option<&'static str> {
        self.core.stopped_by
    }

    /// `outcome_timestamp - start_time`, or `None` before the first outcome.
    #[getter]
    fn seconds_since_start(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let readings = slf.try_borrow()?.core.clock_readings(py);
        Ok(opt_num(py, &elapsed(py, readings)?))
    }

    fn prepare_for_next_attempt(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let current = slf.try_borrow()?.core.attempt_number.clone_ref(py);
        let next = current.add(py, &Num::Int(1))?;
        let released = slf.try_borrow_mut()?.core.reset_for_attempt(next);
        drop(released);
        Ok(())
    }

    fn set_result(slf: &Bound<'_, Self>, val: Py<PyAny>) -> PyResult<()> {
        let now = crate::clock::monotonic(slf.py())?;
        let released = slf
            .try_borrow_mut()?
            .core
            .put_outcome(Outcome::Returned(val), Some(now));
        drop(released);
        Ok(())
    }

    /// Takes a `(type, value, traceback)` triple, as `sys.exc_info()` gives it.
    fn set_exception(slf: &Bound<'_, Self>, exc_info: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = exc_info.get_item(1)?;
        let now = crate::clock::monotonic(slf.py())?;
        let released = slf
            .try_borrow_mut()?
            .core
            .put_outcome(Outcome::Raised(value.unbind()), Some(now));
        drop(released);
        Ok(())
    }

    fn get_fn_name(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        as_object::fn_name(slf)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        as_object::repr(slf)
    }

    /// Copies and pickles like tenacity's plain Python object.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        as_object::reduce(slf)
    }

    fn __setstate__(slf: &Bound<'_, Self>, state: &Bound<'_, PyDict>) -> PyResult<()> {
        as_object::set_state(slf, state)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if !self.ready {
            return Ok(());
        }
        visit.call(&self.retry_object)?;
        visit.call(&self.r#fn)?;
        visit.call(&self.args)?;
        visit.call(&self.kwargs)?;
        self.core.traverse(&visit)
    }

    fn __clear__(&mut self) {
        self.core.clear();
    }
}

/// Makes the state for a call whose callbacks will see it.
pub fn for_call<'py>(
    py: Python<'py>,
    controller: &Bound<'py, PyAny>,
    func: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
    start_time: Num,
) -> PyResult<Bound<'py, RetryCallState>> {
    let kwargs = match kwargs {
        Some(k) => k.clone().into_any(),
        None => PyDict::new(py).into_any(),
    };
    RetryCallState::create(py, controller, func, args.as_any(), &kwargs, start_time)
}
