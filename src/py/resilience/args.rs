//! What `RetryBudget` and `CircuitBreaker` share: reading their arguments (a clear error
//! naming the class, the argument and the value), their reprs, and how they pickle.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};
use pyo3::{PyTraverseError, PyVisit};

use crate::errors::{bad_type, bad_value};
use crate::resilience::ConfigError;

#[cold]
pub fn config_error(class: &str, e: ConfigError) -> PyErr {
    bad_value(class, e.to_string())
}

/// A number argument: int or float (not bool), else a TypeError naming it and the value.
pub fn number(class: &str, argument: &str, value: &Bound<'_, PyAny>) -> PyResult<f64> {
    if (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
        && !value.is_instance_of::<PyBool>()
    {
        return value.extract();
    }
    Err(bad_type(
        class,
        format!("{argument} must be a number, got {}", value.repr()?),
    ))
}

pub fn count(class: &str, argument: &str, value: &Bound<'_, PyAny>) -> PyResult<u32> {
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
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

pub fn name_arg(class: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
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

/// The `store=` argument: `None`, or an object with the methods this class calls (a
/// `RedisStore`, or the user's own), else a TypeError naming it and the value. Checked
/// here, so a wrong store fails at construction rather than on each call.
pub fn store_arg(
    class: &str,
    store: Option<Bound<'_, PyAny>>,
    methods: &[&str],
) -> PyResult<Option<Py<PyAny>>> {
    let Some(store) = store else {
        return Ok(None);
    };
    for method in methods {
        let callable = store.getattr_opt(*method)?.is_some_and(|m| m.is_callable());
        if !callable {
            return Err(bad_type(
                class,
                format!(
                    "store must be None or a store with {} methods (such as \
                     pertinax.integrations.redis.RedisStore), got {}",
                    methods.join("(), ") + "()",
                    store.repr()?
                ),
            ));
        }
    }
    Ok(Some(store.unbind()))
}

/// `__reduce__`'s answer, `(functools.partial(type(obj), **kwargs), (name,))`: how a class
/// with one positional name and keyword-only options pickles.
pub fn reduce<'py>(
    obj: &Bound<'py, PyAny>,
    name: &str,
    kwargs: &Bound<'py, PyDict>,
) -> PyResult<(Bound<'py, PyAny>, (String,))> {
    let partial = obj.py().import("functools")?.getattr("partial")?;
    Ok((
        partial.call((obj.get_type(),), Some(kwargs))?,
        (name.to_owned(),),
    ))
}

/// `__traverse__` of a class whose only Python reference is its optional store.
pub fn visit_store(store: &Option<Py<PyAny>>, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
    match store {
        Some(s) => visit.call(s),
        None => Ok(()),
    }
}

pub fn str_repr(py: Python<'_>, s: &str) -> PyResult<String> {
    Ok(PyString::new(py, s).repr()?.to_str()?.to_owned())
}

/// A float that prints the way Python's repr does for the values a user passes.
pub fn py_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}
