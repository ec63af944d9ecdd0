//! pertinax's native core. This file is the table of contents; the logic lives in the modules.

pub mod clock;
pub mod engine;
pub mod errors;
pub mod names;
pub mod num;
pub mod observe;
pub mod py;
pub mod resilience;
pub mod state;
pub mod stats;
pub mod strategy;
pub mod testing;

use pyo3::prelude::*;

#[pymodule(gil_used = true)]
mod _pertinax {
    #[pymodule_export]
    use crate::errors::CircuitOpenError;
    #[pymodule_export]
    use crate::py::attempt::{AttemptManager, Ready};
    #[pymodule_export]
    use crate::py::attempt_loop::{iterate, AttemptLoop};
    #[pymodule_export]
    use crate::py::call::Call;
    #[pymodule_export]
    use crate::py::call_state::RetryCallState;
    #[pymodule_export]
    use crate::py::decision::{async_decision, step};
    #[pymodule_export]
    use crate::py::observe::{
        log_levels, log_reset_cache, log_set_levels, metrics_advance_clock, metrics_clear_alerts,
        metrics_reset, metrics_set_alert, metrics_snapshot, operation_name, set_retry_hook,
    };
    #[pymodule_export]
    use crate::py::plan_cache::Engine;
    #[pymodule_export]
    use crate::py::resilience::{resilience_snapshot, CircuitBreaker, RetryBudget};
    #[pymodule_export]
    use crate::py::routing::call;
    #[pymodule_export]
    use crate::py::strategies::{
        begin_statistics, compiled_variant, evaluate_retry, evaluate_stop, evaluate_wait,
        native_strategies, strategy_changed,
    };
    #[pymodule_export]
    use crate::py::strategies::{invalidate_all_plans, set_testing, testing_mode};
    #[pymodule_export]
    use crate::py::wrapper::{AsyncEntry, RetryingCall};

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add(
            "build_profile",
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
        )?;
        m.add("ATTEMPT", crate::py::call::ATTEMPT)?;
        m.add("SLEEP", crate::py::call::SLEEP)?;
        m.add("RETURN", crate::py::call::RETURN)?;
        m.add("AWAIT", crate::py::call::AWAIT)?;
        // Remember the real `time.sleep` and `time.monotonic` now, before any test patches
        // them: pertinax takes shortcuts only while they are still in place.
        crate::names::original_time_sleep(m.py())?;
        crate::clock::original_monotonic(m.py())?;
        crate::py::observe::install_logger(m.py())?;
        Ok(())
    }
}
