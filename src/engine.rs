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

mod callbacks;
pub mod phases;
mod plan;

pub use callbacks::{with_context, Resume};
pub use plan::Plan;

use callbacks::{eval_retry, eval_stop, eval_wait, give_up, hook, Flow};
use phases::{give_up_kind, triage, GiveUp, Phase, Seen, Triage};

use crate::names;
use crate::num::Num;
use crate::observe::call::{CallObs, Last};
use crate::resilience::breaker::{Outcome as Verdict, State as BreakerState};
use crate::resilience::guard::Ticket;
use crate::state::{NextAction, Outcome, OutcomeRef, StateMut};
use crate::stats::Stats;

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

    /// The driver ran the first attempt itself, admitted by the breaker with `ticket`.
    pub fn admitted(&mut self, ticket: Option<Ticket>) {
        self.ticket = ticket;
        self.awaiting = true;
    }

    /// The breaker still waits to hear about an attempt.
    pub fn holds_ticket(&self) -> bool {
        self.ticket.is_some()
    }

    /// The call was left before it ended: the breaker, the budget or the metrics still wait
    /// to hear about it (see `abandon_guards` and `CallObs::unfinished`).
    pub fn left_unfinished(&self) -> bool {
        self.awaiting || self.ticket.is_some() || self.obs.unfinished()
    }

    /// An attempt's outcome has not been judged yet.
    pub fn awaits_outcome(&self) -> bool {
        self.awaiting && (self.plan.budget.is_some() || self.plan.breaker.is_some())
    }

    /// The driver left the call after an attempt the engine never judged (a `return` inside
    /// `with attempt:`): a returned value is a success for the breaker and the budget;
    /// anything else gives the breaker's slot back.
    pub fn abandon_guards(&mut self, py: Python<'_>, last: Last) {
        if !self.awaiting {
            return;
        }
        let returned = last == Last::Returned;
        let verdict = if returned {
            Verdict::Success
        } else {
            Verdict::Ignored
        };
        judge(
            &self.plan,
            &mut self.ticket,
            &mut self.awaiting,
            py,
            verdict,
        );
        if returned {
            if let Some((guard, me)) = &self.plan.budget {
                guard.on_success(me.bind(py));
            }
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
                                if let Some(aw) = hook(st, cb)? {
                                    *phase = phase.after(Seen::AwaitRecovered);
                                    return Ok(Step::Await(aw));
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
                    return finish(st.outcome()?);
                }
            }
        }
    }
}

/// Tells the breaker how the attempt in flight ended (once).
fn judge(
    plan: &Plan,
    ticket: &mut Option<Ticket>,
    awaiting: &mut bool,
    py: Python<'_>,
    verdict: Verdict,
) {
    *awaiting = false;
    if let (Some(t), Some((guard, me))) = (ticket.take(), &plan.breaker) {
        guard.finish(me.bind(py), t, verdict);
    }
}

/// Whether the breaker or the budget ends the retries that the stop strategy would allow:
/// an open breaker first (no budget spent on a retry that would be refused), then the
/// budget, which pays for the retry when it can.
fn held_back(plan: &Plan, py: Python<'_>) -> Option<&'static str> {
    if let Some((guard, _)) = &plan.breaker {
        if guard.state() == BreakerState::Open {
            return Some("breaker");
        }
    }
    if let Some((guard, me)) = &plan.budget {
        if !guard.try_retry(me.bind(py)) {
            return Some("budget");
        }
    }
    None
}

impl Drop for Machine {
    fn drop(&mut self) {
        // A call abandoned between admission and outcome gives its breaker slot back.
        if let (Some(t), Some((guard, _))) = (self.ticket.take(), &self.plan.breaker) {
            guard.release_local(t);
        }
    }
}

/// Records the outcome of an attempt.
pub fn record<'py, S: StateMut<'py>>(st: &mut S, outcome: Outcome) -> PyResult<()> {
    let now = if st.observable() {
        Some(crate::clock::monotonic(st.py())?)
    } else {
        // Nobody can read it yet; it is taken when a stop strategy or the statistics first
        // need it.
        None
    };
    let released = st.with_core(|c| c.put_outcome(outcome, now))?;
    drop(released);
    Ok(())
}

/// Moves the state to the next attempt. Drivers call it before they sleep, as tenacity does.
pub fn prepare<'py, S: StateMut<'py>>(st: &mut S) -> PyResult<()> {
    let next = st.attempt_number()?.add(st.py(), &Num::Int(1))?;
    let released = st.with_core(|c| c.reset_for_attempt(next))?;
    drop(released);
    Ok(())
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
        stats.set(py, names::idle_for(py), &stats.idle_for)?;
    }
    stats.set(py, names::attempt_number(py), &Num::Int(stats.attempts))?;
    obs.retrying(st, &upcoming)
}

/// Ends the call with its outcome: the value, or the attempt's own exception, unchanged.
fn finish(outcome: OutcomeRef<'_>) -> PyResult<Step<'_>> {
    match outcome {
        OutcomeRef::Returned(v) => Ok(Step::Return(v)),
        OutcomeRef::Raised(e) => Err(PyErr::from_value(e)),
        OutcomeRef::Missing => Err(crate::errors::internal("no outcome to finish with")),
    }
}
