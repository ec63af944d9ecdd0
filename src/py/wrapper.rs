//! The callable that `@retry` returns for a synchronous function.
//!
//! It behaves like the function it wraps: `functools.update_wrapper` fills its `__dict__`
//! (`__name__`, `__qualname__`, `__doc__`, `__wrapped__`, ...), it binds as a method through
//! `__get__`, and it pickles by reference like a module-level function. Calling it runs the
//! whole retry loop in Rust.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::py::driver::run_sync;
use crate::py::engine::Engine;
use crate::py::interned;

#[pyclass(
    frozen,
    dict,
    weakref,
    module = "pertinax._pertinax",
    name = "RetryingFunction"
)]
pub struct RetryingFunction {
    func: Py<PyAny>,
    controller: Py<PyAny>,
    engine: Py<Engine>,
    statistics: Py<PyDict>,
    /// The controller's class keeps `Retrying.__call__`: the loop can run in Rust. Otherwise
    /// every call goes through the controller's own methods, as tenacity's wrapper does.
    native: bool,
}

#[pymethods]
impl RetryingFunction {
    #[new]
    fn py_new(
        func: Py<PyAny>,
        controller: Py<PyAny>,
        engine: Py<Engine>,
        statistics: Py<PyDict>,
        native: bool,
    ) -> Self {
        RetryingFunction {
            func,
            controller,
            engine,
            statistics,
            native,
        }
    }

    #[pyo3(signature = (*args, **kwargs))]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let controller = self.controller.bind(py);
        let func = self.func.bind(py);
        if !self.native {
            return controller.call_method1(
                pyo3::intern!(py, "_call_wrapped"),
                (func, self.statistics.bind(py), args, kwargs),
            );
        }
        let plan = self.engine.get().plan(controller, false)?;
        if !plan.enabled {
            return func.call(args, kwargs);
        }
        run_sync(
            py,
            &plan,
            controller,
            func,
            args,
            kwargs,
            Some(self.statistics.clone_ref(py)),
        )
    }

    /// Binds like a function: `obj.method` is a bound method of this callable.
    fn __get__<'py>(
        slf: &Bound<'py, Self>,
        obj: Option<&Bound<'py, PyAny>>,
        owner: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = owner;
        match obj {
            Some(o) if !o.is_none() => interned::method_type(slf.py())?.call1((slf, o)),
            _ => Ok(slf.clone().into_any()),
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let name = slf
            .getattr(pyo3::intern!(slf.py(), "__qualname__"))
            .and_then(|n| n.str().map(|s| s.to_string()))
            .unwrap_or_else(|_| "?".to_owned());
        Ok(format!("<function {name} at {:#x}>", slf.as_ptr() as usize))
    }

    /// Pickles by reference, like the module-level function it stands for.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.getattr(pyo3::intern!(slf.py(), "__qualname__"))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.func)?;
        visit.call(&self.controller)?;
        visit.call(&self.engine)?;
        visit.call(&self.statistics)
    }
}
