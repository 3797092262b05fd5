//! Templates: token sequences of literals and `<*>` wildcards, with parse, print,
//! matching and parameter extraction.

use std::fmt;

use crate::error::{Error, Result};
use crate::mask::WILDCARD;

/// Stable identifier of a mined template; printed as `E<n>` with `n = id + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TemplateId(pub u32);

impl fmt::Display for TemplateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E{}", u64::from(self.0) + 1)
    }
}

/// One token of a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Token {
    /// A constant word.
    Literal(Box<str>),
    /// A parameter (`<*>`).
    Wildcard,
}

impl Token {
    /// The token's text (`<*>` for a wildcard).
    pub fn as_str(&self) -> &str {
        match self {
            Token::Literal(s) => s,
            Token::Wildcard => WILDCARD,
        }
    }

    /// A token from text: exactly `<*>` is a wildcard, anything else a literal.
    pub fn from_text(s: &str) -> Self {
        if s == WILDCARD {
            Token::Wildcard
        } else {
            Token::Literal(s.into())
        }
    }
}

/// A log template: whitespace-separated tokens, some of which are `<*>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Template {
    tokens: Vec<Token>,
}

impl Template {
    /// A template from tokens. Literals must be non-empty and contain no whitespace.
    pub fn new(tokens: Vec<Token>) -> Result<Self> {
        for t in &tokens {
            if let Token::Literal(s) = t
                && (s.is_empty() || s.chars().any(char::is_whitespace))
            {
                return Err(Error::InvalidTemplate {
                    template: s.to_string(),
                    message: "a literal token must be non-empty and free of whitespace".into(),
                });
            }
        }
        Ok(Template { tokens })
    }

    pub(crate) fn from_tokens_unchecked(tokens: Vec<Token>) -> Self {
        Template { tokens }
    }

    /// Parses the printed form (`Failed password for <*> from <*> port <*> ssh2`).
    /// Runs of whitespace separate tokens; this never fails.
    pub fn parse(text: &str) -> Self {
        Template {
            tokens: text.split_whitespace().map(Token::from_text).collect(),
        }
    }

    /// The tokens.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    pub(crate) fn tokens_mut(&mut self) -> &mut Vec<Token> {
        &mut self.tokens
    }

    /// Number of wildcards.
    pub fn parameter_count(&self) -> usize {
        self.tokens
            .iter()
            .filter(|t| matches!(t, Token::Wildcard))
            .count()
    }

    /// True when `content` (split on whitespace) matches this template: same token
    /// count, literals equal, wildcards match any token.
    pub fn matches(&self, content: &str) -> bool {
        let mut it = content.split_whitespace();
        for t in &self.tokens {
            match (t, it.next()) {
                (_, None) => return false,
                (Token::Wildcard, Some(_)) => {}
                (Token::Literal(l), Some(w)) if **l == *w => {}
                _ => return false,
            }
        }
        it.next().is_none()
    }

    /// The parameters of `content` under this template: the tokens at wildcard
    /// positions when the token counts agree; otherwise an alignment in which each
    /// wildcard takes one or more tokens up to the next literal. `None` when the
    /// literals cannot be aligned.
    pub fn extract_parameters(&self, content: &str) -> Option<Vec<String>> {
        let words: Vec<&str> = content.split_whitespace().collect();
        if words.len() == self.tokens.len() {
            let mut out = Vec::new();
            for (t, w) in self.tokens.iter().zip(&words) {
                match t {
                    Token::Wildcard => out.push((*w).to_owned()),
                    Token::Literal(l) if **l == **w => {}
                    Token::Literal(l) if l.contains(WILDCARD) => out.push((*w).to_owned()),
                    Token::Literal(_) => return None,
                }
            }
            return Some(out);
        }
        align(&self.tokens, &words)
    }
}

fn align(tokens: &[Token], words: &[&str]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut wi = 0;
    let mut ti = 0;
    while ti < tokens.len() {
        match &tokens[ti] {
            Token::Literal(l) => {
                if words.get(wi).is_some_and(|w| **l == **w) {
                    wi += 1;
                    ti += 1;
                } else {
                    return None;
                }
            }
            Token::Wildcard => {
                // Take at least one word, then up to the next literal (or the end).
                let next_lit = tokens[ti + 1..].iter().find_map(|t| match t {
                    Token::Literal(l) => Some(&**l),
                    Token::Wildcard => None,
                });
                let wildcards_after = tokens[ti + 1..]
                    .iter()
                    .take_while(|t| matches!(t, Token::Wildcard))
                    .count();
                let start = wi;
                wi += 1;
                match next_lit {
                    Some(lit) => {
                        while wi + wildcards_after < words.len()
                            && words[wi + wildcards_after] != lit
                        {
                            wi += 1;
                        }
                    }
                    None => wi = words.len().saturating_sub(wildcards_after).max(wi),
                }
                if wi > words.len() {
                    return None;
                }
                out.push(words[start..wi].join(" "));
                ti += 1;
            }
        }
    }
    (wi == words.len()).then_some(out)
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.tokens.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(t.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_print_match_extract() {
        let t = Template::parse("Failed password for <*> from <*> port <*> ssh2");
        assert_eq!(t.parameter_count(), 3);
        assert_eq!(
            t.to_string(),
            "Failed password for <*> from <*> port <*> ssh2"
        );
        let line = "Failed password for root from 1.2.3.4 port 22 ssh2";
        assert!(t.matches(line));
        assert_eq!(
            t.extract_parameters(line).unwrap(),
            vec!["root", "1.2.3.4", "22"]
        );
        let long = "Failed password for invalid user bob from 1.2.3.4 port 22 ssh2";
        assert!(!t.matches(long));
        assert_eq!(
            t.extract_parameters(long).unwrap(),
            vec!["invalid user bob", "1.2.3.4", "22"]
        );
        assert!(t.extract_parameters("Accepted password").is_none());
        assert!(Template::new(vec![Token::Literal("a b".into())]).is_err());
    }
}
