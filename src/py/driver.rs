//! Drivers: they carry out what the engine decides.
//!
//! `run_sync` is the whole loop of a synchronous call, in Rust. `Call` exposes the same engine
//! step by step, for the drivers written in Python (the `for attempt in Retrying()` iterator and
//! the async driver), which need to yield or await between steps.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::engine::{with_context, Machine, Plan, Resume, Step};
use crate::metrics::Operation;
use crate::num::Num;
use crate::py::attempt::AttemptManager;
use crate::py::call_state::{self, RetryCallState};
use crate::py::engine::Engine;
use crate::py::interned;
use crate::state::{Core, NativeState, Outcome, PyState, StateMut};
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
    if plan.returns_first_success {
        // The first attempt, without the engine: a value returned here is the result.
        let t0 = plan
            .observe
            .metrics
            .then(|| started_at.unwrap_or_else(std::time::Instant::now));
        match func.call(args, kwargs) {
            Ok(v) => {
                if let Some(t0) = t0 {
                    crate::observe::fast_success(op, t0);
                }
                return Ok(v);
            }
            Err(e) => core.outcome = Outcome::Raised(e.into_value(py).into_any()),
        }
        first_attempt = Some(t0);
    }
    let mut machine = Machine::new(Arc::clone(plan), stats);
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
                machine.record(st, outcome)?;
            }
            Step::Sleep(secs) => {
                machine.prepare(st)?;
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

/// Calls the plan's sleep with a `DoSleep`.
///
/// The default sleep (`pertinax.nap.sleep`) only calls `time.sleep`, looked up at call time;
/// the engine does that lookup itself and calls the current `time.sleep` directly, which
/// keeps `mock.patch("time.sleep")` working and saves a Python frame. A zero wait, while
/// `time.sleep` is the real one, is skipped: nothing could observe it, and it costs a
/// system call.
fn sleep<'py>(py: Python<'py>, plan: &Plan, secs: &Num) -> PyResult<Bound<'py, PyAny>> {
    if plan.skip_sleep {
        // Testing mode: the sleep is not called at all (async drivers check `skips_sleep`).
        return Ok(py.None().into_bound(py));
    }
    if plan.sleep_is_default {
        let current = interned::time_attr(py, interned::sleep(py))?;
        if secs.is_zero() {
            if current.is(interned::original_time_sleep(py)?) {
                return Ok(py.None().into_bound(py));
            }
            return current.call1((zero_sleep(py)?,));
        }
        return current.call1((interned::do_sleep(py)?.call1((secs.to_py(py),))?,));
    }
    let arg = if secs.is_zero() {
        zero_sleep(py)?.clone()
    } else {
        interned::do_sleep(py)?.call1((secs.to_py(py),))?
    };
    plan.sleep.bind(py).call1((arg,))
}

/// One shared `DoSleep(0.0)`: most retries in tests and benchmarks wait zero seconds.
fn zero_sleep(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CELL: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    CELL.get_or_try_init(py, || {
        Ok::<_, PyErr>(interned::do_sleep(py)?.call1((0.0,))?.unbind())
    })
    .map(|v| v.bind(py))
}

/// Where a stepped call keeps its state.
enum Held {
    Native(Core),
    Py(Py<RetryCallState>),
}

/// A call driven step by step from Python.
#[pyclass(module = "pertinax._pertinax", name = "Call")]
pub struct Call {
    machine: Machine,
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
        op: Arc<crate::metrics::Operation>,
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

