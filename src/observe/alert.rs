//! Alerts: a rolling-window threshold on an operation's retry rate or give-up rate.
//!
//! The window is ten slots, each a tenth of the window wide, keyed by the slot's number since
//! the clock's origin; a slot left from an older lap of the ring is cleared before it is
//! reused. So the rates cover the last nine to ten tenths of the window. A rule fires at most
//! once per window for each rate, however many calls cross it. Time is passed in as
//! nanoseconds, so the arithmetic is tested here with no clock at all.

const SLOTS: usize = 10;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Slot {
    number: u64,
    completed: u64,
    retried: u64,
    gave_up: u64,
}

/// Which rate a rule watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rate {
    Retry,
    GiveUp,
}

impl Rate {
    pub fn name(self) -> &'static str {
        match self {
            Rate::Retry => "retry_rate",
            Rate::GiveUp => "give_up_rate",
        }
    }
}

/// A rule: thresholds (fractions of the calls that ended in the window), the window, and the
/// fewest calls in the window for a rate to count.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub retry_rate: Option<f64>,
    pub give_up_rate: Option<f64>,
    pub window_ns: u64,
    pub min_calls: u64,
}

/// A crossing, as reported to the callback and the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Fired {
    pub rate: Rate,
    pub value: f64,
    pub threshold: f64,
    pub calls: u64,
    pub matching: u64,
}

/// A rule, its rolling window, and the Python callable told of each crossing.
#[derive(Debug)]
pub struct Monitor {
    pub callback: Option<pyo3::Py<pyo3::PyAny>>,
    rule: Rule,
    slot_ns: u64,
    slots: [Slot; SLOTS],
    /// When each rate last fired (retry, give-up).
    last_fired: [Option<u64>; 2],
}

impl Monitor {
    pub fn new(rule: Rule, callback: Option<pyo3::Py<pyo3::PyAny>>) -> Self {
        let slot_ns = (rule.window_ns / SLOTS as u64).max(1);
        Monitor {
            callback,
            rule,
            slot_ns,
            slots: [Slot::default(); SLOTS],
            last_fired: [None; 2],
        }
    }

    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    pub fn reset(&mut self) {
        self.slots = [Slot::default(); SLOTS];
        self.last_fired = [None; 2];
    }

    /// Counts a call that ended at `now_ns`; `retried`: it slept at least once.
    pub fn record(&mut self, now_ns: u64, retried: bool, gave_up: bool) {
        let number = now_ns / self.slot_ns;
        // usize fits SLOTS, and the remainder is below it.
        let slot = &mut self.slots[(number % SLOTS as u64) as usize];
        if slot.number != number {
            *slot = Slot {
                number,
                ..Slot::default()
            };
        }
        slot.completed += 1;
        slot.retried += u64::from(retried);
        slot.gave_up += u64::from(gave_up);
    }

    /// The rates over the window ending at `now_ns`, and what crosses its threshold and has
    /// not fired within the last window.
    pub fn check(&mut self, now_ns: u64) -> Vec<Fired> {
        let current = now_ns / self.slot_ns;
        let oldest = current.saturating_sub(SLOTS as u64 - 1);
        let (mut completed, mut retried, mut gave_up) = (0, 0, 0);
        for s in &self.slots {
            if s.number >= oldest && s.number <= current && s.completed > 0 {
                completed += s.completed;
                retried += s.retried;
                gave_up += s.gave_up;
            }
        }
        let mut out = Vec::new();
        if completed == 0 || completed < self.rule.min_calls {
            return out;
        }
        for (i, (rate, threshold, matching)) in [
            (Rate::Retry, self.rule.retry_rate, retried),
            (Rate::GiveUp, self.rule.give_up_rate, gave_up),
        ]
        .into_iter()
        .enumerate()
        {
            let Some(threshold) = threshold else { continue };
            let value = matching as f64 / completed as f64;
            if value < threshold {
                continue;
            }
            if let Some(at) = self.last_fired[i] {
                if now_ns.saturating_sub(at) < self.rule.window_ns {
                    continue;
                }
            }
            self.last_fired[i] = Some(now_ns);
            out.push(Fired {
                rate,
                value,
                threshold,
                calls: completed,
                matching,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn monitor(retry: Option<f64>, give_up: Option<f64>, min_calls: u64) -> Monitor {
        Monitor::new(
            Rule {
                retry_rate: retry,
                give_up_rate: give_up,
                window_ns: 10 * S,
                min_calls,
            },
            None,
        )
    }

    #[test]
    fn fires_once_per_window() {
        let mut m = monitor(Some(0.5), None, 4);
        for i in 0..3 {
            m.record(i * S, true, false);
            assert!(m.check(i * S).is_empty(), "below min_calls");
        }
        m.record(3 * S, false, false);
        let fired = m.check(3 * S);
        assert_eq!(fired.len(), 1);
        assert_eq!((fired[0].calls, fired[0].matching), (4, 3));
        assert_eq!(fired[0].value, 0.75);
        // Still above, but within the window of the last alert: silent.
        for t in 4..13 {
            m.record(t * S, true, false);
            assert!(m.check(t * S).is_empty());
        }
        m.record(13 * S, true, false);
        assert_eq!(m.check(13 * S).len(), 1);
    }

    #[test]
    fn old_slots_leave_the_window() {
        let mut m = monitor(Some(0.5), None, 1);
        m.record(0, true, false);
        assert_eq!(m.check(0).len(), 1);
        // Ten successes much later: the retried call is out of the window.
        for t in 0..10 {
            m.record((100 + t) * S, false, false);
        }
        assert!(m.check(109 * S).is_empty());
        // A retry now is one call in ten: slot 100 left the window when slot 110 began.
        m.record(110 * S, true, false);
        assert!(m.check(110 * S).is_empty());
    }

    #[test]
    fn give_up_rate_has_its_own_threshold_and_silence() {
        let mut m = monitor(Some(0.9), Some(0.2), 1);
        m.record(0, true, true);
        m.record(0, false, false);
        let fired = m.check(0);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].rate, Rate::GiveUp);
        assert_eq!(fired[0].value, 0.5);
        m.reset();
        m.record(S, true, true);
        let fired = m.check(S);
        assert_eq!(
            fired.iter().map(|f| f.rate).collect::<Vec<_>>(),
            [Rate::Retry, Rate::GiveUp]
        );
    }
}
