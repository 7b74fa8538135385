//! Why Crypter itself reads or writes: sent to OpenBao as `X-Crypter-Purpose`, which
//! bootstrap asks OpenBao to copy into its audit log (unhashed). The activity feed then
//! shows a plan's or a comparison's value reads as what they are, never as reveals, and
//! lists an apply's writes under its job.
//!
//! The header is only a label: a client talking to OpenBao directly can send it too, but
//! the entry still names the token's owner as the actor.

use std::borrow::Cow;

pub const PURPOSE_HEADER: &str = "X-Crypter-Purpose";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// A changeset plan's dry run (value reads to compare checksums).
    Plan,
    /// Comparing two environments (value reads to hash them).
    Compare,
    /// The environment lint (value reads to find shared values).
    Lint,
    /// An apply job: every request it makes, under its job id.
    Apply(String),
    /// Freeze verification: the live probes.
    Verify,
    /// Promoting a credential: its value is read to be copied, never shown.
    Promote,
    /// Counting a key's ciphertexts in credential fields ("scan ciphertexts").
    Scan,
    /// A thaw putting the policies back: the freeze watcher does not call these writes
    /// breaches (only the thawer's own, to the policies the freeze wrote).
    Thaw,
    /// The carrier making an approved request's change:
    /// `approval:<request id>:<requester>:<approver>,<approver>…`, so the activity entry
    /// names who asked and who approved.
    Approval(String),
}

impl Purpose {
    /// The header's value: `plan`, `compare`, `lint`, `verify`, `promote`, `scan` or
    /// `apply:<job id>`.
    pub fn as_header(&self) -> Cow<'static, str> {
        match self {
            Self::Plan => "plan".into(),
            Self::Compare => "compare".into(),
            Self::Lint => "lint".into(),
            Self::Verify => "verify".into(),
            Self::Promote => "promote".into(),
            Self::Scan => "scan".into(),
            Self::Thaw => "thaw".into(),
            Self::Approval(who) => format!("approval:{who}").into(),
            Self::Apply(job) => format!("apply:{job}").into(),
        }
    }

    /// Read a header value back (from an audit entry). Unknown or malformed values are
    /// `None`: they are shown as no purpose at all.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "plan" => Some(Self::Plan),
            "compare" => Some(Self::Compare),
            "lint" => Some(Self::Lint),
            "verify" => Some(Self::Verify),
            "promote" => Some(Self::Promote),
            "scan" => Some(Self::Scan),
            "thaw" => Some(Self::Thaw),
            other if other.starts_with("approval:") => {
                let who = &other["approval:".len()..];
                let id = who.split(':').next().unwrap_or_default();
                let ok = who.len() <= 300
                    && id.len() == 16
                    && id.bytes().all(|b| b.is_ascii_hexdigit())
                    && who
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b":,._@-".contains(&b));
                ok.then(|| Self::Approval(who.to_owned()))
            }
            other => {
                let job = other.strip_prefix("apply:")?;
                let ok = !job.is_empty()
                    && job.len() <= 64
                    && job
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                ok.then(|| Self::Apply(job.to_owned()))
            }
        }
    }

    /// An approval's (request id, requester, approvers).
    pub fn approval(&self) -> Option<(&str, &str, Vec<&str>)> {
        let Self::Approval(who) = self else {
            return None;
        };
        let mut parts = who.splitn(3, ':');
        let id = parts.next()?;
        let requester = parts.next().unwrap_or_default();
        let approvers = parts
            .next()
            .unwrap_or_default()
            .split(',')
            .filter(|a| !a.is_empty())
            .collect();
        Some((id, requester, approvers))
    }

    /// The job id of an apply.
    pub fn job(&self) -> Option<&str> {
        match self {
            Self::Apply(job) => Some(job),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_round_trip_through_the_header() {
        for p in [
            Purpose::Plan,
            Purpose::Compare,
            Purpose::Lint,
            Purpose::Verify,
            Purpose::Promote,
            Purpose::Scan,
            Purpose::Thaw,
            Purpose::Approval("0123456789abcdef:alice:bob,carol".into()),
            Purpose::Apply("job-00ff".into()),
        ] {
            assert_eq!(Purpose::parse(&p.as_header()), Some(p));
        }
        for bad in ["", "reveal", "apply:", "apply:a b", "PLAN"] {
            assert_eq!(Purpose::parse(bad), None, "{bad}");
        }
    }
}
