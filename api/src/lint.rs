use serde::{Deserialize, Serialize};

/// One finding of the environment lint (`GET /api/v1/lint`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LintFinding {
    /// `environment-mismatch`, `missing-metadata`, `shared-value`,
    /// `unexpected-in-protected`, `rotation-overdue`, `expired`, `expires-soon`,
    /// `dangling-grant`, `policy-drift`,
    /// `key-rotation-overdue`, `undecryptable-ciphertext` or `ciphertext-behind-latest`.
    pub rule: String,
    pub severity: Severity,
    /// The environment the finding is about, when it is about one.
    pub environment: Option<String>,
    /// The credential path, role, policy or key (`key <name>`) the finding is about.
    pub path: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}
