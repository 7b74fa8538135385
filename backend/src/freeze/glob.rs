//! OpenBao ACL path patterns, compared the way OpenBao compares them.
//!
//! A pattern is literal text in which a `+` segment stands for exactly one path segment and
//! a trailing `*` for any suffix (slashes included). To decide whether a policy rule can
//! reach a frozen path we need more than matching one path: whether two patterns *overlap*
//! (some path matches both) and whether one *contains* the other (every path matching the
//! inner one matches the outer one). Both are answered exactly, on small automata.

use std::collections::{BTreeSet, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Token {
    Char(char),
    /// One character other than `/` (the first character of a `+` segment).
    NonSlash,
    /// Zero or more characters other than `/` (the rest of a `+` segment).
    NonSlashRun,
    /// Any suffix: a trailing `*`.
    Rest,
}

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    tokens: Vec<Token>,
}

impl Pattern {
    pub fn new(text: &str) -> Self {
        let text = text.trim_start_matches('/');
        let (body, glob) = match text.strip_suffix('*') {
            Some(b) => (b, true),
            None => (text, false),
        };
        let mut tokens = Vec::new();
        for (i, segment) in body.split('/').enumerate() {
            if i > 0 {
                tokens.push(Token::Char('/'));
            }
            if segment == "+" {
                tokens.push(Token::NonSlash);
                tokens.push(Token::NonSlashRun);
            } else {
                tokens.extend(segment.chars().map(Token::Char));
            }
        }
        if glob {
            tokens.push(Token::Rest);
        }
        Self {
            text: text.to_owned(),
            tokens,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `path` (a concrete request path) matches.
    pub fn matches(&self, path: &str) -> bool {
        let mut states = self.closure(BTreeSet::from([0]));
        for c in path.trim_start_matches('/').chars() {
            states = self.step(&states, Sym::Char(c));
            if states.is_empty() {
                return false;
            }
        }
        self.accepts(&states)
    }

    /// Some path matches both patterns.
    pub fn overlaps(&self, other: &Pattern) -> bool {
        let start = self.closure(BTreeSet::from([0]));
        let start_other = other.closure(BTreeSet::from([0]));
        let mut seen = HashSet::new();
        let mut stack = vec![(start, start_other)];
        while let Some((a, b)) = stack.pop() {
            if self.accepts(&a) && other.accepts(&b) {
                return true;
            }
            if !seen.insert((a.clone(), b.clone())) {
                continue;
            }
            for sym in alphabet(self, other) {
                let (na, nb) = (self.step(&a, sym), other.step(&b, sym));
                if !na.is_empty() && !nb.is_empty() {
                    stack.push((na, nb));
                }
            }
        }
        false
    }

    /// Every path matching `inner` matches `self`.
    pub fn contains(&self, inner: &Pattern) -> bool {
        let mut seen = HashSet::new();
        let mut stack = vec![(
            inner.closure(BTreeSet::from([0])),
            self.closure(BTreeSet::from([0])),
        )];
        while let Some((i, o)) = stack.pop() {
            if inner.accepts(&i) && !self.accepts(&o) {
                return false;
            }
            if !seen.insert((i.clone(), o.clone())) {
                continue;
            }
            for sym in alphabet(self, inner) {
                let ni = inner.step(&i, sym);
                if !ni.is_empty() {
                    stack.push((ni, self.step(&o, sym)));
                }
            }
        }
        true
    }

    /// OpenBao's rule for which of two matching patterns applies: `true` if `self` wins
    /// over `other`. Lower priority is the one whose first wildcard comes earlier, then the
    /// one ending in `*`, then the one with more `+` segments, then the shorter, then the
    /// lexicographically smaller.
    pub fn outranks(&self, other: &Pattern) -> bool {
        let key = |p: &Pattern| {
            let first_wild = p.text.find(['+', '*']).unwrap_or(usize::MAX);
            let ends_glob = p.text.ends_with('*');
            let plus = p.text.split('/').filter(|s| *s == "+").count();
            (
                first_wild,
                !ends_glob,
                std::cmp::Reverse(plus),
                p.text.len(),
                p.text.clone(),
            )
        };
        key(self) > key(other)
    }

    /// The pattern matching exactly the paths both match, when it can be written as one
    /// pattern (globs at segment boundaries). The result is checked against both inputs.
    pub fn intersection(&self, other: &Pattern) -> Option<Pattern> {
        fn split(text: &str) -> Option<(Vec<&str>, bool)> {
            let (body, glob) = match text.strip_suffix("/*") {
                Some(b) => (b, true),
                None if text == "*" => ("", true),
                None => (text, false),
            };
            let segments: Vec<&str> = if body.is_empty() {
                Vec::new()
            } else {
                body.split('/').collect()
            };
            // A glob inside a segment (`ab*`) is not handled here.
            (!segments.iter().any(|s| s.contains('*'))).then_some((segments, glob))
        }
        let (a, a_glob) = split(&self.text)?;
        let (b, b_glob) = split(&other.text)?;
        let mut out: Vec<&str> = Vec::new();
        for (x, y) in a.iter().zip(&b) {
            out.push(match (*x, *y) {
                ("+", y) => y,
                (x, "+") => x,
                (x, y) if x == y => x,
                _ => return None,
            });
        }
        let glob = match a.len().cmp(&b.len()) {
            std::cmp::Ordering::Equal if a_glob == b_glob => a_glob,
            std::cmp::Ordering::Equal => return None,
            std::cmp::Ordering::Greater if b_glob => {
                out.extend(&a[b.len()..]);
                a_glob
            }
            std::cmp::Ordering::Less if a_glob => {
                out.extend(&b[a.len()..]);
                b_glob
            }
            _ => return None,
        };
        let mut text = out.join("/");
        if glob {
            text = if text.is_empty() {
                "*".into()
            } else {
                format!("{text}/*")
            };
        }
        let result = Pattern::new(&text);
        (self.contains(&result) && other.contains(&result)).then_some(result)
    }

    fn closure(&self, mut states: BTreeSet<usize>) -> BTreeSet<usize> {
        // A `NonSlashRun` may match nothing: its position also reaches the next one.
        let mut todo: Vec<usize> = states.iter().copied().collect();
        while let Some(s) = todo.pop() {
            if self.tokens.get(s) == Some(&Token::NonSlashRun) && states.insert(s + 1) {
                todo.push(s + 1);
            }
        }
        states
    }

    fn step(&self, states: &BTreeSet<usize>, sym: Sym) -> BTreeSet<usize> {
        let mut next = BTreeSet::new();
        for &s in states {
            match (self.tokens.get(s), sym) {
                (Some(Token::Char(c)), Sym::Char(d)) if *c == d => {
                    next.insert(s + 1);
                }
                (Some(Token::NonSlash), Sym::Char(d)) if d != '/' => {
                    next.insert(s + 1);
                }
                (Some(Token::NonSlash), Sym::Other) => {
                    next.insert(s + 1);
                }
                (Some(Token::NonSlashRun), Sym::Char(d)) if d != '/' => {
                    next.insert(s);
                }
                (Some(Token::NonSlashRun), Sym::Other) => {
                    next.insert(s);
                }
                (Some(Token::Rest), _) => {
                    next.insert(s);
                }
                _ => {}
            }
        }
        self.closure(next)
    }

    fn accepts(&self, states: &BTreeSet<usize>) -> bool {
        states
            .iter()
            .any(|&s| s == self.tokens.len() || self.tokens.get(s) == Some(&Token::Rest))
    }
}

/// A symbol of the input: a character that occurs in a pattern, or "any other character"
/// (never `/`), which stands for all the characters neither pattern names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sym {
    Char(char),
    Other,
}

fn alphabet(a: &Pattern, b: &Pattern) -> Vec<Sym> {
    let mut chars: BTreeSet<char> = [a, b]
        .iter()
        .flat_map(|p| p.tokens.iter())
        .filter_map(|t| match t {
            Token::Char(c) => Some(*c),
            _ => None,
        })
        .collect();
    chars.insert('/');
    chars
        .into_iter()
        .map(Sym::Char)
        .chain([Sym::Other])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn p(s: &str) -> Pattern {
        Pattern::new(s)
    }

    #[test]
    fn matching() {
        assert!(p("sys/policies/acl/*").matches("sys/policies/acl/admin"));
        assert!(p("sys/policies/acl/*").matches("sys/policies/acl/"));
        assert!(!p("sys/policies/acl/*").matches("sys/policies/acl"));
        assert!(p("auth/+/role/+").matches("auth/approle/role/x"));
        assert!(!p("auth/+/role/+").matches("auth/approle/role/x/secret-id"));
        assert!(!p("auth/+/role/+").matches("auth/approle/role/"));
        assert!(p("env/+/data/*").matches("env/staging/data/a/b"));
        assert!(p("se*").matches("secret/x/y"));
        assert!(p("auth/approle/role/+/secret-id").matches("auth/approle/role/r/secret-id"));
    }

    #[test]
    fn overlap() {
        assert!(p("auth/*").overlaps(&p("auth/approle/role/+")));
        assert!(p("auth/+/role/abc").overlaps(&p("auth/approle/role/+")));
        assert!(p("sys/*").overlaps(&p("sys/policies/acl/*")));
        assert!(p("s*").overlaps(&p("sys/mounts/*")));
        assert!(!p("env/+/data/*").overlaps(&p("sys/mounts/*")));
        assert!(!p("auth/approle/role/+/secret-id").overlaps(&p("auth/approle/role/+")));
        assert!(p("+/+/acl/x").overlaps(&p("sys/policies/*")));
    }

    #[test]
    fn containment() {
        assert!(p("auth/*").contains(&p("auth/approle/role/+")));
        assert!(!p("auth/approle/role/+").contains(&p("auth/*")));
        assert!(p("sys/policies/acl/*").contains(&p("sys/policies/acl/admin")));
        assert!(p("auth/+/role/+").contains(&p("auth/approle/role/x")));
        assert!(!p("auth/+/role/abc").contains(&p("auth/approle/role/+")));
        assert!(p("env/+/data/*").contains(&p("env/staging/data/a*")));
        assert!(p("a/+").contains(&p("a/+")));
        assert!(p("a*").contains(&p("a/+/c*")));
        assert!(!p("a/+/c").contains(&p("a/+/c*")));
    }

    #[test]
    fn intersections() {
        let i = |a: &str, b: &str| p(a).intersection(&p(b)).map(|x| x.as_str().to_owned());
        assert_eq!(
            i("auth/approle/role/*", "auth/+/role/+").as_deref(),
            Some("auth/approle/role/+")
        );
        assert_eq!(
            i("auth/approle/*", "auth/+/role/+/policies").as_deref(),
            Some("auth/approle/role/+/policies")
        );
        assert_eq!(i("env/*", "env/+/data/*").as_deref(), Some("env/+/data/*"));
        assert_eq!(i("*", "sys/mounts/*").as_deref(), Some("sys/mounts/*"));
        assert_eq!(i("a/b", "a/c"), None);
        assert_eq!(i("a/*", "a"), None);
        assert_eq!(i("auth/+/role/ab*", "auth/+/role/+"), None);
    }

    #[test]
    fn priority_follows_openbao() {
        // The first wildcard later wins.
        assert!(p("auth/approle/role/+").outranks(&p("auth/*")));
        // Not ending in * wins over ending in *.
        assert!(p("a/b").outranks(&p("a/b*")));
        // Fewer + segments win.
        assert!(p("a/+/c/d").outranks(&p("a/+/+/d")));
        // Longer wins.
        assert!(p("secret/data/foo").outranks(&p("secret/data/fo")));
    }
}
