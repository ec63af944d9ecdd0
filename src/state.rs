//! Per-call state as plain Rust data, and the views the strategies read it through.
//!
//! A call that no Python code can observe keeps its state in a [`Core`] on the Rust stack. When
//! a Python callback needs a `RetryCallState`, the same `Core` lives inside that object instead,
//! so the engine and the strategies work the same way on both: they see the state only through
//! the [`StateView`] and [`StateMut`] traits (the views over Python objects live with the
//! bindings, in `py::views`).

use pyo3::prelude::*;

use crate::names;
use crate::num::Num;

/// The outcome of the latest attempt.
#[derive(Debug)]
pub enum Outcome {
    Missing,
    Returned(Py<PyAny>),
    Raised(Py<PyAny>),
    /// A `Future` that Python code stored in `retry_state.outcome` itself.
    Future(Py<PyAny>),
}

/// What a strategy sees of an outcome.
pub enum OutcomeRef<'py> {
    Missing,
    Returned(Bound<'py, PyAny>),
    Raised(Bound<'py, PyAny>),
}

impl Outcome {
    pub fn resolve<'py>(&self, py: Python<'py>) -> PyResult<OutcomeRef<'py>> {
        Ok(match self {
            Outcome::Missing => OutcomeRef::Missing,
            Outcome::Returned(v) => OutcomeRef::Returned(v.bind(py).clone()),
            Outcome::Raised(e) => OutcomeRef::Raised(e.bind(py).clone()),
            Outcome::Future(f) => resolve_future(f.bind(py))?,
        })
    }

    /// What a strategy sees of the outcome, read under a borrow of the state: a stored
    /// `Future` comes back as `Err`, to be resolved once the borrow ends (that runs Python
    /// code). No `Py` is made on the way: a `Bound` is released without the thread-local
    /// check that dropping a `Py` costs.
    pub fn peek<'py>(&self, py: Python<'py>) -> Result<OutcomeRef<'py>, Bound<'py, PyAny>> {
        match self {
            Outcome::Missing => Ok(OutcomeRef::Missing),
            Outcome::Returned(v) => Ok(OutcomeRef::Returned(v.bind(py).clone())),
            Outcome::Raised(e) => Ok(OutcomeRef::Raised(e.bind(py).clone())),
            Outcome::Future(f) => Err(f.bind(py).clone()),
        }
    }

    pub fn clone_ref(&self, py: Python<'_>) -> Outcome {
        match self {
            Outcome::Missing => Outcome::Missing,
            Outcome::Returned(v) => Outcome::Returned(v.clone_ref(py)),
            Outcome::Raised(e) => Outcome::Raised(e.clone_ref(py)),
            Outcome::Future(f) => Outcome::Future(f.clone_ref(py)),
        }
    }
}

/// What a finished `Future` holds: its exception, or its result.
#[cold]
pub fn resolve_future<'py>(fut: &Bound<'py, PyAny>) -> PyResult<OutcomeRef<'py>> {
    let exc = fut.call_method0(names::exception(fut.py()))?;
    if exc.is_none() {
        Ok(OutcomeRef::Returned(
            fut.call_method0(names::result(fut.py()))?,
        ))
    } else {
        Ok(OutcomeRef::Raised(exc))
    }
}

/// The next action once a sleep is decided: kept as a number until Python asks for the
/// `RetryAction` object.
#[derive(Debug)]
pub enum NextAction {
    Missing,
    Sleep(Num),
    Py(Py<PyAny>),
}

/// Everything tenacity keeps on a `RetryCallState` that the engine reads or writes.
#[derive(Debug)]
pub struct Core {
    pub start_time: Num,
    pub attempt_number: Num,
    pub outcome: Outcome,
    /// The `Future` made for `outcome` the first time Python asked for it.
    pub future: Option<Py<PyAny>>,
    pub outcome_timestamp: Option<Num>,
    pub idle_for: Num,
    pub upcoming_sleep: Num,
    pub next_action: NextAction,
    /// What ended the retries early, when it was not the stop strategy: "budget" (the retry
    /// budget was empty) or "breaker" (the circuit breaker opened).
    pub stopped_by: Option<&'static str>,
}

