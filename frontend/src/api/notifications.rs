//! `/notifications/subscriptions`: subscriptions, "send test", dead letters and "retry".

use super::{delete, empty_response, get, request};
use crypter_api::{ApiError, DeadLetter, DeliveryResult, Subscription, SubscriptionCreate};
use gloo_net::http::Method;
use serde::Deserialize;

const BASE: &str = "/notifications/subscriptions";

pub async fn subscriptions() -> Result<Vec<Subscription>, ApiError> {
    get(BASE).await
}

/// What the console reads of a creation's answer (a `SubscriptionCreated`): the name and
/// the signing secret, which is never shown again. The rest the list shows; reading the
/// flattened whole would add serde's buffering deserializer to the bundle.
#[derive(Clone, Deserialize)]
pub struct Created {
    pub name: String,
    pub secret: String,
}

pub async fn create_subscription(req: SubscriptionCreate) -> Result<Created, ApiError> {
    request(Method::POST, BASE, Some(&req))
        .await?
        .ok_or_else(empty_response)
}

pub async fn delete_subscription(id: String) -> Result<(), ApiError> {
    delete(&format!("{BASE}/{id}")).await
}

/// Send now: a signed sample event (`event` is `None`), or a dead letter again (it leaves
/// the list once delivered). Either way, the receiver's answer.
pub async fn deliver(id: String, event: Option<String>) -> Result<DeliveryResult, ApiError> {
    let path = match event {
        None => format!("{BASE}/{id}/test"),
        Some(event) => format!("{BASE}/{id}/dead-letters/{event}/retry"),
    };
    request::<(), DeliveryResult>(Method::POST, &path, None)
        .await?
        .ok_or_else(empty_response)
}

pub async fn dead_letters(id: String) -> Result<Vec<DeadLetter>, ApiError> {
    get(&format!("{BASE}/{id}/dead-letters")).await
}
