//! `Call`: one call driven step by step from Python, for the drivers that must yield or await
//! between steps (the async driver; the `for attempt in ...` loop drives it from Rust).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::engine::{self, with_context, Machine, Plan, Resume, Step};
use crate::num::Num;
use crate::py::call_state::{self, RetryCallState};
use crate::py::plan_cache::Engine;
use crate::py::sleep::sleep;
use crate::state::{Core, NativeState, Outcome};
use crate::stats::Stats;

mod view;

use view::CallView;
use view::Held;

/// A call driven step by step from Python.
#[pyclass(module = "pertinax._pertinax", name = "Call")]
pub struct Call {
    /// Out of the call while a step runs (`Call::step`): the step runs Python code, which
    /// may read this call's state, but never borrows the call for the whole step. Boxed,
    /// so lending it out moves a pointer, not the machine.
    machine: Option<Box<Machine>>,
    plan: Arc<Plan>,
    held: Held,
    /// The controller of a `for attempt in ...` loop, for the `RetryCallState` made when
    /// Python first asks for one.
    owner: Option<Py<PyAny>>,
    /// The loop has ended (returned or raised): `next()` stops from now on.
    finished: bool,
}

impl Call {
    /// A call whose statistics have begun; `observable` makes it hold a `RetryCallState`.
    #[allow(clippy::too_many_arguments)] // the parts of a call, each needed once
    pub fn started(
        py: Python<'_>,
        plan: Arc<Plan>,
        stats: Stats,
        controller: &Bound<'_, PyAny>,
        func: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
        start: Num,
        op: Arc<crate::observe::metrics::Operation>,
        observable: bool,
    ) -> PyResult<Self> {
        let held = if observable {
            Held::Py(call_state::for_call(py, controller, func, args, kwargs, start)?.unbind())
        } else {
            Held::Native(Core::new(start))
        };
        let mut machine = Machine::new(plan, stats);
        machine.obs.attach(op, true);
        Ok(Call::new(machine, held))
    }

    /// A call over a state Python holds (one decision of `BaseRetrying.iter`).
    pub fn over_state(machine: Machine, state: Py<RetryCallState>) -> Self {
        Call::new(machine, Held::Py(state))
    }

    fn new(machine: Machine, held: Held) -> Self {
        Call {
            plan: Arc::clone(&machine.plan),
            machine: Some(Box::new(machine)),
            held,
            owner: None,
            finished: false,
        }
    }

    /// A call whose first attempt the async driver ran itself and saw fail (the fast path
    /// of an async decorated function).
    pub fn after_failed_first_attempt(
        plan: Arc<Plan>,
        stats: Stats,
        op: Arc<crate::observe::metrics::Operation>,
        start: Num,
        t0: Option<std::time::Instant>,
        exc: Py<PyAny>,
    ) -> Self {
        let mut core = Core::new(start);
        core.outcome = Outcome::Raised(exc);
        let mut machine = Machine::new(plan, stats);
        machine.obs.attach_started(op, t0);
        Call::new(machine, Held::Native(core))
    }

    /// Runs `f` on the call's machine, taken out of the call meanwhile: no borrow of the
    /// call is held while `f` runs Python code. A step started from inside another step of
    /// the same call (a callback that calls `next()` on its own loop) is refused, as a
    /// running generator refuses it.
    fn with_machine<'py, R>(
        slf: &Bound<'py, Call>,
        f: impl FnOnce(&mut Machine, &mut CallView<'py>) -> PyResult<R>,
    ) -> PyResult<R> {
        let mut machine = match slf.try_borrow_mut()?.machine.take() {
            Some(m) => m,
            None => return Err(crate::errors::Error::AlreadyRunning.into()),
        };
        let mut view = CallView { call: slf.clone() };
        let out = f(&mut machine, &mut view);
        if let Ok(mut this) = slf.try_borrow_mut() {
            this.machine = Some(machine);
        }
        out
    }

    /// The engine's next step for this call.
    pub fn step<'py>(slf: &Bound<'py, Call>, resume: Resume<'py>) -> PyResult<Step<'py>> {
        Call::with_machine(slf, |machine, view| machine.advance(view, resume))
    }