impl Core {
    pub fn new(start_time: Num) -> Self {
        Core {
            start_time,
            attempt_number: Num::Int(1),
            outcome: Outcome::Missing,
            future: None,
            outcome_timestamp: None,
            idle_for: Num::Float(0.0),
            upcoming_sleep: Num::Float(0.0),
            next_action: NextAction::Missing,
            stopped_by: None,
        }
    }

    pub fn seconds_since_start(&self, py: Python<'_>) -> PyResult<Option<Num>> {
        elapsed(py, self.clock_readings(py))
    }

    /// Moves to attempt `next` (the current number plus one, worked out by the caller, since
    /// that sum may run Python code). Returns what it replaced, for the caller to drop once
    /// no borrow is held: releasing an object may run its `__del__`.
    pub fn reset_for_attempt(&mut self, next: Num) -> Released {
        self.outcome_timestamp = None;
        Released(
            std::mem::replace(&mut self.outcome, Outcome::Missing),
            self.future.take(),
            std::mem::replace(&mut self.next_action, NextAction::Missing),
            std::mem::replace(&mut self.attempt_number, next),
        )
    }

    /// Records an outcome; returns what it replaced (see `reset_for_attempt`).
    pub fn put_outcome(&mut self, outcome: Outcome, timestamp: Option<Num>) -> Released {
        self.outcome_timestamp = timestamp;
        Released(
            std::mem::replace(&mut self.outcome, outcome),
            self.future.take(),
            NextAction::Missing,
            Num::ZERO,
        )
    }

    /// `(outcome_timestamp, start_time)`, for `seconds_since_start` worked out outside any
    /// borrow (the subtraction may run Python code).
    pub fn clock_readings(&self, py: Python<'_>) -> (Option<Num>, Num) {
        (
            self.outcome_timestamp.as_ref().map(|t| t.clone_ref(py)),
            self.start_time.clone_ref(py),
        )
    }

    /// The outcome's `Future`, or what it takes to make one (outside the borrow: making it
    /// runs Python code).
    pub fn future_of(&self, py: Python<'_>) -> FutureOf {
        if let Some(f) = &self.future {
            return FutureOf::Made(f.clone_ref(py));
        }
        match &self.outcome {
            Outcome::Missing => FutureOf::Missing,
            Outcome::Future(f) => FutureOf::Made(f.clone_ref(py)),
            Outcome::Returned(v) => {
                FutureOf::ToMake(self.attempt_number.clone_ref(py), v.clone_ref(py), false)
            }
            Outcome::Raised(e) => {
                FutureOf::ToMake(self.attempt_number.clone_ref(py), e.clone_ref(py), true)
            }
        }
    }

    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        for n in [
            &self.start_time,
            &self.attempt_number,
            &self.idle_for,
            &self.upcoming_sleep,
        ] {
            if let Num::Py(o) = n {
                visit.call(o)?;
            }
        }
        if let Some(Num::Py(o)) = &self.outcome_timestamp {
            visit.call(o)?;
        }
        match &self.outcome {
            Outcome::Missing => {}
            Outcome::Returned(o) | Outcome::Raised(o) | Outcome::Future(o) => visit.call(o)?,
        }
        if let Some(f) = &self.future {
            visit.call(f)?;
        }
        match &self.next_action {
            NextAction::Py(o) | NextAction::Sleep(Num::Py(o)) => visit.call(o)?,
            _ => {}
        }
        Ok(())
    }

    pub fn clear(&mut self) {
        self.outcome = Outcome::Missing;
        self.future = None;
        self.next_action = NextAction::Missing;
        self.start_time = Num::Float(0.0);
        self.attempt_number = Num::Int(1);
        self.idle_for = Num::Float(0.0);
        self.upcoming_sleep = Num::Float(0.0);
        self.outcome_timestamp = None;
    }
}

