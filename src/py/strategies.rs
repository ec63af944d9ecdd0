//! Direct calls of built-in strategies from Python: `stop_after_attempt(3)(retry_state)` runs
//! the same Rust code as the engine.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::Error;
use crate::num::Num;
use crate::py::views::with_view;
use crate::stats::Stats;
use crate::strategy::retry::Retry;
use crate::strategy::stop::Stop;
use crate::strategy::wait::Wait;

#[pyfunction]
pub fn evaluate_stop(
    strategy: &Bound<'_, PyAny>,
    retry_state: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let stop = Stop::compile_native(strategy)?;
    with_view(retry_state, |view| stop.evaluate(view))
}

#[pyfunction]
pub fn evaluate_wait<'py>(
    strategy: &Bound<'py, PyAny>,
    retry_state: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let wait = Wait::compile_native(strategy)?;
    let value: Num = with_view(retry_state, |view| wait.evaluate(view))?;
    Ok(value.to_py(strategy.py()))
}

#[pyfunction]
pub fn evaluate_retry<'py>(
    strategy: &Bound<'py, PyAny>,
    retry_state: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let retry = Retry::compile_native(strategy)?;
    with_view(retry_state, |view| retry.value(view))
}

/// tenacity's `begin()` on a statistics dict.
#[pyfunction]
pub fn begin_statistics(py: Python<'_>, statistics: Py<PyDict>) -> PyResult<()> {
    let start = crate::clock::monotonic(py)?;
    Stats::new(Some(statistics)).begin(py, &start)
}

/// Called by the strategy base classes' `__setattr__` and `__delattr__`.
#[pyfunction]
pub fn strategy_changed(strategy: &Bound<'_, PyAny>) {
    crate::strategy::note_changed(strategy);
}

/// The variant a strategy compiles to in a controller's plan (`"AfterAttempt"`,
/// `"Python"`, `"Invalid"`, ...), for tests: every built-in class must compile natively.
#[pyfunction]
pub fn compiled_variant(family: &str, strategy: &Bound<'_, PyAny>) -> PyResult<&'static str> {
    Ok(match family {
        "stop" => Stop::compile(strategy)?.variant(),
        "wait" => Wait::compile(strategy)?.variant(),
        "retry" => Retry::compile(strategy)?.variant(),
        _ => return Err(Error::UnknownFamily(family.to_owned()).into()),
    })
}

/// The names of the classes the engine compiles natively, in one family's module.
#[pyfunction]
pub fn native_strategies(family: &str) -> PyResult<Vec<&'static str>> {
    fn names<K>(kinds: &[(K, &'static str)]) -> Vec<&'static str> {
        kinds.iter().map(|(_, n)| *n).collect()
    }
    Ok(match family {
        "stop" => names(crate::strategy::stop::KINDS),
        "wait" => names(crate::strategy::wait::KINDS),
        "retry" => names(crate::strategy::retry::KINDS),
        _ => return Err(Error::UnknownFamily(family.to_owned()).into()),
    })
}

/// Makes every compiled plan stale, so each is compiled again on its next call. The policy
/// registry calls it after rewriting the controllers bound to a policy name.
#[pyfunction]
pub fn invalidate_all_plans() {
    crate::strategy::invalidate_all();
}

/// Turns the testing mode on (`attempts` given) or off (`None`).
#[pyfunction]
#[pyo3(signature = (attempts, cap = false))]
pub fn set_testing(attempts: Option<u32>, cap: bool) -> PyResult<()> {
    if attempts == Some(0) {
        return Err(crate::errors::bad_value(
            "set_testing()",
            "attempts must be at least 1, got 0".to_owned(),
        ));
    }
    crate::testing::set(attempts.map(|attempts| crate::testing::Testing { attempts, cap }));
    Ok(())
}

/// The testing mode: `None` when off, else `(attempts, cap)`.
#[pyfunction]
pub fn testing_mode() -> Option<(u32, bool)> {
    crate::testing::current().map(|t| (t.attempts, t.cap))
}
