//! A circuit breaker with resilience4j's semantics.
//!
//! Closed, it records each call's outcome in a count-based sliding window; once the window
//! holds `minimum_calls` outcomes (or is full, if smaller), a failure rate at or above
//! `failure_rate` opens it. Open, every call is refused at once until `open_for` has passed;
//! the first call after that moves it to half-open, where `half_open_calls` trial calls are
//! let through and the rest refused. When all the trials have finished, their failure rate
//! decides: at or above the threshold it opens again, below it closes with an empty window.
//!
//! Every state change bumps an epoch, and a permit carries the epoch it was granted in: an
//! outcome from an older state (a slow call admitted while closed that ends after the breaker
//! opened) is ignored, as resilience4j does. Outcomes the caller does not count as failures or
//! successes (`Ignored`: a 404 for a breaker that guards availability) only give a trial slot
//! back.
//!
//! The state and epoch live in one atomic, so a closed breaker admits a call without a lock;
//! the window and the transitions are under a short mutex that never calls out.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::{check_f64, ConfigError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    Closed,
    Open,
    HalfOpen,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        }
    }

    /// The value of the Prometheus gauge: 0 closed, 1 open, 2 half-open (resilience4j's
    /// order of severity would put half-open between; the numbers are only labels).
    pub fn code(self) -> u8 {
        match self {
            State::Closed => 0,
            State::Open => 1,
            State::HalfOpen => 2,
        }
    }

    fn from_code(code: u64) -> State {
        match code {
            1 => State::Open,
            2 => State::HalfOpen,
            _ => State::Closed,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BreakerConfig {
    /// The failure rate (0 < rate <= 1) at or above which the breaker opens.
    pub failure_rate: f64,
    /// How many of the latest outcomes the window holds.
    pub window: u32,
    /// The fewest outcomes in the window before the rate counts.
    pub minimum_calls: u32,
    /// How long the breaker stays open before trial calls, in nanoseconds.
    pub open_for_ns: u64,
    /// How many trial calls half-open lets through.
    pub half_open_calls: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_rate: 0.5,
            window: 100,
            minimum_calls: 10,
            open_for_ns: 30_000_000_000,
            half_open_calls: 3,
        }
    }
}

pub const MAX_WINDOW: u32 = 1_000_000;

fn check_count(argument: &'static str, value: u32, max: u32) -> Result<(), ConfigError> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError {
            argument,
            value: value.to_string(),
            reason: "an integer from 1 to 1000000",
        })
    }
}

impl BreakerConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_f64(
            "failure_rate",
            self.failure_rate,
            self.failure_rate > 0.0 && self.failure_rate <= 1.0,
            "a number above 0 and at most 1",
        )?;
        check_count("window", self.window, MAX_WINDOW)?;
        check_count("minimum_calls", self.minimum_calls, MAX_WINDOW)?;
        check_count("half_open_calls", self.half_open_calls, MAX_WINDOW)?;
        Ok(())
    }
}

/// Leave to make one call, from the state (epoch) it was granted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permit {
    pub epoch: u64,
    pub trial: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Allowed(Permit),
    /// Refused; the breaker is open for `remaining_ns` more (0 when half-open and full).
    Rejected {
        remaining_ns: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    /// Neither: the call ended in a way the policy does not count (or was cancelled).
    Ignored,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: State,
    pub to: State,
}

/// Totals since the breaker was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BreakerStats {
    pub opened: u64,
    pub half_opened: u64,
    pub closed: u64,
    pub rejected: u64,
}

#[derive(Debug)]
struct Inner {
    state: State,
    epoch: u64,
    /// The window as a ring: `true` is a failure.
    ring: Vec<bool>,
    head: usize,
    len: usize,
    failures: usize,
    open_until: u64,
    admitted: u32,
    trial_done: u32,
    trial_failures: u32,
    stats: BreakerStats,
}

#[derive(Debug)]
pub struct Breaker {
    config: BreakerConfig,
    /// `epoch << 2 | state code`, mirrored from `inner` for the lock-free closed path.
    status: AtomicU64,
    inner: Mutex<Inner>,
}

