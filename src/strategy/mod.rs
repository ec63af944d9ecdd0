//! Strategies as Rust values.
//!
//! Each family (`stop`, `wait`, `retry`) is one enum. A built-in Python strategy object is read
//! once, from its tenacity attribute names, into the matching variant; anything else (a plain
//! callable, a subclass that overrides `__call__`) becomes the `Python` variant and is called
//! with the `RetryCallState`.

pub mod retry;
pub mod stop;
pub mod wait;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyTuple, PyWeakrefReference};

use crate::errors::{Error, Shown};
use crate::state::StateView;

/// The built-in classes of one strategy module, looked up once, each with its kind. A kind
/// is an enum matched exhaustively: a built-in class can never fall through to the Python
/// variant (whose `__call__` would call back into the engine).
pub struct Registry<K: 'static> {
    classes: Vec<(Py<PyAny>, K)>,
}

impl<K: Copy + 'static> Registry<K> {
    pub fn load(py: Python<'_>, module: &str, kinds: &[(K, &'static str)]) -> PyResult<Self> {
        let m = py.import(module)?;
        let mut classes = Vec::with_capacity(kinds.len());
        for (kind, name) in kinds {
            classes.push((m.getattr(*name)?.unbind(), *kind));
        }
        Ok(Registry { classes })
    }

    /// The built-in class of a kind.
    pub fn class<'py>(&self, py: Python<'py>, kind: K) -> Option<&Bound<'py, PyAny>>
    where
        K: PartialEq,
    {
        self.classes
            .iter()
            .find(|(_, k)| *k == kind)
            .map(|(c, _)| c.bind(py))
    }

    fn lookup(&self, cls: &Bound<'_, PyAny>) -> Option<K> {
        self.classes
            .iter()
            .find(|(c, _)| c.bind(cls.py()).is(cls))
            .map(|(_, k)| *k)
    }

    /// The nearest built-in class in the object's MRO, overridden methods or not: how a
    /// built-in `__call__` reached through `super()` reads its own instance.
    pub fn classify_any(&self, obj: &Bound<'_, PyAny>) -> PyResult<Option<K>> {
        let py = obj.py();
        let mro = obj.get_type().getattr(pyo3::intern!(py, "__mro__"))?;
        for base in mro.try_iter()? {
            if let Some(kind) = self.lookup(&base?) {
                return Ok(Some(kind));
            }
        }
        Ok(None)
    }

    /// The built-in class an object is an exact instance of. A subclass, even one that
    /// overrides nothing, is called as Python: its attributes may be computed properties, and
    /// its `__call__` (or the built-in one it inherits) then reads them on every call.
    pub fn classify(&self, obj: &Bound<'_, PyAny>) -> Option<K> {
        self.lookup(obj.get_type().as_any())
    }
}

pub fn registry<'a, K: Copy + 'static>(
    py: Python<'_>,
    cell: &'a PyOnceLock<Registry<K>>,
    module: &str,
    kinds: &[(K, &'static str)],
) -> PyResult<&'a Registry<K>> {
    cell.get_or_try_init(py, || Registry::load(py, module, kinds))
}

/// The registry of a module's classes if that module is loaded, else None: an instance of
/// one of its classes can only exist once it is, so compiling never imports it (pertinax's
/// own strategies outside tenacity's modules load on first use).
pub fn loaded_registry<'a, K: Copy + 'static>(
    py: Python<'_>,
    cell: &'a PyOnceLock<Registry<K>>,
    module: &str,
    kinds: &[(K, &'static str)],
) -> PyResult<Option<&'a Registry<K>>> {
    if let Some(registry) = cell.get(py) {
        return Ok(Some(registry));
    }
    let modules = py
        .import(pyo3::intern!(py, "sys"))?
        .getattr(pyo3::intern!(py, "modules"))?;
    if !modules.contains(module)? {
        return Ok(None);
    }
    registry(py, cell, module, kinds).map(Some)
}

/// A user's own Python strategy or callback. Whether it is a coroutine function is decided
/// once, when the plan is built for an async driver.
#[derive(Debug)]
pub struct Callback {
    pub obj: Py<PyAny>,
    pub is_async: bool,
    /// Set when the object is not callable: the error calling it raises, named after the
    /// argument it was given as (tenacity fails at the same moment, less clearly).
    pub invalid: Option<Error>,
}

impl Callback {
    pub fn new(obj: Py<PyAny>) -> Self {
        Callback {
            obj,
            is_async: false,
            invalid: None,
        }
    }

    /// A hook given as `argument` that cannot be called.
    #[cold]
    pub fn not_callable(obj: &Bound<'_, PyAny>, argument: &str) -> Self {
        Callback {
            obj: obj.clone().unbind(),
            is_async: false,
            invalid: Some(Error::NotCallable {
                argument: argument.to_owned(),
                expected: "a callable taking the retry state",
                value: Shown::of(obj),
            }),
        }
    }

    /// Calls the object with one argument.
    pub fn call1<'py>(
        &self,
        py: Python<'py>,
        arg: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Some(e) = &self.invalid {
            return Err(e.clone().into());
        }
        self.obj.bind(py).call1((arg,))
    }

    pub fn call<'py>(&self, state: &dyn StateView<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call1(state.py(), state.object()?)
    }

    /// Calls with the state as the keyword `retry_state`, as `wait_chain` does.
    pub fn call_kw<'py>(&self, state: &dyn StateView<'py>) -> PyResult<Bound<'py, PyAny>> {
        let py = state.py();
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item(crate::names::retry_state(py), state.object()?)?;
        self.obj.bind(py).call(PyTuple::empty(py), Some(&kwargs))
    }
}

