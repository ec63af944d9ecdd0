//! The compiled plan of a controller, cached on it until one of its attributes changes.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::{PyTraverseError, PyVisit};

use crate::engine::Plan;
use crate::errors::{Error, Shown};
use crate::names;
use crate::py::resilience::{CircuitBreaker, RetryBudget};
use crate::strategy::retry::Retry;
use crate::strategy::stop::Stop;
use crate::strategy::wait::Wait;
use crate::strategy::{is_coroutine_callable, Callback};

/// Holds a controller's plans (one for sync drivers, one for async drivers, which differ in
/// which callbacks are awaited). `BaseRetrying.__setattr__` calls `invalidate()`, so patching
/// `fn.retry.stop` (or `mock.patch.object(fn.retry, "sleep")`) takes effect on the next call,
/// as it does with tenacity's per-call copy.
#[pyclass(frozen, module = "pertinax._pertinax", name = "Engine")]
pub struct Engine {
    sync_plan: Mutex<Option<Arc<Plan>>>,
    async_plan: Mutex<Option<Arc<Plan>>>,
}

#[pymethods]
impl Engine {
    #[new]
    fn py_new() -> Self {
        Engine {
            sync_plan: Mutex::new(None),
            async_plan: Mutex::new(None),
        }
    }

    /// Forgets the compiled plans; the next call compiles them again.
    fn invalidate(&self) {
        for slot in [&self.sync_plan, &self.async_plan] {
            if let Ok(mut p) = slot.lock() {
                *p = None;
            }
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for slot in [&self.sync_plan, &self.async_plan] {
            // Never block inside the GC; a plan being swapped right now is visited next time.
            if let Ok(p) = slot.try_lock() {
                if let Some(plan) = p.as_ref() {
                    plan.traverse(&visit)?;
                }
            }
        }
        Ok(())
    }
}

impl Engine {
    /// The plan for this controller, compiled on first use.
    pub fn plan(&self, controller: &Bound<'_, PyAny>, is_async: bool) -> PyResult<Arc<Plan>> {
        let slot = if is_async {
            &self.async_plan
        } else {
            &self.sync_plan
        };
        if let Ok(p) = slot.lock() {
            if let Some(plan) = p.as_ref() {
                if plan.generation == crate::strategy::generation() {
                    return Ok(Arc::clone(plan));
                }
            }
        }
        // Compiled outside the lock: it runs Python code, which may let other threads in.
        let plan = Arc::new(compile(controller, is_async)?);
        if let Ok(mut p) = slot.lock() {
            *p = Some(Arc::clone(&plan));
        }
        Ok(plan)
    }
}

fn hook(obj: Bound<'_, PyAny>, argument: &str, is_async: bool) -> PyResult<Option<Callback>> {
    // tenacity's defaults (`before_nothing`, `after_nothing`, ...) do nothing that anyone could
    // observe: calling them would only cost a RetryCallState per call.
    if obj.is_none() || names::is_nothing_hook(&obj)? {
        return Ok(None);
    }
    if !obj.is_callable() {
        return Ok(Some(Callback::not_callable(&obj, argument)));
    }
    let mut cb = Callback::new(obj.clone().unbind());
    if is_async {
        cb.is_async = is_coroutine_callable(&obj)?;
    }
    Ok(Some(cb))
}

fn mark_async(cb: Option<&mut Callback>, is_async: bool, py: Python<'_>) -> PyResult<()> {
    if let (true, Some(cb)) = (is_async, cb) {
        cb.is_async = is_coroutine_callable(cb.obj.bind(py))?;
    }
    Ok(())
}

fn compile(controller: &Bound<'_, PyAny>, is_async: bool) -> PyResult<Plan> {
    let py = controller.py();
    // Read first: a strategy changed while this plan is being built makes it stale at once.
    let generation = crate::strategy::generation();
    let mut stop = Stop::compile(&controller.getattr(pyo3::intern!(py, "stop"))?)?;
    let mut wait = Wait::compile(&controller.getattr(pyo3::intern!(py, "wait"))?)?;
    // Read after the generation, like the strategies: switching the mode bumps it.
    let testing = crate::testing::current();
    if let Some(mode) = testing {
        (stop, wait) = under_testing(stop, mode);
    }
    let mut retry = Retry::compile(&controller.getattr(pyo3::intern!(py, "retry"))?)?;
    mark_async(stop.top_level_callback(), is_async, py)?;
    mark_async(wait.top_level_callback(), is_async, py)?;
    mark_async(retry.top_level_callback(), is_async, py)?;
    let before = hook(
        controller.getattr(pyo3::intern!(py, "before"))?,
        "before",
        is_async,
    )?;
    let after = hook(
        controller.getattr(pyo3::intern!(py, "after"))?,
        "after",
        is_async,
    )?;
    let before_sleep = hook(
        controller.getattr(pyo3::intern!(py, "before_sleep"))?,
        "before_sleep",
        is_async,
    )?;
    let callback = controller.getattr(pyo3::intern!(py, "retry_error_callback"))?;
    let retry_error_callback = if callback.is_truthy()? {
        hook(callback, "retry_error_callback", is_async)?
    } else {
        None
    };
    let sleep = controller.getattr(pyo3::intern!(py, "sleep"))?;
    let sleep_is_default = sleep.is(names::default_sleep(py)?);
    let sleep_error = (!sleep.is_callable()).then(|| Error::NotCallable {
        argument: "sleep".to_owned(),
        expected: "a callable taking the number of seconds to sleep",
        value: Shown::of(&sleep),
    });
    let observe = crate::py::observe::compile(controller)?;
    // pertinax's own option: a subclass may lack it.
    let on_recovered = match controller.getattr_opt(pyo3::intern!(py, "on_recovered"))? {
        Some(cb) => hook(cb, "on_recovered", is_async)?,
        None => None,
    };
    let needs_state = on_recovered.is_some()
        || stop.needs_state()
        || wait.needs_state()
        || retry.needs_state()
        || before.is_some()
        || after.is_some()
        || before_sleep.is_some()
        || retry_error_callback.is_some();
    let budget = match controller.getattr_opt(pyo3::intern!(py, "budget"))? {
        Some(b) if !b.is_none() => {
            let budget = b
                .cast::<RetryBudget>()
                .map_err(|_| not_a(controller, &b, "budget", "RetryBudget"))?;
            Some((Arc::clone(&budget.get().guard), b.clone().unbind()))
        }
        _ => None,
    };
    let breaker = match controller.getattr_opt(pyo3::intern!(py, "breaker"))? {
        Some(b) if !b.is_none() => {
            let breaker = b
                .cast::<CircuitBreaker>()
                .map_err(|_| not_a(controller, &b, "breaker", "CircuitBreaker"))?;
            Some((Arc::clone(&breaker.get().guard), b.clone().unbind()))
        }
        _ => None,
    };
    // The synchronous shortcut tells the budget and the breaker about its first attempt
    // itself; the async one (run by Python) does not, so they take it off.
    let returns_first_success = !needs_state
        && before.is_none()
        && !retry.may_retry_result()
        && !(is_async && (budget.is_some() || breaker.is_some()));
    Ok(Plan {
        stop,
        wait,
        retry,
        before,
        after,
        before_sleep,
        retry_error_callback,
        on_recovered,
        sleep: sleep.unbind(),
        sleep_error,
        sleep_is_default,
        reraise: controller
            .getattr(pyo3::intern!(py, "reraise"))?
            .is_truthy()?,
        retry_error_cls: controller
            .getattr(pyo3::intern!(py, "retry_error_cls"))?
            .unbind(),
        enabled: controller
            .getattr(pyo3::intern!(py, "enabled"))?
            .is_truthy()?,
        needs_state,
        generation,
        returns_first_success,
        observe,
        budget,
        breaker,
        skip_sleep: testing.is_some(),
    })
}

/// The stop and wait of a plan compiled in testing mode: at most `attempts` attempts (exactly
/// that many unless `cap`), and no wait, so logs and metrics record retries that took no time.
fn under_testing(stop: Stop, mode: crate::testing::Testing) -> (Stop, Wait) {
    let limit = Stop::AfterAttempt(f64::from(mode.attempts));
    let stop = if mode.cap {
        Stop::Any(vec![stop, limit])
    } else {
        limit
    };
    (stop, Wait::Fixed(crate::num::Num::Int(0)))
}

#[cold]
fn not_a(
    controller: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
    argument: &str,
    class: &str,
) -> PyErr {
    let shown = crate::errors::Shown::of(value);
    let owner = crate::errors::Shown::of(controller).type_name;
    crate::errors::bad_type(
        &owner,
        format!("{argument} must be a pertinax.{class}, got {}", shown.repr),
    )
}
