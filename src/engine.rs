//! The engine: a small state machine that decides, for one call, what happens next.
//!
//! It never calls the user's function and never sleeps: it answers `Attempt`, `Sleep(s)`,
//! `Return(value)` (or raises), and, for an async driver, `Await(awaitable)` when a coroutine
//! callback has to be awaited before it can go on. Drivers (the sync wrapper in Rust, the
//! iterator and the async driver in Python) execute those answers and feed outcomes back.
//!
//! The order of one decision is tenacity's: before, attempt, retry check, after, wait, stop,
//! then give up (or the retry_error_callback) or before_sleep and sleep.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::num::Num;
use crate::observe::{CallObs, PlanObserve};
use crate::py::interned;
use crate::state::{Core, NextAction, Outcome, OutcomeRef, StateMut, StateView};
use crate::stats::Stats;
use crate::strategy::retry::Retry;
use crate::strategy::stop::Stop;
use crate::strategy::wait::Wait;
use crate::strategy::Callback;

/// Everything a controller says about how to retry, compiled once.
pub struct Plan {
    pub stop: Stop,
    pub wait: Wait,
    pub retry: Retry,
    pub before: Option<Callback>,
    pub after: Option<Callback>,
    pub before_sleep: Option<Callback>,
    pub retry_error_callback: Option<Callback>,
    pub sleep: Py<PyAny>,
    /// The sleep is pertinax's default (`time.sleep`, looked up at call time).
    pub sleep_is_default: bool,
    pub reraise: bool,
    pub retry_error_cls: Py<PyAny>,
    pub enabled: bool,
    /// Some Python code will want a `RetryCallState`: make one for every call.
    pub needs_state: bool,
    /// `strategy::generation()` when the strategies were read.
    pub generation: u64,
    /// A first attempt that returns is the result: no `before` hook, no state to build, and
    /// a retry predicate that never retries a returned value.
    pub returns_first_success: bool,
    /// Metrics, log levels and the success hook (`crate::observe`).
    pub observe: PlanObserve,
    /// Compiled in testing mode (`crate::testing`): drivers never call the sleep.
    pub skip_sleep: bool,
}

impl Plan {
    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        self.stop.traverse(visit)?;
        self.wait.traverse(visit)?;
        self.retry.traverse(visit)?;
        for cb in [
            &self.before,
            &self.after,
            &self.before_sleep,
            &self.retry_error_callback,
        ]
        .into_iter()
        .flatten()
        {
            visit.call(&cb.obj)?;
        }
        visit.call(&self.sleep)?;
        self.observe.traverse(visit)?;
        visit.call(&self.retry_error_cls)
    }
}

