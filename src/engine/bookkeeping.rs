//! tenacity's bookkeeping on the call state and the statistics: an outcome recorded, the
//! move to the next attempt, the outcome's timestamp, and the writes once a sleep is decided.

use pyo3::prelude::*;

use crate::names;
use crate::num::Num;
use crate::observe::call::CallObs;
use crate::state::{NextAction, Outcome, StateMut};
use crate::stats::Stats;

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
pub(super) fn stamp<'py, S: StateMut<'py>>(st: &mut S) -> PyResult<()> {
    let missing =
        st.with_core(|c| c.outcome_timestamp.is_none() && !matches!(c.outcome, Outcome::Missing))?;
    if missing {
        let now = crate::clock::monotonic(st.py())?;
        st.with_core(|c| c.outcome_timestamp = Some(now))?;
    }
    Ok(())
}

/// tenacity's bookkeeping once a sleep is decided.
pub(super) fn schedule_sleep<'py, S: StateMut<'py>>(
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
