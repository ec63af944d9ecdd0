//! `pertinax.RetryBudget` and `pertinax.CircuitBreaker` (and `CircuitOpenError`, made in
//! `crate::errors`): argument checks, reprs and Python methods over the guards of
//! `crate::resilience::guard`, which the engine uses directly.

use std::sync::Arc;

use crate::errors::{bad_type, bad_value};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyString};
use pyo3::{PyTraverseError, PyVisit};

use crate::resilience::breaker::{Breaker, BreakerConfig, Outcome, State};
use crate::resilience::budget::{Budget, BudgetConfig};
use crate::resilience::guard::{self, BreakerGuard, BudgetGuard, Ticket};
use crate::resilience::ConfigError;

#[cold]
fn config_error(class: &str, e: ConfigError) -> PyErr {
    bad_value(class, e.to_string())
}

/// A number argument: int or float (not bool), else a TypeError naming it and the value.
fn number(class: &str, argument: &str, value: &Bound<'_, PyAny>) -> PyResult<f64> {
    if (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
        && !value.is_instance_of::<pyo3::types::PyBool>()
    {
        return value.extract();
    }
    Err(bad_type(
        class,
        format!("{argument} must be a number, got {}", value.repr()?),
    ))
}

fn count(class: &str, argument: &str, value: &Bound<'_, PyAny>) -> PyResult<u32> {
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<pyo3::types::PyBool>() {
        if let Ok(n) = value.extract::<u32>() {
            return Ok(n);
        }
        return Err(bad_value(
            class,
            format!(
                "{argument} must be an integer from 1 to 1000000, got {}",
                value.repr()?
            ),
        ));
    }
    Err(bad_type(
        class,
        format!("{argument} must be an integer, got {}", value.repr()?),
    ))
}

fn name_arg(class: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = value.cast::<PyString>() {
        let s = s.to_str()?;
        if !s.is_empty() {
            return Ok(s.to_owned());
        }
    }
    Err(bad_type(
        class,
        format!("name must be a non-empty string, got {}", value.repr()?),
    ))
}

/// `functools.partial(type(obj), **kwargs)`: how a class with keyword-only options pickles.
fn rebuild<'py>(
    obj: &Bound<'py, PyAny>,
    kwargs: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let partial = obj.py().import("functools")?.getattr("partial")?;
    partial.call((obj.get_type(),), Some(kwargs))
}

fn str_repr(py: Python<'_>, s: &str) -> PyResult<String> {
    Ok(PyString::new(py, s).repr()?.to_str()?.to_owned())
}

/// A float that prints the way Python's repr does for the values a user passes.
fn py_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

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
        store: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let name = name_arg(BUDGET, name)?;
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
        Ok((rebuild(slf.as_any(), &kwargs)?, (g.name.clone(),)))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(s) = &self.guard.store {
            visit.call(s)?;
        }
        Ok(())
    }
}

fn budget_dict<'py>(py: Python<'py>, s: &BudgetGuard) -> PyResult<Bound<'py, PyDict>> {
    let (retries, exhausted, successes) = s.totals();
    let d = PyDict::new(py);
    d.set_item("retries", retries)?;
    d.set_item("exhausted", exhausted)?;
    d.set_item("successes", successes)?;
    d.set_item("available", s.budget.available())?;
    Ok(d)
}

/// A circuit breaker: fails calls fast while the dependency it guards keeps failing.
#[pyclass(frozen, module = "pertinax", name = "CircuitBreaker")]
pub struct CircuitBreaker {
    pub guard: Arc<BreakerGuard>,
}

const BREAKER: &str = "CircuitBreaker";

