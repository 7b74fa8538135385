use reqwest::StatusCode;

/// What went wrong talking to OpenBao. Messages carry OpenBao's own error strings and the
/// path, never a token or a secret value (OpenBao does not echo request bodies). Clone:
/// one answer shared by identical requests in flight (see [`super::flight`]) reaches each.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BaoError {
    /// `unsent`: the request never reached the node (the connection was refused), so
    /// OpenBao cannot have acted on it.
    #[error("OpenBao at {addr} is unreachable: {reason}")]
    Unreachable {
        addr: String,
        reason: String,
        unsent: bool,
    },
    /// A standby sent the request on to `location` (the node it believes active).
    #[error("OpenBao redirected the request to {path} to the active node")]
    Redirected { path: String, location: String },
    /// This instance cannot reach a majority of the store's nodes (its data center is cut
    /// off), so no leader can take a write from here. `sent`: the request was already on
    /// its way when the cut was seen, so it may or may not have been applied.
    #[error("{} cannot reach the store's leader since {}; {}", datacenter.as_deref().unwrap_or("this instance"), crate::bao::freshness::clock_time(*since), if *sent { "the change may or may not have been applied: read it back before trying again" } else { "changes are refused here, and nothing was changed" })]
    LeaderUnreachable {
        datacenter: Option<String>,
        since: std::time::SystemTime,
        sent: bool,
    },
    /// No node became active within the request's deadline.
    #[error("the store is electing a leader; retry in a few seconds")]
    Electing,
    /// OpenBao did not answer in time: the request waited longer than its deadline for
    /// its turn (`sent`: false, see [`super::Limits`]) or for the answer (`sent`: true).
    /// `write`: a change that was sent, so it may or may not have been applied.
    #[error("OpenBao did not answer the request to {path} in time ({}); {}", if *.sent { "no answer within the deadline" } else { "too many requests were waiting" }, if *.sent && *.write { "the change may or may not have been applied: read it back before trying again" } else { "nothing was changed" })]
    Busy {
        path: String,
        sent: bool,
        write: bool,
    },
    #[error("OpenBao is sealed; unseal it before using Crypter")]
    Sealed,
    #[error("OpenBao denied access to {path}: {message}")]
    Forbidden { path: String, message: String },
    /// 404: nothing at the path, or (with OpenBao's "no handler for route") no mount.
    #[error("{path} was not found in OpenBao")]
    NotFound { path: String, message: String },
    #[error("OpenBao rejected the request to {path} ({status}): {message}")]
    Rejected {
        path: String,
        status: u16,
        message: String,
    },
    #[error("unexpected answer from OpenBao: {0}")]
    Decode(String),
    #[error("{0}")]
    Config(String),
}

/// What OpenBao's KV v2 engine answers while it upgrades a new mount (on the active node,
/// and on a standby waiting for it), word for word.
pub const UPGRADING_MESSAGES: &[&str] = &[
    "Upgrading from non-versioned to versioned data. This backend will be unavailable for a \
     brief period and will resume service shortly.",
    "Waiting for the primary to upgrade from non-versioned to versioned data. This backend \
     will be unavailable for a brief period and will resume service when the primary is \
     finished.",
];

impl BaoError {
    pub(super) fn from_status(status: StatusCode, path: &str, body: &[u8]) -> Self {
        let message = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                v.get("errors").and_then(|e| e.as_array()).map(|errs| {
                    // OpenBao lists several causes over lines ("1 error occurred:\n\t* …"):
                    // one line each, so a log line stays one line.
                    errs.iter()
                        .filter_map(|e| e.as_str())
                        .map(|e| e.split_whitespace().collect::<Vec<_>>().join(" "))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
            })
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
        let path = path.to_owned();
        match status {
            StatusCode::FORBIDDEN => Self::Forbidden { path, message },
            StatusCode::NOT_FOUND => Self::NotFound { path, message },
            StatusCode::SERVICE_UNAVAILABLE if message.contains("sealed") => Self::Sealed,
            _ => Self::Rejected {
                path,
                status: status.as_u16(),
                message,
            },
        }
    }

    /// The node could not serve this request, but another node may: it is down, sealed,
    /// or has no active node to forward to (during a leader election).
    pub(super) fn is_node_failure(&self) -> bool {
        match self {
            // A node that does not answer in time may be hung: another may serve (a
            // request still waiting for its turn never reaches this check).
            Self::Unreachable { .. }
            | Self::Sealed
            | Self::Redirected { .. }
            | Self::Busy { sent: true, .. } => true,
            Self::Rejected {
                status, message, ..
            } => {
                matches!(status, 307 | 502 | 503 | 504)
                    || (*status == 500
                        && ["active", "leader", "forward"]
                            .iter()
                            .any(|w| message.contains(w)))
            }
            _ => false,
        }
    }

    /// A new KV v2 mount is still upgrading its storage; it answers normally soon.
    /// Recognised by OpenBao's own words only (see [`UPGRADING_MESSAGES`]).
    pub(super) fn is_kv_upgrading(&self) -> bool {
        matches!(self, Self::Rejected { message, .. }
            if UPGRADING_MESSAGES.iter().any(|m| message == m))
    }

    /// The node itself is down (as opposed to waiting for a leader).
    pub(super) fn node_is_down(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. } | Self::Sealed | Self::Busy { sent: true, .. }
        )
    }

    /// OpenBao refused the request without acting on it: it never reached the node, the
    /// node is sealed, or a standby turned it away (redirect, no active node).
    pub(super) fn unsent(&self) -> bool {
        match self {
            Self::Unreachable { unsent, .. } => *unsent,
            Self::Busy { sent, .. } => !*sent,
            Self::Sealed | Self::Redirected { .. } => true,
            Self::Rejected {
                status, message, ..
            } => {
                matches!(status, 307 | 503)
                    || (*status == 500
                        && ["active", "leader", "forward"]
                            .iter()
                            .any(|w| message.contains(w)))
            }
            _ => false,
        }
    }

    /// Where a standby redirected the request.
    pub(super) fn redirect(&self) -> Option<&str> {
        match self {
            Self::Redirected { location, .. } => Some(location),
            _ => None,
        }
    }

    /// The OpenBao path the request went to, when the error names one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Forbidden { path, .. }
            | Self::NotFound { path, .. }
            | Self::Rejected { path, .. }
            | Self::Redirected { path, .. }
            | Self::Busy { path, .. } => Some(path),
            _ => None,
        }
    }

    /// What the request was about, in Crypter's words (see [`super::concept`]).
    pub fn subject(&self) -> Option<String> {
        self.path()
            .filter(|p| !p.is_empty())
            .map(super::concept::describe)
    }

    /// The HTTP status OpenBao answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Forbidden { .. } => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::Sealed | Self::Electing | Self::LeaderUnreachable { .. } => Some(503),
            Self::Redirected { .. } => Some(307),
            Self::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }
}
