//! Tests of `budget.rs`, kept apart so that file reads as the rules alone.
#![allow(clippy::panic)] // a test fails by panicking
use super::*;
use crate::resilience::SplitMix;

fn budget(ratio: f64, capacity: f64, min_per_second: f64) -> Budget {
    match Budget::new(BudgetConfig {
        ratio,
        capacity,
        min_per_second,
    }) {
        Ok(b) => b,
        Err(e) => panic!("{e}"),
    }
}

struct Run {
    attempts_per_call: f64,
    success_rate: f64,
    retries: u64,
    successes: u64,
}

/// `calls` calls, one per millisecond, each up to `attempts` attempts that fail with
/// probability `p` independently; a failure is retried only if the budget pays.
fn simulate(b: &Budget, p: f64, attempts: u32, calls: u64, seed: u64) -> Run {
    let mut rng = SplitMix(seed);
    let (mut total, mut ok) = (0_u64, 0_u64);
    for call in 0..calls {
        let now = call * 1_000_000;
        for attempt in 1..=attempts {
            total += 1;
            if rng.next_f64() >= p {
                ok += 1;
                b.deposit();
                break;
            }
            if attempt == attempts || !b.withdraw(now).allowed() {
                break;
            }
        }
    }
    let stats = b.stats();
    Run {
        attempts_per_call: total as f64 / calls as f64,
        success_rate: ok as f64 / calls as f64,
        retries: stats.retries,
        successes: stats.successes,
    }
}

#[test]
fn default_meets_both_targets_across_the_sweep() {
    const CALLS: u64 = 200_000;
    let mut table = String::from("failure  attempts/call  success\n");
    for percent in 0..=100_u32 {
        let p = f64::from(percent) / 100.0;
        let b = match Budget::new(BudgetConfig::default()) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        let run = simulate(&b, p, 4, CALLS, 0x5EED + u64::from(percent));
        if percent % 10 == 0 {
            table.push_str(&format!(
                "{percent:>6}%  {:>13.4}  {:>7.4}%\n",
                run.attempts_per_call,
                run.success_rate * 100.0
            ));
        }
        // The budget's promise at every rate: retries never exceed what it started
        // with plus what successes earned.
        let allowance = 10.0 + 0.2 * run.successes as f64;
        assert!(run.retries as f64 <= allowance + 1e-6, "{percent}%");
        if percent == 100 {
            assert!(run.attempts_per_call <= 1.1, "{}", run.attempts_per_call);
        }
        if percent == 10 {
            assert!(run.success_rate >= 0.999, "{}", run.success_rate);
        }
        // Without a budget, 4 attempts make a call fail with probability p^4; the budget
        // costs nothing while failures are rare.
        if percent <= 10 {
            assert!(run.success_rate >= 1.0 - p.powi(4) - 0.001, "{percent}%");
        }
    }
    println!("{table}");
}

#[test]
fn full_outage_adds_only_the_capacity() {
    let b = budget(0.2, 10.0, 0.0);
    let run = simulate(&b, 1.0, 4, 1_000, 7);
    assert_eq!(run.retries, 10);
    // Calls 1-3 spend three retries each and stop at their last attempt; call 4 takes
    // the tenth and is refused a second; every later call is refused its first retry.
    assert_eq!(b.stats().exhausted, 997);
    assert!((run.attempts_per_call - 1.01).abs() < 1e-12);
    assert_eq!(run.success_rate, 0.0);
}

#[test]
fn successes_earn_retries_up_to_capacity() {
    let b = budget(0.25, 2.0, 0.0);
    for _ in 0..2 {
        assert_eq!(b.withdraw(0), Withdrawal::Tokens);
    }
    assert_eq!(b.withdraw(0), Withdrawal::Empty);
    for _ in 0..3 {
        b.deposit();
    }
    assert_eq!(b.withdraw(0), Withdrawal::Empty);
    b.deposit();
    assert_eq!(b.withdraw(0), Withdrawal::Tokens);
    for _ in 0..100 {
        b.deposit();
    }
    assert_eq!(b.available(), 2.0);
    assert_eq!(
        b.stats(),
        BudgetStats {
            retries: 3,
            exhausted: 2,
            successes: 104
        }
    );
}

