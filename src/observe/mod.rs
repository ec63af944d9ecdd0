//! Observability: counts and logs what the engine reports, and decides nothing.
//!
//! A first-try success through the driver's fast path never builds a [`call::CallObs`]: it
//! calls [`report::fast_success`], one clock read and two atomic adds.

pub mod alert;
pub mod call;
pub mod events;
pub mod histogram;
pub mod metrics;
pub mod plan;
pub mod report;
