//! Short display of numbers for messages.

use std::fmt;

/// An `f64` displayed for people: in exponent form when it is very large or
/// very small (`1e300`, `2.7e-183`, where `{}` writes hundreds of digits),
/// as `{}` writes it otherwise (`0.25`, `123.5`). Both forms parse back to the
/// same `f64`. Error messages across the workspace show input values with it.
///
/// ```
/// use aiops_core::Num;
/// assert_eq!(Num(1e300).to_string(), "1e300");
/// assert_eq!(Num(-2.7e-183).to_string(), "-2.7e-183");
/// assert_eq!(Num(0.25).to_string(), "0.25");
/// assert_eq!(Num(f64::NAN).to_string(), "NaN");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.abs();
        if a.is_finite() && a != 0.0 && !(1e-5..1e16).contains(&a) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Num;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn short_and_round_trips(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            let s = Num(x).to_string();
            prop_assert!(s.len() <= 25, "{s}");
            prop_assert_eq!(s.parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn ordinary_numbers_are_unchanged() {
        for x in [0.0, -0.0, 0.5, 1.0, 123.25, 1e-5, 9.99e15, -42.0] {
            assert_eq!(Num(x).to_string(), x.to_string());
        }
        assert_eq!(Num(f64::INFINITY).to_string(), "inf");
    }
}
