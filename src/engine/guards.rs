//! The circuit breaker and the retry budget as the machine consults them: admission before
//! an attempt, a verdict once its outcome is judged, the budget's say before a retry, and
//! what a call left half-way still owes them.

use pyo3::prelude::*;

use super::{Machine, Plan};
use crate::observe::call::Last;
use crate::resilience::breaker::{Outcome as Verdict, State as BreakerState};
use crate::resilience::guard::Ticket;

impl Machine {
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
}

/// Tells the breaker how the attempt in flight ended (once).
pub(super) fn judge(
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
pub(super) fn held_back(plan: &Plan, py: Python<'_>) -> Option<&'static str> {
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
