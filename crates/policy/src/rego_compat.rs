//! Source rewrites that give regorus OPA's reading of Rego constructs where
//! the two engines differ.
//!
//! OPA v0 lets one rule head carry several bodies, `head { b1 } { b2 }`,
//! which means exactly `head { b1 }` and `head { b2 }` (an OR). The
//! Gatekeeper library uses it (`NoUpdateServiceAccount`'s `violation`), but
//! regorus reads the second body of a partial set rule as an `else` and
//! rejects it ("else cannot be used with set rules"). [`split_multi_body_rules`]
//! rewrites such rules into one rule per body before the source reaches the
//! engine. The head is repeated on the line of the extra body's `{`, so line
//! numbers in engine messages still point at the template's own lines.
//!
//! OPA also evaluates some terms of a negated expression *before* the
//! negation: the arguments of a call to a function the policy defines
//! (`not f(x.y)` runs as `t := x.y; not f(t)`), the bracketed keys of a
//! reference (`not obj[input.k]`) and nested calls (`not g(h(x))`), so when
//! such a term is undefined the whole body fails instead of `not` succeeding.
//! Operands of builtin operators and builtin calls stay inside the negation
//! (`not x.y == false` is true when `x.y` is undefined). regorus evaluates
//! every `not <undefined>` as true. Gatekeeper library templates rely on OPA's
//! reading (K8sPSPAllowedUsers: `not accept_value(rule, value, params.ranges)`
//! with no `ranges` must not violate; K8sPSPAllowPrivilegeEscalationContainer's
//! unit tests expect `not c.securityContext.allowPrivilegeEscalation == false`
//! to hold when the field is missing). [`hoist_negated_terms`] applies this to
//! single-line `not` statements.

use std::borrow::Cow;
use std::collections::HashSet;

/// Lexical state of the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    Code,
    Str,
    RawStr,
    Comment,
}

/// Rewrites every v0 rule with several bodies (`head { .. } { .. }`) into
/// one rule per body, each with the same head. Strings, raw strings and
/// comments are skipped; `else` chains are left alone. Returns the source
/// unchanged (borrowed) when it has no such rule.
pub(crate) fn split_multi_body_rules(src: &str) -> Cow<'_, str> {
    let bytes = src.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `src` already copied into `out`
    let mut lex = Lex::Code;
    let mut depth: usize = 0;
    // Start of the current top-level statement, and its head once the first
    // top-level `{` of the statement is seen.
    let mut stmt_start: Option<usize> = None;
    let mut head: Option<(usize, usize)> = None;
    // Set right after a rule body closes at depth 0.
    let mut after_body = false;
    // A `{` right after `=`/`:=` opens a value (`f(x) = {"a": x} { .. }`),
    // not a body; set while such a top-level literal is open.
    let mut in_value = false;
    // Last code byte that is not whitespace or part of a comment.
    let mut last_sig = b'\n';
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match lex {
            Lex::Str => {
                if c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == b'"' {
                    lex = Lex::Code;
                }
                i += 1;
                continue;
            }
            Lex::RawStr => {
                if c == b'`' {
                    lex = Lex::Code;
                }
                i += 1;
                continue;
            }
            Lex::Comment => {
                if c == b'\n' {
                    lex = Lex::Code;
                    if depth == 0 && !after_body && head.is_none() {
                        // A body-less statement (package, import, `x = 1`) ends here.
                        stmt_start = None;
                    }
                }
                i += 1;
                continue;
            }
            Lex::Code => {}
        }
        if c.is_ascii_whitespace() {
            if c == b'\n' && depth == 0 && !after_body && head.is_none() {
                stmt_start = None;
            }
            i += 1;
            continue;
        }
        if c == b'#' {
            lex = Lex::Comment;
            i += 1;
            continue;
        }
        if depth == 0 && after_body {
            after_body = false;
            if c == b'{' {
                // Another body of the same head: emit `head` before it.
                if let Some((hs, he)) = head {
                    // The head goes on the line of the new body's `{`, so no
                    // line is added or removed.
                    let o = out.get_or_insert_with(|| String::with_capacity(src.len() + 64));
                    o.push_str(&src[copied..i]);
                    o.push_str(src[hs..he].trim_end());
                    o.push(' ');
                    copied = i;
                }
                depth += 1;
                i += 1;
                continue;
            }
            if src[i..].starts_with("else")
                && !src[i + 4..]
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                // `else [= v] { .. }`: same statement, its `{` is not a head end.
                i += 4;
                after_else(&mut i, bytes, &mut depth);
                continue;
            }
            // A new statement begins.
            stmt_start = None;
            head = None;
        }
        match c {
            b'"' => lex = Lex::Str,
            b'`' => lex = Lex::RawStr,
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'{' => {
                if depth == 0 {
                    if last_sig == b'=' {
                        in_value = true;
                    } else if let Some(s) = stmt_start {
                        head = Some((s, i));
                    }
                }
                depth += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if in_value {
                        in_value = false;
                    } else if head.is_some() {
                        after_body = true;
                    }
                }
            }
            _ => {}
        }
        last_sig = c;
        if depth <= 1 && stmt_start.is_none() && c != b'{' && c != b'}' {
            stmt_start = Some(i);
            head = None;
        }
        i += 1;
    }
    match out {
        None => Cow::Borrowed(src),
        Some(mut o) => {
            o.push_str(&src[copied..]);
            Cow::Owned(o)
        }
    }
}

