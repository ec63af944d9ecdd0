//! `pertinax.RetryBudget`, `pertinax.CircuitBreaker` and `pertinax.CircuitOpenError`.
//!
//! The rules live in `crate::resilience`; this file reads the clock, checks the arguments,
//! logs state changes (under `pertinax.budget` and `pertinax.breaker`), keeps the registry the
//! metrics snapshot reads, and hands decisions to a shared store when one is configured.
//!
//! A store is any object with the methods below; `pertinax.integrations.redis` provides one.
//! Each returns None when the store cannot answer (Redis down, and the store fails open), and
//! the local state decides instead:
//!   `budget_withdraw(budget) -> bool | None`, `budget_deposit(budget, successes) -> None`,
//!   `breaker_acquire(breaker) -> (allowed, trial, remaining_seconds, change) | None`,
//!   `breaker_record(breaker, trial, outcome) -> change | None`
//! where `change` is None or `(from_state, to_state)` as state names.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Instant;

use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyString};
use pyo3::{create_exception, PyTraverseError, PyVisit};

use crate::resilience::breaker::{
    Admission, Breaker, BreakerConfig, Outcome, Permit, State, Transition,
};
use crate::resilience::budget::{Budget, BudgetConfig};
use crate::resilience::{ConfigError, Gate};

create_exception!(
    pertinax,
    CircuitOpenError,
    PyException,
    "Raised instead of calling the function while its circuit breaker is open."
);