    fn new(machine: Machine, held: Held) -> Self {
        Call {
            machine,
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
        op: Arc<crate::metrics::Operation>,
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

    fn step<'py>(&mut self, py: Python<'py>, resume: Resume<'py>) -> PyResult<Step<'py>> {
        match &mut self.held {
            Held::Native(core) => {
                let mut st = NativeState { py, core };
                self.machine.advance(&mut st, resume)
            }
            Held::Py(rs) => {
                let mut st = PyState {
                    obj: rs.bind(py).clone(),
                };
                self.machine.advance(&mut st, resume)
            }
        }
    }

    /// Records an attempt's outcome (the body of `with attempt:`, for a loop).
    pub fn record(&mut self, py: Python<'_>, outcome: Outcome) -> PyResult<()> {
        match &mut self.held {
            Held::Native(core) => {
                let mut st = NativeState { py, core };
                self.machine.record(&mut st, outcome)
            }
            Held::Py(rs) => {
                let mut st = PyState {
                    obj: rs.bind(py).clone(),
                };
                self.machine.record(&mut st, outcome)
            }
        }
    }
}

impl Call {
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

/// Step kinds, as `Call.advance` reports them.
pub const ATTEMPT: u8 = 0;
pub const SLEEP: u8 = 1;
pub const RETURN: u8 = 2;
pub const AWAIT: u8 = 3;

#[pymethods]
impl Call {
    /// Starts a call. `observable` forces a `RetryCallState` even when no callback needs one
    /// (the iterator hands it out through `attempt.retry_state`).
    #[new]
    #[pyo3(signature = (engine, controller, func, args, kwargs, statistics, is_async, observable))]
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
        &mut self,
        py: Python<'py>,
        value: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(u8, Bound<'py, PyAny>)> {
        let resume = match value {
            Some(v) => Resume::Obj(v),
            None => Resume::Nothing,
        };
        Ok(match self.step(py, resume)? {
            Step::Attempt => (ATTEMPT, py.None().into_bound(py)),
            Step::Sleep(s) => (SLEEP, s.to_py(py)),
            Step::Return(v) => (RETURN, v),
            Step::Await(a) => (AWAIT, a),
        })
    }

    fn set_result(&mut self, py: Python<'_>, value: Py<PyAny>) -> PyResult<()> {
        self.record(py, Outcome::Returned(value))
    }

    fn set_exception(&mut self, py: Python<'_>, exc: Py<PyAny>) -> PyResult<()> {
        self.record(py, Outcome::Raised(exc))
    }

    /// Moves to the next attempt; drivers call it right before sleeping.
    fn prepare(&mut self, py: Python<'_>) -> PyResult<()> {
        match &mut self.held {
            Held::Native(core) => core.prepare_for_next_attempt(py),
            Held::Py(rs) => rs
                .bind(py)
                .try_borrow_mut()?
                .core
                .prepare_for_next_attempt(py),
        }
    }

    /// The plan was compiled in testing mode: the driver must not sleep (and `sleep()`
    /// returns None without calling anything).
    #[getter]
    fn skips_sleep(&self) -> bool {
        self.machine.plan.skip_sleep
    }

    /// Calls the plan's sleep for `seconds` and returns what it returns (an awaitable for an
    /// async sleep).
    fn sleep<'py>(
        &self,
        py: Python<'py>,
        seconds: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        sleep(py, &self.machine.plan, &Num::from_py(seconds))
    }

    /// Gives an exception raised by an awaited callback the user's exception as its context.
    fn add_context<'py>(&self, py: Python<'py>, exc: Bound<'py, PyAny>) -> PyResult<()> {
        let err = PyErr::from_value(exc);
        match &self.held {
            Held::Native(core) => {
                let mut copy = Core::new(Num::Int(0));
                copy.outcome = core.outcome.clone_ref(py);
                let st = NativeState {
                    py,
                    core: &mut copy,
                };
                with_context(&st, err);
            }
            Held::Py(rs) => {
                let st = PyState {
                    obj: rs.bind(py).clone(),
                };
                with_context(&st, err);
            }
        }
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
        self.machine.plan.enabled
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.machine.traverse(&visit)?;
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

impl Call {
    /// Ends the observation of a call that no driver takes any further: a loop left from
    /// inside `with attempt:`, or a sleep that raised. The observer is told how the latest
    /// attempt went.
    fn conclude(&mut self, py: Option<Python<'_>>) {
        if !self.machine.obs.unfinished() {
            return;
        }
        let last = match (&self.held, py) {
            (Held::Native(core), _) => Some(crate::observe::last_of(core)),
            (Held::Py(rs), Some(py)) => rs
                .bind(py)
                .try_borrow()
                .ok()
                .map(|s| crate::observe::last_of(&s.core)),
            (Held::Py(rs), None) => Python::try_attach(|py| {
                rs.bind(py)
                    .try_borrow()
                    .ok()
                    .map(|s| crate::observe::last_of(&s.core))
            })
            .flatten(),
        };
        if let Some((last, attempt)) = last {
            self.machine.obs.abandon(last, attempt);
        }
        self.machine.obs.end_unfinished();
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.conclude(None);
    }
}

/// How a controller's call or loop is run, by what `BaseRetrying` says of it.
enum Route {
    /// `enabled=False`: the function once, or the disabled loop.
    Disabled,
    /// The class replaces `iter` or `begin`: tenacity's own Python driving.
    Python,
    /// The engine runs it, with this plan and the thread's statistics dict.
    Engine(Arc<Plan>, Py<PyDict>),
}

fn route(controller: &Bound<'_, PyAny>) -> PyResult<Route> {
    let py = controller.py();
    if !controller
        .getattr(pyo3::intern!(py, "enabled"))?
        .is_truthy()?
    {
        return Ok(Route::Disabled);
    }
    if overrides_iter(controller)? {
        return Ok(Route::Python);
    }
    let plan = engine_of(controller)?.get().plan(controller, false)?;
    let statistics = controller
        .getattr(pyo3::intern!(py, "statistics"))?
        .cast_into::<PyDict>()?;
    Ok(Route::Engine(plan, statistics.unbind()))
}

/// `Retrying.__call__`: one call of `func` under `controller`'s plan. A disabled controller
/// calls it once; a class that replaces `iter` or `begin` is driven through them, in Python.
#[pyfunction]
#[pyo3(signature = (controller, func, args, kwargs))]
pub fn call<'py>(
    py: Python<'py>,
    controller: &Bound<'py, PyAny>,
    func: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (plan, statistics) = match route(controller)? {
        Route::Disabled => return func.call(args, kwargs),
        Route::Python => {
            let kwargs = kwargs.cloned().unwrap_or_else(|| PyDict::new(py));
            return controller
                .call_method1(pyo3::intern!(py, "_call_with_iter"), (func, args, kwargs));
        }
        Route::Engine(plan, statistics) => (plan, statistics),
    };
    let op = crate::py::observe::operation_for(&plan.observe, controller, Some(func))?;
    run_sync(
        py,
        &plan,
        controller,
        func,
        args,
        kwargs,
        Some(statistics),
        &op,
    )
}

/// The iterator of `for attempt in controller:`. It is apart from its `Call` because each
/// `AttemptManager` keeps the call alive (for `attempt.retry_state` after the loop): when
/// the loop is left (`break`, `return`, an exception) this iterator goes away, and the call
/// is counted as ended then, as tenacity's generator would be closed.
#[pyclass(module = "pertinax._pertinax", name = "AttemptLoop")]
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
    /// final value discarded, as tenacity's generator does.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, AttemptManager>>> {
        self.started
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let slf = self.call.bind(py);
        loop {
            let mut this = slf.try_borrow_mut()?;
            if this.finished {
                return Ok(None);
            }
            let step = this.step(py, Resume::Nothing);
            match step {
                Ok(Step::Attempt) => {
                    let manager = match &this.held {
                        Held::Py(rs) => AttemptManager::live(rs.clone_ref(py)),
                        Held::Native(_) => AttemptManager::lazy(slf.clone().unbind()),
                    };
                    drop(this);
                    return Bound::new(py, manager).map(Some);
                }
                Ok(Step::Sleep(secs)) => {
                    this.prepare(py)?;
                    let plan = Arc::clone(&this.machine.plan);
                    // The sleep runs Python code (and lets other threads in): not borrowed.
                    drop(this);
                    if let Err(e) = sleep(py, &plan, &secs) {
                        let mut this = slf.try_borrow_mut()?;
                        this.finished = true;
                        this.conclude(Some(py));
                        return Err(e);
                    }
                }
                Ok(Step::Return(_)) => {
                    this.finished = true;
                    return Ok(None);
                }
                Ok(Step::Await(_)) => {
                    this.finished = true;
                    return Err(crate::errors::internal(
                        "a synchronous loop was asked to await a callback",
                    ));
                }
                Err(e) => {
                    this.finished = true;
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
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "can't send non-None value to a just-started generator",
            ));
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
        let mut call = self.call.bind(py).try_borrow_mut()?;
        call.finished = true;
        call.conclude(Some(py));
        Ok(())
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.call)
    }
}

