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

mod bookkeeping;
mod callbacks;
mod guards;
pub mod phases;
mod plan;

pub use bookkeeping::{prepare, record};
pub use callbacks::{with_context, Resume};
pub use plan::Plan;

use bookkeeping::{schedule_sleep, stamp};
use callbacks::{eval_retry, eval_stop, eval_wait, give_up, hook, Flow};
use guards::{held_back, judge};
use phases::{give_up_kind, triage, GiveUp, Phase, Seen, Triage};

use crate::names;
use crate::num::Num;
use crate::observe::call::CallObs;
use crate::resilience::breaker::Outcome as Verdict;
use crate::resilience::guard::Ticket;
use crate::state::{OutcomeRef, StateMut};
use crate::stats::Stats;
use crate::strategy::Callback;

/// What the driver must do next.
pub enum Step<'py> {
    Attempt,
    Sleep(Num),
    Return(Bound<'py, PyAny>),
    Await(Bound<'py, PyAny>),
}

/// One call's progress through the decision. Per-call data lives here and in the state, never
/// in the shared plan, so one plan serves any number of concurrent calls.
pub struct Machine {
    pub plan: Arc<Plan>,
    pub stats: Stats,
    phase: Phase,
    pub obs: CallObs,
    /// The circuit breaker's leave for the attempt in flight, until its outcome is known.
    ticket: Option<Ticket>,
    /// An attempt was handed out and its outcome not yet judged (for a driver that leaves).
    awaiting: bool,
}

impl Machine {
    pub fn new(plan: Arc<Plan>, stats: Stats) -> Self {
        let obs = CallObs::new(&plan.observe);
        Machine {
            plan,
            stats,
            phase: Phase::Idle,
            obs,
            ticket: None,
            awaiting: false,
        }
    }

    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        self.plan.traverse(visit)?;
        self.stats.traverse(visit)
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
            ticket,
            awaiting,
        } = self;
        let plan: &Plan = plan;
        loop {
            match *phase {
                Phase::Idle => {
                    let outcome = st.outcome()?;
                    let exc = match &outcome {
                        OutcomeRef::Missing => {
                            if let Some((guard, me)) = &plan.breaker {
                                // An open breaker refuses the attempt: the function is not
                                // called, and the call ends with CircuitOpenError.
                                match guard.admit(me.bind(py)) {
                                    Ok(t) => *ticket = Some(t),
                                    Err(e) => {
                                        obs.refused();
                                        return Err(e);
                                    }
                                }
                            }
                            obs.before_attempt(st)?;
                            *phase = phase.after(Seen::NoOutcome);
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
                            names::is_interrupt(py, e),
                            e.is_instance(names::try_again(py)?)?,
                        ),
                        None => (false, false),
                    };
                    let triaged = triage(interrupt, try_again);
                    match triaged {
                        Triage::Interrupt => {
                            judge(plan, ticket, awaiting, py, Verdict::Ignored);
                            *phase = phase.after(Seen::Outcome(triaged));
                            obs.settle(st)?;
                            return finish(outcome);
                        }
                        Triage::Explicit => {
                            judge(plan, ticket, awaiting, py, Verdict::Failure);
                            obs.attempt_failed(st)?;
                            *phase = phase.after(Seen::Outcome(triaged));
                        }
                        Triage::AskRetry => {
                            *phase = phase.after(Seen::Outcome(triaged));
                            match eval_retry(st, &plan.retry)? {
                                Flow::Ready(r) => resume = r,
                                Flow::Await(aw) => return Ok(Step::Await(aw)),
                            }
                        }
                    }
                }
                Phase::BeforeDone => {
                    *phase = phase.after(Seen::Ran);
                    *awaiting = true;
                    return Ok(Step::Attempt);
                }
                Phase::RetryDone => {
                    let retry = resume.truthy().map_err(|e| with_context(st, e));
                    if retry.is_err() {
                        judge(plan, ticket, awaiting, py, Verdict::Ignored);
                    }
                    let retry = retry?;
                    if !retry {
                        // Not a failure the policy retries (a result, or a 404): for the
                        // breaker and the budget, the dependency answered.
                        judge(plan, ticket, awaiting, py, Verdict::Success);
                        if let Some((guard, me)) = &plan.budget {
                            guard.on_success(me.bind(py));
                        }
                        *phase = phase.after(Seen::Retry(retry));
                        if obs.settle(st)? {
                            if let Some(cb) = &plan.on_recovered {
                                // pertinax's own hook: its failure is reported, and the
                                // call still returns its result.
                                match hook(st, cb) {
                                    Ok(Some(aw)) => {
                                        *phase = phase.after(Seen::AwaitRecovered);
                                        let aw = names::failure_of(py)?.call1((aw,))?;
                                        return Ok(Step::Await(aw));
                                    }
                                    Ok(None) => {}
                                    Err(e) => report_hook_failure(py, e, cb)?,
                                }
                            }
                        }
                        return finish(st.outcome()?);
                    }
                    judge(plan, ticket, awaiting, py, Verdict::Failure);
                    obs.attempt_failed(st)?;
                    *phase = phase.after(Seen::Retry(retry));
                }
                Phase::AfterHook => {
                    stamp(st)?;
                    *phase = phase.after(Seen::Ran);
                    if let Some(cb) = &plan.after {
                        if let Some(aw) = hook(st, cb)? {
                            return Ok(Step::Await(aw));
                        }
                    }
                }
                Phase::AfterDone => {
                    *phase = phase.after(Seen::Ran);
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
                        stats.set(py, names::delay_since_first_attempt(py), elapsed)?;
                    } else if let Some(d) = &stats.dict {
                        d.bind(py)
                            .set_item(names::delay_since_first_attempt(py), py.None())?;
                    }
                    *phase = phase.after(Seen::Ran);
                    match eval_stop(st, &plan.stop)? {
                        Flow::Ready(r) => resume = r,
                        Flow::Await(aw) => return Ok(Step::Await(aw)),
                    }
                }
                Phase::StopDone => {
                    let mut stop = resume.truthy().map_err(|e| with_context(st, e))?;
                    resume = Resume::Nothing;
                    if !stop {
                        if let Some(by) = held_back(plan, py) {
                            st.with_core(|c| c.stopped_by = Some(by))?;
                            stats.set_text(py, "stopped_by", by)?;
                            obs.held_back(by);
                            stop = true;
                        }
                    }
                    let kind = give_up_kind(plan.retry_error_callback.is_some(), plan.reraise);
                    if stop {
                        obs.gave_up(st)?;
                        *phase = phase.after(Seen::Stop(stop, kind));
                        match kind {
                            GiveUp::Callback => {
                                if let Some(cb) = &plan.retry_error_callback {
                                    let obj = st.object()?;
                                    if cb.is_async {
                                        let aw = cb.call1(py, obj);
                                        return Ok(Step::Await(
                                            aw.map_err(|e| with_context(st, e))?,
                                        ));
                                    }
                                    let v = cb.call1(py, obj);
                                    resume = Resume::Obj(v.map_err(|e| with_context(st, e))?);
                                }
                            }
                            GiveUp::Reraise | GiveUp::RetryError => {
                                return Err(give_up(plan, st));
                            }
                        }
                    } else {
                        schedule_sleep(stats, obs, st)?;
                        *phase = phase.after(Seen::Stop(stop, kind));
                        if let Some(cb) = &plan.before_sleep {
                            if let Some(aw) = hook(st, cb)? {
                                return Ok(Step::Await(aw));
                            }
                        }
                    }
                }
                Phase::CallbackDone => {
                    *phase = phase.after(Seen::Ran);
                    return Ok(Step::Return(
                        std::mem::replace(&mut resume, Resume::Nothing).into_obj(py),
                    ));
                }
                Phase::BeforeSleepDone => {
                    *phase = phase.after(Seen::Ran);
                    let upcoming = st.upcoming_sleep()?;
                    return Ok(Step::Sleep(upcoming));
                }
                Phase::RecoveredDone => {
                    *phase = phase.after(Seen::Ran);
                    if let (Resume::Obj(exc), Some(cb)) = (&resume, &plan.on_recovered) {
                        if !exc.is_none() {
                            report_hook_failure(py, PyErr::from_value(exc.clone()), cb)?;
                        }
                    }
                    return finish(st.outcome()?);
                }
            }
        }
    }
}

/// Reports the failure of one of pertinax's own hooks as unraisable, so the call keeps its
/// outcome; an interrupt (KeyboardInterrupt, a cancellation) still propagates.
fn report_hook_failure(py: Python<'_>, err: PyErr, cb: &Callback) -> PyResult<()> {
    if !err.is_instance_of::<pyo3::exceptions::PyException>(py) {
        return Err(err);
    }
    err.write_unraisable(py, Some(cb.obj.bind(py)));
    Ok(())
}

/// Ends the call with its outcome: the value, or the attempt's own exception, unchanged.
fn finish(outcome: OutcomeRef<'_>) -> PyResult<Step<'_>> {
    match outcome {
        OutcomeRef::Returned(v) => Ok(Step::Return(v)),
        OutcomeRef::Raised(e) => Err(PyErr::from_value(e)),
        OutcomeRef::Missing => Err(crate::errors::internal("no outcome to finish with")),
    }
}
