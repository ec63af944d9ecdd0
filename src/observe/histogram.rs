//! Durations: whole nanoseconds, and a histogram of them in fixed buckets, on atomics.
//!
//! Every counter of `metrics` keeps time in these units; the buckets are the ones the
//! Prometheus exporter renders, so they are fixed, not configurable per operation.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (seconds) of the duration buckets; a last bucket holds everything above.
/// Fine at the low end, where a call that succeeds at once lands, and up to minutes, where a
/// call that slept between attempts lands.
pub const BUCKET_BOUNDS: [f64; 20] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

const fn bounds_ns() -> [u64; 20] {
    let mut out = [0_u64; 20];
    let mut i = 0;
    while i < 20 {
        out[i] = (BUCKET_BOUNDS[i] * 1e9) as u64;
        i += 1;
    }
    out
}

const BOUNDS_NS: [u64; 20] = bounds_ns();

/// Nanoseconds in a `Duration`, saturating (584 years fit).
pub fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Seconds as whole nanoseconds: negative and NaN count as zero, huge values saturate. Whole
/// nanoseconds keep sums exact (0.1 + 0.1 + 0.1 is 0.3 here).
pub fn seconds_to_nanos(secs: f64) -> u64 {
    if secs.is_nan() || secs <= 0.0 {
        0
    } else {
        // `as` saturates at u64::MAX.
        (secs * 1e9).round() as u64
    }
}

#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; 21],
    sum_ns: AtomicU64,
}

/// A histogram read at one moment: per-bucket counts (not cumulative), the last one above
/// every bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistogramSnapshot {
    pub counts: [u64; 21],
    pub sum_ns: u64,
}

impl HistogramSnapshot {
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

pub fn bucket_index(ns: u64) -> usize {
    // Most calls land in the first buckets: a forward scan beats a binary search.
    BOUNDS_NS.iter().position(|&b| ns <= b).unwrap_or(20)
}

impl Histogram {
    #[inline]
    pub fn observe_ns(&self, ns: u64) {
        self.counts[bucket_index(ns)].fetch_add(1, Relaxed);
        self.sum_ns.fetch_add(ns, Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut counts = [0_u64; 21];
        for (out, c) in counts.iter_mut().zip(&self.counts) {
            *out = c.load(Relaxed);
        }
        HistogramSnapshot {
            counts,
            sum_ns: self.sum_ns.load(Relaxed),
        }
    }

    pub fn reset(&self) {
        for c in &self.counts {
            c.store(0, Relaxed);
        }
        self.sum_ns.store(0, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_inclusive_upper_bounds() {
        assert_eq!(bucket_index(0), 0);
        assert_eq!(bucket_index(100_000), 0);
        assert_eq!(bucket_index(100_001), 1);
        assert_eq!(bucket_index(1_000_000_000), 12);
        assert_eq!(bucket_index(300_000_000_000), 19);
        assert_eq!(bucket_index(u64::MAX), 20);
    }

    #[test]
    fn seconds_become_whole_nanoseconds() {
        assert_eq!(seconds_to_nanos(0.1) * 3, seconds_to_nanos(0.3));
        assert_eq!(seconds_to_nanos(-1.0), 0);
        assert_eq!(seconds_to_nanos(f64::NAN), 0);
        assert_eq!(seconds_to_nanos(f64::INFINITY), u64::MAX);
    }
}
