//! The errors that start in Rust, in one place: each variant is one kind of failure, and
//! `From<Error> for PyErr` is the one conversion into a Python exception. The wording is
//! tenacity's wherever tenacity has one (the same type, raised at the same moment); where
//! tenacity only fails deep inside its arithmetic, the message names the strategy, the
//! argument and the value.

use pyo3::exceptions::{PyOverflowError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;

/// A Python value as an error message shows it: its `repr()` and its type's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub repr: String,
    pub type_name: String,
}

impl Shown {
    #[cold]
    pub fn of(value: &Bound<'_, PyAny>) -> Shown {
        Shown {
            repr: value
                .repr()
                .map(|r| r.to_string())
                .unwrap_or_else(|_| "<unprintable>".to_owned()),
            type_name: value
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".to_owned()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A broken internal invariant: a `RuntimeError` that says so, never a panic.
    Internal(&'static str),
    /// A step of a call asked for while one of its steps runs (a callback that calls
    /// `next()` on its own loop): a running generator's words.
    AlreadyRunning,
    /// A value other than None sent into a generator (or coroutine) that has not started.
    SentBeforeStart(&'static str),
    /// A strategy argument that must be a number.
    NotANumber {
        strategy: &'static str,
        argument: &'static str,
        value: Shown,
    },
    /// A strategy argument that must be an exception class or a tuple of them.
    NotExceptionTypes {
        strategy: &'static str,
        argument: &'static str,
        value: Shown,
    },
    /// Something called with the retry state (a strategy, a hook, the sleep) that is not
    /// callable. `argument` says where it was given (`before_sleep`, or
    /// `stop_any: argument 'stops'`); `expected` what would do.
    NotCallable {
        argument: String,
        expected: &'static str,
        value: Shown,
    },
    /// A predicate called before the attempt had an outcome; tenacity words it differently
    /// for `retry_if_exception_cause_type`.
    CalledBeforeOutcome {
        cause_type: bool,
    },
    /// A delay stop called before any outcome was timed.
    SecondsSinceStartUnset,
    /// `wait_exception` called on an attempt that returned.
    NoExceptionInFailedOutcome,
    EmptyWaitChain,
    /// A log level that is none of 0 (off), 10, 20, 30, 40.
    BadLogLevel(i64),
    /// A float power too large for a float: Python's own `OverflowError`.
    FloatOverflow,
    /// A strategy family that is none of stop, wait, retry.
    UnknownFamily(String),
    /// An argument of one of pertinax's own classes or functions (`RetryBudget`,
    /// `CircuitBreaker`, `set_testing`, `budget=`) that can never work: `owner` names the
    /// class or function, `message` the argument and the value. A `TypeError` unless the
    /// type is right and only the value is wrong (`value_error`).
    BadArgument {
        owner: String,
        message: String,
        value_error: bool,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Internal(what) => write!(
                f,
                "pertinax internal error: {what}; please report it with the code that \
                 triggered it"
            ),
            Error::AlreadyRunning => f.write_str("generator already executing"),
            Error::SentBeforeStart(what) => {
                write!(f, "can't send non-None value to a just-started {what}")
            }
            Error::NotANumber {
                strategy,
                argument,
                value,
            } => write!(
                f,
                "{strategy}: argument '{argument}' must be a number, got {} (type {})",
                value.repr, value.type_name
            ),
            Error::NotExceptionTypes {
                strategy,
                argument,
                value,
            } => write!(
                f,
                "{strategy}: argument '{argument}' must be an exception class or a tuple of \
                 them, got {}",
                value.repr
            ),
            Error::NotCallable {
                argument,
                expected,
                value,
            } => write!(
                f,
                "{argument}: expected {expected}, got {}: '{}' object is not callable",
                value.repr, value.type_name
            ),
            Error::CalledBeforeOutcome { cause_type: true } => {
                f.write_str("__call__ called before outcome was set")
            }
            Error::CalledBeforeOutcome { cause_type: false } => {
                f.write_str("__call__() called before outcome was set")
            }
            Error::SecondsSinceStartUnset => {
                f.write_str("__call__() called but seconds_since_start is not set")
            }
            Error::NoExceptionInFailedOutcome => {
                f.write_str("outcome failed but the exception is None")
            }
            Error::EmptyWaitChain => f.write_str("wait_chain() requires at least one strategy"),
            Error::BadLogLevel(n) => {
                write!(f, "log level {n} is not one of 0 (off), 10, 20, 30 or 40")
            }
            Error::FloatOverflow => f.write_str("(34, 'Numerical result out of range')"),
            Error::UnknownFamily(family) => {
                write!(
                    f,
                    "family must be 'stop', 'wait' or 'retry', got {family:?}"
                )
            }
            Error::BadArgument { owner, message, .. } => write!(f, "{owner}: {message}"),
        }
    }
}

impl From<Error> for PyErr {
    #[cold]
    fn from(e: Error) -> PyErr {
        let msg = e.to_string();
        match e {
            Error::Internal(_)
            | Error::CalledBeforeOutcome { .. }
            | Error::SecondsSinceStartUnset
            | Error::NoExceptionInFailedOutcome
            | Error::EmptyWaitChain => PyRuntimeError::new_err(msg),
            Error::AlreadyRunning
            | Error::BadLogLevel(_)
            | Error::UnknownFamily(_)
            | Error::BadArgument {
                value_error: true, ..
            } => PyValueError::new_err(msg),
            // As float's `**` raises it: the errno and the message as its two arguments.
            Error::FloatOverflow => PyOverflowError::new_err((34, "Numerical result out of range")),
            Error::SentBeforeStart(_)
            | Error::NotANumber { .. }
            | Error::NotExceptionTypes { .. }
            | Error::NotCallable { .. }
            | Error::BadArgument {
                value_error: false, ..
            } => PyTypeError::new_err(msg),
        }
    }
}

/// A bad argument of one of pertinax's own classes or functions: a `TypeError`.
#[cold]
pub fn bad_type(owner: &str, message: String) -> PyErr {
    Error::BadArgument {
        owner: owner.to_owned(),
        message,
        value_error: false,
    }
    .into()
}

/// An argument of the right type whose value can never work: a `ValueError`.
#[cold]
pub fn bad_value(owner: &str, message: String) -> PyErr {
    Error::BadArgument {
        owner: owner.to_owned(),
        message,
        value_error: true,
    }
    .into()
}

/// A broken internal invariant, as a Python exception.
#[cold]
pub fn internal(what: &'static str) -> PyErr {
    Error::Internal(what).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(repr: &str, type_name: &str) -> Shown {
        Shown {
            repr: repr.to_owned(),
            type_name: type_name.to_owned(),
        }
    }

    #[test]
    fn a_bad_argument_names_the_strategy_the_argument_and_the_value() {
        let e = Error::NotANumber {
            strategy: "stop_after_attempt",
            argument: "max_attempt_number",
            value: shown("'3'", "str"),
        };
        assert_eq!(
            e.to_string(),
            "stop_after_attempt: argument 'max_attempt_number' must be a number, got '3' \
             (type str)"
        );
    }

    #[test]
    fn not_callable_ends_with_pythons_own_words() {
        let e = Error::NotCallable {
            argument: "before_sleep".to_owned(),
            expected: "a callable taking the retry state",
            value: shown("'log'", "str"),
        };
        assert!(e.to_string().starts_with("before_sleep: "));
        assert!(e
            .to_string()
            .ends_with("'log': 'str' object is not callable"));
    }

    #[test]
    fn tenacity_words_the_cause_type_predicate_apart() {
        assert_eq!(
            Error::CalledBeforeOutcome { cause_type: true }.to_string(),
            "__call__ called before outcome was set"
        );
        assert_eq!(
            Error::CalledBeforeOutcome { cause_type: false }.to_string(),
            "__call__() called before outcome was set"
        );
    }
}

pyo3::create_exception!(
    pertinax,
    CircuitOpenError,
    pyo3::exceptions::PyException,
    "Raised instead of calling the function while its circuit breaker is open."
);