/// Skips an `else [= value]` up to and including the `{` of its body, so the
/// body's braces are counted but the head is kept for later bodies.
fn after_else(i: &mut usize, bytes: &[u8], depth: &mut usize) {
    let mut nested = 0usize;
    let mut in_str = false;
    let mut last_sig = b'e';
    while *i < bytes.len() {
        let c = bytes[*i];
        if in_str {
            if c == b'\\' {
                *i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'(' | b'[' => nested += 1,
                b')' | b']' => nested = nested.saturating_sub(1),
                // `else = {..} {`: the first brace is the value.
                b'{' if nested == 0 && last_sig != b'=' => {
                    *depth += 1;
                    *i += 1;
                    return;
                }
                b'{' => nested += 1,
                b'}' => nested = nested.saturating_sub(1),
                _ => {}
            }
            if !c.is_ascii_whitespace() {
                last_sig = c;
            }
        }
        *i += 1;
    }
}

/// Lexical scan of a source: for each line, the bracket depth at its start
/// (strings, raw strings and comments skipped).
fn line_depths(src: &str) -> Vec<usize> {
    let mut depths = vec![0];
    let mut depth = 0usize;
    let mut lex = Lex::Code;
    let mut chars = src.chars();
    while let Some(c) = chars.next() {
        match lex {
            Lex::Str => match c {
                '\\' => {
                    chars.next();
                }
                '"' => lex = Lex::Code,
                '\n' => {
                    lex = Lex::Code;
                    depths.push(depth);
                }
                _ => {}
            },
            Lex::RawStr => {
                if c == '`' {
                    lex = Lex::Code;
                } else if c == '\n' {
                    depths.push(depth);
                }
            }
            Lex::Comment => {
                if c == '\n' {
                    lex = Lex::Code;
                    depths.push(depth);
                }
            }
            Lex::Code => match c {
                '"' => lex = Lex::Str,
                '`' => lex = Lex::RawStr,
                '#' => lex = Lex::Comment,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                '\n' => depths.push(depth),
                _ => {}
            },
        }
    }
    depths
}

