//! `CallObs`: what one call reports as it runs. The engine tells it what happened at each
//! decision; it counts (in batches) for the metrics registry, logs the events, and checks
//! the alert rule when the call ends. It decides nothing and runs no user callback of the
//! call: the engine runs those (`on_recovered` included).

use std::sync::Arc;
use std::time::Instant;

use pyo3::prelude::*;

use crate::num::Num;
use crate::observe::events::{emit, shown, Event, Lvl, Shown};
use crate::observe::metrics::{nanos, seconds_to_nanos, Operation, Verdict};
use crate::observe::plan::PlanObserve;
use crate::observe::report::{self, alert_check};
use crate::state::{OutcomeRef, StateView};

mod unfinished;

pub use unfinished::{last_of, Last};

/// One call, as observed.
pub struct CallObs {
    op: Option<Arc<Operation>>,
    metrics: bool,
    levels: Option<[Lvl; 4]>,
    t0: Option<Instant>,
    started: bool,
    done: bool,
    /// A driver runs this whole call through this machine: if the machine goes away before
    /// the call ends (a callback or the sleep raised, a loop was left), `Drop` counts it.
    owns: bool,
    attempts: u64,
    abandoned: Option<(Last, u64)>,
    /// Counts not yet added to the shared registry: attempts, retries and nanoseconds of
    /// sleep. A tight loop of zero-wait retries adds them once, when the call ends; a retry
    /// that is about to sleep publishes them first, so a call waiting between attempts
    /// shows its attempts and retries so far.
    pending: Pending,
}

#[derive(Default)]
struct Pending {
    attempts: u64,
    retries: u64,
    slept_ns: u64,
}

impl CallObs {
    pub fn new(plan: &PlanObserve) -> Self {
        CallObs {
            op: plan.named.clone(),
            metrics: plan.metrics,
            levels: plan.levels,
            t0: None,
            started: false,
            done: false,
            owns: false,
            attempts: 0,
            abandoned: None,
            pending: Pending::default(),
        }
    }

    /// The operation this call counts under. `owns`: the caller drives the whole call
    /// through this machine (not one decision of it).
    pub fn attach(&mut self, op: Arc<Operation>, owns: bool) {
        self.op = Some(op);
        self.owns = owns;
    }

    /// The driver already ran the first attempt (it failed) at `t0`.
    pub fn attach_started(&mut self, op: Arc<Operation>, t0: Option<Instant>) {
        self.attach(op, true);
        self.start(t0.unwrap_or_else(Instant::now));
    }

    fn counting(&self) -> Option<&Arc<Operation>> {
        if self.metrics {
            self.op.as_ref()
        } else {
            None
        }
    }

    /// Adds the pending counts to the registry.
    fn publish(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        if pending.attempts == 0 && pending.retries == 0 {
            return;
        }
        if let Some(op) = self.counting() {
            op.add_progress(pending.attempts, pending.retries, pending.slept_ns);
        }
    }

    fn start(&mut self, t0: Instant) {
        self.started = true;
        self.t0 = Some(t0);
        if let Some(op) = self.counting() {
            op.started();
        }
    }

    fn level(&self, event: Event) -> Lvl {
        match &self.levels {
            Some(l) => l[event as usize],
            None => crate::observe::events::global_level(event),
        }
    }

    fn name(&self) -> &str {
        match &self.op {
            Some(op) => op.name(),
            None => "<unknown>",
        }
    }

    /// No outcome yet: an attempt is about to be decided on. The first one starts the call.
    pub fn before_attempt<'py, S: StateView<'py>>(&mut self, st: &S) -> PyResult<()> {
        if !self.started && is_one(&st.attempt_number()?) {
            self.start(Instant::now());
        }
        Ok(())
    }

    /// An attempt's outcome is about to be judged.
    pub fn attempted(&mut self) {
        self.attempts += 1;
        if self.metrics {
            self.pending.attempts += 1;
        }
    }

    /// The attempt raised, or returned a value the retry predicate rejected.
    pub fn attempt_failed<'py, S: StateView<'py>>(&self, st: &S) -> PyResult<()> {
        let lvl = self.level(Event::AttemptFailed);
        if lvl == Lvl::Off {
            return Ok(());
        }
        let outcome = st.outcome()?;
        if let Some(what) = shown(&outcome) {
            let py = st.py();
            let n = st.attempt_number()?;
            emit(
                py,
                Event::AttemptFailed,
                lvl,
                format_args!("{}: attempt {} {}", self.name(), Shown::Num(py, &n), what),
            );
        }
        Ok(())
    }