    /// Records an attempt's outcome (the body of `with attempt:`, for a loop).
    pub fn record(slf: &Bound<'_, Call>, outcome: Outcome) -> PyResult<()> {
        crate::engine::record(&mut CallView { call: slf.clone() }, outcome)
    }

    /// Moves the call to its next attempt (before its sleep).
    pub fn prepare_next(slf: &Bound<'_, Call>) -> PyResult<()> {
        engine::prepare(&mut CallView { call: slf.clone() })
    }

    /// The plan the call runs under.
    pub fn plan_of(slf: &Bound<'_, Call>) -> PyResult<Arc<Plan>> {
        Ok(Arc::clone(&slf.try_borrow()?.plan))
    }

    /// Whether the loop over this call has ended, and whether one of the call's steps is
    /// running (its machine is lent out).
    pub fn finished_or_stepping(slf: &Bound<'_, Call>) -> PyResult<(bool, bool)> {
        let this = slf.try_borrow()?;
        Ok((this.finished, this.machine.is_none()))
    }

    /// Marks the loop over this call as ended: `next()` stops from now on.
    pub fn finish(slf: &Bound<'_, Call>) -> PyResult<()> {
        slf.try_borrow_mut()?.finished = true;
        Ok(())
    }

    /// The controller of a `for attempt in ...` loop (for the state made on demand).
    pub fn set_owner(&mut self, owner: Py<PyAny>) {
        self.owner = Some(owner);
    }

    /// Ends the observation of a call that no driver takes any further: a loop left from
    /// inside `with attempt:`, or a sleep that raised. The observer is told how the latest
    /// attempt went; what it logs or reports runs with the call not borrowed.
    pub fn conclude(slf: &Bound<'_, Call>) {
        let py = slf.py();
        // Most calls end through the engine, with nothing left to tell anyone.
        match slf.try_borrow() {
            Ok(this) => match &this.machine {
                Some(m) if m.left_unfinished() => {}
                _ => return,
            },
            Err(_) => return,
        }
        let _ = Call::with_machine(slf, |machine, view| {
            // The breaker and the budget hear how the last attempt went, metrics or not.
            if let Ok(last) = view.read(crate::observe::call::last_of) {
                machine.abandon_guards(py, last.0);
            }
            if machine.obs.unfinished() {
                if let Ok(last) = view.read(crate::observe::call::last_of) {
                    machine.obs.abandon(last.0, last.1);
                }
                machine.obs.end_unfinished();
            }
            Ok(())
        });
    }
}

/// Step kinds, as `Call.advance` reports them.
pub const ATTEMPT: u8 = 0;
pub const SLEEP: u8 = 1;
pub const RETURN: u8 = 2;
pub const AWAIT: u8 = 3;

pub fn step_tuple<'py>(py: Python<'py>, step: Step<'py>) -> (u8, Bound<'py, PyAny>) {
    match step {
        Step::Attempt => (ATTEMPT, py.None().into_bound(py)),
        Step::Sleep(s) => (SLEEP, s.to_py(py)),
        Step::Return(v) => (RETURN, v),
        Step::Await(a) => (AWAIT, a),
    }
}

#[pymethods]
impl Call {
    /// Starts a call. `observable` forces a `RetryCallState` even when no callback needs one
    /// (the `async for` loop hands it out through `attempt.retry_state`). Keyword arguments
    /// only: a row of positional booleans reads as nothing at the call site.
    #[new]
    #[pyo3(signature = (*, engine, controller, func, args, kwargs, statistics, is_async, observable))]
    #[allow(clippy::too_many_arguments)] // mirrors the Python constructor, one argument each
    fn py_new(
        py: Python<'_>,
        engine: &Bound<'_, Engine>,
        controller: &Bound<'_, PyAny>,
        func: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
        statistics: Option<Py<PyDict>>,
        is_async: bool,
        observable: bool,
    ) -> PyResult<Self> {
        let plan = engine.get().plan(controller, is_async)?;
        let start = crate::clock::monotonic(py)?;
        let stats = Stats::new(statistics);
        stats.begin(py, &start)?;
        let op = crate::py::observe::operation_for(&plan.observe, controller, Some(func))?;
        let observable = observable || plan.needs_state;
        Call::started(
            py, plan, stats, controller, func, args, kwargs, start, op, observable,
        )
    }

