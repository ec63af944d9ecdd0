//! Everything Python sees: the only place with `#[pyclass]` and `#[pyfunction]`.

pub mod attempt;
pub mod call_state;
pub mod driver;
pub mod engine;
pub mod interned;
pub mod observe;
pub mod resilience;
pub mod strategies;
pub mod wrapper;