#[test]
fn floor_allows_min_per_second_when_empty() {
    let b = budget(0.0, 0.0, 2.0);
    let s = 1_000_000_000;
    // One second's worth at once, then one every half second.
    assert_eq!(b.withdraw(10 * s), Withdrawal::Floor);
    assert_eq!(b.withdraw(10 * s), Withdrawal::Floor);
    assert_eq!(b.withdraw(10 * s), Withdrawal::Empty);
    assert_eq!(b.withdraw(10 * s + s / 2 - 1), Withdrawal::Empty);
    assert_eq!(b.withdraw(10 * s + s / 2), Withdrawal::Floor);
    assert_eq!(b.withdraw(10 * s + s / 2), Withdrawal::Empty);
    // Over a long outage the floor adds its rate, no more.
    let allowed = (0..10_000_u64)
        .filter(|i| b.withdraw(20 * s + i * (s / 100)).allowed())
        .count();
    assert!((200..=202).contains(&allowed), "{allowed}");
}

#[test]
fn zero_capacity_refuses_every_retry() {
    let b = budget(0.2, 0.0, 0.0);
    b.deposit();
    b.deposit();
    assert_eq!(b.withdraw(0), Withdrawal::Empty);
}

#[test]
fn threads_share_the_allowance_exactly() {
    let b = std::sync::Arc::new(budget(0.5, 100.0, 0.0));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let b = b.clone();
            std::thread::spawn(move || {
                let mut got = 0_u64;
                for n in 0..10_000_u64 {
                    if (n + i) % 4 == 0 {
                        b.deposit();
                    } else if b.withdraw(n).allowed() {
                        got += 1;
                    }
                }
                got
            })
        })
        .collect();
    let got: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    // 8 threads deposit 2,500 times each at 0.5: 10,000 retries earned, plus 100; the
    // capacity cap can only lose credit, never add it.
    assert!(got <= 100 + 10_000, "{got}");
    assert_eq!(got, b.stats().retries);
    assert_eq!(b.stats().successes, 20_000);
    assert_eq!(b.stats().retries + b.stats().exhausted, 60_000);
}

#[test]
fn threads_never_overdraw_a_full_budget() {
    let b = std::sync::Arc::new(budget(0.0, 1000.0, 0.0));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let b = b.clone();
            std::thread::spawn(move || (0..1000).filter(|_| b.withdraw(0).allowed()).count())
        })
        .collect();
    let got: usize = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    assert_eq!(got, 1000);
    assert_eq!(b.stats().exhausted, 7000);
}

#[test]
fn reset_refills() {
    let b = budget(0.2, 1.0, 0.0);
    assert!(b.withdraw(0).allowed());
    assert!(!b.withdraw(0).allowed());
    b.reset();
    assert_eq!(b.stats(), BudgetStats::default());
    assert!(b.withdraw(0).allowed());
}

#[test]
fn invalid_config_names_the_argument() {
    for (config, argument) in [
        (
            BudgetConfig {
                ratio: -0.1,
                ..Default::default()
            },
            "ratio",
        ),
        (
            BudgetConfig {
                ratio: f64::NAN,
                ..Default::default()
            },
            "ratio",
        ),
        (
            BudgetConfig {
                capacity: f64::INFINITY,
                ..Default::default()
            },
            "capacity",
        ),
        (
            BudgetConfig {
                min_per_second: -1.0,
                ..Default::default()
            },
            "min_per_second",
        ),
    ] {
        match Budget::new(config) {
            Err(e) => assert_eq!(e.argument, argument),
            Ok(_) => panic!("{argument} accepted"),
        }
    }
}
