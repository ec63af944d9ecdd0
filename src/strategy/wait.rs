//! Wait strategies: how long to sleep before the next attempt.
//!
//! This file holds the kinds: the enum, the built-in classes each kind is compiled from, and
//! the dispatch of an evaluation; `backoff` holds the arithmetic and the random draws.

pub mod backoff;

pub use backoff::Exponential;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use super::{bad_arg, find_kind, loaded_registry, registry, Callback, Found, Registry};
use crate::errors::Error;
use crate::num::Num;
use crate::state::{OutcomeRef, StateView};

#[derive(Debug)]
pub enum Wait {
    Fixed(Num),
    Random {
        min: Num,
        max: Num,
    },
    Incrementing {
        start: Num,
        increment: Num,
        max: Num,
    },
    Exponential(Exponential),
    RandomExponential(Exponential),
    ExponentialJitter {
        exp: Exponential,
        jitter: Num,
    },
    Combine(Vec<Wait>),
    Chain(Vec<Wait>),
    Exception(Py<PyAny>),
    /// `pertinax.transient.wait_retry_after`: the seconds `seconds(exc)` reads from a failed
    /// attempt's Retry-After (None when there is none), else the fallback.
    RetryAfter {
        seconds: Py<PyAny>,
        fallback: Box<Wait>,
    },
    Python(Callback),
    Invalid(Error),
}

/// The built-in wait classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    None,
    Fixed,
    Random,
    Incrementing,
    Exponential,
    RandomExponential,
    ExponentialJitter,
    Combine,
    Chain,
    Exception,
    /// `pertinax.transient.wait_retry_after`.
    RetryAfter,
}

/// Each kind with its class's name in `pertinax.wait`.
pub const KINDS: &[(Kind, &str)] = &[
    (Kind::None, "wait_none"),
    (Kind::Fixed, "wait_fixed"),
    (Kind::Random, "wait_random"),
    (Kind::Incrementing, "wait_incrementing"),
    (Kind::Exponential, "wait_exponential"),
    (Kind::RandomExponential, "wait_random_exponential"),
    (Kind::ExponentialJitter, "wait_exponential_jitter"),
    (Kind::Combine, "wait_combine"),
    (Kind::Chain, "wait_chain"),
    (Kind::Exception, "wait_exception"),
];

fn classes(py: Python<'_>) -> PyResult<&'static Registry<Kind>> {
    static CELL: PyOnceLock<Registry<Kind>> = PyOnceLock::new();
    registry(py, &CELL, "pertinax.wait", KINDS)
}

fn class_name(kind: Kind) -> &'static str {
    KINDS
        .iter()
        .chain(OWN_KINDS)
        .find(|(k, _)| *k == kind)
        .map_or("wait", |(_, n)| n)
}

/// pertinax's own waits outside tenacity's module, compiled like the built-ins.
pub const OWN_KINDS: &[(Kind, &str)] = &[(Kind::RetryAfter, "wait_retry_after")];

