//! `Num`: a number as tenacity's arithmetic sees it.
//!
//! tenacity does its arithmetic on Python numbers, so a wait of `wait_exponential()` is the int
//! `4`, not the float `4.0`, and a test may store a `Fraction` in `start_time`. `Num` keeps the
//! common cases (`int` that fits in an `i64`, `float`) as plain Rust values and everything else
//! as the Python object, so the fast path never allocates and the odd path stays exact.
//! This file holds the value and its arithmetic; `compare` holds how Python orders numbers.

pub mod compare;

use crate::errors::Error;
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

    /// `self + other` when Rust gives Python's answer; `None` when only Python can (an
    /// `int` past `i64`, or a Python object).
    #[inline]
    pub fn add_native(&self, other: &Num) -> Option<Num> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a.checked_add(*b).map(Num::Int),
            (Num::Int(a), Num::Float(b)) => Some(Num::Float(*a as f64 + b)),
            (Num::Float(a), Num::Int(b)) => Some(Num::Float(a + *b as f64)),
            (Num::Float(a), Num::Float(b)) => Some(Num::Float(a + b)),
            _ => None,
        }
    }

    /// `self + other` with Python's semantics (`int + int` stays an `int`).
    pub fn add(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        match self.add_native(other) {
            Some(v) => Ok(v),
            None => self.add_py(py, other),
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

    /// `self - other` when Rust gives Python's answer (see `add_native`).
    #[inline]
    pub fn sub_native(&self, other: &Num) -> Option<Num> {
        match (self, other) {
            (Num::Float(a), Num::Float(b)) => Some(Num::Float(a - b)),
            (Num::Int(a), Num::Int(b)) => a.checked_sub(*b).map(Num::Int),
            (Num::Int(a), Num::Float(b)) => Some(Num::Float(*a as f64 - b)),
            (Num::Float(a), Num::Int(b)) => Some(Num::Float(a - *b as f64)),
            _ => None,
        }
    }

    /// `self - other` with Python's semantics, used for `seconds_since_start`.
    pub fn sub(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        match self.sub_native(other) {
            Some(v) => Ok(v),
            None => self.sub_py(py, other),
        }
    }

    #[cold]
    fn sub_py(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        let diff = self.to_py(py).sub(other.to_py(py))?;
        Ok(Num::from_py(&diff))
    }
}

impl Num {
    /// `self * other` when Rust gives Python's answer (see `add_native`).
    #[inline]
    pub fn mul_native(&self, other: &Num) -> Option<Num> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a.checked_mul(*b).map(Num::Int),
            (Num::Int(a), Num::Float(b)) => Some(Num::Float(*a as f64 * b)),
            (Num::Float(a), Num::Int(b)) => Some(Num::Float(a * *b as f64)),
            (Num::Float(a), Num::Float(b)) => Some(Num::Float(a * b)),
            _ => None,
        }
    }

    /// `self * other` with Python's semantics.
    pub fn mul(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        match self.mul_native(other) {
            Some(v) => Ok(v),
            None => self.mul_py(py, other),
        }
    }

    #[cold]
    fn mul_py(&self, py: Python<'_>, other: &Num) -> PyResult<Num> {
        Ok(Num::from_py(&self.to_py(py).mul(other.to_py(py))?))
    }

    /// `self ** exponent` when Rust gives Python's answer: `Some(Err(Overflow))` where
    /// Python raises `OverflowError`, `None` where only Python can answer (an `int` result
    /// past `i64`, a complex result, a `ZeroDivisionError`, a Python object).
    pub fn pow_native(&self, exponent: &Num) -> Option<Result<Num, Overflow>> {
        match (self, exponent) {
            (Num::Int(b), Num::Int(e)) if *e >= 0 => u32::try_from(*e)
                .ok()
                .and_then(|e| b.checked_pow(e))
                .map(|v| Ok(Num::Int(v))),
            (Num::Int(_) | Num::Float(_), Num::Int(_) | Num::Float(_)) => {
                let (b, e) = (self.as_f64_native()?, exponent.as_f64_native()?);
                if b < 0.0 && e.fract() != 0.0 || b == 0.0 && e < 0.0 {
                    return None;
                }
                let v = b.powf(e);
                if v.is_infinite() && b.is_finite() && e.is_finite() {
                    return Some(Err(Overflow));
                }
                Some(Ok(Num::Float(v)))
            }
            _ => None,
        }
    }

    fn as_f64_native(&self) -> Option<f64> {
        match self {
            Num::Int(i) => Some(*i as f64),
            Num::Float(f) => Some(*f),
            Num::Py(_) => None,
        }
    }

    /// `self ** exponent` with Python's semantics, including its `OverflowError`.
    pub fn pow(&self, py: Python<'_>, exponent: &Num) -> PyResult<Num> {
        match self.pow_native(exponent) {
            Some(Ok(v)) => Ok(v),
            Some(Err(Overflow)) => Err(Error::FloatOverflow.into()),
            None => self.pow_py(py, exponent),
        }
    }

    #[cold]
    fn pow_py(&self, py: Python<'_>, exponent: &Num) -> PyResult<Num> {
        Ok(Num::from_py(
            &self.to_py(py).pow(exponent.to_py(py), py.None())?,
        ))
    }
}

