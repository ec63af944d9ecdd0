//! How Python orders numbers: an `int` against a `float` exactly, and `max`/`min` keeping
//! the first argument on a tie, as tenacity's clamps rely on.

use pyo3::prelude::*;

use super::Num;

impl Num {
    /// `self > other` when Rust gives Python's answer: Python compares an `int` with a
    /// `float` exactly (`2**53 + 1 > 2.0**53`), not through a lossy conversion.
    #[inline]
    pub fn gt_native(&self, other: &Num) -> Option<bool> {
        use std::cmp::Ordering;
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a > b),
            (Num::Float(a), Num::Float(b)) => Some(a > b),
            (Num::Int(a), Num::Float(b)) => Some(cmp_int_float(*a, *b) == Some(Ordering::Greater)),
            (Num::Float(a), Num::Int(b)) => Some(cmp_int_float(*b, *a) == Some(Ordering::Less)),
            _ => None,
        }
    }

    /// `self > other`, as Python compares numbers.
    pub fn gt(&self, py: Python<'_>, other: &Num) -> PyResult<bool> {
        match self.gt_native(other) {
            Some(v) => Ok(v),
            None => self.to_py(py).gt(other.to_py(py)),
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
}

/// How an `int` compares with a `float`, exactly, as Python compares them; `None` for NaN.
pub fn cmp_int_float(i: i64, f: f64) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    if f.is_nan() {
        return None;
    }
    // 2**63 is exact as a float; every i64 is below it and at or above -2**63.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    // In range, so the conversion is exact.
    let t = whole as i64;
    Some(match i.cmp(&t) {
        Ordering::Equal => {
            let frac = f - whole;
            if frac > 0.0 {
                Ordering::Less
            } else if frac < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    //! Each expected value is what CPython answers for the same comparison.
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn int_and_float_compare_exactly() {
        // 2**53 + 1 > 2.0**53 is True in Python (the int is not rounded first).
        let big = (1_i64 << 53) + 1;
        assert_eq!(
            Num::Int(big).gt_native(&Num::Float(9_007_199_254_740_992.0)),
            Some(true)
        );
        assert_eq!(
            Num::Float(9_007_199_254_740_992.0).gt_native(&Num::Int(big)),
            Some(false)
        );
        // 2**63 - 1 < 2.0**63, and every i64 is above -2.0**63 - 2048.
        assert_eq!(
            cmp_int_float(i64::MAX, 9_223_372_036_854_775_808.0),
            Some(Ordering::Less)
        );
        assert_eq!(
            cmp_int_float(i64::MIN, -9_223_372_036_854_777_856.0),
            Some(Ordering::Greater)
        );
        assert_eq!(
            cmp_int_float(i64::MIN, -9_223_372_036_854_775_808.0),
            Some(Ordering::Equal)
        );
        // 1 > 0.5, -1 < -0.5, 3 == 3.0, nothing compares with nan.
        assert_eq!(cmp_int_float(1, 0.5), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(-1, -0.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(3, 3.0), Some(Ordering::Equal));
        assert_eq!(cmp_int_float(0, f64::NAN), None);
        assert_eq!(Num::Int(0).gt_native(&Num::Float(f64::NAN)), Some(false));
        assert_eq!(Num::Float(f64::NAN).gt_native(&Num::Int(0)), Some(false));
        assert_eq!(cmp_int_float(5, f64::INFINITY), Some(Ordering::Less));
        assert_eq!(cmp_int_float(5, f64::NEG_INFINITY), Some(Ordering::Greater));
    }

    #[test]
    fn ties_in_max_and_min_keep_the_first_argument() {
        // max(1, 1.0) == 1 (an int), max(1.0, 1) == 1.0, min(0, 0.0) == 0.
        let tie_int_first = Num::Float(1.0).gt_native(&Num::Int(1)).map(|b| !b);
        assert_eq!(tie_int_first, Some(true));
        assert_eq!(Num::Int(1).gt_native(&Num::Float(1.0)), Some(false));
        assert_eq!(Num::Int(0).gt_native(&Num::Float(0.0)), Some(false));
        // -0.0 == 0: max(0, -0.0) is 0, max(-0.0, 0) is -0.0.
        assert_eq!(Num::Float(-0.0).gt_native(&Num::Int(0)), Some(false));
        assert_eq!(Num::Int(0).gt_native(&Num::Float(-0.0)), Some(false));
    }
}