fn own_classes(py: Python<'_>) -> PyResult<Option<&'static Registry<Kind>>> {
    static CELL: PyOnceLock<Registry<Kind>> = PyOnceLock::new();
    loaded_registry(py, &CELL, "pertinax.transient", OWN_KINDS)
}

impl Wait {
    pub fn compile(obj: &Bound<'_, PyAny>) -> PyResult<Wait> {
        Wait::compile_as(obj, "wait")
    }

    /// Compiles a strategy given as `argument` (`wait`, or a combinator's argument).
    fn compile_as(obj: &Bound<'_, PyAny>, argument: &str) -> PyResult<Wait> {
        let py = obj.py();
        match find_kind(obj, "wait", argument, classes(py)?, || own_classes(py))? {
            Found::Kind(kind) => Wait::from_kind(obj, kind),
            Found::Python(cb) => Ok(Wait::Python(cb)),
            Found::Invalid(e) => Ok(Wait::Invalid(e)),
        }
    }

    /// Reads a built-in strategy called directly (`wait_x(...)(retry_state)`), even from a
    /// subclass's `super().__call__`.
    pub fn compile_native(obj: &Bound<'_, PyAny>) -> PyResult<Wait> {
        match classes(obj.py())?.classify_any(obj)? {
            Some(kind) => Wait::from_kind(obj, kind),
            None => Ok(Wait::Invalid(super::not_callable("wait", "wait", obj))),
        }
    }

    fn from_kind(obj: &Bound<'_, PyAny>, kind: Kind) -> PyResult<Wait> {
        let strategy = class_name(kind);
        // Read numeric attributes; the first one that is not a number makes the strategy
        // Invalid (raised at first use, where tenacity fails too).
        let mut bad: Option<Error> = None;
        let mut num = |attr: &'static str| -> PyResult<Num> {
            let v = obj.getattr(pyo3::types::PyString::intern(obj.py(), attr))?;
            if v.extract::<f64>().is_err() && bad.is_none() {
                bad = Some(bad_arg(strategy, attr, &v));
            }
            Ok(Num::from_py(&v))
        };
        let exponential =
            |num: &mut dyn FnMut(&'static str) -> PyResult<Num>| -> PyResult<Exponential> {
                Ok(Exponential {
                    multiplier: num("multiplier")?,
                    max: num("max")?,
                    exp_base: num("exp_base")?,
                    min: num("min")?,
                })
            };
        let many = |attr: &'static str| -> PyResult<Vec<Wait>> {
            let argument = format!("{strategy}: argument '{attr}'");
            obj.getattr(pyo3::types::PyString::intern(obj.py(), attr))?
                .try_iter()?
                .map(|s| Wait::compile_as(&s?, &argument))
                .collect()
        };
        let wait = match kind {
            Kind::None | Kind::Fixed => Wait::Fixed(num("wait_fixed")?),
            Kind::Random => Wait::Random {
                min: num("wait_random_min")?,
                max: num("wait_random_max")?,
            },
            Kind::Incrementing => Wait::Incrementing {
                start: num("start")?,
                increment: num("increment")?,
                max: num("max")?,
            },
            Kind::Exponential => Wait::Exponential(exponential(&mut num)?),
            Kind::RandomExponential => Wait::RandomExponential(exponential(&mut num)?),
            Kind::ExponentialJitter => {
                let exp = exponential(&mut num)?;
                Wait::ExponentialJitter {
                    exp,
                    jitter: num("jitter")?,
                }
            }
            Kind::Combine => Wait::Combine(many("wait_funcs")?),
            Kind::Chain => Wait::Chain(many("strategies")?),
            Kind::Exception => {
                Wait::Exception(obj.getattr(pyo3::intern!(obj.py(), "predicate"))?.unbind())
            }
            Kind::RetryAfter => {
                let fallback = Wait::compile(&obj.getattr(pyo3::intern!(obj.py(), "fallback"))?)?;
                // A Python fallback needs the RetryCallState anyway (and may be async):
                // then the whole strategy runs as Python, its own `__call__`.
                if fallback.needs_state() {
                    Wait::Python(Callback::new(obj.clone().unbind()))
                } else {
                    Wait::RetryAfter {
                        seconds: obj.getattr(pyo3::intern!(obj.py(), "_seconds"))?.unbind(),
                        fallback: Box::new(fallback),
                    }
                }
            }
        };
        Ok(match bad {
            Some(e) => Wait::Invalid(e),
            None => wait,
        })
    }

    /// The compiled variant's name, for tests and introspection.
    pub fn variant(&self) -> &'static str {
        match self {
            Wait::Fixed(_) => "Fixed",
            Wait::Random { .. } => "Random",
            Wait::Incrementing { .. } => "Incrementing",
            Wait::Exponential(_) => "Exponential",
            Wait::RandomExponential(_) => "RandomExponential",
            Wait::ExponentialJitter { .. } => "ExponentialJitter",
            Wait::Combine(_) => "Combine",
            Wait::Chain(_) => "Chain",
            Wait::Exception(_) => "Exception",
            Wait::RetryAfter { .. } => "RetryAfter",
            Wait::Python(_) => "Python",
            Wait::Invalid(_) => "Invalid",
        }
    }

    pub fn needs_state(&self) -> bool {
        match self {
            Wait::Python(_) => true,
            Wait::Combine(v) | Wait::Chain(v) => v.iter().any(Wait::needs_state),
            Wait::RetryAfter { fallback, .. } => fallback.needs_state(),
            _ => false,
        }
    }

    pub fn top_level_callback(&mut self) -> Option<&mut Callback> {
        match self {
            Wait::Python(cb) => Some(cb),
            _ => None,
        }
    }

    pub fn evaluate<'py>(&self, state: &dyn StateView<'py>) -> PyResult<Num> {
        self.eval_with(state, false)
    }

    fn eval_with<'py>(&self, state: &dyn StateView<'py>, keyword: bool) -> PyResult<Num> {
        let py = state.py();
        match self {
            Wait::Fixed(v) => Ok(v.clone_ref(py)),
            Wait::Random { min, max } => backoff::random_between(py, min, max),
            Wait::Incrementing {
                start,
                increment,
                max,
            } => backoff::incrementing(state, start, increment, max),
            Wait::Exponential(e) => backoff::exponential(state, e),
            Wait::RandomExponential(e) => backoff::random_exponential(state, e),
            Wait::ExponentialJitter { exp, jitter } => {
                backoff::exponential_jitter(state, exp, jitter)
            }
            Wait::Combine(waits) => {
                let mut total = Num::Int(0);
                for w in waits {
                    total = total.add(py, &w.eval_with(state, false)?)?;
                }
                Ok(Num::Float(total.as_f64(py)?))
            }
            Wait::Chain(waits) => {
                let n = match state.attempt_number()? {
                    Num::Int(i) => i,
                    other => other.as_f64(py)? as i64,
                };
                match waits.get(backoff::chain_index(n, waits.len())) {
                    Some(w) => w.eval_with(state, true),
                    None => Err(Error::EmptyWaitChain.into()),
                }
            }
            Wait::Exception(predicate) => match state.outcome()? {
                OutcomeRef::Missing => Err(Error::CalledBeforeOutcome { cause_type: false }.into()),
                OutcomeRef::Returned(_) => Err(Error::NoExceptionInFailedOutcome.into()),
                OutcomeRef::Raised(exc) => Ok(Num::from_py(&predicate.bind(py).call1((exc,))?)),
            },
            Wait::RetryAfter { seconds, fallback } => {
                if let OutcomeRef::Raised(exc) = state.outcome()? {
                    let v = seconds.bind(py).call1((exc,))?;
                    if !v.is_none() {
                        return Ok(Num::from_py(&v));
                    }
                }
                fallback.eval_with(state, false)
            }
            Wait::Python(cb) => {
                let v = if keyword {
                    cb.call_kw(state)?
                } else {
                    cb.call(state)?
                };
                Ok(Num::from_py(&v))
            }
            Wait::Invalid(e) => Err(e.clone().into()),
        }
    }

    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        match self {
            Wait::Exception(o) => visit.call(o),
            Wait::RetryAfter { seconds, fallback } => {
                visit.call(seconds)?;
                fallback.traverse(visit)
            }
            Wait::Python(cb) => visit.call(&cb.obj),
            Wait::Combine(v) | Wait::Chain(v) => v.iter().try_for_each(|w| w.traverse(visit)),
            _ => Ok(()),
        }
    }
}