/// Nanoseconds on one process-wide monotonic clock.
pub fn now_ns() -> u64 {
    static START: LazyLock<Instant> = LazyLock::new(Instant::now);
    u64::try_from(START.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Every budget and breaker alive, for the metrics snapshot and the Prometheus gauge.
static BUDGETS: Mutex<Vec<Weak<BudgetShared>>> = Mutex::new(Vec::new());
static BREAKERS: Mutex<Vec<Weak<BreakerShared>>> = Mutex::new(Vec::new());

fn register<T>(list: &Mutex<Vec<Weak<T>>>, item: &Arc<T>) {
    let mut list = list.lock().unwrap_or_else(|e| e.into_inner());
    list.retain(|w| w.strong_count() > 0);
    list.push(Arc::downgrade(item));
}

fn alive<T>(list: &Mutex<Vec<Weak<T>>>) -> Vec<Arc<T>> {
    let list = list.lock().unwrap_or_else(|e| e.into_inner());
    list.iter().filter_map(Weak::upgrade).collect()
}

#[cold]
fn config_error(class: &str, e: ConfigError) -> PyErr {
    PyValueError::new_err(format!("{class}: {e}"))
}

/// A number argument: int or float (not bool), else a TypeError naming it and the value.
fn number(class: &str, argument: &str, value: &Bound<'_, PyAny>) -> PyResult<f64> {
    if (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
        && !value.is_instance_of::<pyo3::types::PyBool>()
    {
        return value.extract();
    }
    Err(PyTypeError::new_err(format!(
        "{class}: {argument} must be a number, got {}",
        value.repr()?
    )))
}

fn count(class: &str, argument: &str, value: &Bound<'_, PyAny>) -> PyResult<u32> {
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<pyo3::types::PyBool>() {
        if let Ok(n) = value.extract::<u32>() {
            return Ok(n);
        }
        return Err(PyValueError::new_err(format!(
            "{class}: {argument} must be an integer from 1 to 1000000, got {}",
            value.repr()?
        )));
    }
    Err(PyTypeError::new_err(format!(
        "{class}: {argument} must be an integer, got {}",
        value.repr()?
    )))
}

fn name_arg(class: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = value.cast::<PyString>() {
        let s = s.to_str()?;
        if !s.is_empty() {
            return Ok(s.to_owned());
        }
    }
    Err(PyTypeError::new_err(format!(
        "{class}: name must be a non-empty string, got {}",
        value.repr()?
    )))
}

/// A logging handler that raised must not reach the caller: report it as unraisable.
fn swallow_logging_error(py: Python<'_>) {
    if let Some(err) = PyErr::take(py) {
        err.write_unraisable(py, None);
    }
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

pub struct BudgetShared {
    pub name: String,
    pub budget: Budget,
    /// The next "budget is empty" line may be logged when this gate passes.
    gate: Gate,
    /// Successes not yet handed to the store (only used with a store).
    pending: AtomicU64,
    /// Retries refused because the budget was empty, for the metrics (same as the Rust stat
    /// without a store; with one, the store's refusals too).
    store_refused: AtomicU64,
}

/// A retry budget: retries limited to a share of successful calls, plus a small reserve.
#[pyclass(frozen, module = "pertinax", name = "RetryBudget")]
pub struct RetryBudget {
    pub shared: Arc<BudgetShared>,
    store: Option<Py<PyAny>>,
    log_every: f64,
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
            return Err(PyValueError::new_err(format!(
                "{BUDGET}: log_every must be a number of seconds >= 0, got {}",
                py_float(log_every)
            )));
        }
        let budget = Budget::new(config).map_err(|e| config_error(BUDGET, e))?;
        let shared = Arc::new(BudgetShared {
            name,
            budget,
            gate: Gate::new(crate::observe::metrics::seconds_to_nanos(log_every)),
            pending: AtomicU64::new(0),
            store_refused: AtomicU64::new(0),
        });
        register(&BUDGETS, &shared);
        Ok(RetryBudget {
            shared,
            store,
            log_every,
        })
    }

    #[getter]
    fn name(&self) -> &str {
        &self.shared.name
    }
    #[getter]
    fn ratio(&self) -> f64 {
        self.shared.budget.config().ratio
    }
    #[getter]
    fn capacity(&self) -> f64 {
        self.shared.budget.config().capacity
    }
    #[getter]
    fn min_per_second(&self) -> f64 {
        self.shared.budget.config().min_per_second
    }
    #[getter]
    fn log_every(&self) -> f64 {
        self.log_every
    }
    #[getter]
    fn store(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.store.as_ref().map(|s| s.clone_ref(py))
    }

    /// Retries the local tokens can pay for now.
    #[getter]
    fn available(&self) -> f64 {
        self.shared.budget.available()
    }

    /// Asks for one retry; never waits. True if allowed.
    fn withdraw(slf: &Bound<'_, Self>) -> bool {
        RetryBudget::try_retry(slf)
    }

    /// Credits one successful call.
    fn deposit(slf: &Bound<'_, Self>) {
        RetryBudget::on_success(slf);
    }

    /// Totals since creation: retries allowed, refused (exhausted), successes credited.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        budget_dict(py, &self.shared)
    }

    /// Refills the local tokens and zeroes the totals.
    fn reset(&self) {
        self.shared.budget.reset();
        self.shared.pending.store(0, Relaxed);
        self.shared.store_refused.store(0, Relaxed);
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let c = self.shared.budget.config();
        let mut out = format!(
            "RetryBudget({}, ratio={}, capacity={}, min_per_second={}",
            str_repr(py, &self.shared.name)?,
            py_float(c.ratio),
            py_float(c.capacity),
            py_float(c.min_per_second)
        );
        if self.log_every != 60.0 {
            out.push_str(&format!(", log_every={}", py_float(self.log_every)));
        }
        if self.store.is_some() {
            out.push_str(", store=...");
        }
        out.push(')');
        Ok(out)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(s) = &self.store {
            visit.call(s)?;
        }
        Ok(())
    }
}

impl RetryBudget {
    /// One retry, from the store when there is one (None from it: the local tokens decide).
    /// Logs an empty budget at most once per `log_every`.
    pub fn try_retry(slf: &Bound<'_, RetryBudget>) -> bool {
        let py = slf.py();
        let this = slf.get();
        let s = &this.shared;
        let now = now_ns();
        let answer = this.store.as_ref().and_then(|store| {
            this.flush(slf, store);
            match store.call_method1(py, "budget_withdraw", (slf,)) {
                Ok(v) if v.is_none(py) => None,
                Ok(v) => Some(v.is_truthy(py).unwrap_or(true)),
                Err(e) => {
                    e.write_unraisable(py, Some(store.bind(py)));
                    None
                }
            }
        });
        let allowed = match answer {
            Some(false) => {
                s.store_refused.fetch_add(1, Relaxed);
                false
            }
            Some(true) => true,
            None => s.budget.withdraw(now).allowed(),
        };
        if !allowed && s.gate.pass(now) {
            tracing::warn!(
                target: "pertinax::budget",
                "retry budget {} is empty: failures are not retried until successes refill it",
                s.name
            );
            swallow_logging_error(py);
        }
        allowed
    }

    pub fn on_success(slf: &Bound<'_, RetryBudget>) {
        let this = slf.get();
        let s = &this.shared;
        s.budget.deposit();
        if let Some(store) = &this.store {
            let pending = s.pending.fetch_add(1, Relaxed) + 1;
            // Hand successes over in batches worth about one retry: a store round trip per
            // success would cost more than the call it guards.
            let ratio = s.budget.config().ratio;
            if ratio > 0.0 && (pending as f64) * ratio >= 1.0 {
                this.flush(slf, store);
            }
        }
    }

    fn flush(&self, slf: &Bound<'_, RetryBudget>, store: &Py<PyAny>) {
        let py = slf.py();
        let n = self.shared.pending.swap(0, Relaxed);
        if n > 0 {
            if let Err(e) = store.call_method1(py, "budget_deposit", (slf, n)) {
                e.write_unraisable(py, Some(store.bind(py)));
            }
        }
    }
}

fn budget_dict<'py>(py: Python<'py>, s: &BudgetShared) -> PyResult<Bound<'py, PyDict>> {
    let st = s.budget.stats();
    let d = PyDict::new(py);
    d.set_item("retries", st.retries)?;
    d.set_item("exhausted", st.exhausted + s.store_refused.load(Relaxed))?;
    d.set_item("successes", st.successes)?;
    d.set_item("available", s.budget.available())?;
    Ok(d)
}

