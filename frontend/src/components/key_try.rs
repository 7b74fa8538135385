//! Try a key: the text typed here goes to OpenBao's transit engine and back through
//! Crypter, which neither logs nor keeps it.

use crate::api;
use crate::components::error_box::ErrorBox;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypter_api::{KeyOperation, KeyRequest, KeyResult, KeyType};
use leptos::prelude::*;

/// The request for `op` from the typed text (and, for verify, the signature or HMAC).
fn request(op: KeyOperation, key_type: KeyType, text: &str, signature: &str) -> KeyRequest {
    let b64 = Some(STANDARD.encode(text));
    let mut req = KeyRequest::default();
    match op {
        KeyOperation::Encrypt => req.plaintext = b64,
        KeyOperation::Decrypt | KeyOperation::Rewrap => req.ciphertext = Some(text.trim().into()),
        KeyOperation::Sign | KeyOperation::Hmac => req.input = b64,
        KeyOperation::Verify => {
            req.input = b64;
            let mac = Some(signature.trim().into());
            if key_type == KeyType::Hmac {
                req.hmac = mac;
            } else {
                req.signature = mac;
            }
        }
    }
    req
}

/// What to show of an answer: the decrypted text, or OpenBao's text.
fn shown(r: &KeyResult) -> String {
    if let Some(p) = &r.plaintext {
        return STANDARD
            .decode(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|_| p.clone());
    }
    if let Some(valid) = r.valid {
        return if valid { "valid" } else { "not valid" }.into();
    }
    [&r.ciphertext, &r.signature, &r.hmac]
        .into_iter()
        .flatten()
        .next()
        .cloned()
        .unwrap_or_default()
}

#[component]
pub fn KeyTry(env: String, name: String, key_type: KeyType) -> impl IntoView {
    let ops: Vec<KeyOperation> = KeyOperation::ALL
        .iter()
        .copied()
        .filter(|op| key_type.supports(*op))
        .collect();
    let op = RwSignal::new(ops.first().copied().unwrap_or(KeyOperation::Hmac));
    let text = RwSignal::new(String::new());
    let signature = RwSignal::new(String::new());
    let run = Action::new_local(move |(op, req): &(KeyOperation, KeyRequest)| {
        api::key_operation(env.clone(), name.clone(), *op, req.clone())
    });
    let error = Signal::derive(move || run.value().get().and_then(Result::err));
    let input_label = move || match op.get() {
        KeyOperation::Decrypt | KeyOperation::Rewrap => "Ciphertext (vault:v1:…)",
        KeyOperation::Encrypt => "Plaintext",
        _ => "Input",
    };
    view! {
        <form class="subsection" data-testid="key-try" on:submit=move |ev| {
            ev.prevent_default();
            let o = op.get_untracked();
            run.dispatch((o, request(o, key_type, &text.get_untracked(), &signature.get_untracked())));
        }>
            <h3>"Try it"</h3>
            <p class="muted">"What you type goes to OpenBao and back; Crypter keeps no copy and logs none."</p>
            <div class="form-grid">
                <div>
                    <label for="key-try-op">"Operation"</label>
                    <select id="key-try-op" data-testid="key-try-op" prop:value=move || op.get().as_str()
                        on:change=move |ev| if let Some(o) = KeyOperation::parse(&event_target_value(&ev)) { op.set(o) }>
                        {ops.iter().map(|o| view! { <option value=o.as_str()>{o.as_str()}</option> }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="key-try-input">{input_label}</label>
                    <input id="key-try-input" data-testid="key-try-input" autocomplete="off" bind:value=text />
                </div>
                <Show when=move || op.get() == KeyOperation::Verify>
                    <div>
                        <label for="key-try-signature">"Signature or HMAC (vault:v1:…)"</label>
                        <input id="key-try-signature" data-testid="key-try-signature" autocomplete="off" bind:value=signature />
                    </div>
                </Show>
            </div>
            <button type="submit" data-testid="key-try-submit" disabled=move || run.pending().get()>"Run"</button>
            <ErrorBox error=error />
            {move || run.value().get().and_then(Result::ok).map(|r| view! {
                <p>"Result" {r.key_version.map(|v| format!(" (key v{v})"))} ": "
                    <code style:overflow-wrap="anywhere" data-testid="key-try-result">{shown(&r)}</code></p>
            })}
        </form>
    }
}
