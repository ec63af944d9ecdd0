//! A retry budget: retries across every call that shares it are limited to a fraction of the
//! calls that succeed, plus a small reserve.
//!
//! Tokens are fixed-point (a millionth of a retry) in one atomic. A retry withdraws one whole
//! token; a successful call deposits `ratio` of one, up to `capacity`. Because only successes
//! deposit, a dependency that is fully down drains the budget and its callers then make one
//! attempt per call: at 100% failure, `capacity` retries are all the fleet ever adds. At a
//! failure rate `p` with `n` attempts per call, a call needs `p + p^2 + ... + p^(n-1)` retries
//! on average, so a ratio above that keeps the budget full (0.2 covers 0.111 at 10%).
//!
//! An optional floor of `min_per_second` retries lets a quiet service with few successes still
//! retry now and then; it is a generic cell-rate limiter (one atomic "theoretical arrival
//! time") consulted only when the tokens are gone, and it is off by default so that the 1.1
//! attempts-per-call bound at full outage does not depend on the traffic rate.
//!
//! Nothing blocks: a withdrawal either succeeds at once or says no. The first attempt never
//! asks.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::{check_f64, ConfigError};

/// Fixed-point units in one retry.
const UNIT: u64 = 1_000_000;
const NANOS_PER_SEC: f64 = 1e9;

/// What a budget is made of; every field is checked by [`BudgetConfig::validate`].
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetConfig {
    /// Retries a successful call earns (0.2: one retry per five successes).
    pub ratio: f64,
    /// The most retries the budget can hold; it starts full.
    pub capacity: f64,
    /// Retries allowed per second even when the tokens are gone (0: none).
    pub min_per_second: f64,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            ratio: 0.2,
            capacity: 10.0,
            min_per_second: 0.0,
        }
    }
}

impl BudgetConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_f64(
            "ratio",
            self.ratio,
            (0.0..=1000.0).contains(&self.ratio),
            "a number from 0 to 1000",
        )?;
        check_f64(
            "capacity",
            self.capacity,
            (0.0..=1e9).contains(&self.capacity),
            "a number from 0 to 1e9",
        )?;
        check_f64(
            "min_per_second",
            self.min_per_second,
            (0.0..=1e6).contains(&self.min_per_second),
            "a number from 0 to 1e6",
        )?;
        Ok(())
    }
}

/// Why a retry was refused or allowed, for the counters and the call's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Withdrawal {
    /// Paid from the tokens.
    Tokens,
    /// Paid from the per-second floor.
    Floor,
    /// Refused: the budget is empty.
    Empty,
}

impl Withdrawal {
    pub fn allowed(self) -> bool {
        !matches!(self, Withdrawal::Empty)
    }
}

/// Totals since the budget was made (or reset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BudgetStats {
    pub retries: u64,
    pub exhausted: u64,
    pub successes: u64,
}

/// A retry budget, shared by reference between every policy that uses it.
#[derive(Debug)]
pub struct Budget {
    config: BudgetConfig,
    deposit: u64,
    capacity: u64,
    /// Nanoseconds between floor retries, and the floor's burst (one second's worth).
    interval_ns: u64,
    burst_ns: u64,
    tokens: AtomicU64,
    /// The floor's theoretical arrival time (nanoseconds on the caller's clock).
    floor_tat: AtomicU64,
    retries: AtomicU64,
    exhausted: AtomicU64,
    successes: AtomicU64,
}

fn to_units(x: f64) -> u64 {
    // Validated ranges keep this far below u64::MAX; `as` saturates anyway.
    (x * UNIT as f64).round() as u64
}

impl Budget {
    pub fn new(config: BudgetConfig) -> Result<Budget, ConfigError> {
        config.validate()?;
        let capacity = to_units(config.capacity);
        let (interval_ns, burst_ns) = if config.min_per_second > 0.0 {
            let interval = (NANOS_PER_SEC / config.min_per_second).max(1.0) as u64;
            let per_burst = config.min_per_second.ceil().max(1.0) as u64;
            (interval, interval.saturating_mul(per_burst))
        } else {
            (0, 0)
        };
        Ok(Budget {
            deposit: to_units(config.ratio),
            capacity,
            interval_ns,
            burst_ns,
            tokens: AtomicU64::new(capacity),
            floor_tat: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            exhausted: AtomicU64::new(0),
            successes: AtomicU64::new(0),
            config,
        })
    }

    pub fn config(&self) -> &BudgetConfig {
        &self.config
    }

    /// Asks for one retry at `now` (nanoseconds). Never waits.
    pub fn withdraw(&self, now: u64) -> Withdrawal {
        let paid = self
            .tokens
            .fetch_update(Relaxed, Relaxed, |t| t.checked_sub(UNIT))
            .is_ok();
        let outcome = if paid {
            Withdrawal::Tokens
        } else if self.take_floor(now) {
            Withdrawal::Floor
        } else {
            Withdrawal::Empty
        };
        if outcome.allowed() {
            self.retries.fetch_add(1, Relaxed);
        } else {
            self.exhausted.fetch_add(1, Relaxed);
        }
        outcome
    }

    /// Credits one successful call.
    pub fn deposit(&self) {
        self.successes.fetch_add(1, Relaxed);
        if self.deposit == 0 {
            return;
        }
        let (cap, add) = (self.capacity, self.deposit);
        // Skip the write when full: the common state of a healthy service.
        let _ = self.tokens.fetch_update(Relaxed, Relaxed, |t| {
            (t < cap).then(|| t.saturating_add(add).min(cap))
        });
    }

    fn take_floor(&self, now: u64) -> bool {
        if self.interval_ns == 0 {
            return false;
        }
        self.floor_tat
            .fetch_update(Relaxed, Relaxed, |tat| {
                let next = tat.max(now).saturating_add(self.interval_ns);
                (next <= now.saturating_add(self.burst_ns)).then_some(next)
            })
            .is_ok()
    }

    /// The retries the tokens can pay for now (the floor not included).
    pub fn available(&self) -> f64 {
        self.tokens.load(Relaxed) as f64 / UNIT as f64
    }

    pub fn stats(&self) -> BudgetStats {
        BudgetStats {
            retries: self.retries.load(Relaxed),
            exhausted: self.exhausted.load(Relaxed),
            successes: self.successes.load(Relaxed),
        }
    }

    /// Refills the tokens and clears the totals.
    pub fn reset(&self) {
        self.tokens.store(self.capacity, Relaxed);
        self.floor_tat.store(0, Relaxed);
        self.retries.store(0, Relaxed);
        self.exhausted.store(0, Relaxed);
        self.successes.store(0, Relaxed);
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
