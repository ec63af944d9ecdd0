//! `Num`: a number as tenacity's arithmetic sees it.
//!
//! tenacity does its arithmetic on Python numbers, so a wait of `wait_exponential()` is the int
//! `4`, not the float `4.0`, and a test may store a `Fraction` in `start_time`. `Num` keeps the
//! common cases (`int` that fits in an `i64`, `float`) as plain Rust values and everything else
//! as the Python object, so the fast path never allocates and the odd path stays exact.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PyInt};

#[derive(Debug)]
pub enum Num {
    Int(i64),
    Float(f64),
    Py(Py<PyAny>),
}

impl Num {
    pub fn clone_ref(&self, py: Python<'_>) -> Num {
        match self {
            Num::Int(i) => Num::Int(*i),
            Num::Float(f) => Num::Float(*f),
            Num::Py(o) => Num::Py(o.clone_ref(py)),
        }
    }

    pub const ZERO: Num = Num::Int(0);

    /// Reads a Python object, keeping exact `int`s (not `bool`) and exact `float`s native.
    pub fn from_py(obj: &Bound<'_, PyAny>) -> Num {
        if obj.is_exact_instance_of::<PyFloat>() {
            if let Ok(f) = obj.extract::<f64>() {
                return Num::Float(f);
            }
        } else if obj.is_exact_instance_of::<PyInt>() {
            if let Ok(i) = obj.extract::<i64>() {
                return Num::Int(i);
            }
        }
        Num::Py(obj.clone().unbind())
    }

    pub fn to_py<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match self {
            Num::Int(i) => i
                .into_pyobject(py)
                .map_or_else(|e| match e {}, |v| v.into_any()),
            Num::Float(f) => PyFloat::new(py, *f).into_any(),
            Num::Py(o) => o.bind(py).clone(),
        }
    }

    /// The value as an `f64`, through `float()` for Python objects.
    pub fn as_f64(&self, py: Python<'_>) -> PyResult<f64> {
        match self {
            Num::Int(i) => Ok(*i as f64),
            Num::Float(f) => Ok(*f),
            Num::Py(o) => o.bind(py).extract::<f64>(),
        }
    }

    pub fn is_zero(&self) -> bool {
        match self {
            Num::Int(i) => *i == 0,
            Num::Float(f) => *f == 0.0,
            Num::Py(_) => false,
        }
    }

    /// `self + other` with Python's semantics (`int + int` stays an `int`).
    pub fn add(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => match a.checked_add(*b) {
                Some(v) => Ok(Num::Int(v)),
                None => self.add_py(py, other),
            },
            (Num::Int(a), Num::Float(b)) => Ok(Num::Float(*a as f64 + b)),
            (Num::Float(a), Num::Int(b)) => Ok(Num::Float(a + *b as f64)),
            (Num::Float(a), Num::Float(b)) => Ok(Num::Float(a + b)),
            _ => self.add_py(py, other),
        }
    }

    /// `self += other`: as `add`, but a Python fallback goes through `operator.iadd`, so an
    /// error reads as tenacity's `+=` does.
    pub fn iadd(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        match (self, other) {
            (Num::Py(_), _) | (_, Num::Py(_)) => {
                static IADD: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
                let iadd = IADD.import(py, "operator", "iadd")?;
                Ok(Num::from_py(
                    &iadd.call1((self.to_py(py), other.to_py(py)))?,
                ))
            }
            _ => self.add(py, other),
        }
    }

    #[cold]
    fn add_py(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        let sum = self.to_py(py).add(other.to_py(py))?;
        Ok(Num::from_py(&sum))
    }

    /// `self - other` with Python's semantics, used for `seconds_since_start`.
    pub fn sub(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        match (self, other) {
            (Num::Float(a), Num::Float(b)) => Ok(Num::Float(a - b)),
            (Num::Int(a), Num::Int(b)) => match a.checked_sub(*b) {
                Some(v) => Ok(Num::Int(v)),
                None => self.sub_py(py, other),
            },
            (Num::Int(a), Num::Float(b)) => Ok(Num::Float(*a as f64 - b)),
            (Num::Float(a), Num::Int(b)) => Ok(Num::Float(a - *b as f64)),
            _ => self.sub_py(py, other),
        }
    }

    #[cold]
    fn sub_py(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        let diff = self.to_py(py).sub(other.to_py(py))?;
        Ok(Num::from_py(&diff))
    }
}

