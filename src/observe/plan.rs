//! What a plan says about observing its calls, compiled with it.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use crate::observe::events::Lvl;
use crate::observe::metrics::Operation;

/// What a plan says about observing its calls, compiled with it.
pub struct PlanObserve {
    /// Count this policy's calls (`metrics=False` opts out).
    pub metrics: bool,
    /// The policy's own levels (`log_levels=`), or the global ones.
    pub levels: Option<[Lvl; 4]>,
    /// The operation named by the controller's `name=`.
    pub named: Option<Arc<Operation>>,
    /// The operation of the latest function this unnamed controller ran (the call and
    /// iterator forms), with that function.
    pub last: Mutex<Option<LastOperation>>,
}

/// A function (None for a loop) and the operation resolved for it.
pub type LastOperation = (Option<Py<PyAny>>, Arc<Operation>);

impl PlanObserve {
    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        // Never block inside the GC.
        if let Ok(last) = self.last.try_lock() {
            if let Some((Some(f), _)) = last.as_ref() {
                visit.call(f)?;
            }
        }
        Ok(())
    }
}