impl Drop for AttemptLoop {
    fn drop(&mut self) {
        let _ = Python::try_attach(|py| {
            if let Ok(mut call) = self.call.bind(py).try_borrow_mut() {
                call.conclude(Some(py));
            }
        });
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
    call.owner = Some(controller.clone().unbind());
    Ok(Bound::new(
        py,
        AttemptLoop {
            call: Py::new(py, call)?,
            started: std::sync::atomic::AtomicBool::new(false),
        },
    )?
    .into_any())
}

/// A controller's engine (its plan cache), made on first use.
fn engine_of<'py>(controller: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Engine>> {
    let py = controller.py();
    let engine = match controller.getattr_opt(pyo3::intern!(py, "_engine"))? {
        Some(e) => e,
        // A subclass whose __init__ never called ours.
        None => controller.call_method0(pyo3::intern!(py, "_engine_or_new"))?,
    };
    Ok(engine.cast_into::<Engine>()?)
}

/// Whether the controller's class has anything but pertinax's own `iter` and `begin` (a
/// subclass's override, or a patch on the class): tenacity's Python driving applies then.
fn overrides_iter(controller: &Bound<'_, PyAny>) -> PyResult<bool> {
    static ORIGINAL: pyo3::sync::PyOnceLock<(Py<PyAny>, Py<PyAny>)> = pyo3::sync::PyOnceLock::new();
    let py = controller.py();
    let (iter, begin) = ORIGINAL.get_or_try_init(py, || {
        let base = py.import("pertinax._retrying")?.getattr("BaseRetrying")?;
        Ok::<_, PyErr>((
            base.getattr("iter")?.unbind(),
            base.getattr("begin")?.unbind(),
        ))
    })?;
    let ty = controller.get_type();
    Ok(!ty.getattr(pyo3::intern!(py, "iter"))?.is(iter)
        || !ty.getattr(pyo3::intern!(py, "begin"))?.is(begin))
}