/// What this process saw of a breaker: its transitions and refusals (local or through the
/// store), and the last state it knew when a store decides.
#[derive(Default)]
struct Seen {
    opened: AtomicU64,
    half_opened: AtomicU64,
    closed: AtomicU64,
    rejected: AtomicU64,
    /// `State::code() + 1` of the store's last answer; 0 while only local state decided.
    store_state: AtomicU64,
}

pub struct BreakerShared {
    pub name: String,
    pub breaker: Breaker,
    seen: Seen,
}

impl BreakerShared {
    fn state(&self) -> State {
        match self.seen.store_state.load(Relaxed) {
            0 => self.breaker.state(),
            n => state_from_code(n - 1),
        }
    }

    fn note(&self, py: Python<'_>, change: Option<Transition>) {
        let Some(t) = change else { return };
        let counter = match t.to {
            State::Open => &self.seen.opened,
            State::HalfOpen => &self.seen.half_opened,
            State::Closed => &self.seen.closed,
        };
        counter.fetch_add(1, Relaxed);
        let (from, to) = (t.from.name(), t.to.name());
        if t.to == State::Open {
            tracing::warn!(target: "pertinax::breaker", "circuit breaker {}: {from} -> {to}", self.name);
        } else {
            tracing::info!(target: "pertinax::breaker", "circuit breaker {}: {from} -> {to}", self.name);
        }
        swallow_logging_error(py);
    }
}

fn state_from_code(code: u64) -> State {
    match code {
        1 => State::Open,
        2 => State::HalfOpen,
        _ => State::Closed,
    }
}

fn state_from_name(name: &str) -> Option<State> {
    [State::Closed, State::Open, State::HalfOpen]
        .into_iter()
        .find(|s| s.name() == name)
}

/// A ticket for one admitted call: a local permit, or the store's word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ticket {
    Local(Permit),
    Store { trial: bool },
}

impl Ticket {
    /// As an int for Python: a local permit is `epoch << 1 | trial` (epochs fit 62 bits), a
    /// store's ticket -1, or -2 for a trial.
    fn to_int(self) -> i64 {
        match self {
            Ticket::Local(p) => ((p.epoch << 1) | u64::from(p.trial)) as i64,
            Ticket::Store { trial } => -1 - i64::from(trial),
        }
    }

    fn from_int(n: i64) -> Ticket {
        match n {
            -1 => Ticket::Store { trial: false },
            n if n < 0 => Ticket::Store { trial: true },
            n => Ticket::Local(Permit {
                epoch: (n as u64) >> 1,
                trial: n & 1 == 1,
            }),
        }
    }
}

