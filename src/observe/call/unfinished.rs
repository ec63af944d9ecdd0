//! Calls that their driver left before the engine saw them end (a loop left from inside
//! `with attempt:`, a sleep that raised, a dropped call): what they still count, once.

use std::time::Instant;

use pyo3::prelude::*;

use super::{CallObs, Event, Lvl};
use crate::num::Num;
use crate::observe::events::emit;
use crate::observe::metrics::{nanos, Verdict};
use crate::observe::report::alert_check;

/// How the latest attempt of a call that nobody finished had ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Last {
    Returned,
    Raised,
    /// Between attempts (cancelled while sleeping, say): no attempt is pending.
    Missing,
}

impl CallObs {
    /// The call started, is driven by its owner, and has not been counted as ended.
    pub fn unfinished(&self) -> bool {
        self.owns && self.started && !self.done && self.metrics
    }

    /// A stepped call's driver goes away before the engine saw the end (a `return` inside
    /// `with attempt:`): how its latest attempt ended, and its number.
    pub fn abandon(&mut self, last: Last, attempt: u64) {
        self.abandoned = Some((last, attempt));
    }

    #[cold]
    fn count_unfinished(&mut self) {
        self.publish();
        let Some(op) = self.counting().cloned() else {
            return;
        };
        let end = Instant::now();
        let elapsed = self
            .t0
            .map(|t0| nanos(end.saturating_duration_since(t0)))
            .unwrap_or(0);
        let (verdict, attempts, made) = match self.abandoned {
            Some((Last::Returned, 1)) => (Verdict::FirstTry, 1, true),
            Some((Last::Returned, n)) => (Verdict::Recovered, n, true),
            Some((Last::Raised, n)) => (Verdict::Error, n, true),
            Some((Last::Missing, n)) => (Verdict::Error, n, false),
            None => (Verdict::Error, self.attempts, false),
        };
        // An attempt that was made but that the engine never judged still counts.
        if made && attempts > self.attempts {
            op.attempt();
        }
        let retried = attempts > 1;
        op.finished(verdict, retried, elapsed);
        if verdict == Verdict::Recovered && self.level(Event::Recovered) != Lvl::Off {
            let name = op.name().to_owned();
            let lvl = self.level(Event::Recovered);
            let _ = Python::try_attach(|py| {
                emit(
                    py,
                    Event::Recovered,
                    lvl,
                    format_args!("{name}: recovered after {attempts} attempts"),
                )
            });
        }
        alert_check(None, &op, verdict, retried, end);
    }

    /// Counts now a call that its driver will not take any further (see `abandon`).
    pub fn end_unfinished(&mut self) {
        if self.owns && self.started && !self.done {
            self.done = true;
            self.count_unfinished();
        }
    }
}

impl Drop for CallObs {
    fn drop(&mut self) {
        self.end_unfinished();
        // One decision of a call that Python drives: its counts, whatever happens next.
        self.publish();
    }
}

/// How a call's latest attempt ended, and its number, from its state.
pub fn last_of(core: &crate::state::Core) -> (Last, u64) {
    let last = match core.outcome {
        crate::state::Outcome::Returned(_) => Last::Returned,
        crate::state::Outcome::Missing => Last::Missing,
        _ => Last::Raised,
    };
    let n = match core.attempt_number {
        Num::Int(i) => u64::try_from(i).unwrap_or(1),
        _ => 1,
    };
    (last, n)
}
