//! `pertinax.RetryBudget` and `pertinax.CircuitBreaker` (and `CircuitOpenError`, made in
//! `crate::errors`): argument checks, reprs and Python methods over the guards of
//! `crate::resilience::guard`, which the engine uses directly. One file per class, `args`
//! for what they share; this file holds the snapshot of both.

mod args;
mod breaker;
mod budget;

pub use breaker::CircuitBreaker;
pub use budget::RetryBudget;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::resilience::guard;

/// Every live budget and breaker by name (a later one of the same name wins), as plain data.
#[pyfunction]
pub fn resilience_snapshot(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let budgets = PyDict::new(py);
    for b in guard::budgets() {
        budgets.set_item(&b.name, budget::budget_dict(py, &b)?)?;
    }
    let breakers = PyDict::new(py);
    for b in guard::breakers() {
        breakers.set_item(&b.name, breaker::breaker_dict(py, &b)?)?;
    }
    let out = PyDict::new(py);
    out.set_item("budgets", budgets)?;
    out.set_item("breakers", breakers)?;
    Ok(out)
}
