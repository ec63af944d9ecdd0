//! The clock: Python's `time.monotonic`, looked up at call time so that a test that patches it
//! (or freezes time) is obeyed, as it is by tenacity.

use pyo3::prelude::*;

use crate::num::Num;
use crate::py::interned;

pub fn monotonic(py: Python<'_>) -> PyResult<Num> {
    let time = interned::time_module(py)?;
    let now = time.call_method0(interned::monotonic(py))?;
    Ok(Num::from_py(&now))
}