/// What the driver must do next.
pub enum Step<'py> {
    Attempt,
    Sleep(Num),
    Return(Bound<'py, PyAny>),
    Await(Bound<'py, PyAny>),
}

/// A value handed back into the machine: the result of a strategy, or of an awaited callback.
pub enum Resume<'py> {
    Nothing,
    Bool(bool),
    Num(Num),
    Obj(Bound<'py, PyAny>),
}

impl<'py> Resume<'py> {
    fn truthy(&self) -> PyResult<bool> {
        match self {
            Resume::Nothing => Ok(false),
            Resume::Bool(b) => Ok(*b),
            Resume::Num(n) => Ok(!n.is_zero()),
            Resume::Obj(o) => o.is_truthy(),
        }
    }

    fn into_num(self) -> Num {
        match self {
            Resume::Num(n) => n,
            Resume::Obj(o) => Num::from_py(&o),
            Resume::Bool(b) => Num::Int(i64::from(b)),
            Resume::Nothing => Num::Int(0),
        }
    }

    fn into_obj(self, py: Python<'py>) -> Bound<'py, PyAny> {
        match self {
            Resume::Obj(o) => o,
            Resume::Num(n) => n.to_py(py),
            Resume::Bool(b) => pyo3::types::PyBool::new(py, b).to_owned().into_any(),
            Resume::Nothing => py.None().into_bound(py),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Between decisions: look at the outcome (or its absence).
    Idle,
    BeforeDone,
    RetryDone,
    AfterHook,
    AfterDone,
    WaitDone,
    StopDone,
    CallbackDone,
    BeforeSleepDone,
    /// An async `on_recovered` hook was awaited: the call returns its value.
    RecoveredDone,
}

/// What an outcome leads to, before any strategy runs: the part of the decision that needs
/// no Python.
#[derive(Debug, PartialEq, Eq)]
pub enum Triage {
    /// Raise it now: an interrupt, never retried.
    Interrupt,
    /// `TryAgain`: skip the retry predicate, retry if the stop allows it.
    Explicit,
    /// Ask the retry predicate.
    AskRetry,
}

pub fn triage(is_interrupt: bool, is_try_again: bool) -> Triage {
    if is_interrupt {
        Triage::Interrupt
    } else if is_try_again {
        Triage::Explicit
    } else {
        Triage::AskRetry
    }
}

/// When the stop strategy says stop.
#[derive(Debug, PartialEq, Eq)]
pub enum GiveUp {
    Callback,
    Reraise,
    RetryError,
}

pub fn give_up_kind(has_callback: bool, reraise: bool) -> GiveUp {
    if has_callback {
        GiveUp::Callback
    } else if reraise {
        GiveUp::Reraise
    } else {
        GiveUp::RetryError
    }
}

/// One call's progress through the decision. Per-call data lives here and in the state, never
/// in the shared plan, so one plan serves any number of concurrent calls.
pub struct Machine {
    pub plan: Arc<Plan>,
    pub stats: Stats,
    phase: Phase,
    pub obs: CallObs,
}

impl Machine {
    pub fn new(plan: Arc<Plan>, stats: Stats) -> Self {
        let obs = CallObs::new(&plan.observe);
        Machine {
            plan,
            stats,
            phase: Phase::Idle,
            obs,
        }
    }

    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        self.plan.traverse(visit)?;
        self.stats.traverse(visit)
    }

    /// Records the outcome of an attempt.
    pub fn record<'py, S: StateMut<'py>>(&self, st: &mut S, outcome: Outcome) -> PyResult<()> {
        let py = st.py();
        let now = if st.observable() {
            Some(crate::clock::monotonic(py)?)
        } else {
            // Nobody can read it yet; it is taken when a stop strategy or the statistics
            // first need it.
            None
        };
        st.with_core(|c| {
            c.outcome = outcome;
            c.future = None;
            c.outcome_timestamp = now;
        })
    }

    /// Moves the state to the next attempt. Drivers call it before they sleep, as tenacity does.
    pub fn prepare<'py, S: StateMut<'py>>(&self, st: &mut S) -> PyResult<()> {
        let py = st.py();
        st.with_core(|c| c.prepare_for_next_attempt(py))?
    }

    pub fn advance<'py, S: StateMut<'py>>(
        &mut self,
        st: &mut S,
        mut resume: Resume<'py>,
    ) -> PyResult<Step<'py>> {
        let py = st.py();
        // Disjoint borrows of the machine's parts: the plan is read while the rest changes.
        let Machine {
            plan,
            stats,
            phase,
            obs,
        } = self;
        let plan: &Plan = plan;
        loop {
            match *phase {
                Phase::Idle => {
                    let outcome = st.outcome()?;
                    let exc = match &outcome {
                        OutcomeRef::Missing => {
                            obs.before_attempt(st)?;
                            *phase = Phase::BeforeDone;
                            if let Some(cb) = &plan.before {
                                if let Some(aw) = hook(st, cb)? {
                                    return Ok(Step::Await(aw));
                                }
                            }
                            continue;
                        }
                        OutcomeRef::Raised(e) => Some(e),
                        OutcomeRef::Returned(_) => None,
                    };
                    obs.attempted();
                    let (interrupt, try_again) = match exc {
                        Some(e) => (
                            interned::is_interrupt(py, e),
                            e.is_instance(interned::try_again(py)?)?,
                        ),
                        None => (false, false),
                    };
                    match triage(interrupt, try_again) {
                        Triage::Interrupt => {
                            obs.settle(st, None)?;
                            return finish(outcome);
                        }
                        Triage::Explicit => {
                            obs.attempt_failed(st)?;
                            *phase = Phase::AfterHook;
                        }
                        Triage::AskRetry => {
                            *phase = Phase::RetryDone;
                            match eval_retry(st, &plan.retry)? {
                                Flow::Ready(r) => resume = r,
                                Flow::Await(aw) => return Ok(Step::Await(aw)),
                            }
                        }
                    }
                }
                Phase::BeforeDone => {
                    *phase = Phase::Idle;
                    return Ok(Step::Attempt);
                }
                Phase::RetryDone => {
                    if !resume.truthy().map_err(|e| with_context(st, e))? {
                        *phase = Phase::Idle;
                        if let Some(aw) = obs.settle(st, plan.observe.on_recovered.as_ref())? {
                            *phase = Phase::RecoveredDone;
                            return Ok(Step::Await(aw));
                        }
                        return finish(st.outcome()?);
                    }
                    obs.attempt_failed(st)?;
                    *phase = Phase::AfterHook;
                }
                Phase::AfterHook => {
                    stamp(st)?;
                    *phase = Phase::AfterDone;
                    if let Some(cb) = &plan.after {
                        if let Some(aw) = hook(st, cb)? {
                            return Ok(Step::Await(aw));
                        }
                    }
                }
                Phase::AfterDone => {
                    *phase = Phase::WaitDone;
                    match eval_wait(st, &plan.wait)? {
                        Flow::Ready(r) => resume = r,
                        Flow::Await(aw) => return Ok(Step::Await(aw)),
                    }
                }
                Phase::WaitDone => {
                    let upcoming = std::mem::replace(&mut resume, Resume::Nothing).into_num();
                    st.with_core(|c| c.upcoming_sleep = upcoming)?;
                    let elapsed = st.seconds_since_start()?;
                    if let Some(elapsed) = &elapsed {
                        stats.set(py, interned::delay_since_first_attempt(py), elapsed)?;
                    } else if let Some(d) = &stats.dict {
                        d.bind(py)
                            .set_item(interned::delay_since_first_attempt(py), py.None())?;
                    }
                    *phase = Phase::StopDone;
                    match eval_stop(st, &plan.stop)? {
                        Flow::Ready(r) => resume = r,
                        Flow::Await(aw) => return Ok(Step::Await(aw)),
                    }
                }
                Phase::StopDone => {
                    let stop = resume.truthy().map_err(|e| with_context(st, e))?;
                    resume = Resume::Nothing;
                    if stop {
                        obs.gave_up(st)?;
                        match give_up_kind(plan.retry_error_callback.is_some(), plan.reraise) {
                            GiveUp::Callback => {
                                *phase = Phase::CallbackDone;
                                if let Some(cb) = &plan.retry_error_callback {
                                    let obj = st.object()?;
                                    if cb.is_async {
                                        let aw = cb.obj.bind(py).call1((obj,));
                                        return Ok(Step::Await(
                                            aw.map_err(|e| with_context(st, e))?,
                                        ));
                                    }
                                    let v = cb.obj.bind(py).call1((obj,));
                                    resume = Resume::Obj(v.map_err(|e| with_context(st, e))?);
                                }
                            }
                            GiveUp::Reraise | GiveUp::RetryError => {
                                *phase = Phase::Idle;
                                return Err(give_up(plan, st));
                            }
                        }
                    } else {
                        schedule_sleep(stats, obs, st)?;
                        *phase = Phase::BeforeSleepDone;
                        if let Some(cb) = &plan.before_sleep {
                            if let Some(aw) = hook(st, cb)? {
                                return Ok(Step::Await(aw));
                            }
                        }
                    }
                }
                Phase::CallbackDone => {
                    *phase = Phase::Idle;
                    return Ok(Step::Return(
                        std::mem::replace(&mut resume, Resume::Nothing).into_obj(py),
                    ));
                }
                Phase::BeforeSleepDone => {
                    *phase = Phase::Idle;
                    let upcoming = st.upcoming_sleep()?;
                    return Ok(Step::Sleep(upcoming));
                }
                Phase::RecoveredDone => {
                    *phase = Phase::Idle;
                    return finish(st.outcome()?);
                }
            }
        }
    }
}

/// Makes sure the outcome has its timestamp before anything can read it.
fn stamp<'py, S: StateMut<'py>>(st: &mut S) -> PyResult<()> {
    let missing =
        st.with_core(|c| c.outcome_timestamp.is_none() && !matches!(c.outcome, Outcome::Missing))?;
    if missing {
        let now = crate::clock::monotonic(st.py())?;
        st.with_core(|c| c.outcome_timestamp = Some(now))?;
    }
    Ok(())
}

/// tenacity's bookkeeping once a sleep is decided.
fn schedule_sleep<'py, S: StateMut<'py>>(
    stats: &mut Stats,
    obs: &mut CallObs,
    st: &mut S,
) -> PyResult<()> {
    let py = st.py();
    let upcoming = st.upcoming_sleep()?;
    if let Num::Py(value) = &upcoming {
        // tenacity makes `RetryAction(sleep)` first, which calls float(): a wait that
        // returned something that is not a number fails there, with float()'s message.
        py.get_type::<pyo3::types::PyFloat>()
            .call1((value.bind(py),))?;
    }
    let idle = st.with_core(|c| c.idle_for.clone_ref(py))?;
    let idle = idle.iadd(py, &upcoming)?;
    let action = upcoming.clone_ref(py);
    st.with_core(|c| {
        c.idle_for = idle;
        c.next_action = NextAction::Sleep(action);
    })?;
    let idle_stat = stats.idle_for.iadd(py, &upcoming)?;
    // A zero wait leaves `idle_for` as it was (once it is a float): skip the write.
    let unchanged = match (&stats.idle_for, &idle_stat) {
        (Num::Float(a), Num::Float(b)) => a.to_bits() == b.to_bits(),
        (Num::Int(a), Num::Int(b)) => a == b,
        _ => false,
    };
    stats.idle_for = idle_stat;
    stats.attempts += 1;
    if !unchanged {
        stats.set(py, interned::idle_for(py), &stats.idle_for)?;
    }
    stats.set(py, interned::attempt_number(py), &Num::Int(stats.attempts))?;
    obs.retrying(st, &upcoming)
}

/// The error to raise when the stop strategy says stop and there is no callback.
#[cold]
fn give_up<'py, S: StateMut<'py>>(plan: &Plan, st: &mut S) -> PyErr {
    match try_give_up(plan, st) {
        Ok(e) | Err(e) => e,
    }
}

fn try_give_up<'py, S: StateMut<'py>>(plan: &Plan, st: &mut S) -> PyResult<PyErr> {
    let py = st.py();
    let fut = st.with_core(|c: &mut Core| c.future(py))??;
    let fut = match fut {
        Some(f) => f,
        None => py.None().into_bound(py),
    };
    let err = plan.retry_error_cls.bind(py).call1((&fut,))?;
    if plan.reraise {
        // tenacity calls reraise() and, if it returns, raises the RetryError itself.
        err.call_method0(interned::reraise(py))?;
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
fn hook<'py, S: StateMut<'py>>(st: &mut S, cb: &Callback) -> PyResult<Option<Bound<'py, PyAny>>> {
    let obj = st.object()?;
    let out = cb
        .obj
        .bind(st.py())
        .call1((obj,))
        .map_err(|e| with_context(st, e))?;
    Ok(if cb.is_async { Some(out) } else { None })
}

fn eval_retry<'py, S: StateMut<'py>>(st: &mut S, retry: &Retry) -> PyResult<Flow<'py>> {
    if let Retry::Python(cb) = retry {
        if cb.is_async {
            return Ok(Flow::Await(cb.call(st).map_err(|e| with_context(st, e))?));
        }
    }
    let v = retry.evaluate(st).map_err(|e| with_context(st, e))?;
    Ok(Flow::Ready(Resume::Bool(v)))
}

fn eval_wait<'py, S: StateMut<'py>>(st: &mut S, wait: &Wait) -> PyResult<Flow<'py>> {
    if let Wait::Python(cb) = wait {
        if cb.is_async {
            return Ok(Flow::Await(cb.call(st).map_err(|e| with_context(st, e))?));
        }
    }
    let v = wait.evaluate(st).map_err(|e| with_context(st, e))?;
    Ok(Flow::Ready(Resume::Num(v)))
}

fn eval_stop<'py, S: StateMut<'py>>(st: &mut S, stop: &Stop) -> PyResult<Flow<'py>> {
    if let Stop::Python(cb) = stop {
        if cb.is_async {
            return Ok(Flow::Await(cb.call(st).map_err(|e| with_context(st, e))?));
        }
    }
    let v = stop.evaluate(st).map_err(|e| with_context(st, e))?;
    Ok(Flow::Ready(Resume::Bool(v)))
}