fn pack(epoch: u64, state: State) -> u64 {
    (epoch << 2) | u64::from(state.code())
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Result<Breaker, ConfigError> {
        config.validate()?;
        let window = config.window as usize;
        Ok(Breaker {
            status: AtomicU64::new(pack(0, State::Closed)),
            inner: Mutex::new(Inner {
                state: State::Closed,
                epoch: 0,
                ring: vec![false; window],
                head: 0,
                len: 0,
                failures: 0,
                open_until: 0,
                admitted: 0,
                trial_done: 0,
                trial_failures: 0,
                stats: BreakerStats::default(),
            }),
            config,
        })
    }

    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing under the lock can panic halfway through a change, so a poisoned lock
        // still holds a consistent state.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn state(&self) -> State {
        State::from_code(self.status.load(Ordering::Acquire) & 3)
    }

    /// Asks to make one call. `now` (nanoseconds) is read only if the breaker is not closed.
    pub fn acquire(&self, now: impl FnOnce() -> u64) -> (Admission, Option<Transition>) {
        let status = self.status.load(Ordering::Acquire);
        if status & 3 == u64::from(State::Closed.code()) {
            let permit = Permit {
                epoch: status >> 2,
                trial: false,
            };
            return (Admission::Allowed(permit), None);
        }
        let mut inner = self.lock();
        match inner.state {
            State::Closed => (Admission::Allowed(self.permit(&inner, false)), None),
            State::Open => {
                let t = now();
                if t < inner.open_until {
                    inner.stats.rejected += 1;
                    let remaining_ns = inner.open_until - t;
                    return (Admission::Rejected { remaining_ns }, None);
                }
                let transition = self.enter(&mut inner, State::HalfOpen, t);
                inner.admitted = 1;
                (Admission::Allowed(self.permit(&inner, true)), transition)
            }
            State::HalfOpen => {
                if inner.admitted < self.config.half_open_calls {
                    inner.admitted += 1;
                    (Admission::Allowed(self.permit(&inner, true)), None)
                } else {
                    inner.stats.rejected += 1;
                    (Admission::Rejected { remaining_ns: 0 }, None)
                }
            }
        }
    }

    fn permit(&self, inner: &Inner, trial: bool) -> Permit {
        Permit {
            epoch: inner.epoch,
            trial,
        }
    }

    /// Records how a permitted call ended. `now` is read only if the breaker opens.
    pub fn record(
        &self,
        permit: Permit,
        outcome: Outcome,
        now: impl FnOnce() -> u64,
    ) -> Option<Transition> {
        let mut inner = self.lock();
        if permit.epoch != inner.epoch {
            return None;
        }
        match (inner.state, outcome) {
            (State::Closed, Outcome::Ignored) | (State::Open, _) => None,
            (State::Closed, _) => {
                let failed = outcome == Outcome::Failure;
                let window = inner.ring.len();
                if inner.len == window {
                    let head = inner.head;
                    if inner.ring[head] {
                        inner.failures -= 1;
                    }
                } else {
                    inner.len += 1;
                }
                let head = inner.head;
                inner.ring[head] = failed;
                inner.head = (head + 1) % window;
                inner.failures += usize::from(failed);
                let needed = self.config.minimum_calls.min(self.config.window) as usize;
                if inner.len >= needed && self.over(inner.failures, inner.len) {
                    self.enter(&mut inner, State::Open, now())
                } else {
                    None
                }
            }
            (State::HalfOpen, Outcome::Ignored) => {
                inner.admitted = inner.admitted.saturating_sub(1);
                None
            }
            (State::HalfOpen, _) => {
                inner.trial_done += 1;
                inner.trial_failures += u32::from(outcome == Outcome::Failure);
                if inner.trial_done < self.config.half_open_calls {
                    return None;
                }
                let (failures, done) = (inner.trial_failures as usize, inner.trial_done as usize);
                if self.over(failures, done) {
                    self.enter(&mut inner, State::Open, now())
                } else {
                    self.enter(&mut inner, State::Closed, 0)
                }
            }
        }
    }

    fn over(&self, failures: usize, calls: usize) -> bool {
        failures as f64 >= self.config.failure_rate * calls as f64
    }

    /// Moves to `to`, starting it afresh, and publishes the new status.
    fn enter(&self, inner: &mut Inner, to: State, now: u64) -> Option<Transition> {
        let from = inner.state;
        inner.state = to;
        inner.epoch = inner.epoch.wrapping_add(1) & (u64::MAX >> 2);
        inner.admitted = 0;
        inner.trial_done = 0;
        inner.trial_failures = 0;
        let changed = u64::from(from != to);
        match to {
            State::Open => {
                inner.open_until = now.saturating_add(self.config.open_for_ns);
                inner.stats.opened += changed;
            }
            State::HalfOpen => inner.stats.half_opened += changed,
            State::Closed => {
                inner.head = 0;
                inner.len = 0;
                inner.failures = 0;
                inner.stats.closed += changed;
            }
        }
        self.status.store(pack(inner.epoch, to), Ordering::Release);
        (from != to).then_some(Transition { from, to })
    }

    /// Opens the breaker now, whatever its state (an operator's switch, or another process's
    /// verdict read from a shared store).
    pub fn trip(&self, now: u64) -> Option<Transition> {
        let mut inner = self.lock();
        self.enter(&mut inner, State::Open, now)
    }

    /// Closes the breaker with an empty window.
    pub fn reset(&self) -> Option<Transition> {
        let mut inner = self.lock();
        self.enter(&mut inner, State::Closed, 0)
    }

    /// The failure rate over the window now, and how many outcomes it holds.
    pub fn window(&self) -> (f64, usize) {
        let inner = self.lock();
        let rate = if inner.len == 0 {
            0.0
        } else {
            inner.failures as f64 / inner.len as f64
        };
        (rate, inner.len)
    }

    pub fn stats(&self) -> BreakerStats {
        self.lock().stats
    }
}

#[cfg(test)]
#[path = "breaker_tests.rs"]
mod tests;
