//! The arithmetic of the waits, as tenacity does it on Python numbers: `wait_exponential()`
//! gives the ints 1, 2, 4, ...; an overflow falls back to `max`; jitter draws from Python's
//! `random` module, looked up at call time, so `random.seed()` makes a test reproducible and a
//! forked worker (CPython reseeds `random` after `fork`) draws its own values.

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::num::Num;
use crate::state::StateView;

/// The parameters of `wait_exponential` and its random and jittered kinds.
#[derive(Debug)]
pub struct Exponential {
    pub multiplier: Num,
    pub max: Num,
    pub exp_base: Num,
    pub min: Num,
}

/// Index of the strategy `wait_chain` uses for an attempt: the last one repeats forever.
pub fn chain_index(attempt_number: i64, len: usize) -> usize {
    let n = attempt_number.max(1) as usize;
    n.min(len).saturating_sub(1)
}

/// Whether `wait_exponential` is already past its cap for this exponent, decided without
/// computing the power (which could be a huge int or overflow).
pub fn exponential_past_cap(exponent: f64, multiplier: f64, max: f64, exp_base: f64) -> bool {
    multiplier > 0.0
        && max > 0.0
        && exp_base > 1.0
        && max.is_finite()
        && exponent > max.ln() / exp_base.ln() - multiplier.ln() / exp_base.ln()
}

/// `wait_random`: `min + random() * (max - min)`.
pub fn random_between(py: Python<'_>, min: &Num, max: &Num) -> PyResult<Num> {
    let r = Num::Float(random(py)?);
    min.add(py, &r.mul(py, &max.sub(py, min)?)?)
}

/// `wait_incrementing`: `start + increment * (attempt - 1)`, capped at `max`, never below 0.
pub fn incrementing<'py>(
    state: &dyn StateView<'py>,
    start: &Num,
    increment: &Num,
    max: &Num,
) -> PyResult<Num> {
    let py = state.py();
    let n = state.attempt_number()?.sub(py, &Num::Int(1))?;
    let result = start.add(py, &increment.mul(py, &n)?)?;
    let capped = Num::py_min(py, result, max.clone_ref(py))?;
    Num::py_max(py, Num::Int(0), capped)
}

pub fn exponential<'py>(state: &dyn StateView<'py>, e: &Exponential) -> PyResult<Num> {
    let py = state.py();
    let exponent = state.attempt_number()?.sub(py, &Num::Int(1))?;
    if exponential_past_cap(
        exponent.as_f64(py)?,
        e.multiplier.as_f64(py)?,
        e.max.as_f64(py)?,
        e.exp_base.as_f64(py)?,
    ) {
        let lower = Num::py_max(py, Num::Int(0), e.min.clone_ref(py))?;
        return Num::py_max(py, lower, e.max.clone_ref(py));
    }
    let result = e
        .exp_base
        .pow(py, &exponent)
        .and_then(|p| e.multiplier.mul(py, &p));
    match result {
        Ok(r) => clamp(py, &e.min, r, &e.max),
        Err(err) if err.is_instance_of::<PyOverflowError>(py) => Ok(e.max.clone_ref(py)),
        Err(err) => Err(err),
    }
}

/// `wait_random_exponential`: uniform between `min` and the exponential wait.
pub fn random_exponential<'py>(state: &dyn StateView<'py>, e: &Exponential) -> PyResult<Num> {
    let high = exponential(state, e)?;
    uniform(state.py(), &e.min, &high)
}

/// `wait_exponential_jitter`: `exp_base ** (attempt - 1) * multiplier` plus a uniform jitter,
/// `max` on overflow, then clamped.
pub fn exponential_jitter<'py>(
    state: &dyn StateView<'py>,
    exp: &Exponential,
    jitter: &Num,
) -> PyResult<Num> {
    let py = state.py();
    let j = uniform(py, &Num::Int(0), jitter)?;
    let n = state.attempt_number()?.sub(py, &Num::Int(1))?;
    let result = exp
        .exp_base
        .pow(py, &n)
        .and_then(|p| exp.multiplier.mul(py, &p))
        .and_then(|r| r.add(py, &j));
    let result = match result {
        Ok(r) => r,
        Err(err) if err.is_instance_of::<PyOverflowError>(py) => exp.max.clone_ref(py),
        Err(err) => return Err(err),
    };
    clamp(py, &exp.min, result, &exp.max)
}

/// `max(max(0, min), min(value, max))`: `min` wins over `max` when they cross.
fn clamp(py: Python<'_>, min: &Num, value: Num, max: &Num) -> PyResult<Num> {
    let lower = Num::py_max(py, Num::Int(0), min.clone_ref(py))?;
    let upper = Num::py_min(py, value, max.clone_ref(py))?;
    Num::py_max(py, lower, upper)
}

fn random_module(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    CELL.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("random")?.into_any().unbind())
    })
    .map(|m| m.bind(py))
}

/// `random.random()`, looked up at call time so that a patched or seeded `random` is honoured.
fn random(py: Python<'_>) -> PyResult<f64> {
    random_module(py)?
        .call_method0(pyo3::intern!(py, "random"))?
        .extract()
}

/// `random.uniform(a, b)`, looked up at call time.
fn uniform(py: Python<'_>, a: &Num, b: &Num) -> PyResult<Num> {
    let v = random_module(py)?
        .call_method1(pyo3::intern!(py, "uniform"), (a.to_py(py), b.to_py(py)))?;
    Ok(Num::from_py(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_repeats_the_last_strategy() {
        let picks: Vec<usize> = (1..=5).map(|n| chain_index(n, 3)).collect();
        assert_eq!(picks, vec![0, 1, 2, 2, 2]);
        // attempt 0 (or below) uses the first strategy
        assert_eq!(chain_index(0, 3), 0);
        assert_eq!(chain_index(-4, 3), 0);
    }

    #[test]
    fn exponential_cap_is_found_without_the_power() {
        // 2**49 is far past 40
        assert!(exponential_past_cap(49.0, 1.0, 40.0, 2.0));
        // 2**5 = 32 is below 40, 2**6 = 64 is above
        assert!(!exponential_past_cap(5.0, 1.0, 40.0, 2.0));
        assert!(exponential_past_cap(6.0, 1.0, 40.0, 2.0));
        // an infinite max never caps early
        assert!(!exponential_past_cap(5000.0, 1.0, f64::INFINITY, 2.0));
        // a base of 1 or less never grows
        assert!(!exponential_past_cap(100.0, 1.0, 40.0, 1.0));
        // max / multiplier underflowing still caps
        assert!(exponential_past_cap(0.0, 1e300, 1e-100, 2.0));
    }
}
