//! Masking of variable parts of a message (addresses, numbers, paths, ids) before mining.

use regex::Regex;

use crate::error::{Error, Result};

/// The wildcard text that masked variables and template parameters print as.
pub const WILDCARD: &str = "<*>";

/// One masking rule: every match of `pattern` is replaced by `<*>`.
///
/// A few patterns that every Loghub format uses have an exact native matcher for
/// ASCII text (IPv4 addresses with an optional port, dotted names); it gives the same
/// replacements as the regex (a property test checks this) at a fraction of the cost.
/// Non-ASCII text always goes through the regex.
#[derive(Debug, Clone)]
pub struct MaskRule {
    pattern: Regex,
    native: Option<Native>,
}

/// Natively matched patterns (exact pattern text -> matcher).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Native {
    /// `(\d+\.){3}\d+`, optionally followed by `(:\d+)?`.
    Ipv4 { port: bool },
    /// `([\w-]+\.){2,}[\w-]+`.
    DottedName,
}

/// `[\w-]` on ASCII: a letter, digit, `_` or `-`.
#[inline(always)]
fn is_word_byte(c: u8) -> bool {
    WORD_BYTE[usize::from(c)]
}

/// [`is_word_byte`] as a table: one load per byte in the hot scan.
static WORD_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        c += 1;
    }
    t
};

impl Native {
    fn recognise(pattern: &str) -> Option<Self> {
        match pattern {
            r"(\d+\.){3}\d+" => Some(Native::Ipv4 { port: false }),
            r"(\d+\.){3}\d+(:\d+)?" => Some(Native::Ipv4 { port: true }),
            r"([\w-]+\.){2,}[\w-]+" => Some(Native::DottedName),
            _ => None,
        }
    }

    /// The match starting at `i` (ASCII `b`): `Ok(length)`, or `Err(next)` with the
    /// first position where a match could still start (no match starts in between:
    /// a later start inside the same structure sees the same structure or less of it).
    fn match_at(self, b: &[u8], i: usize) -> std::result::Result<usize, usize> {
        /// Length of the run of bytes from `j` that satisfy `f` (generic, so the
        /// predicate is inlined into the loop).
        #[inline(always)]
        fn run_of(b: &[u8], mut j: usize, f: impl Fn(u8) -> bool) -> usize {
            let s = j;
            while j < b.len() && f(b[j]) {
                j += 1;
            }
            j - s
        }
        let digits = |j: usize| run_of(b, j, |c| c.is_ascii_digit());
        match self {
            Native::Ipv4 { port } => {
                let mut j = i;
                for _ in 0..3 {
                    let n = digits(j);
                    if n == 0 || b.get(j + n) != Some(&b'.') {
                        return Err((j + n).max(i + 1));
                    }
                    j += n + 1;
                }
                let n = digits(j);
                if n == 0 {
                    return Err(j);
                }
                j += n;
                if port && b.get(j) == Some(&b':') {
                    let p = digits(j + 1);
                    if p > 0 {
                        j += 1 + p;
                    }
                }
                Ok(j - i)
            }
            Native::DottedName => {
                let mut j = i;
                let mut runs = 0;
                let mut end = i;
                loop {
                    let n = run_of(b, j, is_word_byte);
                    if n == 0 {
                        break;
                    }
                    runs += 1;
                    j += n;
                    end = j;
                    if b.get(j) == Some(&b'.') {
                        j += 1;
                    } else {
                        break;
                    }
                }
                if runs >= 3 {
                    Ok(end - i)
                } else {
                    Err(end.max(i + 1))
                }
            }
        }
    }

    /// Whether a match could start at `i` (the previous byte cannot extend it).
    fn can_start(self, b: &[u8], i: usize) -> bool {
        match self {
            Native::Ipv4 { .. } => b[i].is_ascii_digit(),
            Native::DottedName => is_word_byte(b[i]),
        }
    }

    /// Writes `text` with matches replaced into `out` (cleared first) when there is a
    /// match; returns whether there was one (`out` is then left empty otherwise).
    fn replace_into(self, text: &str, out: &mut String) -> bool {
        let b = text.as_bytes();
        let mut copied = 0;
        let mut any = false;
        let mut i = 0;
        while i < b.len() {
            if !self.can_start(b, i) {
                i += 1;
                continue;
            }
            match self.match_at(b, i) {
                Ok(n) => {
                    if !any {
                        out.clear();
                        any = true;
                    }
                    out.push_str(&text[copied..i]);
                    out.push_str(WILDCARD);
                    i += n;
                    copied = i;
                }
                Err(next) => i = next,
            }
        }
        if any {
            out.push_str(&text[copied..]);
        }
        any
    }

    fn replace_all<'a>(self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let b = text.as_bytes();
        let mut out: Option<String> = None;
        let mut copied = 0;
        let mut i = 0;
        while i < b.len() {
            if !self.can_start(b, i) {
                i += 1;
                continue;
            }
            match self.match_at(b, i) {
                Ok(n) => {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    o.push_str(&text[copied..i]);
                    o.push_str(WILDCARD);
                    i += n;
                    copied = i;
                }
                Err(next) => i = next,
            }
        }
        match out {
            Some(mut o) => {
                o.push_str(&text[copied..]);
                std::borrow::Cow::Owned(o)
            }
            None => std::borrow::Cow::Borrowed(text),
        }
    }
}

