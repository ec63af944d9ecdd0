//! Everything Python sees: the only place with `#[pyclass]` and `#[pyfunction]`.

pub mod attempt;
pub mod attempt_loop;
pub mod call;
pub mod call_state;
pub mod decision;
pub mod observe;
pub mod plan_cache;
pub mod resilience;
pub mod routing;
pub mod sleep;
pub mod strategies;
pub mod sync_loop;
pub mod views;
pub mod wrapper;