/// A float power too large for a float: Python raises
/// `OverflowError: (34, 'Numerical result out of range')`.
#[derive(Debug, PartialEq, Eq)]
pub struct Overflow;

#[cfg(test)]
mod tests {
    //! The arithmetic Rust does itself, against what CPython answers (each expected value
    //! is the Python expression's result). `None` means Rust hands the operation to Python.
    use super::*;

    fn int(n: &Option<Num>) -> Option<i64> {
        match n {
            Some(Num::Int(i)) => Some(*i),
            _ => None,
        }
    }

    fn float(n: &Option<Num>) -> Option<f64> {
        match n {
            Some(Num::Float(f)) => Some(*f),
            _ => None,
        }
    }

    #[test]
    fn an_int_past_i64_goes_to_python() {
        // i64::MAX + 1 == 9223372036854775808 in Python: no wrap, no float.
        assert!(Num::Int(i64::MAX).add_native(&Num::Int(1)).is_none());
        assert!(Num::Int(i64::MIN).sub_native(&Num::Int(1)).is_none());
        assert!(Num::Int(i64::MAX).mul_native(&Num::Int(2)).is_none());
        assert_eq!(
            int(&Num::Int(i64::MAX - 1).add_native(&Num::Int(1))),
            Some(i64::MAX)
        );
    }

    #[test]
    fn two_to_the_63_is_a_python_int() {
        // 2**62 == 4611686018427387904 fits; 2**63 does not (Python gives the big int).
        let p62 = Num::Int(2).pow_native(&Num::Int(62));
        assert!(matches!(p62, Some(Ok(Num::Int(4_611_686_018_427_387_904)))));
        assert!(Num::Int(2).pow_native(&Num::Int(63)).is_none());
        // 2 ** -1 == 0.5: a negative int exponent gives a float.
        assert!(
            matches!(Num::Int(2).pow_native(&Num::Int(-1)), Some(Ok(Num::Float(f))) if f == 0.5)
        );
    }

    #[test]
    fn a_float_power_that_overflows_raises_like_python() {
        // 10.0 ** 400 and 2 ** 1024.0 raise OverflowError(34, 'Numerical result out of range').
        assert_eq!(
            Num::Float(10.0)
                .pow_native(&Num::Int(400))
                .map(|r| r.is_err()),
            Some(true)
        );
        assert_eq!(
            Num::Int(2)
                .pow_native(&Num::Float(1024.0))
                .map(|r| r.is_err()),
            Some(true)
        );
        // float('inf') ** 2 == inf: no error when the base is already infinite.
        assert!(matches!(
            Num::Float(f64::INFINITY).pow_native(&Num::Int(2)),
            Some(Ok(Num::Float(f))) if f.is_infinite()
        ));
        // (-8.0) ** 0.5 is complex and 0.0 ** -1 raises ZeroDivisionError: Python answers.
        assert!(Num::Float(-8.0).pow_native(&Num::Float(0.5)).is_none());
        assert!(Num::Float(0.0).pow_native(&Num::Int(-1)).is_none());
        // (-8) ** 2.0 == 64.0
        assert!(
            matches!(Num::Int(-8).pow_native(&Num::Float(2.0)), Some(Ok(Num::Float(f))) if f == 64.0)
        );
    }

    #[test]
    fn mixed_arithmetic_gives_floats() {
        // 1 + 0.5 == 1.5, 3 * 0.5 == 1.5, 2 - 0.5 == 1.5
        assert_eq!(float(&Num::Int(1).add_native(&Num::Float(0.5))), Some(1.5));
        assert_eq!(float(&Num::Int(3).mul_native(&Num::Float(0.5))), Some(1.5));
        assert_eq!(float(&Num::Int(2).sub_native(&Num::Float(0.5))), Some(1.5));
        // float(2**63 - 1) rounds to 2.0**63, as Python's int.__float__ does.
        assert_eq!(
            float(&Num::Int(i64::MAX).add_native(&Num::Float(0.0))),
            Some(9_223_372_036_854_775_808.0)
        );
    }
}
