//! Notifications: subscriptions to the activity feed's events, delivered to webhooks and
//! Slack at least once, in order per subscription, never with a value.

use crate::changeset::wire_enum;
use crate::ActivityAction;
use serde::{Deserialize, Serialize};
use std::fmt;

wire_enum!(
    /// Where a subscription delivers: a generic webhook (the JSON payload) or a Slack
    /// incoming webhook (`{"text": …}`). Both are signed the same way.
    TargetKind {
        Webhook => "webhook",
        Slack => "slack",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationTarget {
    pub kind: TargetKind,
    /// `https://…`; plain `http://` only to a loopback address.
    pub url: String,
}

/// `POST /api/v1/notifications/subscriptions`. Actions are the activity feed's names
/// (`credential.write`, …); an unknown one is a 400 that lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubscriptionCreate {
    pub name: String,
    pub target: NotificationTarget,
    /// Empty: every environment (and events outside any environment).
    #[serde(default)]
    pub environments: Vec<String>,
    /// Only events whose path starts with this (the credential's path inside its environment).
    #[serde(default)]
    pub path_prefix: String,
    pub actions: Vec<String>,
}

/// A subscription as stored and shown. Its signing secret is never shown again after
/// creation: the store keeps it sealed with the backend's own transit key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: String,
    pub name: String,
    pub target: NotificationTarget,
    pub environments: Vec<String>,
    pub path_prefix: String,
    pub actions: Vec<ActivityAction>,
    /// RFC 3339; only events after this are delivered.
    pub created_at: String,
    /// Who made it (the session's user name).
    pub created_by: String,
}

/// The answer to a creation: the subscription and its signing secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionCreated {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// HMAC-SHA256 key (its UTF-8 bytes as given) of `X-Crypter-Signature`.
    pub secret: String,
}

/// What a webhook receives: who, what, where, when, never a value, a token or a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationPayload {
    /// The event's id (OpenBao's request id): drop a duplicate delivery by it.
    pub id: String,
    pub action: ActivityAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The credential's path inside its environment, or what else the action touched.
    pub path: String,
    pub actor: String,
    /// A product event's detail: a reminder's `14d`, `3d` or `0d` (days before `expires`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// RFC 3339, as OpenBao audited it.
    pub at: String,
    /// Into the console, relative to its address.
    pub link: String,
    pub subscription: String,
    /// Set on a "send test" delivery only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
}

/// An event whose every delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadLetter {
    pub payload: NotificationPayload,
    pub attempts: u32,
    pub last_error: String,
    pub failed_at: String,
}

/// The receiver's answer to one delivery ("send test", or a dead letter's retry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryResult {
    pub delivered: bool,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// The start of its answer (at most 512 bytes), or why there was none.
    pub detail: String,
    pub millis: u64,
}