impl MaskRule {
    /// Compiles a rule; an invalid pattern is an [`Error::InvalidMask`].
    pub fn new(pattern: &str) -> Result<Self> {
        Regex::new(pattern)
            .map(|regex| MaskRule {
                pattern: regex,
                native: Native::recognise(pattern),
            })
            .map_err(|e| Error::InvalidMask {
                pattern: pattern.to_owned(),
                message: e.to_string(),
            })
    }

    /// The rule's pattern text.
    pub fn pattern(&self) -> &str {
        self.pattern.as_str()
    }

    /// Replaces every match in `text` by `<*>`.
    pub fn apply<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        match self.native {
            Some(n) if text.is_ascii() => n.replace_all(text),
            _ => self.pattern.replace_all(text, WILDCARD),
        }
    }

    /// Writes `text` with every match replaced by `<*>` into `out` when there is a match
    /// and returns true; returns false (leaving `out` unspecified) when nothing matches.
    pub fn apply_into(&self, text: &str, out: &mut String) -> bool {
        match self.native {
            Some(n) if text.is_ascii() => n.replace_into(text, out),
            _ => {
                let mut last = 0;
                let mut any = false;
                for m in self.pattern.find_iter(text) {
                    if !any {
                        out.clear();
                        any = true;
                    }
                    out.push_str(&text[last..m.start()]);
                    out.push_str(WILDCARD);
                    last = m.end();
                }
                if any {
                    out.push_str(&text[last..]);
                }
                any
            }
        }
    }

    /// Replaces matches with the regex only (the reference for the native matchers).
    pub fn apply_regex<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        self.pattern.replace_all(text, WILDCARD)
    }
}

/// Reusable buffers for [`Masker::mask_with`].
#[derive(Debug, Clone, Default)]
pub struct MaskScratch {
    a: String,
    b: String,
}

/// An ordered list of [`MaskRule`]s applied one after another.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    rules: Vec<MaskRule>,
}

impl Masker {
    /// A masker from pattern strings, in order.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self> {
        let rules = patterns
            .iter()
            .map(|p| MaskRule::new(p.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Masker { rules })
    }

    /// The rules in application order.
    pub fn rules(&self) -> &[MaskRule] {
        &self.rules
    }

    /// True when there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Masks `text` using `scratch`'s buffers (no allocation once they are warm);
    /// returns `text` itself when no rule matches.
    pub fn mask_with<'s>(&self, text: &'s str, scratch: &'s mut MaskScratch) -> &'s str {
        #[derive(Clone, Copy)]
        enum Cur {
            Orig,
            A,
            B,
        }
        let MaskScratch { a, b } = scratch;
        let mut cur = Cur::Orig;
        for rule in &self.rules {
            cur = match cur {
                Cur::Orig if rule.apply_into(text, a) => Cur::A,
                Cur::A if rule.apply_into(a, b) => Cur::B,
                Cur::B if rule.apply_into(b, a) => Cur::A,
                same => same,
            };
        }
        match cur {
            Cur::Orig => text,
            Cur::A => a,
            Cur::B => b,
        }
    }

    /// Masks `text`, borrowing it unchanged when no rule matches.
    pub fn mask<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let mut out = std::borrow::Cow::Borrowed(text);
        for rule in &self.rules {
            if let std::borrow::Cow::Owned(s) = rule.apply(&out) {
                out = std::borrow::Cow::Owned(s);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn native_matchers_agree_with_the_regex(text in "[0-9a-z._:\\- A]{0,40}") {
            for p in [r"(\d+\.){3}\d+", r"(\d+\.){3}\d+(:\d+)?", r"([\w-]+\.){2,}[\w-]+"] {
                let rule = MaskRule::new(p).unwrap();
                prop_assert!(rule.native.is_some());
                prop_assert_eq!(rule.apply(&text), rule.apply_regex(&text), "pattern {}", p);
                let mut out = String::from("stale");
                let hit = rule.apply_into(&text, &mut out);
                let reference = rule.apply_regex(&text);
                prop_assert_eq!(hit, matches!(reference, std::borrow::Cow::Owned(_)));
                if hit {
                    prop_assert_eq!(out.as_str(), reference.as_ref());
                }
            }
        }
    }

    #[test]
    fn native_matchers_on_tricky_inputs() {
        for text in [
            "1.2.3.4.5",
            "a1.2.3.4",
            "1.2.3",
            "1.2.3.4:",
            "1.2.3.4:80x",
            "a.b.",
            "a.b.c.",
            "-.-.-",
            "x..y.z",
            "a.b.c d.e",
            "ns.example.com [1.2.3.4]",
            "é.a.b.c",
        ] {
            for p in [
                r"(\d+\.){3}\d+",
                r"(\d+\.){3}\d+(:\d+)?",
                r"([\w-]+\.){2,}[\w-]+",
            ] {
                let rule = MaskRule::new(p).unwrap();
                assert_eq!(rule.apply(text), rule.apply_regex(text), "{p} on {text:?}");
            }
        }
    }

    #[test]
    fn masks_in_order_and_borrows_when_clean() {
        let m = Masker::new(&[r"(\d+\.){3}\d+", r"\d+"]).unwrap();
        let mut scratch = MaskScratch::default();
        for t in [
            "from 10.0.0.1 port 22",
            "no digits",
            "1.2.3.4",
            "port 7 and 8",
        ] {
            assert_eq!(m.mask_with(t, &mut scratch), m.mask(t));
        }
        assert_eq!(m.mask("from 10.0.0.1 port 22"), "from <*> port <*>");
        assert!(matches!(m.mask("no digits"), std::borrow::Cow::Borrowed(_)));
        assert!(Masker::new(&["("]).is_err());
    }
}
