//! The retry loop behind a function decorated with `@retry`.
//!
//! `BaseRetrying.wraps` returns a real Python function (so that `inspect`, Celery's task
//! signatures, `mock.create_autospec`, pickling by reference and method binding all see what
//! they see with tenacity) whose body hands its arguments to this callable, which runs the
//! whole loop in Rust.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::metrics::Operation;
use crate::py::driver::run_sync;
use crate::py::engine::Engine;

#[pyclass(frozen, module = "pertinax._pertinax", name = "RetryingCall")]
pub struct RetryingCall {
    func: Py<PyAny>,
    controller: Py<PyAny>,
    engine: Py<Engine>,
    statistics: Py<PyDict>,
    /// The controller's class keeps tenacity's methods: the loop can run in Rust. Otherwise
    /// every call goes through the controller's own methods, as tenacity's wrapper does.
    native: bool,
    /// An enabled call has run: from then on `fn.retry.statistics` is `fn.statistics`, as
    /// with tenacity, whose wrapper binds them together on each enabled call.
    ran: AtomicBool,
    /// The metrics and logs of this function's calls, looked up once, here.
    op: Arc<Operation>,
}

#[pymethods]
impl RetryingCall {
    #[new]
    fn py_new(
        func: Bound<'_, PyAny>,
        controller: Bound<'_, PyAny>,
        engine: Py<Engine>,
        statistics: Py<PyDict>,
        native: bool,
    ) -> PyResult<Self> {
        let op = crate::py::observe::resolve(&controller, Some(&func))?;
        Ok(RetryingCall {
            func: func.unbind(),
            controller: controller.unbind(),
            engine,
            statistics,
            native,
            ran: AtomicBool::new(false),
            op,
        })
    }

    /// Runs one call of the function: `run(args, kwargs)`, with the tuple and dict the
    /// Python wrapper received. A plain method, so CPython calls it without building an
    /// argument tuple.
    fn run<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = if kwargs.is_empty() {
            None
        } else {
            Some(kwargs)
        };
        self.invoke(py, args, kwargs)
    }

    #[pyo3(signature = (*args, **kwargs))]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.invoke(py, args, kwargs)
    }

    #[getter]
    fn statistics(&self, py: Python<'_>) -> Py<PyDict> {
        self.statistics.clone_ref(py)
    }

    #[getter]
    fn ran(&self) -> bool {
        self.ran.load(Ordering::Relaxed)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.func)?;
        visit.call(&self.controller)?;
        visit.call(&self.engine)?;
        visit.call(&self.statistics)
    }
}

impl RetryingCall {
    fn invoke<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let controller = self.controller.bind(py);
        let func = self.func.bind(py);
        if !self.native {
            self.ran.store(true, Ordering::Relaxed);
            return controller.call_method1(
                pyo3::intern!(py, "_call_wrapped"),
                (func, self.statistics.bind(py), args, kwargs),
            );
        }
        let plan = self.engine.get().plan(controller, false)?;
        if !plan.enabled {
            return func.call(args, kwargs);
        }
        if !self.ran.load(Ordering::Relaxed) {
            self.ran.store(true, Ordering::Relaxed);
        }
        run_sync(
            py,
            &plan,
            controller,
            func,
            args,
            kwargs,
            Some(self.statistics.clone_ref(py)),
            &self.op,
        )
    }
}
