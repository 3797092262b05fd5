//! Evaluation of `${...}` references inside attribute values.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::resource::{Attributes, Piece, RefView, parse_traversal_view, pieces};

/// A value that may not be known until apply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    Known(Value),
    Unknown,
}

/// How a referenced attribute looks from the referencing resource.
#[derive(Debug)]
pub(crate) enum Lookup<'a> {
    Known(&'a Value),
    Unknown,
    Missing,
}

/// Follows `rest` (`[0].name`, `["k"]`, `.a.b`) below a value.
pub(crate) fn navigate<'a>(mut v: &'a Value, rest: &str) -> Option<&'a Value> {
    let mut s = rest;
    while !s.is_empty() {
        if let Some(r) = s.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            v = v.get(&r[..end])?;
            s = &r[end..];
        } else if let Some(r) = s.strip_prefix('[') {
            let end = r.find(']')?;
            let key = &r[..end];
            v = if let Some(q) = key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
                v.get(q)?
            } else if key == "*" {
                return None;
            } else {
                v.get(key.parse::<usize>().ok()?)?
            };
            s = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(v)
}

fn to_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Resolves every reference in `v` with `lookup`. `owner` and `field` name
/// the resource and attribute in errors.
pub(crate) fn resolve<'a, F>(owner: &str, field: &str, v: &Value, lookup: &F) -> Result<Resolved>
where
    F: Fn(&RefView<'_>) -> Lookup<'a>,
{
    match v {
        Value::String(s) if s.contains("${") => resolve_str(owner, field, s, lookup),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for x in items {
                match resolve(owner, field, x, lookup)? {
                    Resolved::Known(x) => out.push(x),
                    Resolved::Unknown => return Ok(Resolved::Unknown),
                }
            }
            Ok(Resolved::Known(Value::Array(out)))
        }
        Value::Object(map) => {
            let mut out = Attributes::new();
            for (k, x) in map {
                match resolve(owner, field, x, lookup)? {
                    Resolved::Known(x) => {
                        out.insert(k.clone(), x);
                    }
                    Resolved::Unknown => return Ok(Resolved::Unknown),
                }
            }
            Ok(Resolved::Known(Value::Object(out)))
        }
        other => Ok(Resolved::Known(other.clone())),
    }
}

fn resolve_ref<'a, F>(owner: &str, field: &str, expr: &str, lookup: &F) -> Result<Resolved>
where
    F: Fn(&RefView<'_>) -> Lookup<'a>,
{
    let r = parse_traversal_view(expr).ok_or_else(|| {
        Error::field(
            owner,
            field,
            format!(
                "unsupported expression `${{{expr}}}`: only references TYPE.NAME.ATTR are evaluated"
            ),
        )
    })?;
    if r.attribute.is_empty() {
        return Err(Error::field(
            owner,
            field,
            format!("reference `${{{expr}}}` names no attribute"),
        ));
    }
    match lookup(&r) {
        Lookup::Unknown => Ok(Resolved::Unknown),
        Lookup::Known(v) => match navigate(v, &r.rest) {
            Some(x) => Ok(Resolved::Known(x.clone())),
            None => Err(Error::DanglingReference {
                resource: owner.to_owned(),
                target: format!("{}.{}{}", r.target, r.attribute, r.rest),
            }),
        },
        Lookup::Missing => Err(Error::DanglingReference {
            resource: owner.to_owned(),
            target: format!("{}.{}", r.target, r.attribute),
        }),
    }
}

fn resolve_str<'a, F>(owner: &str, field: &str, s: &str, lookup: &F) -> Result<Resolved>
where
    F: Fn(&RefView<'_>) -> Lookup<'a>,
{
    // Fast path: the whole string is one expression.
    if let Some(inner) = s.strip_prefix("${").and_then(|x| x.strip_suffix('}'))
        && !inner.contains(['{', '}'])
    {
        return resolve_ref(owner, field, inner, lookup);
    }
    let ps = pieces(s);
    if let [Piece::Expr(e)] = ps.as_slice() {
        return resolve_ref(owner, field, e, lookup);
    }
    let mut out = String::with_capacity(s.len());
    let mut unknown = false;
    for p in ps {
        match p {
            Piece::Literal(l) => out.push_str(l),
            Piece::Expr(e) => match resolve_ref(owner, field, e, lookup)? {
                Resolved::Known(v) => out.push_str(&to_text(&v)),
                Resolved::Unknown => unknown = true,
            },
        }
    }
    Ok(if unknown {
        Resolved::Unknown
    } else {
        Resolved::Known(Value::String(out))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_and_navigates() {
        let vpc = json!({"id": "vpc-1", "cidrs": ["10.0.0.0/16"], "tags": {"Name": "x"}});
        let look = |r: &RefView<'_>| match (r.target.as_ref(), r.attribute.as_ref()) {
            ("aws_vpc.a", a) => vpc.get(a).map_or(Lookup::Missing, Lookup::Known),
            _ => Lookup::Unknown,
        };
        let v = json!({"a": "${aws_vpc.a.id}", "b": "${aws_vpc.a.cidrs[0]}/${aws_vpc.a.tags[\"Name\"]}"});
        assert_eq!(
            resolve("o", "f", &v, &look).unwrap(),
            Resolved::Known(json!({"a": "vpc-1", "b": "10.0.0.0/16/x"}))
        );
        assert_eq!(
            resolve("o", "f", &json!("${aws_eip.b.ip}"), &look).unwrap(),
            Resolved::Unknown
        );
        assert!(matches!(
            resolve("o", "f", &json!("${aws_vpc.a.nope}"), &look),
            Err(Error::DanglingReference { .. })
        ));
        assert!(matches!(
            resolve("o", "f", &json!("${upper(aws_vpc.a.id)}"), &look),
            Err(Error::InvalidField { .. })
        ));
    }
}