/// A circuit breaker: fails calls fast while the dependency it guards keeps failing.
#[pyclass(frozen, module = "pertinax", name = "CircuitBreaker")]
pub struct CircuitBreaker {
    pub shared: Arc<BreakerShared>,
    store: Option<Py<PyAny>>,
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
            return Err(PyValueError::new_err(format!(
                "{BREAKER}: open_for must be a number of seconds >= 0, got {}",
                py_float(open_for_s)
            )));
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
        let shared = Arc::new(BreakerShared {
            name,
            breaker,
            seen: Seen::default(),
        });
        register(&BREAKERS, &shared);
        Ok(CircuitBreaker { shared, store })
    }

    #[getter]
    fn name(&self) -> &str {
        &self.shared.name
    }
    #[getter]
    fn failure_rate(&self) -> f64 {
        self.shared.breaker.config().failure_rate
    }
    #[getter]
    fn window(&self) -> u32 {
        self.shared.breaker.config().window
    }
    #[getter]
    fn minimum_calls(&self) -> u32 {
        self.shared.breaker.config().minimum_calls
    }
    #[getter]
    fn open_for(&self) -> f64 {
        self.shared.breaker.config().open_for_ns as f64 / 1e9
    }
    #[getter]
    fn half_open_calls(&self) -> u32 {
        self.shared.breaker.config().half_open_calls
    }
    #[getter]
    fn store(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.store.as_ref().map(|s| s.clone_ref(py))
    }

    /// "closed", "open" or "half_open" (with a store: as of its last answer).
    #[getter]
    fn state(&self) -> &'static str {
        self.shared.state().name()
    }

    /// Asks to make one call: a ticket for `record`, or CircuitOpenError.
    fn acquire(slf: &Bound<'_, Self>) -> PyResult<i64> {
        CircuitBreaker::admit(slf).map(Ticket::to_int)
    }

    /// Records how the call admitted with `ticket` ended: "success", "failure" or
    /// "ignored" (neither: the slot is given back).
    fn record(slf: &Bound<'_, Self>, ticket: i64, outcome: &str) -> PyResult<()> {
        let outcome = match outcome {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            "ignored" => Outcome::Ignored,
            other => {
                return Err(PyValueError::new_err(format!(
                    "{BREAKER}.record: outcome must be 'success', 'failure' or 'ignored', got {}",
                    str_repr(slf.py(), other)?
                )))
            }
        };
        CircuitBreaker::finish(slf, Ticket::from_int(ticket), outcome);
        Ok(())
    }

    /// Opens the breaker now (local state only).
    fn trip(&self, py: Python<'_>) {
        let change = self.shared.breaker.trip(now_ns());
        self.shared.note(py, change);
    }

    /// Closes the breaker with an empty window (local state only).
    fn reset(&self, py: Python<'_>) {
        let change = self.shared.breaker.reset();
        self.shared.note(py, change);
    }

    /// Totals this process saw, the state, and the local window's failure rate.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        breaker_dict(py, &self.shared)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let c = self.shared.breaker.config();
        Ok(format!(
            "CircuitBreaker({}, failure_rate={}, window={}, minimum_calls={}, open_for={}, half_open_calls={}{})",
            str_repr(py, &self.shared.name)?,
            py_float(c.failure_rate),
            c.window,
            c.minimum_calls,
            py_float(c.open_for_ns as f64 / 1e9),
            c.half_open_calls,
            if self.store.is_some() { ", store=..." } else { "" }
        ))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(s) = &self.store {
            visit.call(s)?;
        }
        Ok(())
    }
}

fn parse_change(v: &Bound<'_, PyAny>) -> Option<Transition> {
    if v.is_none() {
        return None;
    }
    let (from, to): (String, String) = v.extract().ok()?;
    Some(Transition {
        from: state_from_name(&from)?,
        to: state_from_name(&to)?,
    })
}

