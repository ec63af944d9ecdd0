//! The budget as the engine uses it: the Rust tokens, an optional store asked first, and the
//! "budget is empty" log line at most once per `log_every`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use pyo3::prelude::*;

use super::{ask_store, has_method, now_ns, register, swallow, BUDGETS};
use crate::resilience::budget::Budget;
use crate::resilience::Gate;

pub struct BudgetGuard {
    pub name: String,
    pub budget: Budget,
    pub store: Option<Py<PyAny>>,
    pub log_every: f64,
    /// The next "budget is empty" line may be logged when this gate passes.
    gate: Gate,
    /// Successes not yet handed to the store.
    pending: AtomicU64,
    /// Retries the store refused (the local budget counts its own).
    store_refused: AtomicU64,
    store_paid: AtomicU64,
}

impl BudgetGuard {
    pub fn new(
        name: String,
        budget: Budget,
        store: Option<Py<PyAny>>,
        log_every: f64,
    ) -> Arc<Self> {
        let guard = Arc::new(BudgetGuard {
            gate: Gate::new(crate::observe::metrics::seconds_to_nanos(log_every)),
            name,
            budget,
            store,
            log_every,
            pending: AtomicU64::new(0),
            store_refused: AtomicU64::new(0),
            store_paid: AtomicU64::new(0),
        });
        register(&BUDGETS, &guard);
        guard
    }

    /// One retry, from the store when it answers, else from the local tokens. Logs an empty
    /// budget at most once per `log_every`. `me` is the Python object, for the store.
    pub fn try_retry(&self, me: &Bound<'_, PyAny>) -> bool {
        let py = me.py();
        let now = now_ns();
        let answer = self.store.as_ref().and_then(|store| {
            self.flush(me, store);
            ask_store(py, store, "budget_withdraw", (me,)).map(|v| v.is_truthy(py).unwrap_or(true))
        });
        let allowed = match answer {
            Some(true) => {
                self.store_paid.fetch_add(1, Relaxed);
                true
            }
            Some(false) => {
                self.store_refused.fetch_add(1, Relaxed);
                false
            }
            None => self.budget.withdraw(now).allowed(),
        };
        if !allowed && self.gate.pass(now) {
            tracing::warn!(
                target: "pertinax::budget",
                "retry budget {} is empty: failures are not retried until successes refill it",
                self.name
            );
            swallow(py);
        }
        allowed
    }

    /// Credits one successful call.
    pub fn on_success(&self, me: &Bound<'_, PyAny>) {
        self.budget.deposit();
        if let Some(store) = &self.store {
            let pending = self.pending.fetch_add(1, Relaxed) + 1;
            // Successes go to the store in batches worth about one retry: a round trip per
            // success would cost more than the call it guards.
            let ratio = self.budget.config().ratio;
            if ratio > 0.0 && (pending as f64) * ratio >= 1.0 {
                self.flush(me, store);
            }
        }
    }

    fn flush(&self, me: &Bound<'_, PyAny>, store: &Py<PyAny>) {
        let n = self.pending.swap(0, Relaxed);
        if n > 0 {
            ask_store(me.py(), store, "budget_deposit", (me, n));
        }
    }

    /// Retries paid, refused (exhausted) and successes credited in this process.
    pub fn totals(&self) -> (u64, u64, u64) {
        let s = self.budget.stats();
        (
            s.retries + self.store_paid.load(Relaxed),
            s.exhausted + self.store_refused.load(Relaxed),
            s.successes,
        )
    }

    pub fn reset(&self) {
        self.budget.reset();
        self.pending.store(0, Relaxed);
        self.store_refused.store(0, Relaxed);
        self.store_paid.store(0, Relaxed);
    }

    /// An operator's reset: the local state, and the shared one through the store.
    pub fn reset_everywhere(&self, me: &Bound<'_, PyAny>) {
        self.reset();
        if let Some(store) = &self.store {
            if has_method(me.py(), store, "budget_reset") {
                ask_store(me.py(), store, "budget_reset", (me,));
            }
        }
    }
}