#[pymethods]
impl CircuitBreaker {
    #[new]
    #[pyo3(signature = (name, *, failure_rate = None, window = None, minimum_calls = None, open_for = None, half_open_calls = None, store = None))]
    fn new(
        name: &Bound<'_, PyAny>,
        failure_rate: Option<&Bound<'_, PyAny>>,
        window: Option<&Bound<'_, PyAny>>,
        minimum_calls: Option<&Bound<'_, PyAny>>,
        open_for: Option<&Bound<'_, PyAny>>,
        half_open_calls: Option<&Bound<'_, PyAny>>,
        store: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let name = name_arg(BREAKER, name)?;
        let d = BreakerConfig::default();
        let n = |arg: &str, v: Option<&Bound<'_, PyAny>>, dflt: u32| match v {
            Some(v) => count(BREAKER, arg, v),
            None => Ok(dflt),
        };
        let open_for_s = match open_for {
            Some(v) => number(BREAKER, "open_for", v)?,
            None => d.open_for_ns as f64 / 1e9,
        };
        if !(open_for_s.is_finite() && open_for_s >= 0.0) {
            return Err(bad_value(
                BREAKER,
                format!(
                    "open_for must be a number of seconds >= 0, got {}",
                    py_float(open_for_s)
                ),
            ));
        }
        let config = BreakerConfig {
            failure_rate: match failure_rate {
                Some(v) => number(BREAKER, "failure_rate", v)?,
                None => d.failure_rate,
            },
            window: n("window", window, d.window)?,
            minimum_calls: n("minimum_calls", minimum_calls, d.minimum_calls)?,
            open_for_ns: crate::observe::metrics::seconds_to_nanos(open_for_s),
            half_open_calls: n("half_open_calls", half_open_calls, d.half_open_calls)?,
        };
        let breaker = Breaker::new(config).map_err(|e| config_error(BREAKER, e))?;
        Ok(CircuitBreaker {
            guard: BreakerGuard::new(name, breaker, store),
        })
    }

    #[getter]
    fn name(&self) -> &str {
        &self.guard.name
    }
    #[getter]
    fn failure_rate(&self) -> f64 {
        self.guard.breaker.config().failure_rate
    }
    #[getter]
    fn window(&self) -> u32 {
        self.guard.breaker.config().window
    }
    #[getter]
    fn minimum_calls(&self) -> u32 {
        self.guard.breaker.config().minimum_calls
    }
    #[getter]
    fn open_for(&self) -> f64 {
        self.guard.breaker.config().open_for_ns as f64 / 1e9
    }
    #[getter]
    fn half_open_calls(&self) -> u32 {
        self.guard.breaker.config().half_open_calls
    }
    #[getter]
    fn store(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.guard.store.as_ref().map(|s| s.clone_ref(py))
    }

    /// "closed", "open" or "half_open" (with a store: as of its last answer).
    #[getter]
    fn state(&self) -> &'static str {
        self.guard.state().name()
    }

    /// Asks to make one call: a ticket for `record`, or CircuitOpenError.
    fn acquire(slf: &Bound<'_, Self>) -> PyResult<i64> {
        slf.get().guard.admit(slf.as_any()).map(Ticket::to_int)
    }

    /// Records how the call admitted with `ticket` ended: "success", "failure" or
    /// "ignored" (neither: the slot is given back).
    fn record(slf: &Bound<'_, Self>, ticket: i64, outcome: &str) -> PyResult<()> {
        let outcome = match outcome {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            "ignored" => Outcome::Ignored,
            other => {
                return Err(bad_value(
                    &format!("{BREAKER}.record"),
                    format!(
                        "outcome must be 'success', 'failure' or 'ignored', got {}",
                        str_repr(slf.py(), other)?
                    ),
                ))
            }
        };
        slf.get()
            .guard
            .finish(slf.as_any(), Ticket::from_int(ticket), outcome);
        Ok(())
    }

    /// Opens the breaker now (with a store, for every process).
    fn trip(slf: &Bound<'_, Self>) {
        slf.get().guard.switch(slf.as_any(), State::Open);
    }

    /// Closes the breaker with an empty window (with a store, for every process).
    fn reset(slf: &Bound<'_, Self>) {
        slf.get().guard.switch(slf.as_any(), State::Closed);
    }

    /// Totals this process saw, the state, and the local window's failure rate.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        breaker_dict(py, &self.guard)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let c = self.guard.breaker.config();
        Ok(format!(
            "CircuitBreaker({}, failure_rate={}, window={}, minimum_calls={}, open_for={}, half_open_calls={}{})",
            str_repr(py, &self.guard.name)?,
            py_float(c.failure_rate),
            c.window,
            c.minimum_calls,
            py_float(c.open_for_ns as f64 / 1e9),
            c.half_open_calls,
            if self.guard.store.is_some() {
                ", store=..."
            } else {
                ""
            }
        ))
    }

    /// Pickles the configuration (and the store), not the state: an unpickled breaker is a
    /// new, closed one.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let py = slf.py();
        let g = &slf.get().guard;
        let c = g.breaker.config();
        let kwargs = PyDict::new(py);
        kwargs.set_item("failure_rate", c.failure_rate)?;
        kwargs.set_item("window", c.window)?;
        kwargs.set_item("minimum_calls", c.minimum_calls)?;
        kwargs.set_item("open_for", c.open_for_ns as f64 / 1e9)?;
        kwargs.set_item("half_open_calls", c.half_open_calls)?;
        kwargs.set_item("store", &g.store)?;
        Ok((rebuild(slf.as_any(), &kwargs)?, (g.name.clone(),)))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(s) = &self.guard.store {
            visit.call(s)?;
        }
        Ok(())
    }
}

fn breaker_dict<'py>(py: Python<'py>, s: &BreakerGuard) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let state = s.state();
    d.set_item("state", state.name())?;
    d.set_item("state_code", state.code())?;
    for (key, n) in [
        ("opened", &s.seen.opened),
        ("half_opened", &s.seen.half_opened),
        ("closed", &s.seen.closed),
        ("rejected", &s.seen.rejected),
    ] {
        d.set_item(key, n.load(std::sync::atomic::Ordering::Relaxed))?;
    }
    let (rate, calls) = s.breaker.window();
    d.set_item("failure_rate", rate)?;
    d.set_item("window_calls", calls)?;
    d.set_item("changed_at", s.changed_at())?;
    Ok(d)
}

/// Every live budget and breaker by name (a later one of the same name wins), as plain data.
#[pyfunction]
pub fn resilience_snapshot(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let budgets = PyDict::new(py);
    for b in guard::budgets() {
        budgets.set_item(&b.name, budget_dict(py, &b)?)?;
    }
    let breakers = PyDict::new(py);
    for b in guard::breakers() {
        breakers.set_item(&b.name, breaker_dict(py, &b)?)?;
    }
    let out = PyDict::new(py);
    out.set_item("budgets", budgets)?;
    out.set_item("breakers", breakers)?;
    Ok(out)
}
