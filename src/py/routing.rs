//! Routing: how a controller's call or loop runs, by what `BaseRetrying` says of it (disabled,
//! driven through a subclass's own `iter`/`begin` in Python, or by the engine).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::engine::Plan;
use crate::py::plan_cache::Engine;
use crate::py::sync_loop::run_sync;

/// How a controller's call or loop is run, by what `BaseRetrying` says of it.
pub enum Route {
    /// `enabled=False`: the function once, or the disabled loop.
    Disabled,
    /// The class replaces `iter` or `begin`: tenacity's own Python driving.
    Python,
    /// The engine runs it, with this plan and the thread's statistics dict.
    Engine(Arc<Plan>, Py<PyDict>),
}

pub fn route(controller: &Bound<'_, PyAny>) -> PyResult<Route> {
    let py = controller.py();
    if !controller
        .getattr(pyo3::intern!(py, "enabled"))?
        .is_truthy()?
    {
        return Ok(Route::Disabled);
    }
    if overrides_iter(controller)? {
        return Ok(Route::Python);
    }
    let plan = engine_of(controller)?.get().plan(controller, false)?;
    Ok(Route::Engine(plan, statistics_of(controller)?.unbind()))
}

/// `controller.statistics`. While the class keeps pertinax's own property, the dict this
/// thread already has is read from the `threading.local` here: the property's Python getter
/// was the largest single cost of a reused loop. Anything else (no dict yet, a class with
/// its own property, a `_local` of another kind) goes through the attribute.
fn statistics_of<'py>(controller: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    static ORIGINAL: pyo3::sync::PyOnceLock<(Py<PyAny>, Py<PyAny>)> = pyo3::sync::PyOnceLock::new();
    let py = controller.py();
    let name = pyo3::intern!(py, "statistics");
    let (property, local_type) = ORIGINAL.get_or_try_init(py, || {
        let base = py.import("pertinax._retrying")?.getattr("BaseRetrying")?;
        let local_type = py.import("_thread")?.getattr("_local")?;
        Ok::<_, PyErr>((base.getattr(name)?.unbind(), local_type.unbind()))
    })?;
    let ours = controller
        .get_type()
        .getattr_opt(name)?
        .is_some_and(|p| p.is(property));
    if ours {
        if let Some(local) = controller.getattr_opt(pyo3::intern!(py, "_local"))? {
            // A plain `threading.local` keeps this thread's attributes in its `__dict__`:
            // looked up there, a missing key costs no AttributeError.
            if local.get_type().is(local_type) {
                let own = local
                    .getattr(pyo3::intern!(py, "__dict__"))?
                    .cast_into::<PyDict>()?;
                match own.get_item(name)? {
                    Some(found) => {
                        if let Ok(dict) = found.cast_into::<PyDict>() {
                            return Ok(dict);
                        }
                    }
                    // The first call in this thread: a new dict, as the property makes it,
                    // unless the controller decorates a function (the property may hand
                    // out that function's statistics then).
                    None if !decorates(controller)? => {
                        let fresh = PyDict::new(py);
                        own.set_item(name, &fresh)?;
                        return Ok(fresh);
                    }
                    None => {}
                }
            }
        }
    }
    Ok(controller.getattr(name)?.cast_into::<PyDict>()?)
}

/// `Retrying.__call__`: one call of `func` under `controller`'s plan. A disabled controller
/// calls it once; a class that replaces `iter` or `begin` is driven through them, in Python.
#[pyfunction]
#[pyo3(signature = (controller, func, args, kwargs))]
pub fn call<'py>(
    py: Python<'py>,
    controller: &Bound<'py, PyAny>,
    func: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (plan, statistics) = match route(controller)? {
        Route::Disabled => return func.call(args, kwargs),
        Route::Python => {
            let kwargs = kwargs.cloned().unwrap_or_else(|| PyDict::new(py));
            return controller
                .call_method1(pyo3::intern!(py, "_call_with_iter"), (func, args, kwargs));
        }
        Route::Engine(plan, statistics) => (plan, statistics),
    };
    let op = crate::py::observe::operation_for(&plan.observe, controller, Some(func))?;
    run_sync(
        py,
        &plan,
        controller,
        func,
        args,
        kwargs,
        Some(statistics),
        &op,
    )
}

/// A controller's engine (its plan cache), made on first use.
fn engine_of<'py>(controller: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Engine>> {
    let py = controller.py();
    let engine = match controller.getattr_opt(pyo3::intern!(py, "_engine"))? {
        Some(e) => e,
        // A subclass whose __init__ never called ours.
        None => controller.call_method0(pyo3::intern!(py, "_engine_or_new"))?,
    };
    Ok(engine.cast_into::<Engine>()?)
}

/// Whether the controller's class has anything but pertinax's own `iter` and `begin` (a
/// subclass's override, or a patch on the class): tenacity's Python driving applies then.
fn overrides_iter(controller: &Bound<'_, PyAny>) -> PyResult<bool> {
    static ORIGINAL: pyo3::sync::PyOnceLock<(Py<PyAny>, Py<PyAny>)> = pyo3::sync::PyOnceLock::new();
    let py = controller.py();
    let (iter, begin) = ORIGINAL.get_or_try_init(py, || {
        let base = py.import("pertinax._retrying")?.getattr("BaseRetrying")?;
        Ok::<_, PyErr>((
            base.getattr("iter")?.unbind(),
            base.getattr("begin")?.unbind(),
        ))
    })?;
    let ty = controller.get_type();
    Ok(!ty.getattr(pyo3::intern!(py, "iter"))?.is(iter)
        || !ty.getattr(pyo3::intern!(py, "begin"))?.is(begin))
}

/// Whether the controller's own `__dict__` names a decorated function (`_wrapper_call`).
fn decorates(controller: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = controller.py();
    match controller.getattr_opt(pyo3::intern!(py, "__dict__"))? {
        Some(d) => match d.cast_into::<PyDict>() {
            Ok(d) => Ok(d.contains(pyo3::intern!(py, "_wrapper_call"))?),
            Err(_) => Ok(true),
        },
        None => Ok(true),
    }
}
