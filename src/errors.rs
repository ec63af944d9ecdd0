//! Errors that start in Rust, turned into Python exceptions in one place.

use pyo3::exceptions::PyRuntimeError;
use pyo3::PyErr;

/// A broken internal invariant. It surfaces as a `RuntimeError` that says so, never as a panic.
#[cold]
pub fn internal(what: &str) -> PyErr {
    PyRuntimeError::new_err(format!(
        "pertinax internal error: {what}; please report it with the code that triggered it"
    ))
}

/// A step of a call asked for while one of its steps runs (a callback that calls `next()`
/// on its own loop): refused, with a running generator's words.
#[cold]
pub fn already_running() -> PyErr {
    pyo3::exceptions::PyValueError::new_err("generator already executing")
}

pyo3::create_exception!(
    pertinax,
    CircuitOpenError,
    pyo3::exceptions::PyException,
    "Raised instead of calling the function while its circuit breaker is open."
);
