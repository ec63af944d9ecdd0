//! A budget or a breaker as the engine uses it: the Rust state, an optional shared store (a
//! Python object), and the logs and counts of what happened.
//!
//! A store is any object with these methods (`pertinax.integrations.redis` provides one);
//! each receives the Python budget or breaker object and returns None when it cannot answer
//! (Redis down, failing open), so that the local state decides instead:
//!   `budget_withdraw(budget) -> bool | None`, `budget_deposit(budget, successes) -> None`,
//!   `breaker_acquire(breaker) -> (allowed, trial, remaining_seconds, change) | None`,
//!   `breaker_record(breaker, trial, outcome) -> change | None`
//! where `change` is None or `(from_state, to_state)` as state names. A store that raises is
//! reported as unraisable and treated as having no answer.
//!
//! An operator's switches reach the store too, when it has these (optional) methods:
//!   `breaker_trip(breaker)` and `breaker_reset(breaker) -> (from_state, to_state) | None`,
//!   `budget_reset(budget) -> object | None`.
//! The local state changes as well, whatever the store answers: it is what decides while the
//! store cannot answer.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Instant;

use pyo3::prelude::*;

use super::breaker::{Admission, Breaker, Outcome, Permit, State, Transition};
use crate::errors::CircuitOpenError;

mod budget;
pub use budget::BudgetGuard;

/// Nanoseconds on one process-wide monotonic clock.
pub fn now_ns() -> u64 {
    static START: LazyLock<Instant> = LazyLock::new(Instant::now);
    u64::try_from(START.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Every budget and breaker alive, for the metrics snapshot and the Prometheus gauge.
static BUDGETS: Mutex<Vec<Weak<BudgetGuard>>> = Mutex::new(Vec::new());
static BREAKERS: Mutex<Vec<Weak<BreakerGuard>>> = Mutex::new(Vec::new());

fn register<T>(list: &Mutex<Vec<Weak<T>>>, item: &Arc<T>) {
    let mut list = list.lock().unwrap_or_else(|e| e.into_inner());
    list.retain(|w| w.strong_count() > 0);
    list.push(Arc::downgrade(item));
}

fn alive<T>(list: &Mutex<Vec<Weak<T>>>) -> Vec<Arc<T>> {
    let list = list.lock().unwrap_or_else(|e| e.into_inner());
    list.iter().filter_map(Weak::upgrade).collect()
}

pub fn budgets() -> Vec<Arc<BudgetGuard>> {
    alive(&BUDGETS)
}

pub fn breakers() -> Vec<Arc<BreakerGuard>> {
    alive(&BREAKERS)
}

/// A logging handler (or a store) that raised must not reach the caller.
fn swallow(py: Python<'_>) {
    if let Some(err) = PyErr::take(py) {
        err.write_unraisable(py, None);
    }
}

fn ask_store<'py>(
    py: Python<'py>,
    store: &Py<PyAny>,
    method: &str,
    args: impl pyo3::call::PyCallArgs<'py>,
) -> Option<Py<PyAny>> {
    match store.call_method1(py, method, args) {
        Ok(v) if v.is_none(py) => None,
        Ok(v) => Some(v),
        Err(e) => {
            e.write_unraisable(py, Some(store.bind(py)));
            None
        }
    }
}

/// What this process saw of a breaker: transitions and refusals (local or through the
/// store), and the last state the store reported.
#[derive(Default)]
pub struct Seen {
    pub opened: AtomicU64,
    pub half_opened: AtomicU64,
    pub closed: AtomicU64,
    pub rejected: AtomicU64,
    /// `State::code() + 1` of the store's last answer; 0 while the local state decides.
    store_state: AtomicU64,
    /// Wall-clock nanoseconds since the Unix epoch of the last transition this process saw;
    /// 0 before the first.
    changed_at: AtomicU64,
}

/// Nanoseconds since the Unix epoch (0 for a clock set before it).
fn wall_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A ticket for one admitted call: a local permit, or the store's word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ticket {
    Local(Permit),
    Store { trial: bool },
}