enum Flow<'py> {
    Ready(Resume<'py>),
    Await(Bound<'py, PyAny>),
}

/// Ends the call with its outcome: the value, or the attempt's own exception, unchanged.
fn finish(outcome: OutcomeRef<'_>) -> PyResult<Step<'_>> {
    match outcome {
        OutcomeRef::Returned(v) => Ok(Step::Return(v)),
        OutcomeRef::Raised(e) => Err(PyErr::from_value(e)),
        OutcomeRef::Missing => Err(crate::errors::internal("no outcome to finish with")),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupts_win_over_everything() {
        assert_eq!(triage(true, true), Triage::Interrupt);
        assert_eq!(triage(true, false), Triage::Interrupt);
    }

    #[test]
    fn try_again_skips_the_predicate() {
        assert_eq!(triage(false, true), Triage::Explicit);
        assert_eq!(triage(false, false), Triage::AskRetry);
    }

    #[test]
    fn the_callback_wins_over_reraise() {
        assert_eq!(give_up_kind(true, true), GiveUp::Callback);
        assert_eq!(give_up_kind(true, false), GiveUp::Callback);
        assert_eq!(give_up_kind(false, true), GiveUp::Reraise);
        assert_eq!(give_up_kind(false, false), GiveUp::RetryError);
    }
}