/// A `Call` over a state that Python drives itself (`BaseRetrying.iter(retry_state)`): its
/// counts go on from what the statistics dict already says.
fn decision(
    engine: &Bound<'_, Engine>,
    controller: &Bound<'_, PyAny>,
    retry_state: &Bound<'_, RetryCallState>,
    statistics: Option<Bound<'_, PyDict>>,
    is_async: bool,
) -> PyResult<Call> {
    let py = controller.py();
    let plan = engine.get().plan(controller, is_async)?;
    let stats = Stats::continuing(statistics)?;
    let func = retry_state.try_borrow()?.r#fn.clone_ref(py);
    let op = crate::py::observe::operation_for(&plan.observe, controller, Some(func.bind(py)))?;
    let mut machine = Machine::new(plan, stats);
    machine.obs.attach(op, false);
    Ok(Call::new(machine, Held::Py(retry_state.clone().unbind())))
}

/// `BaseRetrying.iter(retry_state)`: one synchronous decision.
#[pyfunction]
pub fn step<'py>(
    py: Python<'py>,
    engine: &Bound<'py, Engine>,
    controller: &Bound<'py, PyAny>,
    retry_state: &Bound<'py, RetryCallState>,
    statistics: Option<Bound<'py, PyDict>>,
) -> PyResult<(u8, Bound<'py, PyAny>)> {
    let mut call = decision(engine, controller, retry_state, statistics, false)?;
    let (kind, value) = call.advance(py, None)?;
    if kind == AWAIT {
        return Err(crate::errors::internal(
            "a synchronous decision was asked to await a callback",
        ));
    }
    Ok((kind, value))
}

/// `AsyncRetrying.iter(retry_state)`: one decision, stepped by the caller, which awaits what
/// it is asked to.
#[pyfunction]
pub fn async_decision(
    engine: &Bound<'_, Engine>,
    controller: &Bound<'_, PyAny>,
    retry_state: &Bound<'_, RetryCallState>,
    statistics: Option<Bound<'_, PyDict>>,
) -> PyResult<Call> {
    decision(engine, controller, retry_state, statistics, true)
}