impl Ticket {
    /// As an int for Python: a local permit is `epoch << 1 | trial` (epochs fit 62 bits), a
    /// store's ticket -1, or -2 for a trial.
    pub fn to_int(self) -> i64 {
        match self {
            Ticket::Local(p) => ((p.epoch << 1) | u64::from(p.trial)) as i64,
            Ticket::Store { trial } => -1 - i64::from(trial),
        }
    }

    pub fn from_int(n: i64) -> Ticket {
        match n {
            -1 => Ticket::Store { trial: false },
            n if n < 0 => Ticket::Store { trial: true },
            n => Ticket::Local(Permit {
                epoch: (n as u64) >> 1,
                trial: n & 1 == 1,
            }),
        }
    }
}

pub struct BreakerGuard {
    pub name: String,
    pub breaker: Breaker,
    pub store: Option<Py<PyAny>>,
    pub seen: Seen,
}

impl BreakerGuard {
    pub fn new(name: String, breaker: Breaker, store: Option<Py<PyAny>>) -> Arc<Self> {
        let guard = Arc::new(BreakerGuard {
            name,
            breaker,
            store,
            seen: Seen::default(),
        });
        register(&BREAKERS, &guard);
        guard
    }

    /// The state: the store's last answer when a store decides, else the local one.
    pub fn state(&self) -> State {
        match self.seen.store_state.load(Relaxed) {
            0 => self.breaker.state(),
            n => [State::Closed, State::Open, State::HalfOpen]
                .into_iter()
                .find(|s| u64::from(s.code()) + 1 == n)
                .unwrap_or(State::Closed),
        }
    }

    pub fn note(&self, py: Python<'_>, change: Option<Transition>) {
        let Some(t) = change else { return };
        let counter = match t.to {
            State::Open => &self.seen.opened,
            State::HalfOpen => &self.seen.half_opened,
            State::Closed => &self.seen.closed,
        };
        counter.fetch_add(1, Relaxed);
        self.seen.changed_at.store(wall_ns(), Relaxed);
        let (name, from, to) = (&self.name, t.from.name(), t.to.name());
        if t.to == State::Open {
            tracing::warn!(target: "pertinax::breaker", "circuit breaker {name}: {from} -> {to}");
        } else {
            tracing::info!(target: "pertinax::breaker", "circuit breaker {name}: {from} -> {to}");
        }
        swallow(py);
    }

    /// When this process last saw the state change, in seconds since the Unix epoch.
    pub fn changed_at(&self) -> Option<f64> {
        match self.seen.changed_at.load(Relaxed) {
            0 => None,
            n => Some(n as f64 / 1e9),
        }
    }

    fn store_saw(&self, state: State) {
        self.seen
            .store_state
            .store(u64::from(state.code()) + 1, Relaxed);
    }

