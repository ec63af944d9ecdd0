//! Retry predicates: whether an outcome deserves another attempt.

use std::collections::HashSet;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use super::{find_kind, loaded_registry, registry, Callback, Found, Registry};
use crate::errors::{Error, Shown};
use crate::state::{OutcomeRef, StateView};

#[derive(Debug)]
pub enum Message {
    Equals(Py<PyAny>),
    Matches(Py<PyAny>),
}

#[derive(Debug)]
pub enum Retry {
    Never,
    Always,
    /// `retry_if_exception(predicate)`: the predicate decides on failures; successes never
    /// retry.
    IfException(Py<PyAny>),
    IfExceptionType(Types),
    IfNotExceptionType(Types),
    /// Retries successes too, until one of the types is raised.
    UnlessExceptionType(Types),
    /// Retries successes too; the predicate decides on failures.
    UnlessException(Py<PyAny>),
    IfExceptionCauseType(Types),
    IfExceptionMessage(Message),
    /// The negation of `IfExceptionMessage`, which also retries successes.
    IfNotExceptionMessage(Message),
    IfResult(Py<PyAny>),
    IfNotResult(Py<PyAny>),
    Any(Vec<Retry>),
    All(Vec<Retry>),
    Python(Callback),
    Invalid(Error),
}

/// Exception types a predicate checks against, with where they were given (for the error
/// when they are not types: tenacity fails only at `isinstance`).
#[derive(Debug)]
pub struct Types {
    strategy: &'static str,
    argument: &'static str,
    types: Py<PyAny>,
}

/// The built-in retry classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Never,
    Always,
    IfExceptionType,
    IfNotExceptionType,
    UnlessExceptionType,
    IfExceptionCauseType,
    IfNotExceptionMessage,
    IfExceptionMessage,
    IfException,
    IfResult,
    IfNotResult,
    Any,
    All,
}

/// Each kind with its class's name in `pertinax.retry`.
pub const KINDS: &[(Kind, &str)] = &[
    (Kind::Never, "_retry_never"),
    (Kind::Always, "_retry_always"),
    (Kind::IfExceptionType, "retry_if_exception_type"),
    (Kind::IfNotExceptionType, "retry_if_not_exception_type"),
    (Kind::UnlessExceptionType, "retry_unless_exception_type"),
    (Kind::IfExceptionCauseType, "retry_if_exception_cause_type"),
    (
        Kind::IfNotExceptionMessage,
        "retry_if_not_exception_message",
    ),
    (Kind::IfExceptionMessage, "retry_if_exception_message"),
    (Kind::IfException, "retry_if_exception"),
    (Kind::IfResult, "retry_if_result"),
    (Kind::IfNotResult, "retry_if_not_result"),
    (Kind::Any, "retry_any"),
    (Kind::All, "retry_all"),
];

fn classes(py: Python<'_>) -> PyResult<&'static Registry<Kind>> {
    static CELL: PyOnceLock<Registry<Kind>> = PyOnceLock::new();
    registry(py, &CELL, "pertinax.retry", KINDS)
}

fn class_name(kind: Kind) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("retry", |(_, n)| n)
}

/// pertinax's own predicates outside tenacity's module, compiled like the built-ins:
/// `retry_if_transient` is a `retry_if_exception` whose predicate is `is_transient`.
pub const OWN_KINDS: &[(Kind, &str)] = &[(Kind::IfException, "retry_if_transient")];

