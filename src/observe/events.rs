//! The engine's log events: their kinds and levels, and how they reach Python logging.
//!
//! Events go through `tracing`, whose `log` records pyo3-log hands to the Python logger named
//! by the target: `pertinax::retrying` is `logging.getLogger("pertinax.retrying")`. Every event
//! is DEBUG unless configured louder, for all operations (`set_global_levels`) or per policy
//! (`log_levels=`, compiled into the plan), so a program's log output does not change when it
//! moves from tenacity. Messages are formatted only when some handler will see them.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering::Relaxed};

use pyo3::prelude::*;

use crate::num::Num;
use crate::state::OutcomeRef;

/// The kinds of event, each logged under its own child of the `pertinax` logger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    AttemptFailed = 0,
    Retrying = 1,
    GaveUp = 2,
    Recovered = 3,
}

/// A log level, or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lvl {
    Off,
    Debug,
    Info,
    Warn,
    Error,
}

impl Lvl {
    /// From Python's level numbers; 0 is off. Anything else is not a level pertinax logs at.
    pub fn from_python(n: i64) -> Option<Lvl> {
        Some(match n {
            0 => Lvl::Off,
            10 => Lvl::Debug,
            20 => Lvl::Info,
            30 => Lvl::Warn,
            40 => Lvl::Error,
            _ => return None,
        })
    }

    pub fn to_python(self) -> i64 {
        match self {
            Lvl::Off => 0,
            Lvl::Debug => 10,
            Lvl::Info => 20,
            Lvl::Warn => 30,
            Lvl::Error => 40,
        }
    }

    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_code(c: u8) -> Lvl {
        match c {
            0 => Lvl::Off,
            2 => Lvl::Info,
            3 => Lvl::Warn,
            4 => Lvl::Error,
            _ => Lvl::Debug,
        }
    }
}

/// The levels for all operations whose policy sets none: DEBUG for every event.
static LEVELS: [AtomicU8; 4] = [
    AtomicU8::new(1),
    AtomicU8::new(1),
    AtomicU8::new(1),
    AtomicU8::new(1),
];

pub fn set_global_levels(levels: [Lvl; 4]) {
    for (slot, l) in LEVELS.iter().zip(levels) {
        slot.store(l.code(), Relaxed);
    }
}

/// The global level of one event.
pub fn global_level(event: Event) -> Lvl {
    Lvl::from_code(LEVELS[event as usize].load(Relaxed))
}

pub fn global_levels() -> [Lvl; 4] {
    let mut out = [Lvl::Debug; 4];
    for (o, slot) in out.iter_mut().zip(&LEVELS) {
        *o = Lvl::from_code(slot.load(Relaxed));
    }
    out
}

/// One `tracing` event at a level known only at run time: a callsite per level, since a
/// callsite's level and target are static.
macro_rules! event_at {
    ($target:literal, $lvl:expr, $($arg:tt)+) => {
        match $lvl {
            Lvl::Off => {}
            Lvl::Debug => tracing::event!(target: $target, tracing::Level::DEBUG, $($arg)+),
            Lvl::Info => tracing::event!(target: $target, tracing::Level::INFO, $($arg)+),
            Lvl::Warn => tracing::event!(target: $target, tracing::Level::WARN, $($arg)+),
            Lvl::Error => tracing::event!(target: $target, tracing::Level::ERROR, $($arg)+),
        }
    };
}

/// Which level each event's Python logger lets through, as `Lvl` codes: 0 unknown, 1
/// (DEBUG) to 4 (ERROR) the lowest level it handles, 5 none. An event nobody hears then costs
/// one load, before `tracing` and the bridge's own cache are reached. Forgotten, with the
/// bridge's cache, whenever Python logging is reconfigured (`reset_heard`).
static HEARD: [AtomicU8; 5] = [
    AtomicU8::new(0),
    AtomicU8::new(0),
    AtomicU8::new(0),
    AtomicU8::new(0),
    AtomicU8::new(0),
];
static HEARD_GENERATION: AtomicU64 = AtomicU64::new(0);
const ALERT_SLOT: usize = 4;
const LOGGER_NAMES: [&str; 5] = [
    "pertinax.attempt_failed",
    "pertinax.retrying",
    "pertinax.gave_up",
    "pertinax.recovered",
    "pertinax.alert",
];

pub fn reset_heard() {
    HEARD_GENERATION.fetch_add(1, Relaxed);
    for h in &HEARD {
        h.store(0, Relaxed);
    }
}