    /// Admits one call, or returns the CircuitOpenError to raise. `me` is the Python object.
    pub fn admit(&self, me: &Bound<'_, PyAny>) -> PyResult<Ticket> {
        let py = me.py();
        if let Some(store) = &self.store {
            let answer = ask_store(py, store, "breaker_acquire", (me,)).and_then(|v| {
                // A store that answers in the wrong shape is reported, and has no answer.
                let parsed = v.bind(py).extract::<(bool, bool, f64, Bound<'_, PyAny>)>();
                parsed
                    .map_err(|e| e.write_unraisable(py, Some(store.bind(py))))
                    .ok()
            });
            if let Some((allowed, trial, remaining, change)) = answer {
                self.note(py, parse_change(&change));
                self.store_saw(match (allowed, trial) {
                    (false, _) => State::Open,
                    (true, true) => State::HalfOpen,
                    (true, false) => State::Closed,
                });
                if allowed {
                    return Ok(Ticket::Store { trial });
                }
                return Err(self.open_error(py, remaining));
            }
            self.seen.store_state.store(0, Relaxed);
        }
        let (admission, change) = self.breaker.acquire(now_ns);
        self.note(py, change);
        match admission {
            Admission::Allowed(p) => Ok(Ticket::Local(p)),
            Admission::Rejected { remaining_ns } => {
                Err(self.open_error(py, remaining_ns as f64 / 1e9))
            }
        }
    }

    /// Records how an admitted call ended.
    pub fn finish(&self, me: &Bound<'_, PyAny>, ticket: Ticket, outcome: Outcome) {
        let py = me.py();
        match ticket {
            Ticket::Local(p) => {
                let change = self.breaker.record(p, outcome, now_ns);
                self.note(py, change);
            }
            Ticket::Store { trial } => {
                let Some(store) = &self.store else { return };
                let name = match outcome {
                    Outcome::Success => "success",
                    Outcome::Failure => "failure",
                    Outcome::Ignored => "ignored",
                };
                let change = ask_store(py, store, "breaker_record", (me, trial, name))
                    .and_then(|v| parse_change(v.bind(py)));
                if let Some(t) = change {
                    self.store_saw(t.to);
                }
                self.note(py, change);
            }
        }
    }

    /// An operator's switch to `Open` (trip) or `Closed` (reset): the local state, and the
    /// shared one through the store, whose answer is then the state this breaker reports.
    pub fn switch(&self, me: &Bound<'_, PyAny>, to: State) {
        let py = me.py();
        let local = if to == State::Open {
            self.breaker.trip(now_ns())
        } else {
            self.breaker.reset()
        };
        let method = if to == State::Open {
            "breaker_trip"
        } else {
            "breaker_reset"
        };
        let answer = self
            .store
            .as_ref()
            .filter(|store| has_method(py, store, method))
            .and_then(|store| ask_store(py, store, method, (me,)))
            .and_then(|v| parse_change(v.bind(py)));
        match answer {
            Some(t) => {
                self.store_saw(t.to);
                self.note(py, (t.from != t.to).then_some(t));
            }
            None => {
                // Nobody else heard it: this process's state is the one it goes by.
                self.seen.store_state.store(0, Relaxed);
                self.note(py, local);
            }
        }
    }

    /// A ticket that will never be recorded (its call was dropped): give its slot back
    /// without Python, when it is local.
    pub fn release_local(&self, ticket: Ticket) {
        if let Ticket::Local(p) = ticket {
            self.breaker.record(p, Outcome::Ignored, now_ns);
        }
    }

    #[cold]
    fn open_error(&self, py: Python<'_>, remaining: f64) -> PyErr {
        self.seen.rejected.fetch_add(1, Relaxed);
        let name = &self.name;
        let message = if remaining > 0.0 {
            format!("circuit breaker {name} is open: trial calls in {remaining:.3} seconds")
        } else {
            format!("circuit breaker {name} is half-open and its trial calls are in flight")
        };
        let err = CircuitOpenError::new_err(message);
        let value = err.value(py);
        // Plain attributes a handler can read; failing to set one only loses the detail.
        let _ = value.setattr("name", name.as_str());
        let _ = value.setattr("remaining", remaining);
        err
    }
}

fn has_method(py: Python<'_>, store: &Py<PyAny>, name: &str) -> bool {
    store.bind(py).hasattr(name).unwrap_or(false)
}

fn parse_change(v: &Bound<'_, PyAny>) -> Option<Transition> {
    if v.is_none() {
        return None;
    }
    let (from, to): (String, String) = v.extract().ok()?;
    let by_name = |n: &str| {
        [State::Closed, State::Open, State::HalfOpen]
            .into_iter()
            .find(|s| s.name() == n)
    };
    Some(Transition {
        from: by_name(&from)?,
        to: by_name(&to)?,
    })
}