fn own_classes(py: Python<'_>) -> PyResult<Option<&'static Registry<Kind>>> {
    static CELL: PyOnceLock<Registry<Kind>> = PyOnceLock::new();
    loaded_registry(py, &CELL, "pertinax.transient", OWN_KINDS)
}

impl Retry {
    pub fn compile(obj: &Bound<'_, PyAny>) -> PyResult<Retry> {
        Retry::compile_as(obj, "retry")
    }

    /// Compiles a strategy given as `argument` (`retry`, or a combinator's argument).
    fn compile_as(obj: &Bound<'_, PyAny>, argument: &str) -> PyResult<Retry> {
        let py = obj.py();
        match find_kind(obj, "retry", argument, classes(py)?, || own_classes(py))? {
            Found::Kind(kind) => Retry::from_kind(obj, kind),
            Found::Python(cb) => Ok(Retry::Python(cb)),
            Found::Invalid(e) => Ok(Retry::Invalid(e)),
        }
    }

    /// Reads a built-in strategy called directly (`retry_x(...)(retry_state)`), even from a
    /// subclass's `super().__call__`.
    pub fn compile_native(obj: &Bound<'_, PyAny>) -> PyResult<Retry> {
        match classes(obj.py())?.classify_any(obj)? {
            Some(kind) => Retry::from_kind(obj, kind),
            None => Ok(Retry::Invalid(super::not_callable("retry", "retry", obj))),
        }
    }

    fn from_kind(obj: &Bound<'_, PyAny>, kind: Kind) -> PyResult<Retry> {
        let strategy = class_name(kind);
        let attr = |name: &str| -> PyResult<Py<PyAny>> {
            Ok(obj
                .getattr(pyo3::types::PyString::intern(obj.py(), name))?
                .unbind())
        };
        let many = |name: &'static str| -> PyResult<Vec<Retry>> {
            let argument = format!("{strategy}: argument '{name}'");
            obj.getattr(pyo3::types::PyString::intern(obj.py(), name))?
                .try_iter()?
                .map(|r| Retry::compile_as(&r?, &argument))
                .collect()
        };
        // The type and message predicates route through `_check`; a subclass that overrides
        // it keeps its own logic, reached through the `predicate` attribute (the bound
        // `_check`), exactly as tenacity's `retry_if_exception.__call__` does.
        if let Some(native) = classes(obj.py())?.class(obj.py(), kind) {
            let mine = obj
                .get_type()
                .getattr(pyo3::intern!(obj.py(), "_check"))
                .ok();
            let theirs = native.getattr(pyo3::intern!(obj.py(), "_check")).ok();
            if let (Some(mine), Some(theirs)) = (mine, theirs) {
                if !mine.is(&theirs) {
                    let predicate = attr("predicate")?;
                    return Ok(match kind {
                        Kind::UnlessExceptionType | Kind::IfNotExceptionMessage => {
                            Retry::UnlessException(predicate)
                        }
                        _ => Retry::IfException(predicate),
                    });
                }
            }
        }
        let message = || -> PyResult<Message> {
            let m = obj.getattr(pyo3::intern!(obj.py(), "message"))?;
            if !m.is_none() {
                return Ok(Message::Equals(m.unbind()));
            }
            Ok(Message::Matches(attr("match")?))
        };
        let types = |name: &'static str| -> PyResult<Types> {
            Ok(Types {
                strategy,
                argument: name,
                types: attr(name)?,
            })
        };
        Ok(match kind {
            Kind::Never => Retry::Never,
            Kind::Always => Retry::Always,
            Kind::IfException => Retry::IfException(attr("predicate")?),
            Kind::IfExceptionType => Retry::IfExceptionType(types("exception_types")?),
            Kind::IfNotExceptionType => Retry::IfNotExceptionType(types("exception_types")?),
            Kind::UnlessExceptionType => Retry::UnlessExceptionType(types("exception_types")?),
            Kind::IfExceptionCauseType => {
                Retry::IfExceptionCauseType(types("exception_cause_types")?)
            }
            Kind::IfExceptionMessage => Retry::IfExceptionMessage(message()?),
            Kind::IfNotExceptionMessage => Retry::IfNotExceptionMessage(message()?),
            Kind::IfResult => Retry::IfResult(attr("predicate")?),
            Kind::IfNotResult => Retry::IfNotResult(attr("predicate")?),
            Kind::Any => Retry::Any(many("retries")?),
            Kind::All => Retry::All(many("retries")?),
        })
    }

    /// The compiled variant's name, for tests and introspection.
    pub fn variant(&self) -> &'static str {
        match self {
            Retry::Never => "Never",
            Retry::Always => "Always",
            Retry::IfException(_) => "IfException",
            Retry::IfExceptionType(_) => "IfExceptionType",
            Retry::IfNotExceptionType(_) => "IfNotExceptionType",
            Retry::UnlessExceptionType(_) => "UnlessExceptionType",
            Retry::UnlessException(_) => "UnlessException",
            Retry::IfExceptionCauseType(_) => "IfExceptionCauseType",
            Retry::IfExceptionMessage(_) => "IfExceptionMessage",
            Retry::IfNotExceptionMessage(_) => "IfNotExceptionMessage",
            Retry::IfResult(_) => "IfResult",
            Retry::IfNotResult(_) => "IfNotResult",
            Retry::Any(_) => "Any",
            Retry::All(_) => "All",
            Retry::Python(_) => "Python",
            Retry::Invalid(_) => "Invalid",
        }
    }

    /// Whether a returned value could ever be retried. When it cannot, a first attempt that
    /// returns is the call's result, and the engine need not be consulted at all.
    pub fn may_retry_result(&self) -> bool {
        match self {
            Retry::Never
            | Retry::IfException(_)
            | Retry::IfExceptionType(_)
            | Retry::IfNotExceptionType(_)
            | Retry::IfExceptionCauseType(_)
            | Retry::IfExceptionMessage(_) => false,
            Retry::Any(v) => v.iter().any(Retry::may_retry_result),
            Retry::All(v) => v.iter().all(Retry::may_retry_result),
            _ => true,
        }
    }

    pub fn needs_state(&self) -> bool {
        match self {
            Retry::Python(_) => true,
            Retry::Any(v) | Retry::All(v) => v.iter().any(Retry::needs_state),
            _ => false,
        }
    }

    pub fn top_level_callback(&mut self) -> Option<&mut Callback> {
        match self {
            Retry::Python(cb) => Some(cb),
            _ => None,
        }
    }

    /// Whether to retry.
    pub fn evaluate<'py>(&self, state: &dyn StateView<'py>) -> PyResult<bool> {
        self.value(state)?.is_truthy()
    }

    /// What tenacity's `__call__` returns: a user predicate's own value where tenacity
    /// passes it through, else a bool.
    pub fn value<'py>(&self, state: &dyn StateView<'py>) -> PyResult<Bound<'py, PyAny>> {
        let py = state.py();
        let b = |v: bool| Ok(pyo3::types::PyBool::new(py, v).to_owned().into_any());
        match self {
            Retry::Never => b(false),
            Retry::Always => b(true),
            Retry::Any(rs) => {
                for r in rs {
                    if r.evaluate(state)? {
                        return b(true);
                    }
                }
                b(false)
            }
            Retry::All(rs) => {
                for r in rs {
                    if !r.evaluate(state)? {
                        return b(false);
                    }
                }
                b(true)
            }
            Retry::Python(cb) => cb.call(state),
            Retry::Invalid(e) => Err(e.clone().into()),
            _ => {
                let outcome = state.outcome()?;
                self.on_outcome(py, outcome)
            }
        }
    }

    fn on_outcome<'py>(
        &self,
        py: Python<'py>,
        outcome: OutcomeRef<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let b = |v: bool| Ok(pyo3::types::PyBool::new(py, v).to_owned().into_any());
        let (exc, value) = match outcome {
            OutcomeRef::Missing => {
                // tenacity's own wording, which differs for this one class.
                let cause_type = matches!(self, Retry::IfExceptionCauseType(_));
                return Err(Error::CalledBeforeOutcome { cause_type }.into());
            }
            OutcomeRef::Raised(e) => (Some(e), None),
            OutcomeRef::Returned(v) => (None, Some(v)),
        };
        match (self, exc, value) {
            (Retry::IfException(p), Some(e), _) => p.bind(py).call1((e,)),
            (Retry::IfExceptionType(t), Some(e), _) => b(isinstance(&e, t)?),
            (Retry::IfNotExceptionType(t), Some(e), _) => b(!isinstance(&e, t)?),
            (Retry::UnlessExceptionType(t), Some(e), _) => b(!isinstance(&e, t)?),
            (Retry::UnlessExceptionType(_), None, _) => b(true),
            (Retry::UnlessException(p), Some(e), _) => p.bind(py).call1((e,)),
            (Retry::UnlessException(_), None, _) => b(true),
            (Retry::IfExceptionCauseType(t), Some(e), _) => b(cause_matches(&e, t)?),
            (Retry::IfExceptionMessage(m), Some(e), _) => b(message_matches(&e, m)?),
            (Retry::IfNotExceptionMessage(m), Some(e), _) => b(!message_matches(&e, m)?),
            (Retry::IfNotExceptionMessage(_), None, _) => b(true),
            (Retry::IfResult(p), None, Some(v)) => p.bind(py).call1((v,)),
            (Retry::IfNotResult(p), None, Some(v)) => b(!p.bind(py).call1((v,))?.is_truthy()?),
            _ => b(false),
        }
    }

    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        match self {
            Retry::IfExceptionType(t)
            | Retry::IfNotExceptionType(t)
            | Retry::UnlessExceptionType(t)
            | Retry::IfExceptionCauseType(t) => visit.call(&t.types),
            Retry::IfException(o)
            | Retry::UnlessException(o)
            | Retry::IfResult(o)
            | Retry::IfNotResult(o)
            | Retry::IfExceptionMessage(Message::Equals(o) | Message::Matches(o))
            | Retry::IfNotExceptionMessage(Message::Equals(o) | Message::Matches(o)) => {
                visit.call(o)
            }
            Retry::Python(cb) => visit.call(&cb.obj),
            Retry::Any(v) | Retry::All(v) => v.iter().try_for_each(|r| r.traverse(visit)),
            _ => Ok(()),
        }
    }
}

