//! The statistics dict of a call (`fn.statistics`), written at tenacity's update points.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::names;
use crate::num::Num;

/// The statistics dict of a call, written at tenacity's update points. The engine keeps its
/// own counts and never reads the dict back, so another thread clearing the shared dict cannot
/// break a call (tenacity #701).
pub struct Stats {
    pub(crate) dict: Option<Py<PyDict>>,
    pub(crate) attempts: i64,
    pub(crate) idle_for: Num,
}

impl Stats {
    pub fn new(dict: Option<Py<PyDict>>) -> Self {
        Stats {
            dict,
            attempts: 1,
            idle_for: Num::Int(0),
        }
    }

    /// Counts that go on from what a statistics dict already says, for a call that Python
    /// drives one decision at a time (`BaseRetrying.iter`).
    pub fn continuing(dict: Option<Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut stats = Stats::new(None);
        if let Some(d) = dict {
            let py = d.py();
            if let Some(n) = d.get_item(names::attempt_number(py))? {
                stats.attempts = n.extract().unwrap_or(1);
            }
            if let Some(idle) = d.get_item(names::idle_for(py))? {
                stats.idle_for = Num::from_py(&idle);
            }
            stats.dict = Some(d.unbind());
        }
        Ok(stats)
    }

    /// tenacity's `begin()`: the four keys, in this order.
    pub fn begin(&self, py: Python<'_>, start_time: &Num) -> PyResult<()> {
        let Some(dict) = &self.dict else {
            return Ok(());
        };
        let dict = dict.bind(py);
        let zero = 0_i64.into_pyobject(py).unwrap_or_else(|e| match e {});
        let one = 1_i64.into_pyobject(py).unwrap_or_else(|e| match e {});
        let keys = [
            names::start_time(py),
            names::attempt_number(py),
            names::idle_for(py),
            names::delay_since_first_attempt(py),
        ];
        // From the second call on the dict holds tenacity's four keys already: write
        // `start_time`, and the other three only where a retrying call changed them (small
        // ints are shared objects in CPython, so identity is the cheap test).
        if dict.len() == 4 {
            let mut present = true;
            let mut stale = [false; 3];
            for (i, want) in [&one, &zero, &zero].into_iter().enumerate() {
                match dict.get_item(keys[i + 1])? {
                    Some(v) => stale[i] = !v.is(want.as_any()),
                    None => present = false,
                }
            }
            if present {
                dict.set_item(keys[0], start_time.to_py(py))?;
                for (i, want) in [&one, &zero, &zero].into_iter().enumerate() {
                    if stale[i] {
                        dict.set_item(keys[i + 1], want)?;
                    }
                }
                return Ok(());
            }
        }
        dict.clear();
        dict.set_item(keys[0], start_time.to_py(py))?;
        dict.set_item(keys[1], &one)?;
        dict.set_item(keys[2], &zero)?;
        dict.set_item(keys[3], &zero)?;
        Ok(())
    }

    /// Writes a text entry (`stopped_by`), when the call has statistics.
    pub(crate) fn set_text(&self, py: Python<'_>, key: &str, value: &str) -> PyResult<()> {
        match &self.dict {
            Some(d) => d.bind(py).set_item(key, value),
            None => Ok(()),
        }
    }

    pub(crate) fn set(
        &self,
        py: Python<'_>,
        key: &Bound<'_, pyo3::types::PyString>,
        value: &Num,
    ) -> PyResult<()> {
        match &self.dict {
            Some(d) => d.bind(py).set_item(key, value.to_py(py)),
            None => Ok(()),
        }
    }

    pub fn traverse(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Some(d) = &self.dict {
            visit.call(d)?;
        }
        if let Num::Py(o) = &self.idle_for {
            visit.call(o)?;
        }
        Ok(())
    }
}
