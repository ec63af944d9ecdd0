//! Fleet-level resilience: a retry budget and a circuit breaker.
//!
//! Both are plain Rust on atomics (the breaker's window under a short lock), with time passed
//! in as nanoseconds on any clock the caller picks, so every rule is tested here without an
//! interpreter and without sleeping. The bindings read the clock and report what changed.

pub mod breaker;
pub mod budget;
pub mod guard;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// A configuration value that can never work: which argument, its value, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    pub argument: &'static str,
    pub value: String,
    pub reason: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} must be {}, got {}",
            self.argument, self.reason, self.value
        )
    }
}

impl std::error::Error for ConfigError {}

pub(crate) fn check_f64(
    argument: &'static str,
    value: f64,
    ok: bool,
    reason: &'static str,
) -> Result<f64, ConfigError> {
    if ok && value.is_finite() {
        Ok(value)
    } else {
        Err(ConfigError {
            argument,
            value: format!("{value:?}"),
            reason,
        })
    }
}

/// Lets one event through per window, without a lock: a log line that says "the budget is
/// empty" at most once a minute, however many calls find it empty.
#[derive(Debug)]
pub struct Gate {
    window_ns: u64,
    /// The earliest time the next event may pass, plus one (zero: none passed yet).
    next: AtomicU64,
}

impl Gate {
    pub fn new(window_ns: u64) -> Gate {
        Gate {
            window_ns,
            next: AtomicU64::new(0),
        }
    }

    /// Whether an event at `now` is the first of its window (and so should be reported).
    pub fn pass(&self, now: u64) -> bool {
        let mut current = self.next.load(Ordering::Relaxed);
        loop {
            if current != 0 && now < current - 1 {
                return false;
            }
            let next = now.saturating_add(self.window_ns).saturating_add(1);
            match self.next.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(seen) => current = seen,
            }
        }
    }
}

/// A small deterministic generator (splitmix64) for the simulations in the tests.
#[cfg(test)]
pub(crate) struct SplitMix(pub u64);

#[cfg(test)]
impl SplitMix {
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_passes_once_per_window() {
        let gate = Gate::new(1_000);
        assert!(gate.pass(0));
        assert!(!gate.pass(0));
        assert!(!gate.pass(999));
        assert!(gate.pass(1_000));
        assert!(!gate.pass(1_500));
        assert!(gate.pass(5_000));
    }

    #[test]
    fn gate_passes_one_of_many_threads() {
        let gate = std::sync::Arc::new(Gate::new(u64::MAX / 4));
        let passed: usize = (0..8)
            .map(|_| {
                let gate = gate.clone();
                std::thread::spawn(move || (0..1000).filter(|i| gate.pass(*i)).count())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap_or(0))
            .sum();
        assert_eq!(passed, 1);
    }

    #[test]
    fn config_error_names_argument_and_value() {
        let err = check_f64("ratio", -1.0, false, "a number >= 0").map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("ratio must be a number >= 0, got -1.0".to_string())
        );
        let nan = check_f64("ratio", f64::NAN, true, "a number").map_err(|e| e.to_string());
        assert_eq!(nan, Err("ratio must be a number, got NaN".to_string()));
    }
}