/// Whether an object is a coroutine callable, by pertinax's `_utils.is_coroutine_callable`.
pub fn is_coroutine_callable(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let f = CELL.import(obj.py(), "pertinax._utils", "is_coroutine_callable")?;
    f.call1((obj,))?.is_truthy()
}

/// What a family's strategy must be when it is not a built-in one.
pub fn expected(family: &str) -> &'static str {
    match family {
        "stop" => "a stop strategy or a callable taking the retry state",
        "wait" => "a wait strategy or a callable taking the retry state",
        _ => "a retry strategy or a callable taking the retry state",
    }
}

/// A strategy that is not callable, given as `argument` (`stop`, or
/// `stop_any: argument 'stops'` for one inside a combinator).
#[cold]
pub fn not_callable(family: &str, argument: &str, obj: &Bound<'_, PyAny>) -> Error {
    Error::NotCallable {
        argument: argument.to_owned(),
        expected: expected(family),
        value: Shown::of(obj),
    }
}

/// Reads a strategy argument as a float, with an error that names the strategy, the argument
/// and the value, instead of a `TypeError` from deep inside the arithmetic.
pub fn arg_f64(
    strategy: &'static str,
    argument: &'static str,
    value: &Bound<'_, PyAny>,
) -> Result<f64, Error> {
    value
        .extract::<f64>()
        .map_err(|_| bad_arg(strategy, argument, value))
}

#[cold]
pub fn bad_arg(strategy: &'static str, argument: &'static str, value: &Bound<'_, PyAny>) -> Error {
    Error::NotANumber {
        strategy,
        argument,
        value: Shown::of(value),
    }
}

/// Changes to the attributes of strategy objects that some plan has read.
///
/// tenacity reads a strategy's attributes on every call, so `fn.retry.stop.max_attempt_number
/// = 5` takes effect on the next call. A plan remembers the generation it was compiled at;
/// setting an attribute on a strategy it read bumps the generation, and every plan compiled
/// before is compiled again on its next call.
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// The strategy objects plans have read, by address, each with a weak reference that tells
/// whether the object at that address is still the one that was read: CPython hands a
/// freed object's address to the next new object at once.
static COMPILED: Mutex<Option<HashMap<usize, Option<Py<PyWeakrefReference>>>>> = Mutex::new(None);
/// Past this many remembered strategies the set starts over (and every plan recompiles once),
/// so a program that builds strategies in a loop does not grow it forever.
const COMPILED_LIMIT: usize = 1 << 16;

pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Makes every plan compiled so far stale (a process-wide setting that plans read changed).
pub fn invalidate_all() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// What a strategy object compiles to before its attributes are read.
pub enum Found<K> {
    /// An exact instance of a built-in class (marked as read by a plan).
    Kind(K),
    /// Anything else that can be called: called as Python with the state.
    Python(Callback),
    /// Not callable: the error names the family and the argument.
    Invalid(Error),
}

/// Classifies a strategy given as `argument` (`wait`, or a combinator's argument) of a
/// `family`: a class of `builtin`, else of `own()` (pertinax's classes outside tenacity's
/// modules, looked up only then), is a kind.
pub fn find_kind<K: Copy + 'static>(
    obj: &Bound<'_, PyAny>,
    family: &str,
    argument: &str,
    builtin: &Registry<K>,
    own: impl FnOnce() -> PyResult<Option<&'static Registry<K>>>,
) -> PyResult<Found<K>> {
    let kind = match builtin.classify(obj) {
        Some(kind) => Some(kind),
        None => own()?.and_then(|own| own.classify(obj)),
    };
    Ok(match kind {
        Some(kind) => {
            mark_compiled(obj);
            Found::Kind(kind)
        }
        None if obj.is_callable() => Found::Python(Callback::new(obj.clone().unbind())),
        None => Found::Invalid(not_callable(family, argument, obj)),
    })
}

/// Remembers that a plan read this strategy object.
pub fn mark_compiled(obj: &Bound<'_, PyAny>) {
    // An object without weak reference support is remembered by address alone.
    let weak = PyWeakrefReference::new(obj).ok().map(Bound::unbind);
    let dropped = match COMPILED.lock() {
        Ok(mut map) => {
            let map = map.get_or_insert_with(HashMap::new);
            let mut dropped = None;
            if map.len() >= COMPILED_LIMIT {
                dropped = Some(std::mem::take(map));
                GENERATION.fetch_add(1, Ordering::AcqRel);
            }
            map.insert(obj.as_ptr() as usize, weak);
            dropped
        }
        Err(_) => None,
    };
    // Released outside the lock.
    drop(dropped);
}

/// An attribute of `obj` changed: if a plan read it, every plan compiled before is stale.
pub fn note_changed(obj: &Bound<'_, PyAny>) {
    let key = obj.as_ptr() as usize;
    let (known, stale) = match COMPILED.lock() {
        Ok(mut guard) => match guard.as_mut() {
            None => (false, None),
            Some(map) => {
                let same = match map.get(&key) {
                    None => None,
                    Some(None) => Some(true),
                    Some(Some(weak)) => {
                        Some(weak.bind(obj.py()).upgrade().is_some_and(|o| o.is(obj)))
                    }
                };
                match same {
                    None => (false, None),
                    Some(true) => (true, None),
                    // A new object where a dead compiled one lived: forget the dead one.
                    Some(false) => (false, map.remove(&key)),
                }
            }
        },
        // A poisoned lock cannot tell: assume the plan read it.
        Err(_) => (true, None),
    };
    // Released outside the lock.
    drop(stale);
    if known {
        GENERATION.fetch_add(1, Ordering::AcqRel);
    }
}
