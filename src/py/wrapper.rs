//! The retry loop behind a function decorated with `@retry`.
//!
//! `BaseRetrying.wraps` returns a real Python function (so that `inspect`, Celery's task
//! signatures, `mock.create_autospec`, pickling by reference and method binding all see what
//! they see with tenacity) whose body hands its arguments to this callable, which runs the
//! whole loop in Rust.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::num::Num;
use crate::observe::metrics::Operation;
use crate::py::call::Call;
use crate::py::plan_cache::Engine;
use crate::py::sync_loop::run_sync;
use crate::stats::Stats;

/// What both native entries of a decorated function hold: the function, its controller and
/// the controller's plan cache, the wrapper's statistics dict, and the operation its metrics
/// and logs are filed under (looked up once, here).
struct Decorated {
    func: Py<PyAny>,
    controller: Py<PyAny>,
    engine: Py<Engine>,
    statistics: Py<PyDict>,
    op: Arc<Operation>,
}

impl Decorated {
    fn new(
        func: Bound<'_, PyAny>,
        controller: Bound<'_, PyAny>,
        engine: Py<Engine>,
        statistics: Py<PyDict>,
    ) -> PyResult<Self> {
        let op = crate::py::observe::resolve(&controller, Some(&func))?;
        Ok(Decorated {
            func: func.unbind(),
            controller: controller.unbind(),
            engine,
            statistics,
            op,
        })
    }

    fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.func)?;
        visit.call(&self.controller)?;
        visit.call(&self.engine)?;
        visit.call(&self.statistics)
    }
}

/// The keyword arguments a Python wrapper received, or none: `**kw` is always a dict.
fn given<'a, 'py>(kwargs: &'a Bound<'py, PyDict>) -> Option<&'a Bound<'py, PyDict>> {
    (!kwargs.is_empty()).then_some(kwargs)
}

#[pyclass(frozen, module = "pertinax._pertinax", name = "RetryingCall")]
pub struct RetryingCall {
    target: Decorated,
    /// The controller's class keeps tenacity's methods: the loop can run in Rust. Otherwise
    /// every call goes through the controller's own methods, as tenacity's wrapper does.
    native: bool,
    /// An enabled call has run: from then on `fn.retry.statistics` is `fn.statistics`, as
    /// with tenacity, whose wrapper binds them together on each enabled call.
    ran: AtomicBool,
}

#[pymethods]
impl RetryingCall {
    #[new]
    #[pyo3(signature = (*, func, controller, engine, statistics, native))]
    fn py_new(
        func: Bound<'_, PyAny>,
        controller: Bound<'_, PyAny>,
        engine: Py<Engine>,
        statistics: Py<PyDict>,
        native: bool,
    ) -> PyResult<Self> {
        Ok(RetryingCall {
            target: Decorated::new(func, controller, engine, statistics)?,
            native,
            ran: AtomicBool::new(false),
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
        let kwargs = given(kwargs);
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
        self.target.statistics.clone_ref(py)
    }

    #[getter]
    fn ran(&self) -> bool {
        self.ran.load(Ordering::Relaxed)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.target.traverse(&visit)
    }
}

impl RetryingCall {
    fn invoke<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let controller = self.target.controller.bind(py);
        let func = self.target.func.bind(py);
        if !self.native {
            self.ran.store(true, Ordering::Relaxed);
            return controller.call_method1(
                pyo3::intern!(py, "_call_wrapped"),
                (func, self.target.statistics.bind(py), args, kwargs),
            );
        }
        let plan = self.target.engine.get().plan(controller, false)?;
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
            Some(self.target.statistics.clone_ref(py)),
            &self.target.op,
        )
    }
}

/// The engine's side of a decorated coroutine function. Its `async def` wrapper asks `start`
/// how to run each call: when the plan lets a first attempt that returns be the result (no
/// `before` hook, no callback that needs a `RetryCallState`, a predicate that never retries a
/// value), the wrapper awaits the function itself and only hands a failure to the engine.
#[pyclass(frozen, module = "pertinax._pertinax", name = "AsyncEntry")]
pub struct AsyncEntry {
    target: Decorated,
    /// Whether the plan of the latest `start` counts metrics: `succeeded` reads it instead
    /// of looking the plan up again.
    metrics: AtomicBool,
}

#[pymethods]
impl AsyncEntry {
    #[new]
    #[pyo3(signature = (*, func, controller, engine, statistics))]
    fn py_new(
        func: Bound<'_, PyAny>,
        controller: Bound<'_, PyAny>,
        engine: Py<Engine>,
        statistics: Py<PyDict>,
    ) -> PyResult<Self> {
        Ok(AsyncEntry {
            target: Decorated::new(func, controller, engine, statistics)?,
            metrics: AtomicBool::new(true),
        })
    }

    /// Begins a call: `None` when the controller is disabled, the start time (a float) when
    /// the wrapper may run the first attempt itself, else a `Call` to drive.
    fn start<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let controller = self.target.controller.bind(py);
        let plan = self.target.engine.get().plan(controller, true)?;
        if !plan.enabled {
            return Ok(py.None().into_bound(py));
        }
        let (start, at) = crate::clock::monotonic_at(py)?;
        let stats = Stats::new(Some(self.target.statistics.clone_ref(py)));
        stats.begin(py, &start)?;
        if plan.returns_first_success && at.is_some() {
            if self.metrics.load(Ordering::Relaxed) != plan.observe.metrics {
                self.metrics.store(plan.observe.metrics, Ordering::Relaxed);
            }
            if let Num::Float(f) = start {
                return Ok(PyFloat::new(py, f).into_any());
            }
        }
        let kwargs = given(kwargs);
        let observable = plan.needs_state;
        let call = Call::started(
            py,
            plan,
            stats,
            controller,
            self.target.func.bind(py),
            args,
            kwargs,
            start,
            Arc::clone(&self.target.op),
            observable,
        )?;
        Ok(Bound::new(py, call)?.into_any())
    }

    /// The first attempt returned: count it.
    fn succeeded(&self, started: f64) {
        if self.metrics.load(Ordering::Relaxed) {
            if let Some(t0) = crate::clock::instant_of(started) {
                crate::observe::report::fast_success(&self.target.op, t0);
            }
        }
    }

    /// The first attempt raised `exc`: the engine takes over from here.
    fn failed(&self, py: Python<'_>, started: f64, exc: Py<PyAny>) -> PyResult<Call> {
        let plan = self
            .target
            .engine
            .get()
            .plan(self.target.controller.bind(py), true)?;
        let stats = Stats::new(Some(self.target.statistics.clone_ref(py)));
        Ok(Call::after_failed_first_attempt(
            plan,
            stats,
            Arc::clone(&self.target.op),
            Num::Float(started),
            crate::clock::instant_of(started),
            exc,
        ))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.target.traverse(&visit)
    }
}
