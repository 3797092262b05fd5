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
            f.pad(&format!("{:e}", self.0))
        } else {
            f.pad(&self.0.to_string())
        }
    }
}

/// An `f64` with a fixed number of decimal places, `Fixed(x, places)`, for
/// tables and model descriptions: `{:.places$}` (`12.3456`) unless that would
/// be long or show nothing (`|x| >= 1e12`, or non-zero `|x| < 10^-places`),
/// then the same places in exponent form (`4.4811e97`, `1.000e-7`).
///
/// ```
/// use aiops_core::Fixed;
/// assert_eq!(Fixed(12.34567, 4).to_string(), "12.3457");
/// assert_eq!(Fixed(4.4811e97, 4).to_string(), "4.4811e97");
/// assert_eq!(Fixed(1e-7, 3).to_string(), "1.000e-7");
/// assert_eq!(Fixed(0.0, 3).to_string(), "0.000");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fixed(pub f64, pub usize);

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (x, places) = (self.0, self.1);
        let a = x.abs();
        let smallest = 10f64.powi(-i32::try_from(places).unwrap_or(i32::MAX));
        // Through `pad`, so table widths (`{:>10}`) apply.
        if a.is_finite() && a != 0.0 && (a >= 1e12 || a < smallest) {
            f.pad(&format!("{x:.places$e}"))
        } else {
            f.pad(&format!("{x:.places$}"))
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
    fn fixed_places_switch_to_exponent_only_at_the_ends() {
        use super::Fixed;
        assert_eq!(Fixed(7.75, 1).to_string(), "7.8");
        assert_eq!(Fixed(-1e300, 1).to_string(), "-1.0e300");
        assert_eq!(Fixed(0.05, 1).to_string(), "5.0e-2");
        assert_eq!(Fixed(999_999_999_999.0, 0).to_string(), "999999999999");
        assert_eq!(Fixed(f64::INFINITY, 2).to_string(), "inf");
        assert_eq!(format!("[{:>8}]", Fixed(1.5, 2)), "[    1.50]");
        assert_eq!(format!("[{:<6}]", super::Num(1e300)), "[1e300 ]");
    }

    #[test]
    fn ordinary_numbers_are_unchanged() {
        for x in [0.0, -0.0, 0.5, 1.0, 123.25, 1e-5, 9.99e15, -42.0] {
            assert_eq!(Num(x).to_string(), x.to_string());
        }
        assert_eq!(Num(f64::INFINITY).to_string(), "inf");
    }
}