fn isinstance(exc: &Bound<'_, PyAny>, types: &Types) -> PyResult<bool> {
    let given = types.types.bind(exc.py());
    exc.is_instance(given).map_err(|_| {
        Error::NotExceptionTypes {
            strategy: types.strategy,
            argument: types.argument,
            value: Shown::of(given),
        }
        .into()
    })
}

/// Walks `__cause__` (never `__context__`) looking for one of the types, stopping on a cycle.
fn cause_matches(exc: &Bound<'_, PyAny>, types: &Types) -> PyResult<bool> {
    let py = exc.py();
    let mut seen: HashSet<usize> = HashSet::new();
    let mut current = exc.clone();
    while !current.is_none() && seen.insert(current.as_ptr() as usize) {
        let cause = current.getattr(pyo3::intern!(py, "__cause__"))?;
        if !cause.is_none() && isinstance(&cause, types)? {
            return Ok(true);
        }
        current = cause;
    }
    Ok(false)
}

fn message_matches(exc: &Bound<'_, PyAny>, message: &Message) -> PyResult<bool> {
    let py = exc.py();
    let text = exc.str()?;
    match message {
        Message::Equals(m) => m.bind(py).eq(text),
        Message::Matches(pattern) => pattern
            .bind(py)
            .call_method1(pyo3::intern!(py, "match"), (text,))?
            .is_truthy(),
    }
}
