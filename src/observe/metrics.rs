//! The metrics registry: per-operation counters and a histogram of call durations, on atomics
//! (the histogram and the time units are in `histogram`).
//!
//! An operation's handle (`Arc<Operation>`) is looked up once, when a function is decorated
//! or a controller's plan is compiled; a call then only bumps relaxed atomics. Nothing here
//! touches Python, so all of it is tested without an interpreter.
//!
//! A first-try success through the engine's fast path bumps two atomics: one duration bucket
//! and the duration sum. Every call that ends is in the histogram, and every call that ends
//! through the engine is also in a verdict counter, so the fast path's calls are the
//! histogram's count less those; `calls`, `attempts` and `first_try` are derived from that at
//! snapshot time instead of being counted again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use crate::observe::alert::Monitor;
use crate::observe::histogram::{Histogram, HistogramSnapshot};
// The units every counter here is kept in: part of this module's interface.
pub use crate::observe::histogram::{nanos, seconds_to_nanos, BUCKET_BOUNDS};

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The first attempt's result was the result.
    FirstTry,
    /// A later attempt's result was the result.
    Recovered,
    /// The stop strategy ended the retries (RetryError, reraise or retry_error_callback).
    GaveUp,
    /// An exception that was not retried ended the call (the retry predicate declined it, it
    /// was an interrupt, or a callback raised).
    Error,
}

/// One operation's counters. `started` and `attempts` count the calls and attempts outside
/// the fast path; see `Snapshot` for the totals.
#[derive(Default)]
pub struct Operation {
    name: String,
    duration: Histogram,
    started: AtomicU64,
    first_try: AtomicU64,
    recovered: AtomicU64,
    gave_up: AtomicU64,
    errors: AtomicU64,
    retried_calls: AtomicU64,
    attempts: AtomicU64,
    retries: AtomicU64,
    slept_ns: AtomicU64,
    /// Calls whose retries the budget ended, whose retries an open breaker ended, and calls
    /// an open breaker refused before their function ran.
    budget_stops: AtomicU64,
    breaker_stops: AtomicU64,
    breaker_refusals: AtomicU64,
    /// An alert rule exists: completions must also go into its rolling window.
    has_alert: AtomicBool,
    alert: Mutex<Option<Monitor>>,
}

/// Everything counted for one operation, read at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub name: String,
    pub calls: u64,
    pub first_try: u64,
    pub recovered: u64,
    pub gave_up: u64,
    pub errors: u64,
    pub retried_calls: u64,
    pub attempts: u64,
    pub retries: u64,
    pub slept_ns: u64,
    pub budget_stops: u64,
    pub breaker_stops: u64,
    pub breaker_refusals: u64,
    pub duration: HistogramSnapshot,
}

impl Snapshot {
    pub fn completed(&self) -> u64 {
        self.first_try + self.recovered + self.gave_up + self.errors
    }

    fn rate(&self, part: u64) -> Option<f64> {
        match self.completed() {
            0 => None,
            n => Some(part as f64 / n as f64),
        }
    }

    /// Calls that returned a result, over calls that ended.
    pub fn success_rate(&self) -> Option<f64> {
        self.rate(self.first_try + self.recovered)
    }

    /// Calls that needed at least one retry, over calls that ended.
    pub fn retry_rate(&self) -> Option<f64> {
        self.rate(self.retried_calls)
    }

    /// Calls that gave up, over calls that ended.
    pub fn give_up_rate(&self) -> Option<f64> {
        self.rate(self.gave_up)
    }
}