/// Splits `text` at top level (outside brackets and strings) on the byte
/// ranges `sep` returns; `sep(rest)` gives the length of a separator at the
/// start of `rest`, or 0.
fn top_level_spans(text: &str, sep: impl Fn(&str) -> usize) -> Option<Vec<(usize, usize)>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    let mut in_str = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'`' => return None,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.checked_sub(1)?,
            _ if depth == 0 && text.is_char_boundary(i) => {
                let n = sep(&text[i..]);
                if n > 0 {
                    spans.push((start, i));
                    i += n;
                    start = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if depth != 0 || in_str {
        return None;
    }
    spans.push((start, bytes.len()));
    Some(spans)
}

/// Length of a comparison or membership operator at the start of `rest`.
fn comparison_at(rest: &str) -> usize {
    for op in ["==", "!=", "<=", ">="] {
        if rest.starts_with(op) {
            return 2;
        }
    }
    if (rest.starts_with('<') || rest.starts_with('>')) && !rest[1..].starts_with('=') {
        return 1;
    }
    if rest.starts_with(" in ") {
        return 4;
    }
    0
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether a term needs no binding: a variable, `_`, a scalar literal.
fn is_trivial_term(t: &str) -> bool {
    let t = t.trim();
    if t.is_empty() {
        return true;
    }
    let b = t.as_bytes();
    let is_var = b.iter().all(|&c| is_ident_byte(c)) && !b[0].is_ascii_digit();
    let is_string =
        t.len() >= 2 && t.starts_with('"') && t.ends_with('"') && !t[1..t.len() - 1].contains('"');
    is_var || is_string || t.parse::<f64>().is_ok()
}

/// Whether a term mentions the wildcard `_` (binding it outside the negation
/// would change which elements are quantified over).
fn has_wildcard(t: &str) -> bool {
    let b = t.as_bytes();
    let mut in_str = false;
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            if c == b'"' && (i == 0 || b[i - 1] != b'\\') {
                in_str = false;
            }
            continue;
        }
        if c == b'"' {
            in_str = true;
        } else if c == b'_'
            && (i == 0 || !is_ident_byte(b[i - 1]))
            && b.get(i + 1).is_none_or(|&n| !is_ident_byte(n))
        {
            return true;
        }
    }
    false
}

/// Whether a term is a call `name(...)` whose parentheses close at its end.
fn is_call_term(t: &str) -> bool {
    let t = t.trim();
    let b = t.as_bytes();
    let name_end = b
        .iter()
        .position(|&c| !(is_ident_byte(c) || c == b'.'))
        .unwrap_or(b.len());
    name_end > 0
        && b.get(name_end) == Some(&b'(')
        && t.ends_with(')')
        && top_level_spans(&t[name_end + 1..t.len() - 1], |_| 0).is_some()
}

/// The operands of a negated expression `expr` (the text after `not`) that
/// OPA evaluates before the negation, as byte ranges into `expr` with a flag
/// telling whether plain references among them are bound too (`false`:
/// only nested calls are). Comparisons and `in` (builtin operators) and calls
/// of builtins bind nested calls only; calls of functions the policy defines
/// (`user_functions`) bind every non-trivial argument; a reference binds its
/// bracketed keys.
fn negated_operands(
    expr: &str,
    user_functions: &HashSet<String>,
) -> Option<Vec<(usize, usize, bool)>> {
    let spans = top_level_spans(expr, comparison_at)?;
    if spans.len() == 2 {
        return Some(spans.into_iter().map(|(s, e)| (s, e, false)).collect());
    }
    if spans.len() != 1 {
        return None;
    }
    let t = expr.trim_end();
    let b = t.as_bytes();
    // A call: dotted name, `(`, arguments, `)` ending the expression.
    let name_end = b
        .iter()
        .position(|&c| !(is_ident_byte(c) || c == b'.'))
        .unwrap_or(b.len());
    if name_end > 0 && b.get(name_end) == Some(&b'(') && t.ends_with(')') {
        let inner = &t[name_end + 1..t.len() - 1];
        let args = top_level_spans(inner, |r| usize::from(r.starts_with(',')))?;
        let name = &t[..name_end];
        let user = user_functions.contains(name.rsplit('.').next().unwrap_or(name));
        return Some(
            args.into_iter()
                .map(|(s, e)| (s + name_end + 1, e + name_end + 1, user))
                .collect(),
        );
    }
    // A reference: the contents of each top-level `[...]`.
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut open = 0;
    let mut in_str = false;
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            if c == b'"' && b[i - 1] != b'\\' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'[' => {
                if depth == 0 {
                    open = i + 1;
                }
                depth += 1;
            }
            b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    keys.push((open, i, true));
                }
            }
            b'(' | b'{' if depth == 0 => return None,
            _ => {}
        }
    }
    Some(keys)
}