/// Whether some Python logger would take a record of this level for this event.
fn heard(py: Python<'_>, slot: usize, lvl: Lvl) -> bool {
    let mut lowest = HEARD[slot].load(Relaxed);
    if lowest == 0 {
        // Asking Python runs Python code, which may let another thread reset the levels:
        // a value read across a reset is used once, not kept.
        let generation = HEARD_GENERATION.load(Relaxed);
        lowest = ask_logging(py, LOGGER_NAMES[slot]);
        if HEARD_GENERATION.load(Relaxed) == generation {
            HEARD[slot].store(lowest, Relaxed);
        }
    }
    lvl.code() >= lowest
}

#[cold]
fn ask_logging(py: Python<'_>, name: &str) -> u8 {
    let ask = || -> PyResult<u8> {
        let logger = py.import("logging")?.call_method1("getLogger", (name,))?;
        for lvl in [Lvl::Debug, Lvl::Info, Lvl::Warn, Lvl::Error] {
            if logger
                .call_method1("isEnabledFor", (lvl.to_python(),))?
                .is_truthy()?
            {
                return Ok(lvl.code());
            }
        }
        Ok(5)
    };
    // If Python cannot say, let every record through to the bridge, which asks again.
    ask().unwrap_or_else(|e| {
        drop(e);
        Lvl::Debug.code()
    })
}

pub fn emit(py: Python<'_>, event: Event, lvl: Lvl, args: fmt::Arguments<'_>) {
    if !heard(py, event as usize, lvl) {
        return;
    }
    match event {
        Event::AttemptFailed => event_at!("pertinax::attempt_failed", lvl, "{}", args),
        Event::Retrying => event_at!("pertinax::retrying", lvl, "{}", args),
        Event::GaveUp => event_at!("pertinax::gave_up", lvl, "{}", args),
        Event::Recovered => event_at!("pertinax::recovered", lvl, "{}", args),
    }
    swallow_logging_error(py);
}

/// The bridge restores an exception raised while logging (a broken handler) as Python's
/// current error; it must not leak into the retried call.
fn swallow_logging_error(py: Python<'_>) {
    if let Some(err) = PyErr::take(py) {
        err.write_unraisable(py, None);
    }
}

/// Shows a Python object lazily: only a record that some handler will see is formatted.
pub enum Shown<'a, 'py> {
    /// `TypeName: message` (or just `TypeName`), as tenacity's log helpers show exceptions.
    Exception(&'a Bound<'py, PyAny>),
    /// `returned repr(value)`.
    Value(&'a Bound<'py, PyAny>),
    Num(Python<'py>, &'a Num),
}

impl fmt::Display for Shown<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Exception(e) => {
                let tname = e
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| "?".to_owned());
                match e.str().map(|s| s.to_string()) {
                    Ok(s) if !s.is_empty() => write!(f, "raised {tname}: {s}"),
                    _ => write!(f, "raised {tname}"),
                }
            }
            Shown::Value(v) => match v.repr() {
                Ok(r) => write!(f, "returned {r}"),
                Err(_) => write!(f, "returned <unprintable>"),
            },
            Shown::Num(py, n) => match n {
                Num::Int(i) => write!(f, "{i}"),
                Num::Float(x) => write!(f, "{x:?}"),
                Num::Py(o) => match o.bind(*py).str() {
                    Ok(s) => write!(f, "{s}"),
                    Err(_) => write!(f, "?"),
                },
            },
        }
    }
}

pub fn shown<'a, 'py>(outcome: &'a OutcomeRef<'py>) -> Option<Shown<'a, 'py>> {
    match outcome {
        OutcomeRef::Raised(e) => Some(Shown::Exception(e)),
        OutcomeRef::Returned(v) => Some(Shown::Value(v)),
        OutcomeRef::Missing => None,
    }
}

/// An alert's line, at ERROR under `pertinax.alert`, if some handler hears it.
pub fn emit_alert(py: Python<'_>, args: fmt::Arguments<'_>) {
    if heard(py, ALERT_SLOT, Lvl::Error) {
        tracing::event!(target: "pertinax::alert", tracing::Level::ERROR, "{}", args);
        swallow_logging_error(py);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_pythons_numbers_and_back() {
        for lvl in [Lvl::Off, Lvl::Debug, Lvl::Info, Lvl::Warn, Lvl::Error] {
            assert_eq!(Lvl::from_python(lvl.to_python()), Some(lvl));
            assert_eq!(Lvl::from_code(lvl.code()), lvl);
        }
        assert_eq!(Lvl::from_python(50), None);
        assert_eq!(Lvl::from_python(15), None);
    }

    #[test]
    fn levels_order_as_pythons_do() {
        let codes: Vec<u8> = [Lvl::Debug, Lvl::Info, Lvl::Warn, Lvl::Error]
            .iter()
            .map(|l| l.code())
            .collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
    }
}