impl Operation {
    pub fn new(name: &str) -> Self {
        Operation {
            name: name.to_owned(),
            ..Default::default()
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A first-try success that never entered the engine.
    #[inline]
    pub fn fast_success(&self, elapsed_ns: u64) {
        self.duration.observe_ns(elapsed_ns);
    }

    pub fn started(&self) {
        self.started.fetch_add(1, Relaxed);
    }

    pub fn attempt(&self) {
        self.attempts.fetch_add(1, Relaxed);
    }

    /// A call's attempts and retries so far (added in batches, see `observe::CallObs`).
    pub fn add_progress(&self, attempts: u64, retries: u64, slept_ns: u64) {
        if attempts > 0 {
            self.attempts.fetch_add(attempts, Relaxed);
        }
        if retries > 0 {
            self.retries.fetch_add(retries, Relaxed);
            self.slept_ns.fetch_add(slept_ns, Relaxed);
        }
    }

    /// The retry budget (`"budget"`) or an open breaker (`"breaker"`) ended a call's retries.
    pub fn held_back(&self, by: &str) {
        let counter = if by == "budget" {
            &self.budget_stops
        } else {
            &self.breaker_stops
        };
        counter.fetch_add(1, Relaxed);
    }

    /// An open breaker refused a call's attempt.
    pub fn refused(&self) {
        self.breaker_refusals.fetch_add(1, Relaxed);
    }

    /// A call that went through the engine ended; `retried` says whether it ever slept.
    pub fn finished(&self, verdict: Verdict, retried: bool, elapsed_ns: u64) {
        let counter = match verdict {
            Verdict::FirstTry => &self.first_try,
            Verdict::Recovered => &self.recovered,
            Verdict::GaveUp => &self.gave_up,
            Verdict::Error => &self.errors,
        };
        // The verdict first, the histogram second: a snapshot taken in between sees one
        // fast-path call too few, never one too many.
        counter.fetch_add(1, Relaxed);
        if retried {
            self.retried_calls.fetch_add(1, Relaxed);
        }
        self.duration.observe_ns(elapsed_ns);
    }

    #[inline]
    pub fn has_alert(&self) -> bool {
        self.has_alert.load(Relaxed)
    }

    /// The alert monitor, if any, locked. A poisoned lock (a panic elsewhere) still hands out
    /// its data: a rolling window has no invariant that a panic could break.
    pub fn alert(&self) -> MutexGuard<'_, Option<Monitor>> {
        self.alert.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_alert(&self, monitor: Option<Monitor>) {
        let mut slot = self.alert();
        self.has_alert.store(monitor.is_some(), Relaxed);
        *slot = monitor;
    }

    pub fn snapshot(&self) -> Snapshot {
        let first_try = self.first_try.load(Relaxed);
        let recovered = self.recovered.load(Relaxed);
        let gave_up = self.gave_up.load(Relaxed);
        let errors = self.errors.load(Relaxed);
        let duration = self.duration.snapshot();
        let fast = duration
            .count()
            .saturating_sub(first_try + recovered + gave_up + errors);
        Snapshot {
            name: self.name.clone(),
            calls: fast + self.started.load(Relaxed),
            first_try: fast + first_try,
            recovered,
            gave_up,
            errors,
            retried_calls: self.retried_calls.load(Relaxed),
            attempts: fast + self.attempts.load(Relaxed),
            retries: self.retries.load(Relaxed),
            slept_ns: self.slept_ns.load(Relaxed),
            budget_stops: self.budget_stops.load(Relaxed),
            breaker_stops: self.breaker_stops.load(Relaxed),
            breaker_refusals: self.breaker_refusals.load(Relaxed),
            duration,
        }
    }

    pub fn reset(&self) {
        for c in [
            &self.started,
            &self.first_try,
            &self.recovered,
            &self.gave_up,
            &self.errors,
            &self.retried_calls,
            &self.attempts,
            &self.retries,
            &self.slept_ns,
            &self.budget_stops,
            &self.breaker_stops,
            &self.breaker_refusals,
        ] {
            c.store(0, Relaxed);
        }
        self.duration.reset();
        if let Some(m) = self.alert().as_mut() {
            m.reset();
        }
    }
}

/// Every operation by name. Looked up when a function is decorated or a plan compiled, never
/// on a decorated function's call.
static REGISTRY: LazyLock<Mutex<HashMap<String, Arc<Operation>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn registry() -> MutexGuard<'static, HashMap<String, Arc<Operation>>> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// The operation called `name`, made on first use.
pub fn operation(name: &str) -> Arc<Operation> {
    let mut map = registry();
    if let Some(op) = map.get(name) {
        return Arc::clone(op);
    }
    let op = Arc::new(Operation::new(name));
    map.insert(name.to_owned(), Arc::clone(&op));
    op
}

/// Every operation, sorted by name.
pub fn operations() -> Vec<Arc<Operation>> {
    let mut ops: Vec<_> = registry().values().cloned().collect();
    ops.sort_by(|a, b| a.name.cmp(&b.name));
    ops
}

/// Zeroes every counter. Handles stay valid and alert rules stay in place.
pub fn reset() {
    for op in operations() {
        op.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_successes_count_as_calls_attempts_and_first_tries() {
        let op = Operation::new("op");
        op.fast_success(50_000);
        op.fast_success(2_000_000);
        op.started();
        op.add_progress(2, 1, 500_000_000);
        op.finished(Verdict::Recovered, true, 600_000_000);
        let s = op.snapshot();
        assert_eq!(
            (s.calls, s.first_try, s.recovered, s.attempts),
            (3, 2, 1, 4)
        );
        assert_eq!(
            (s.retries, s.slept_ns, s.retried_calls),
            (1, 500_000_000, 1)
        );
        assert_eq!(s.duration.count(), 3);
        assert_eq!(s.duration.sum_ns, 602_050_000);
        assert_eq!(s.success_rate(), Some(1.0));
        assert_eq!(s.retry_rate(), Some(1.0 / 3.0));
        assert_eq!(s.give_up_rate(), Some(0.0));
        op.reset();
        let s = op.snapshot();
        assert_eq!((s.calls, s.duration.count()), (0, 0));
        assert_eq!(s.success_rate(), None);
    }

    #[test]
    fn the_registry_hands_out_one_handle_per_name() {
        let a = operation("metrics::tests::a");
        let b = operation("metrics::tests::a");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &operation("metrics::tests::b")));
    }

    #[test]
    fn counts_are_exact_across_threads() {
        let op = Arc::new(Operation::new("threads"));
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let op = Arc::clone(&op);
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        op.fast_success(10);
                        op.started();
                        op.attempt();
                        op.finished(Verdict::GaveUp, false, 10);
                    }
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().is_ok());
        }
        let s = op.snapshot();
        assert_eq!((s.calls, s.first_try, s.gave_up), (32_000, 16_000, 16_000));
        assert_eq!(s.duration.sum_ns, 320_000);
    }
}