/// Values a state let go of, dropped by the caller once no borrow is held.
#[must_use]
#[allow(dead_code)] // the fields are only held, to be dropped later
pub struct Released(Outcome, Option<Py<PyAny>>, NextAction, Num);

/// See [`Core::future_of`].
pub enum FutureOf {
    Missing,
    Made(Py<PyAny>),
    /// The attempt number, the value or exception, and whether it is an exception.
    ToMake(Num, Py<PyAny>, bool),
}

impl FutureOf {
    /// The `Future`, made now if it has to be; `Ok(Err(made))` when it was made here and
    /// the state should keep it.
    pub fn resolve<'py>(self, py: Python<'py>) -> PyResult<(Option<Bound<'py, PyAny>>, bool)> {
        Ok(match self {
            FutureOf::Missing => (None, false),
            FutureOf::Made(f) => (Some(f.into_bound(py)), false),
            FutureOf::ToMake(n, v, raised) => {
                (Some(make_future(py, &n, v.bind(py), raised)?), true)
            }
        })
    }
}

/// `outcome_timestamp - start_time`, or `None` before the first outcome.
pub fn elapsed(py: Python<'_>, readings: (Option<Num>, Num)) -> PyResult<Option<Num>> {
    match readings {
        (None, _) => Ok(None),
        (Some(ts), start) => ts.sub(py, &start).map(Some),
    }
}

/// A finished tenacity `Future`, as `Future.construct` makes it.
#[cold]
pub fn make_future<'py>(
    py: Python<'py>,
    attempt_number: &Num,
    value: &Bound<'py, PyAny>,
    has_exception: bool,
) -> PyResult<Bound<'py, PyAny>> {
    names::future_class(py)?.call_method1(
        pyo3::intern!(py, "construct"),
        (attempt_number.to_py(py), value, has_exception),
    )
}

/// Read access to a call's state, whatever holds it. The strategies use only this.
pub trait StateView<'py> {
    fn py(&self) -> Python<'py>;
    fn attempt_number(&self) -> PyResult<Num>;
    fn seconds_since_start(&self) -> PyResult<Option<Num>>;
    fn upcoming_sleep(&self) -> PyResult<Num>;
    fn outcome(&self) -> PyResult<OutcomeRef<'py>>;
    /// The object handed to Python callables (a `RetryCallState`).
    fn object(&self) -> PyResult<Bound<'py, PyAny>>;
}

/// State that only Rust can see: the fast path.
pub struct NativeState<'a, 'py> {
    pub py: Python<'py>,
    pub core: &'a mut Core,
}

impl<'py> StateView<'py> for NativeState<'_, 'py> {
    fn py(&self) -> Python<'py> {
        self.py
    }
    fn attempt_number(&self) -> PyResult<Num> {
        Ok(self.core.attempt_number.clone_ref(self.py))
    }
    fn seconds_since_start(&self) -> PyResult<Option<Num>> {
        self.core.seconds_since_start(self.py)
    }
    fn upcoming_sleep(&self) -> PyResult<Num> {
        Ok(self.core.upcoming_sleep.clone_ref(self.py))
    }
    fn outcome(&self) -> PyResult<OutcomeRef<'py>> {
        self.core.outcome.resolve(self.py)
    }
    fn object(&self) -> PyResult<Bound<'py, PyAny>> {
        Err(crate::errors::internal(
            "a Python callable ran on a call planned without a RetryCallState",
        ))
    }
}

/// Write access for the engine. A closure sees the `Core` for as long as it runs and must not
/// call into Python.
pub trait StateMut<'py>: StateView<'py> {
    fn with_core<R>(&mut self, f: impl FnOnce(&mut Core) -> R) -> PyResult<R>;
    /// Whether Python code can see this state (then every timestamp is taken on time).
    fn observable(&self) -> bool;
}

impl<'py> StateMut<'py> for NativeState<'_, 'py> {
    fn with_core<R>(&mut self, f: impl FnOnce(&mut Core) -> R) -> PyResult<R> {
        Ok(f(self.core))
    }
    fn observable(&self) -> bool {
        false
    }
}
