//! Interned attribute names and imported Python objects, each looked up once: the ground
//! floor every layer may use to reach Python (it names no pyclass).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;

macro_rules! names {
    ($($fn_name:ident => $text:expr),* $(,)?) => {
        $(
            #[inline]
            pub fn $fn_name(py: Python<'_>) -> &Bound<'_, PyString> {
                pyo3::intern!(py, $text)
            }
        )*
    };
}

names! {
    attempt_number => "attempt_number",
    seconds_since_start => "seconds_since_start",
    upcoming_sleep => "upcoming_sleep",
    outcome => "outcome",
    exception => "exception",
    result => "result",
    retry_state => "retry_state",
    reraise => "reraise",
    is_set => "is_set",
    monotonic => "monotonic",
    sleep => "sleep",
    start_time => "start_time",
    idle_for => "idle_for",
    delay_since_first_attempt => "delay_since_first_attempt",
    set_result => "set_result",
    set_exception => "set_exception",
}

macro_rules! imported {
    ($($fn_name:ident => ($module:expr, $attr:expr)),* $(,)?) => {
        $(
            pub fn $fn_name(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
                static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
                CELL.import(py, $module, $attr)
            }
        )*
    };
}

imported! {
    future_class => ("pertinax._outcome", "Future"),
    retry_action => ("pertinax._outcome", "RetryAction"),
    do_sleep => ("pertinax._outcome", "DoSleep"),
    try_again => ("pertinax._outcome", "TryAgain"),
    get_callback_name => ("pertinax._utils", "get_callback_name"),
    time_module => ("pertinax.nap", "time"),
    default_sleep => ("pertinax.nap", "sleep"),
    failure_of => ("pertinax.asyncio._driver", "_failure_of"),
    builtin_round => ("builtins", "round"),
    method_type => ("types", "MethodType"),
    before_nothing => ("pertinax.before", "before_nothing"),
    after_nothing => ("pertinax.after", "after_nothing"),
    before_sleep_nothing => ("pertinax.before_sleep", "before_sleep_nothing"),
}

/// Whether `obj` is one of the do-nothing hooks (`before_nothing`, `after_nothing`,
/// `before_sleep_nothing`).
pub fn is_nothing_hook(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = obj.py();
    Ok(obj.is(before_nothing(py)?)
        || obj.is(after_nothing(py)?)
        || obj.is(before_sleep_nothing(py)?))
}

/// The current value of an attribute of the `time` module, read from the module's dict (a
/// plain dict lookup; a patch such as `mock.patch("time.sleep")` writes that dict too).
pub fn time_attr<'py>(py: Python<'py>, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
    static DICT: PyOnceLock<Py<pyo3::types::PyDict>> = PyOnceLock::new();
    let dict = DICT.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            time_module(py)?
                .getattr(pyo3::intern!(py, "__dict__"))?
                .cast_into::<pyo3::types::PyDict>()?
                .unbind(),
        )
    })?;
    match dict.bind(py).get_item(name)? {
        Some(v) => Ok(v),
        // Deleted from the module: let getattr raise its usual AttributeError.
        None => time_module(py)?.getattr(name),
    }
}

/// `time.sleep` as it was when pertinax was first used: while it is still in place, a zero
/// wait through the default sleep has nothing to observe and can be skipped.
pub fn original_time_sleep(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    CELL.import(py, "time", "sleep")
}

/// The exceptions that are never retried, whatever the predicate says: an interrupt, an exit
/// or a cancellation must reach the caller on the first attempt. `asyncio.CancelledError` and
/// `trio.Cancelled` are checked only once their module has been imported (nothing can raise
/// them before).
pub fn is_interrupt(py: Python<'_>, exc: &Bound<'_, PyAny>) -> bool {
    use pyo3::exceptions::{PyGeneratorExit, PyKeyboardInterrupt, PySystemExit};
    if exc.is_instance_of::<pyo3::exceptions::PyException>() {
        // Both cancellations derive from BaseException; nothing that derives from Exception
        // is an interrupt.
        return false;
    }
    if exc.is_instance_of::<PyKeyboardInterrupt>()
        || exc.is_instance_of::<PySystemExit>()
        || exc.is_instance_of::<PyGeneratorExit>()
    {
        return true;
    }
    static ASYNCIO: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static TRIO: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    [
        loaded_class(py, &ASYNCIO, "asyncio.exceptions", "CancelledError"),
        loaded_class(py, &TRIO, "trio", "Cancelled"),
    ]
    .into_iter()
    .flatten()
    .any(|cls| exc.is_instance(cls).unwrap_or(false))
}

/// A class from a module that is already imported, remembered once found; `None` while the
/// module is not loaded (pertinax never imports it itself).
fn loaded_class<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    module: &str,
    name: &str,
) -> Option<&'py Bound<'py, PyAny>> {
    if let Some(c) = cell.get(py) {
        return Some(c.bind(py));
    }
    let modules = py.import("sys").ok()?.getattr("modules").ok()?;
    let m = modules.get_item(module).ok()?;
    let cls = m.getattr(name).ok()?;
    Some(cell.get_or_init(py, || cls.unbind()).bind(py))
}