    /// A retry is decided: the engine sleeps `wait` next.
    pub fn retrying<'py, S: StateView<'py>>(&mut self, st: &S, wait: &Num) -> PyResult<()> {
        let py = st.py();
        if self.metrics {
            let ns = seconds_to_nanos(wait.as_f64(py).unwrap_or(0.0));
            self.pending.retries += 1;
            self.pending.slept_ns += ns;
            if ns > 0 {
                self.publish();
            }
        }
        let lvl = self.level(Event::Retrying);
        let hook = report::retry_hook_set();
        if lvl == Lvl::Off && !hook {
            return Ok(());
        }
        let outcome = st.outcome()?;
        let n = st.attempt_number()?;
        if lvl != Lvl::Off {
            if let Some(what) = shown(&outcome) {
                emit(
                    py,
                    Event::Retrying,
                    lvl,
                    format_args!(
                        "{}: retrying in {} seconds: attempt {} {}",
                        self.name(),
                        Shown::Num(py, wait),
                        Shown::Num(py, &n),
                        what
                    ),
                );
            }
        }
        if hook {
            report::call_retry_hook(py, self.name(), &n, wait, &outcome);
        }
        Ok(())
    }

    /// The budget or the breaker ended the retries (`gave_up` follows).
    pub fn held_back(&self, by: &str) {
        if let Some(op) = self.counting() {
            op.held_back(by);
        }
    }

    /// An open breaker refused the next attempt: the call ends with CircuitOpenError.
    pub fn refused(&self) {
        if let Some(op) = self.counting() {
            op.refused();
        }
    }

    /// The stop strategy said stop.
    pub fn gave_up<'py, S: StateView<'py>>(&mut self, st: &S) -> PyResult<()> {
        let py = st.py();
        let n = st.attempt_number()?;
        let lvl = self.level(Event::GaveUp);
        if lvl != Lvl::Off {
            let outcome = st.outcome()?;
            let what = shown(&outcome);
            let attempts = if is_one(&n) { "attempt" } else { "attempts" };
            match what {
                Some(what) => emit(
                    py,
                    Event::GaveUp,
                    lvl,
                    format_args!(
                        "{}: gave up after {} {}: the last {}",
                        self.name(),
                        Shown::Num(py, &n),
                        attempts,
                        what
                    ),
                ),
                None => emit(
                    py,
                    Event::GaveUp,
                    lvl,
                    format_args!(
                        "{}: gave up after {} {}",
                        self.name(),
                        Shown::Num(py, &n),
                        attempts
                    ),
                ),
            }
        }
        self.finish(st, Verdict::GaveUp, !is_one(&n))
    }

    /// The call ends with its latest outcome: a value (first try or recovered) or an
    /// exception that was not retried. Says whether the call recovered (the engine then
    /// runs the `on_recovered` hook).
    pub fn settle<'py, S: StateView<'py>>(&mut self, st: &S) -> PyResult<bool> {
        let outcome = st.outcome()?;
        let n = st.attempt_number()?;
        let first = is_one(&n);
        match outcome {
            OutcomeRef::Returned(_) if first => {
                self.finish(st, Verdict::FirstTry, false)?;
                Ok(false)
            }
            OutcomeRef::Returned(_) => {
                self.finish(st, Verdict::Recovered, true)?;
                self.log_recovered(st.py(), &n);
                Ok(true)
            }
            _ => {
                self.attempt_failed(st)?;
                self.finish(st, Verdict::Error, !first)?;
                Ok(false)
            }
        }
    }

    fn log_recovered(&self, py: Python<'_>, n: &Num) {
        let lvl = self.level(Event::Recovered);
        if lvl == Lvl::Off {
            return;
        }
        emit(
            py,
            Event::Recovered,
            lvl,
            format_args!(
                "{}: recovered after {} attempts",
                self.name(),
                Shown::Num(py, n)
            ),
        );
    }

    /// Counts the call's end (once), and checks its alert rule.
    fn finish<'py, S: StateView<'py>>(
        &mut self,
        st: &S,
        verdict: Verdict,
        retried: bool,
    ) -> PyResult<()> {
        if self.done {
            return Ok(());
        }
        self.done = true;
        self.publish();
        let Some(op) = self.counting().cloned() else {
            return Ok(());
        };
        let py = st.py();
        let end = Instant::now();
        let elapsed = match self.t0 {
            Some(t0) => nanos(end.saturating_duration_since(t0)),
            // One decision of a call that Python drives (`BaseRetrying.iter`): the call's
            // own clock is all there is.
            None => elapsed_by_state(st)?,
        };
        op.finished(verdict, retried, elapsed);
        alert_check(Some(py), &op, verdict, retried, end);
        Ok(())
    }
}

#[cold]
fn elapsed_by_state<'py, S: StateView<'py>>(st: &S) -> PyResult<u64> {
    let py = st.py();
    let since = st.seconds_since_start()?;
    let secs = match since {
        Some(s) => s.as_f64(py).unwrap_or(0.0),
        None => 0.0,
    };
    Ok(seconds_to_nanos(secs))
}

fn is_one(n: &Num) -> bool {
    match n {
        Num::Int(i) => *i == 1,
        Num::Float(f) => *f == 1.0,
        Num::Py(_) => false,
    }
}
