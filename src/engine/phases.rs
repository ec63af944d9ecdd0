//! The order of one decision, as pure data: which phase follows which, given what each phase
//! found. The machine (`engine.rs`) takes every transition from [`Phase::after`], so the order
//! is tenacity's by construction and testable without an interpreter: before, attempt, retry
//! check, after, wait, stop, then give up (or the retry_error_callback) or before_sleep and
//! sleep.

/// Where a call's decision stands. Each phase but `Idle` is entered right before the step it
/// is named after runs (`RetryDone`: the retry predicate is being asked), so that an awaited
/// callback resumes the machine in the phase that consumes its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Between decisions: look at the outcome (or its absence).
    Idle,
    BeforeDone,
    RetryDone,
    /// The attempt failed (or `TryAgain`): the outcome is timestamped, then `after` runs.
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// What a phase found, as far as the order cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// No outcome yet: a new attempt begins.
    NoOutcome,
    /// An attempt's outcome, triaged.
    Outcome(Triage),
    /// The retry predicate's answer.
    Retry(bool),
    /// The phase's own step ran (a hook, the wait, the stop bookkeeping).
    Ran,
    /// The stop strategy's answer, and what giving up means.
    Stop(bool, GiveUp),
    /// The call recovered and its async `on_recovered` hook must be awaited.
    AwaitRecovered,
}

impl Phase {
    /// The phase that follows this one. A transition back to `Idle` ends the decision: the
    /// driver attempts (after `BeforeDone`), sleeps (after `BeforeSleepDone`), or the call
    /// ends (returns or raises).
    pub fn after(self, seen: Seen) -> Phase {
        match (self, seen) {
            (Phase::Idle, Seen::NoOutcome) => Phase::BeforeDone,
            (Phase::Idle, Seen::Outcome(Triage::Interrupt)) => Phase::Idle,
            (Phase::Idle, Seen::Outcome(Triage::Explicit)) => Phase::AfterHook,
            (Phase::Idle, Seen::Outcome(Triage::AskRetry)) => Phase::RetryDone,
            (Phase::RetryDone, Seen::Retry(false)) => Phase::Idle,
            (Phase::RetryDone, Seen::Retry(true)) => Phase::AfterHook,
            (Phase::RetryDone | Phase::Idle, Seen::AwaitRecovered) => Phase::RecoveredDone,
            (Phase::AfterHook, _) => Phase::AfterDone,
            (Phase::AfterDone, _) => Phase::WaitDone,
            (Phase::WaitDone, _) => Phase::StopDone,
            (Phase::StopDone, Seen::Stop(true, GiveUp::Callback)) => Phase::CallbackDone,
            (Phase::StopDone, Seen::Stop(true, _)) => Phase::Idle,
            (Phase::StopDone, _) => Phase::BeforeSleepDone,
            // Anything else ends the decision.
            _ => Phase::Idle,
        }
    }

    /// The step that runs as the machine enters this phase (the callbacks by tenacity's
    /// names).
    pub fn runs(self) -> Option<&'static str> {
        match self {
            Phase::Idle | Phase::AfterHook => None,
            Phase::BeforeDone => Some("before"),
            Phase::RetryDone => Some("retry"),
            Phase::AfterDone => Some("after"),
            Phase::WaitDone => Some("wait"),
            Phase::StopDone => Some("stop"),
            Phase::CallbackDone => Some("retry_error_callback"),
            Phase::BeforeSleepDone => Some("before_sleep"),
            Phase::RecoveredDone => Some("on_recovered"),
        }
    }

    /// What the driver does when a decision ends coming from this phase.
    pub fn ends_with(self) -> &'static str {
        match self {
            Phase::BeforeDone => "attempt",
            Phase::BeforeSleepDone => "sleep",
            _ => "end",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the transitions over what each phase finds, in order, and lists every step:
    /// the callbacks that run and what the driver does.
    fn walk(found: &[Seen]) -> Vec<&'static str> {
        let mut phase = Phase::Idle;
        let mut steps = Vec::new();
        for seen in found {
            let next = phase.after(*seen);
            if next == Phase::Idle {
                steps.push(phase.ends_with());
            } else if let Some(name) = next.runs() {
                steps.push(name);
            }
            phase = next;
        }
        steps
    }

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

    #[test]
    fn a_retry_runs_in_tenacitys_order() {
        let steps = walk(&[
            Seen::NoOutcome,
            Seen::Ran,
            Seen::Outcome(Triage::AskRetry),
            Seen::Retry(true),
            Seen::Ran,
            Seen::Ran,
            Seen::Ran,
            Seen::Stop(false, GiveUp::RetryError),
            Seen::Ran,
        ]);
        assert_eq!(
            steps,
            [
                "before",
                "attempt",
                "retry",
                "after",
                "wait",
                "stop",
                "before_sleep",
                "sleep"
            ]
        );
    }

    #[test]
    fn a_give_up_calls_the_callback_after_the_stop() {
        let steps = walk(&[
            Seen::Outcome(Triage::AskRetry),
            Seen::Retry(true),
            Seen::Ran,
            Seen::Ran,
            Seen::Ran,
            Seen::Stop(true, GiveUp::Callback),
            Seen::Ran,
        ]);
        assert_eq!(
            steps,
            [
                "retry",
                "after",
                "wait",
                "stop",
                "retry_error_callback",
                "end"
            ]
        );
        let raised = walk(&[
            Seen::Outcome(Triage::AskRetry),
            Seen::Retry(true),
            Seen::Ran,
            Seen::Ran,
            Seen::Ran,
            Seen::Stop(true, GiveUp::Reraise),
        ]);
        assert_eq!(raised, ["retry", "after", "wait", "stop", "end"]);
    }

    #[test]
    fn try_again_goes_straight_to_after_and_an_interrupt_ends_the_call() {
        let steps = walk(&[
            Seen::Outcome(Triage::Explicit),
            Seen::Ran,
            Seen::Ran,
            Seen::Ran,
        ]);
        assert_eq!(steps, ["after", "wait", "stop"]);
        assert_eq!(walk(&[Seen::Outcome(Triage::Interrupt)]), ["end"]);
    }

    #[test]
    fn an_accepted_outcome_ends_the_call_or_awaits_on_recovered() {
        assert_eq!(
            walk(&[Seen::Outcome(Triage::AskRetry), Seen::Retry(false)]),
            ["retry", "end"]
        );
        assert_eq!(
            walk(&[
                Seen::Outcome(Triage::AskRetry),
                Seen::Retry(false),
                Seen::AwaitRecovered,
                Seen::Ran,
            ]),
            ["retry", "end", "on_recovered", "end"]
        );
    }
}