/// Names of the functions the sources define: top-level rule heads of the
/// form `name(`.
pub(crate) fn defined_functions<'a>(sources: impl IntoIterator<Item = &'a str>) -> HashSet<String> {
    let mut names = HashSet::new();
    for src in sources {
        let depths = line_depths(src);
        for (n, line) in src.lines().enumerate() {
            if depths.get(n).copied().unwrap_or(1) != 0 {
                continue;
            }
            let t = line.trim_start();
            let end = t.bytes().position(|c| !is_ident_byte(c)).unwrap_or(t.len());
            if end > 0 && t[end..].starts_with('(') {
                names.insert(t[..end].to_owned());
            }
        }
    }
    names
}

/// Rewrites `not <expr>` statements that stand alone on a line inside a body
/// so that their non-trivial operands are bound first, as OPA's compiler
/// does: `not f(x.y)` becomes `__aiops_n1__ := x.y; not f(__aiops_n1__)` on
/// the same line. Operands with the wildcard `_`, statements spanning lines,
/// carrying `with`, or of another shape are left alone.
pub(crate) fn hoist_negated_terms<'s>(
    src: &'s str,
    user_functions: &HashSet<String>,
) -> Cow<'s, str> {
    let depths = line_depths(src);
    let mut out = String::with_capacity(src.len() + 128);
    let mut changed = false;
    let mut counter = 0usize;
    for (n, line) in src.split_inclusive('\n').enumerate() {
        match (depths.get(n).copied().unwrap_or(0) > 0)
            .then(|| hoist_line(line, user_functions, &mut counter))
            .flatten()
        {
            Some(rewritten) => {
                out.push_str(&rewritten);
                changed = true;
            }
            None => out.push_str(line),
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(src)
    }
}