impl CircuitBreaker {
    /// Admits one call, or returns the CircuitOpenError to raise.
    pub fn admit(slf: &Bound<'_, CircuitBreaker>) -> PyResult<Ticket> {
        let py = slf.py();
        let this = slf.get();
        let s = &this.shared;
        if let Some(store) = &this.store {
            match store.call_method1(py, "breaker_acquire", (slf,)) {
                Ok(v) if v.is_none(py) => {}
                Ok(v) => {
                    let v = v.bind(py);
                    let (allowed, trial, remaining, change): (bool, bool, f64, Bound<'_, PyAny>) =
                        v.extract()?;
                    s.note(py, parse_change(&change));
                    let state = if !allowed {
                        State::Open
                    } else if trial {
                        State::HalfOpen
                    } else {
                        State::Closed
                    };
                    s.seen
                        .store_state
                        .store(u64::from(state.code()) + 1, Relaxed);
                    if allowed {
                        return Ok(Ticket::Store { trial });
                    }
                    return Err(open_error(py, s, remaining));
                }
                Err(e) => e.write_unraisable(py, Some(store.bind(py))),
            }
            s.seen.store_state.store(0, Relaxed);
        }
        let (admission, change) = s.breaker.acquire(now_ns);
        s.note(py, change);
        match admission {
            Admission::Allowed(p) => Ok(Ticket::Local(p)),
            Admission::Rejected { remaining_ns } => {
                Err(open_error(py, s, remaining_ns as f64 / 1e9))
            }
        }
    }

    pub fn finish(slf: &Bound<'_, CircuitBreaker>, ticket: Ticket, outcome: Outcome) {
        let py = slf.py();
        let this = slf.get();
        let s = &this.shared;
        match ticket {
            Ticket::Local(p) => {
                let change = s.breaker.record(p, outcome, now_ns);
                s.note(py, change);
            }
            Ticket::Store { trial } => {
                let Some(store) = &this.store else { return };
                let name = match outcome {
                    Outcome::Success => "success",
                    Outcome::Failure => "failure",
                    Outcome::Ignored => "ignored",
                };
                match store.call_method1(py, "breaker_record", (slf, trial, name)) {
                    Ok(change) => {
                        let change = parse_change(change.bind(py));
                        if let Some(t) = change {
                            s.seen
                                .store_state
                                .store(u64::from(t.to.code()) + 1, Relaxed);
                        }
                        s.note(py, change);
                    }
                    Err(e) => e.write_unraisable(py, Some(store.bind(py))),
                }
            }
        }
    }
}

#[cold]
fn open_error(py: Python<'_>, s: &BreakerShared, remaining: f64) -> PyErr {
    s.seen.rejected.fetch_add(1, Relaxed);
    let message = if remaining > 0.0 {
        format!(
            "circuit breaker {} is open: trial calls in {remaining:.3} seconds",
            s.name
        )
    } else {
        format!(
            "circuit breaker {} is half-open and its trial calls are in flight",
            s.name
        )
    };
    let err = CircuitOpenError::new_err(message);
    let value = err.value(py);
    // Plain attributes a handler can read; a failure to set one only loses the detail.
    let _ = value.setattr("name", s.name.as_str());
    let _ = value.setattr("remaining", remaining);
    err
}

fn breaker_dict<'py>(py: Python<'py>, s: &BreakerShared) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let state = s.state();
    d.set_item("state", state.name())?;
    d.set_item("state_code", state.code())?;
    d.set_item("opened", s.seen.opened.load(Relaxed))?;
    d.set_item("half_opened", s.seen.half_opened.load(Relaxed))?;
    d.set_item("closed", s.seen.closed.load(Relaxed))?;
    d.set_item("rejected", s.seen.rejected.load(Relaxed))?;
    let (rate, calls) = s.breaker.window();
    d.set_item("failure_rate", rate)?;
    d.set_item("window_calls", calls)?;
    Ok(d)
}

/// Every live budget and breaker by name (a later one of the same name wins), as plain data.
#[pyfunction]
pub fn resilience_snapshot(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let budgets = PyDict::new(py);
    for b in alive(&BUDGETS) {
        budgets.set_item(&b.name, budget_dict(py, &b)?)?;
    }
    let breakers = PyDict::new(py);
    for b in alive(&BREAKERS) {
        breakers.set_item(&b.name, breaker_dict(py, &b)?)?;
    }
    let out = PyDict::new(py);
    out.set_item("budgets", budgets)?;
    out.set_item("breakers", breakers)?;
    Ok(out)
}