    /// The next step, as `(kind, value)`: `(ATTEMPT, None)`, `(SLEEP, seconds)`,
    /// `(RETURN, value)` or `(AWAIT, awaitable)`; a give-up raises. `value` is the result of the
    /// awaitable the previous step asked for.
    #[pyo3(signature = (value = None))]
    fn advance<'py>(
        slf: &Bound<'py, Self>,
        value: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(u8, Bound<'py, PyAny>)> {
        let resume = match value {
            Some(v) => Resume::Obj(v),
            None => Resume::Nothing,
        };
        Ok(step_tuple(slf.py(), Call::step(slf, resume)?))
    }

    fn set_result(slf: &Bound<'_, Self>, value: Py<PyAny>) -> PyResult<()> {
        Call::record(slf, Outcome::Returned(value))
    }

    fn set_exception(slf: &Bound<'_, Self>, exc: Py<PyAny>) -> PyResult<()> {
        Call::record(slf, Outcome::Raised(exc))
    }

    /// Moves to the next attempt; drivers call it right before sleeping.
    fn prepare(slf: &Bound<'_, Self>) -> PyResult<()> {
        crate::engine::prepare(&mut CallView { call: slf.clone() })
    }

    /// The plan was compiled in testing mode: the driver must not sleep (and `sleep()`
    /// returns None without calling anything).
    #[getter]
    fn skips_sleep(&self) -> bool {
        self.plan.skip_sleep
    }

    /// Calls the plan's sleep for `seconds` and returns what it returns (an awaitable for an
    /// async sleep).
    fn sleep<'py>(
        slf: &Bound<'py, Self>,
        seconds: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let plan = Arc::clone(&slf.try_borrow()?.plan);
        sleep(slf.py(), &plan, &Num::from_py(seconds))
    }

    /// Gives an exception raised by an awaited callback the user's exception as its context.
    fn add_context<'py>(slf: &Bound<'py, Self>, exc: Bound<'py, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let view = CallView { call: slf.clone() };
        // A copy of the outcome: resolving it, and setting the context, run Python code.
        let mut copy = Core::new(Num::Int(0));
        copy.outcome = view.read(|c| c.outcome.clone_ref(py))?;
        let st = NativeState {
            py,
            core: &mut copy,
        };
        with_context(&st, PyErr::from_value(exc));
        Ok(())
    }

    #[getter]
    fn retry_state(&self, py: Python<'_>) -> Py<PyAny> {
        match &self.held {
            Held::Py(rs) => rs.clone_ref(py).into_any(),
            Held::Native(_) => py.None(),
        }
    }

    #[getter]
    fn enabled(&self) -> bool {
        self.plan.enabled
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(machine) = &self.machine {
            machine.traverse(&visit)?;
        }
        if let Some(owner) = &self.owner {
            visit.call(owner)?;
        }
        match &self.held {
            Held::Native(core) => core.traverse(&visit),
            Held::Py(rs) => visit.call(rs),
        }
    }

    fn __clear__(&mut self) {
        self.owner = None;
        if let Held::Native(core) = &mut self.held {
            core.clear();
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        // Nothing else can reach a call being dropped: its own fields are read directly.
        let Some(machine) = self.machine.as_mut() else {
            return;
        };
        let guards = machine.holds_ticket() || machine.awaits_outcome();
        if !guards && !machine.obs.unfinished() {
            return;
        }
        let last = match &self.held {
            Held::Native(core) => Some(crate::observe::call::last_of(core)),
            Held::Py(rs) => Python::try_attach(|py| {
                rs.bind(py)
                    .try_borrow()
                    .ok()
                    .map(|s| crate::observe::call::last_of(&s.core))
            })
            .flatten(),
        };
        if guards {
            // The breaker and the budget hear how the last attempt went (with no interpreter
            // to tell them, the machine's own drop gives the breaker's slot back).
            if let Some((last, _)) = last {
                let _ = Python::try_attach(|py| machine.abandon_guards(py, last));
            }
        }
        if !machine.obs.unfinished() {
            return;
        }
        if let Some((last, attempt)) = last {
            machine.obs.abandon(last, attempt);
        }
        machine.obs.end_unfinished();
    }
}
