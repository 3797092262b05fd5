//! Property tests: the CSV readers never panic and every accepted series is valid.

use aiops_core::{read_nab_csv_reader, read_wide_csv_reader};
use proptest::prelude::*;

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_nab_csv_reader("fuzz", bytes.as_slice());
        let _ = read_wide_csv_reader("fuzz", bytes.as_slice());
    }

    #[test]
    fn csv_like_text_never_panics(text in "(timestamp,value\n)?([0-9: .-]{0,20},[-0-9.eNa]{0,8}(,[0-9])?\n){0,20}") {
        if let Ok(s) = read_nab_csv_reader("fuzz", text.as_bytes()) {
            // Accepted input is a valid series: sorted, equal lengths.
            prop_assert!(s.timestamps().windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(s.timestamps().len(), s.values().len());
            prop_assert!(s.values().iter().all(|v| !v.is_infinite()));
        }
    }

    #[test]
    fn every_row_is_kept(values in proptest::collection::vec(proptest::option::of(-1e6f64..1e6), 1..100)) {
        let mut text = String::from("timestamp,value\n");
        for (i, v) in values.iter().enumerate() {
            let cell = v.map(|x| x.to_string()).unwrap_or_default();
            text.push_str(&format!("{},{}\n", 1_400_000_000 + 60 * i as i64, cell));
        }
        let s = read_nab_csv_reader("gen", text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(s.len(), values.len());
        prop_assert_eq!(s.missing_count(), values.iter().filter(|v| v.is_none()).count());
    }
}
