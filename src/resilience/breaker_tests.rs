//! Tests of `breaker.rs`, kept apart so that file reads as the rules alone.
#![allow(clippy::panic)] // a test fails by panicking
use super::*;
use std::sync::Arc;

const S: u64 = 1_000_000_000;

fn breaker(failure_rate: f64, window: u32, minimum_calls: u32, half_open_calls: u32) -> Breaker {
    let config = BreakerConfig {
        failure_rate,
        window,
        minimum_calls,
        open_for_ns: 10 * S,
        half_open_calls,
    };
    match Breaker::new(config) {
        Ok(b) => b,
        Err(e) => panic!("{e}"),
    }
}

fn permit(b: &Breaker, now: u64) -> Permit {
    match b.acquire(|| now).0 {
        Admission::Allowed(p) => p,
        Admission::Rejected { .. } => panic!("rejected at {now}"),
    }
}

fn call(b: &Breaker, outcome: Outcome, now: u64) -> Option<Transition> {
    let p = permit(b, now);
    b.record(p, outcome, || now)
}

const OPENED: Option<Transition> = Some(Transition {
    from: State::Closed,
    to: State::Open,
});

#[test]
fn opens_at_the_threshold_once_minimum_calls_were_seen() {
    let b = breaker(0.5, 10, 4, 2);
    // Three failures in a row: 100%, but below the minimum.
    for _ in 0..3 {
        assert_eq!(call(&b, Outcome::Failure, 0), None);
    }
    assert_eq!(b.state(), State::Closed);
    // The fourth outcome reaches the minimum: 3/4 >= 0.5.
    assert_eq!(call(&b, Outcome::Success, 5), OPENED);
    assert_eq!(b.state(), State::Open);
    assert_eq!(b.stats().opened, 1);
}

#[test]
fn below_the_threshold_stays_closed_and_the_window_slides() {
    let b = breaker(0.5, 4, 4, 1);
    for outcome in [
        Outcome::Failure,
        Outcome::Success,
        Outcome::Success,
        Outcome::Success,
    ] {
        assert_eq!(call(&b, outcome, 0), None);
    }
    // Window [F S S S] -> [S S S F]: 1/4.
    assert_eq!(call(&b, Outcome::Failure, 0), None);
    assert_eq!(b.window(), (0.25, 4));
    // [S S F F]: exactly the threshold opens it.
    assert_eq!(call(&b, Outcome::Failure, 0), OPENED);
}

#[test]
fn ignored_outcomes_do_not_count() {
    let b = breaker(0.5, 10, 2, 1);
    for _ in 0..50 {
        assert_eq!(call(&b, Outcome::Ignored, 0), None);
    }
    assert_eq!(b.window(), (0.0, 0));
    assert_eq!(b.state(), State::Closed);
}

#[test]
fn open_rejects_until_the_wait_then_admits_trials() {
    let b = breaker(0.5, 2, 2, 2);
    call(&b, Outcome::Failure, 0);
    assert_eq!(call(&b, Outcome::Failure, S), OPENED);
    assert_eq!(
        b.acquire(|| 2 * S).0,
        Admission::Rejected {
            remaining_ns: 9 * S
        }
    );
    assert_eq!(
        b.acquire(|| 11 * S - 1).0,
        Admission::Rejected { remaining_ns: 1 }
    );
    let (first, moved) = b.acquire(|| 11 * S);
    assert_eq!(
        moved,
        Some(Transition {
            from: State::Open,
            to: State::HalfOpen
        })
    );
    assert!(matches!(
        first,
        Admission::Allowed(Permit { trial: true, .. })
    ));
    assert!(matches!(b.acquire(|| 11 * S).0, Admission::Allowed(_)));
    // Both trial slots are taken.
    assert_eq!(
        b.acquire(|| 12 * S).0,
        Admission::Rejected { remaining_ns: 0 }
    );
    assert_eq!(b.stats().rejected, 3);
}

#[test]
fn trials_close_it_below_the_threshold() {
    let b = breaker(0.5, 2, 2, 3);
    b.trip(0);
    let trials: Vec<Permit> = (0..3).map(|_| permit(&b, 10 * S)).collect();
    assert_eq!(b.record(trials[0], Outcome::Success, || 10 * S), None);
    assert_eq!(b.record(trials[1], Outcome::Failure, || 10 * S), None);
    assert_eq!(
        b.record(trials[2], Outcome::Success, || 10 * S),
        Some(Transition {
            from: State::HalfOpen,
            to: State::Closed
        })
    );
    assert_eq!(b.window(), (0.0, 0));
    // Closed afresh: one failure is below the minimum again.
    assert_eq!(call(&b, Outcome::Failure, 11 * S), None);
}

