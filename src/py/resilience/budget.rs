//! `pertinax.RetryBudget`: retries limited to a share of successful calls.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::{PyTraverseError, PyVisit};

use super::args::{
    config_error, name_arg, number, py_float, reduce, store_arg, str_repr, visit_store,
};
use crate::errors::bad_value;
use crate::resilience::budget::{Budget, BudgetConfig};
use crate::resilience::guard::BudgetGuard;

/// A retry budget: retries limited to a share of successful calls, plus a small reserve.
#[pyclass(frozen, module = "pertinax", name = "RetryBudget")]
pub struct RetryBudget {
    pub guard: Arc<BudgetGuard>,
}

const BUDGET: &str = "RetryBudget";

#[pymethods]
impl RetryBudget {
    #[new]
    #[pyo3(signature = (name, *, ratio = None, capacity = None, min_per_second = None, log_every = None, store = None))]
    fn new(
        name: &Bound<'_, PyAny>,
        ratio: Option<&Bound<'_, PyAny>>,
        capacity: Option<&Bound<'_, PyAny>>,
        min_per_second: Option<&Bound<'_, PyAny>>,
        log_every: Option<&Bound<'_, PyAny>>,
        store: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let name = name_arg(BUDGET, name)?;
        let store = store_arg(BUDGET, store, &["budget_withdraw", "budget_deposit"])?;
        let defaults = BudgetConfig::default();
        let pick = |arg: &str, v: Option<&Bound<'_, PyAny>>, d: f64| match v {
            Some(v) => number(BUDGET, arg, v),
            None => Ok(d),
        };
        let config = BudgetConfig {
            ratio: pick("ratio", ratio, defaults.ratio)?,
            capacity: pick("capacity", capacity, defaults.capacity)?,
            min_per_second: pick("min_per_second", min_per_second, defaults.min_per_second)?,
        };
        let log_every = pick("log_every", log_every, 60.0)?;
        if !(log_every.is_finite() && log_every >= 0.0) {
            return Err(bad_value(
                BUDGET,
                format!(
                    "log_every must be a number of seconds >= 0, got {}",
                    py_float(log_every)
                ),
            ));
        }
        let budget = Budget::new(config).map_err(|e| config_error(BUDGET, e))?;
        Ok(RetryBudget {
            guard: BudgetGuard::new(name, budget, store, log_every),
        })
    }

    #[getter]
    fn name(&self) -> &str {
        &self.guard.name
    }
    #[getter]
    fn ratio(&self) -> f64 {
        self.guard.budget.config().ratio
    }
    #[getter]
    fn capacity(&self) -> f64 {
        self.guard.budget.config().capacity
    }
    #[getter]
    fn min_per_second(&self) -> f64 {
        self.guard.budget.config().min_per_second
    }
    #[getter]
    fn log_every(&self) -> f64 {
        self.guard.log_every
    }
    #[getter]
    fn store(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.guard.store.as_ref().map(|s| s.clone_ref(py))
    }

    /// Retries the local tokens can pay for now.
    #[getter]
    fn available(&self) -> f64 {
        self.guard.budget.available()
    }

    /// Asks for one retry; never waits. True if allowed.
    fn withdraw(slf: &Bound<'_, Self>) -> bool {
        slf.get().guard.try_retry(slf.as_any())
    }

    /// Credits one successful call.
    fn deposit(slf: &Bound<'_, Self>) {
        slf.get().guard.on_success(slf.as_any());
    }

    /// Totals since creation: retries allowed, refused (exhausted), successes credited.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        budget_dict(py, &self.guard)
    }

    /// Refills the tokens and zeroes the totals (with a store, the shared ones too).
    fn reset(slf: &Bound<'_, Self>) {
        slf.get().guard.reset_everywhere(slf.as_any());
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let c = self.guard.budget.config();
        let mut out = format!(
            "RetryBudget({}, ratio={}, capacity={}, min_per_second={}",
            str_repr(py, &self.guard.name)?,
            py_float(c.ratio),
            py_float(c.capacity),
            py_float(c.min_per_second)
        );
        if self.guard.log_every != 60.0 {
            out.push_str(&format!(", log_every={}", py_float(self.guard.log_every)));
        }
        if self.guard.store.is_some() {
            out.push_str(", store=...");
        }
        out.push(')');
        Ok(out)
    }

    /// Pickles the configuration (and the store), not the state: an unpickled budget is a
    /// new, full one.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let py = slf.py();
        let g = &slf.get().guard;
        let c = g.budget.config();
        let kwargs = PyDict::new(py);
        kwargs.set_item("ratio", c.ratio)?;
        kwargs.set_item("capacity", c.capacity)?;
        kwargs.set_item("min_per_second", c.min_per_second)?;
        kwargs.set_item("log_every", g.log_every)?;
        kwargs.set_item("store", &g.store)?;
        reduce(slf.as_any(), &g.name, &kwargs)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit_store(&self.guard.store, visit)
    }
}

pub fn budget_dict<'py>(py: Python<'py>, s: &BudgetGuard) -> PyResult<Bound<'py, PyDict>> {
    let (retries, exhausted, successes) = s.totals();
    let d = PyDict::new(py);
    d.set_item("retries", retries)?;
    d.set_item("exhausted", exhausted)?;
    d.set_item("successes", successes)?;
    d.set_item("available", s.budget.available())?;
    Ok(d)
}