/// One line of [`hoist_negated_terms`]: `Some(rewritten line)` when it is a
/// `not` statement with operands to bind.
fn hoist_line(line: &str, user_functions: &HashSet<String>, counter: &mut usize) -> Option<String> {
    let body = line.trim_end_matches(['\n', '\r']);
    let trimmed = body.trim_start();
    let after_not = trimmed.strip_prefix("not ")?;
    // The statement ends at a top-level `;` or `#`.
    let parts = top_level_spans(after_not, |r| {
        usize::from(r.starts_with(';') || r.starts_with('#'))
    })?;
    let (_, stmt_end) = parts.first().copied()?;
    let stmt = &after_not[..stmt_end];
    if stmt.contains(" with ") {
        return None;
    }
    let mut bindings = String::new();
    let mut rewritten = String::new();
    let mut last = 0;
    for (s, e, bind_refs) in negated_operands(stmt, user_functions)? {
        let term = &stmt[s..e];
        if is_trivial_term(term) || has_wildcard(term) || !(bind_refs || is_call_term(term)) {
            continue;
        }
        *counter += 1;
        let var = format!("__aiops_n{counter}__");
        bindings.push_str(&var);
        bindings.push_str(" := ");
        bindings.push_str(term.trim());
        bindings.push_str("; ");
        let lead = &term[..term.len() - term.trim_start().len()];
        let tail = &term[term.trim_end().len()..];
        rewritten.push_str(&stmt[last..s]);
        rewritten.push_str(lead);
        rewritten.push_str(&var);
        rewritten.push_str(tail);
        last = e;
    }
    if bindings.is_empty() {
        return None;
    }
    rewritten.push_str(&stmt[last..]);
    let indent = &body[..body.len() - trimmed.len()];
    Some(format!(
        "{indent}{bindings}not {rewritten}{}{}",
        &after_not[stmt_end..],
        &line[body.len()..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_bodies_and_keeps_lines() {
        let src = "package p\n\nviolation[{\"msg\": m}] {\n  input.a\n  m := \"a\"\n} {\n  input.b\n  m := \"}{\"\n}\n\nf(x) = y {\n  x == 1\n  y := 1\n} {\n  x == 2 # } {\n  y := 2\n}\n";
        let out = split_multi_body_rules(src);
        assert_eq!(
            out,
            "package p\n\nviolation[{\"msg\": m}] {\n  input.a\n  m := \"a\"\n} violation[{\"msg\": m}] {\n  input.b\n  m := \"}{\"\n}\n\nf(x) = y {\n  x == 1\n  y := 1\n} f(x) = y {\n  x == 2 # } {\n  y := 2\n}\n"
        );
        assert_eq!(out.lines().count(), src.lines().count());
    }

    #[test]
    fn leaves_other_sources_alone() {
        for src in [
            "package p\nimport data.lib.x\n\ndefault allow = false\n\nallow {\n  input.x == {\"a\": 1}[\"a\"]\n}\n",
            "package p\n\nf(x) = 1 {\n  x\n} else = 2 {\n  true\n}\n\ng { `raw } {` == \"s\" }\n",
            "package p\ns := {1, 2}\nt { s[_] == 1 }\n",
            "package p\nf(x) = {\"a\": x} {\n  not x == 2\n}\ng(x) := [x] { x }\n",
            "package p\nh(x) = 1 { x } else = {\"b\": 2} { true }\n",
        ] {
            assert!(
                matches!(split_multi_body_rules(src), Cow::Borrowed(_)),
                "{src}"
            );
        }
    }

    #[test]
    fn literal_values_are_part_of_the_head() {
        let src = "package p\nf(x) = {\"a\": x} {\n  x == 1\n} {\n  x == 2\n}\n";
        assert_eq!(
            split_multi_body_rules(src),
            "package p\nf(x) = {\"a\": x} {\n  x == 1\n} f(x) = {\"a\": x} {\n  x == 2\n}\n"
        );
    }

    #[test]
    fn else_chain_followed_by_another_body() {
        let src = "package p\nf(x) = 1 {\n  x == 1\n} else = 2 {\n  x == 2\n}\nr[v] { v := 1 } { v := 2 }\n";
        assert_eq!(
            split_multi_body_rules(src),
            "package p\nf(x) = 1 {\n  x == 1\n} else = 2 {\n  x == 2\n}\nr[v] { v := 1 } r[v] { v := 2 }\n"
        );
    }
}
#[cfg(test)]
mod hoist_tests {
    use super::*;

    #[test]
    fn negated_operands_are_bound_first() {
        let cases = [
            (
                "p {\n  not accept(rule, v, params.ranges)\n}\n",
                "p {\n  __aiops_n1__ := params.ranges; not accept(rule, v, __aiops_n1__)\n}\n",
            ),
            (
                "p {\n\tnot count(c.ports) > 0 # note\n}\n",
                "p {\n\t__aiops_n1__ := count(c.ports); not __aiops_n1__ > 0 # note\n}\n",
            ),
            (
                "p {\n  not obj[input.key]\n}\n",
                "p {\n  __aiops_n1__ := input.key; not obj[__aiops_n1__]\n}\n",
            ),
            (
                "p {\n  not startswith(lower(x.name), \"a\"); q\n}\n",
                "p {\n  __aiops_n1__ := lower(x.name); not startswith(__aiops_n1__, \"a\"); q\n}\n",
            ),
        ];
        let user: HashSet<String> = ["accept".to_owned()].into();
        for (src, want) in cases {
            assert_eq!(hoist_negated_terms(src, &user), want, "{src}");
        }
    }

    #[test]
    fn trivial_wildcard_and_other_shapes_are_left_alone() {
        for src in [
            "p {\n  not is_exempt(container)\n}\n",
            "p {\n  not has_field(c, \"securityContext\")\n}\n",
            "p {\n  not input.parameters.allowed\n}\n",
            "p {\n  not input.parameters.forbidden[_] == \"*\"\n}\n",
            "p {\n  not ctr[probe]\n}\n",
            "p {\n  not f(x.y) with input as {}\n}\n",
            "p {\n  not f(x.y,\n    z)\n}\n",
            "not_a_rule := 1\nq { knot(x.y) }\n",
            "p {\n  msg := \"not f(a.b)\"\n}\n",
        ] {
            let user: HashSet<String> = ["f".to_owned(), "accept".to_owned()].into();
            assert!(
                matches!(hoist_negated_terms(src, &user), Cow::Borrowed(_)),
                "{src}"
            );
        }
    }

    #[test]
    fn builtin_operands_stay_inside_the_negation() {
        let none = HashSet::new();
        for src in [
            "p {\n  not c.securityContext.allowPrivilegeEscalation == false\n}\n",
            "p {\n  not startswith(x.name, \"a\")\n}\n",
            "p {\n  not accept(rule, v, params.ranges)\n}\n",
        ] {
            assert!(
                matches!(hoist_negated_terms(src, &none), Cow::Borrowed(_)),
                "{src}"
            );
        }
    }

    #[test]
    fn defined_functions_are_top_level_heads() {
        let names = defined_functions([
            "package p\nf(x) { x }\naccept(\"RunAsAny\", _, _)\nviolation[{\"msg\": m}] {\n  g(1)\n  m := \"x\"\n}\nq := 1\n",
            "package lib\nis_exempt(c) := true if { c }\n",
        ]);
        let mut v: Vec<&str> = names.iter().map(String::as_str).collect();
        v.sort_unstable();
        assert_eq!(v, ["accept", "f", "is_exempt"]);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Rule fragments in the shapes the rewrites care about (and some they
    /// must leave alone: comments, strings, literal values, `else`).
    fn fragment() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "p {\n  input.a\n}\n",
            "q[v] { v := 1 } { v := 2 }\n",
            "r[{\"msg\": m}] {\n  input.x\n  m := \"} {\"\n} {\n  input.y # } {\n  m := \"y\"\n}\n",
            "f(x) = {\"a\": x} {\n  x == 1\n}\n",
            "g(x) = 1 {\n  x\n} else = 2 {\n  true\n}\n",
            "h(x) {\n  not f(x.y)\n  not x.z == true\n  not obj[input.k]\n}\n",
            "default d = false\n",
            "s := {1, 2}\n",
            "t { count([c | c := input.c[_]]) > 0 }\n",
        ])
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(src in any::<String>(), extra in "[a-z(){}\\[\\]\"#;=. \n_é]{0,80}") {
            for text in [src.as_str(), extra.as_str()] {
                let user = defined_functions([text]);
                let split = split_multi_body_rules(text);
                let _ = hoist_negated_terms(&split, &user);
                let with_not = format!("p {{\n  not {text}\n}}\n");
                let _ = hoist_negated_terms(&with_not, &user);
            }
        }

        #[test]
        fn rewrites_keep_lines_and_are_idempotent(parts in prop::collection::vec(fragment(), 0..8)) {
            let src = format!("package p\n{}", parts.concat());
            let user: HashSet<String> = defined_functions([src.as_str()]);
            let split = split_multi_body_rules(&src);
            prop_assert_eq!(split.lines().count(), src.lines().count());
            let again = split_multi_body_rules(&split).into_owned();
            prop_assert_eq!(again.as_str(), split.as_ref());
            let hoisted = hoist_negated_terms(&split, &user);
            prop_assert_eq!(hoisted.lines().count(), src.lines().count());
            let again = hoist_negated_terms(&hoisted, &user).into_owned();
            prop_assert_eq!(again.as_str(), hoisted.as_ref());
            // What regorus is given must parse as Rego v0.
            let mut engine = regorus::Engine::new();
            engine.set_rego_v0(true);
            let parsed = engine.add_policy("p.rego".to_owned(), hoisted.into_owned());
            prop_assert!(parsed.is_ok(), "{:?}", parsed.err());
        }
    }
}