#[test]
fn trials_reopen_it_at_the_threshold_for_another_wait() {
    let b = breaker(0.5, 2, 2, 2);
    b.trip(0);
    let trials: Vec<Permit> = (0..2).map(|_| permit(&b, 10 * S)).collect();
    b.record(trials[0], Outcome::Success, || 10 * S);
    assert_eq!(
        b.record(trials[1], Outcome::Failure, || 12 * S),
        Some(Transition {
            from: State::HalfOpen,
            to: State::Open
        })
    );
    assert!(matches!(b.acquire(|| 21 * S).0, Admission::Rejected { .. }));
    assert!(matches!(b.acquire(|| 22 * S).0, Admission::Allowed(_)));
    assert_eq!(b.stats().half_opened, 2);
}

#[test]
fn an_ignored_trial_gives_its_slot_back() {
    let b = breaker(0.5, 2, 2, 1);
    b.trip(0);
    let trial = permit(&b, 10 * S);
    assert!(matches!(b.acquire(|| 10 * S).0, Admission::Rejected { .. }));
    assert_eq!(b.record(trial, Outcome::Ignored, || 10 * S), None);
    assert_eq!(b.state(), State::HalfOpen);
    let again = permit(&b, 10 * S);
    assert_eq!(
        b.record(again, Outcome::Success, || 10 * S).map(|t| t.to),
        Some(State::Closed)
    );
}

#[test]
fn outcomes_from_an_older_state_are_ignored() {
    let b = breaker(0.5, 2, 2, 1);
    let slow = permit(&b, 0);
    b.trip(0);
    let trial = permit(&b, 10 * S);
    // The slow call admitted while closed ends during half-open: it is not a trial.
    assert_eq!(b.record(slow, Outcome::Failure, || 10 * S), None);
    assert_eq!(b.state(), State::HalfOpen);
    assert_eq!(
        b.record(trial, Outcome::Success, || 10 * S).map(|t| t.to),
        Some(State::Closed)
    );
}

#[test]
fn reset_closes_and_trip_opens() {
    let b = breaker(0.5, 2, 2, 1);
    assert_eq!(b.reset(), None);
    assert_eq!(b.trip(5).map(|t| t.to), Some(State::Open));
    assert_eq!(b.trip(5), None);
    assert_eq!(b.reset().map(|t| t.to), Some(State::Closed));
    assert_eq!(b.stats().opened, 1);
    assert_eq!(b.stats().closed, 1);
}

#[test]
fn many_threads_open_it_once_and_trials_stay_bounded() {
    let b = Arc::new(breaker(0.5, 50, 20, 4));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let b = b.clone();
            std::thread::spawn(move || {
                let mut opened = 0;
                for _ in 0..1000 {
                    if let (Admission::Allowed(p), _) = b.acquire(|| 0) {
                        if b.record(p, Outcome::Failure, || 0) == OPENED {
                            opened += 1;
                        }
                    }
                }
                opened
            })
        })
        .collect();
    let opened: u32 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    assert_eq!(opened, 1);
    assert_eq!(b.stats().opened, 1);
    assert_eq!(b.state(), State::Open);

    // After the wait, 8 threads race for 4 trial slots, holding them.
    let admitted: usize = (0..8)
        .map(|_| {
            let b = b.clone();
            std::thread::spawn(move || {
                (0..100)
                    .filter(|_| matches!(b.acquire(|| 10 * S).0, Admission::Allowed(_)))
                    .count()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap_or(0))
        .sum();
    assert_eq!(admitted, 4);
}

#[test]
fn minimum_above_window_uses_the_full_window() {
    let b = breaker(1.0, 3, 100, 1);
    call(&b, Outcome::Failure, 0);
    call(&b, Outcome::Failure, 0);
    assert_eq!(call(&b, Outcome::Failure, 0), OPENED);
}

#[test]
fn invalid_config_names_the_argument() {
    let cases = [
        (
            BreakerConfig {
                failure_rate: 0.0,
                ..Default::default()
            },
            "failure_rate",
        ),
        (
            BreakerConfig {
                failure_rate: 1.5,
                ..Default::default()
            },
            "failure_rate",
        ),
        (
            BreakerConfig {
                window: 0,
                ..Default::default()
            },
            "window",
        ),
        (
            BreakerConfig {
                minimum_calls: 0,
                ..Default::default()
            },
            "minimum_calls",
        ),
        (
            BreakerConfig {
                half_open_calls: 0,
                ..Default::default()
            },
            "half_open_calls",
        ),
    ];
    for (config, argument) in cases {
        match Breaker::new(config) {
            Err(e) => assert_eq!(e.argument, argument),
            Ok(_) => panic!("{argument} accepted"),
        }
    }
}