/// Reads a strategy argument as a float, with an error that names the strategy, the argument
/// and the value, instead of a `TypeError` from deep inside the arithmetic.
pub fn arg_f64(strategy: &str, name: &str, value: &Bound<'_, PyAny>) -> PyResult<f64> {
    match value.extract::<f64>() {
        Ok(v) => Ok(v),
        Err(_) => Err(bad_arg(strategy, name, value)),
    }
}

#[cold]
pub fn bad_arg(strategy: &str, name: &str, value: &Bound<'_, PyAny>) -> PyErr {
    let shown = value
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "<unprintable>".to_owned());
    let tname = value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned());
    PyTypeError::new_err(format!(
        "{strategy}: argument '{name}' must be a number, got {shown} (type {tname})"
    ))
}

impl Num {
    /// `self > other`, as Python compares numbers.
    pub fn gt(&self, py: Python<'_>, other: &Num) -> PyResult<bool> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Ok(a > b),
            (Num::Py(_), _) | (_, Num::Py(_)) => self.to_py(py).gt(other.to_py(py)),
            _ => Ok(self.as_f64(py)? > other.as_f64(py)?),
        }
    }

    /// Python's `max(a, b)`: the first argument unless the second is greater.
    pub fn py_max(py: Python<'_>, a: Num, b: Num) -> PyResult<Num> {
        Ok(if b.gt(py, &a)? { b } else { a })
    }

    /// Python's `min(a, b)`: the first argument unless the second is smaller.
    pub fn py_min(py: Python<'_>, a: Num, b: Num) -> PyResult<Num> {
        Ok(if a.gt(py, &b)? { b } else { a })
    }

    /// `self * other` with Python's semantics.
    pub fn mul(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => match a.checked_mul(*b) {
                Some(v) => Ok(Num::Int(v)),
                None => self.mul_py(py, other),
            },
            (Num::Int(a), Num::Float(b)) => Ok(Num::Float(*a as f64 * b)),
            (Num::Float(a), Num::Int(b)) => Ok(Num::Float(a * *b as f64)),
            (Num::Float(a), Num::Float(b)) => Ok(Num::Float(a * b)),
            _ => self.mul_py(py, other),
        }
    }

    #[cold]
    fn mul_py(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        Ok(Num::from_py(&self.to_py(py).mul(other.to_py(py))?))
    }

    /// `self ** exponent` with Python's semantics, including its `OverflowError`.
    pub fn pow(&self, py: Python<'_>, exponent: &Num) -> PyResult<Num> {
        match (self, exponent) {
            (Num::Int(b), Num::Int(e)) if *e >= 0 => {
                match u32::try_from(*e).ok().and_then(|e| b.checked_pow(e)) {
                    Some(v) => Ok(Num::Int(v)),
                    None => self.pow_py(py, exponent),
                }
            }
            (Num::Int(_) | Num::Float(_), Num::Int(_) | Num::Float(_)) => {
                let (b, e) = (self.as_f64(py)?, exponent.as_f64(py)?);
                if b < 0.0 && e.fract() != 0.0 || b == 0.0 && e < 0.0 {
                    // complex results and ZeroDivisionError: let Python say what it says
                    return self.pow_py(py, exponent);
                }
                let v = b.powf(e);
                if v.is_infinite() && b.is_finite() && e.is_finite() {
                    return Err(pyo3::exceptions::PyOverflowError::new_err((
                        34,
                        "Numerical result out of range",
                    )));
                }
                Ok(Num::Float(v))
            }
            _ => self.pow_py(py, exponent),
        }
    }

    #[cold]
    fn pow_py(&self, py: Python<'_>, exponent: &Num) -> PyResult<Num> {
        Ok(Num::from_py(
            &self.to_py(py).pow(exponent.to_py(py), py.None())?,
        ))
    }
}
