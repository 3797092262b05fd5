//! Invariants: template print/parse round trip; every input line gets exactly one event id.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on bad fixtures"
)]

use aiops_secops::{LogFormat, Template, Token, mine};
use proptest::prelude::*;

fn token() -> impl Strategy<Value = Token> {
    prop_oneof![
        Just(Token::Wildcard),
        "[a-zA-Z0-9=:._/\\-]{1,8}".prop_map(|s| Token::from_text(&s)),
    ]
}

proptest! {
    #[test]
    fn template_print_parse_round_trip(tokens in prop::collection::vec(token(), 0..12)) {
        let t = Template::new(tokens).unwrap();
        let printed = t.to_string();
        let back = Template::parse(&printed);
        prop_assert_eq!(&back, &t);
        prop_assert_eq!(back.to_string(), printed);
    }

    #[test]
    fn every_line_gets_exactly_one_event_id(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 0..40)) {
        let mut data = Vec::new();
        for l in &lines {
            data.extend(l.iter().copied().filter(|&b| b != b'\n'));
            data.push(b'\n');
        }
        for name in ["OpenSSH", "syslog", "jsonl"] {
            let f = LogFormat::builtin(name).unwrap();
            let mined = mine(&f, f.parse_bytes(&data)).unwrap();
            prop_assert_eq!(mined.log.stats.lines as usize, lines.len());
            prop_assert_eq!(mined.events.len(), lines.len());
            for id in &mined.events {
                prop_assert!(mined.templates.contains_key(id));
            }
        }
    }
}
