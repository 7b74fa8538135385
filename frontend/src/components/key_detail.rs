//! One key: its versions, rotate (typed confirmation in a protected environment), the
//! minimum decryption version with the count of known ciphertexts it would strand, the
//! ciphertext counts and their scan, and the try-it panel.

use crate::api;
use crate::components::confirm::TypedConfirm;
use crate::components::error_box::ErrorBox;
use crate::components::key_try::KeyTry;
use crate::components::time::short_time;
use crypter_api::{ApiError, CiphertextCount, KeyDetail, KeyUpdate, ScanRequest};
use leptos::prelude::*;

#[component]
pub fn KeyDetailPanel(
    env: String,
    name: String,
    #[prop(into)] protected: Signal<bool>,
    /// Bumped by the page's Refresh (and after every change): the detail loads again.
    #[prop(into)]
    refresh: Signal<u32>,
    on_changed: Callback<()>,
    on_deleted: Callback<()>,
) -> impl IntoView {
    let detail = {
        let (env, name) = (env.clone(), name.clone());
        LocalResource::new(move || {
            refresh.track();
            api::get_key(env.clone(), name.clone())
        })
    };
    // Every change answers the key as it now is: shown at once, before the page's reload.
    let changed = Callback::new(move |d: KeyDetail| {
        detail.set(Some(Ok(d)));
        on_changed.run(());
    });
    let rotate = {
        let (env, name) = (env.clone(), name.clone());
        Action::new_local(move |_: &()| {
            let call = api::rotate_key(env.clone(), name.clone());
            async move {
                changed.try_run(call.await?);
                Ok::<(), ApiError>(())
            }
        })
    };
    let remove = {
        let (env, name) = (env.clone(), name.clone());
        Action::new_local(move |_: &()| {
            let call = api::delete_key(env.clone(), name.clone());
            async move {
                call.await?;
                on_deleted.try_run(());
                Ok::<(), ApiError>(())
            }
        })
    };
    let error = Signal::derive(move || {
        rotate
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| remove.value().get().and_then(Result::err))
            .or_else(|| detail.get().and_then(Result::err))
    });
    let env_sig = Signal::derive({
        let env = env.clone();
        move || env.clone()
    });
    let title = format!("{env} / {name}");
    view! {
        <section class="card" data-testid="key-detail" aria-label=title.clone()>
            <h2>{title.clone()}</h2>
            <ErrorBox error=error />
            {move || detail.get().and_then(Result::ok).map(|d| view! { <KeyFacts detail=d /> })}
            <div class="row">
                <TypedConfirm env=env_sig protected=protected label="Rotate" testid="key-rotate"
                    on_confirm=Callback::new(move |()| { rotate.dispatch(()); })
                    disabled=Signal::derive(move || rotate.pending().get()) />
                {move || detail.get().and_then(Result::ok).filter(|d| d.key.deletion_allowed).map(|_| view! {
                    <TypedConfirm env=env_sig protected=protected label="Delete key" testid="key-delete"
                        on_confirm=Callback::new(move |()| { remove.dispatch(()); }) />
                })}
            </div>
            {move || detail.get().and_then(Result::ok).map(|d| view! {
                <MinVersion env=env.clone() name=name.clone() detail=d protected=protected on_changed=changed
                    reload=Callback::new(move |()| detail.refetch()) />
            })}
            {move || detail.get().and_then(Result::ok).map(|d| view! {
                <KeyTry env=d.key.environment.to_string() name=d.key.name.to_string() key_type=d.key.key_type />
            })}
        </section>
    }
}

/// What the key is: its type, versions, rotation and owner.
#[component]
fn KeyFacts(detail: KeyDetail) -> impl IntoView {
    let k = detail.key.clone();
    view! {
        <dl class="facts">
            <dt>"Type"</dt><dd data-testid="key-detail-type">{k.key_type.as_str()}</dd>
            <dt>"Latest version"</dt><dd data-testid="key-detail-latest">{format!("v{}", k.latest_version)}</dd>
            <dt>"Decrypts down to"</dt><dd data-testid="key-detail-min-decrypt">{format!("v{}", k.min_decryption_version)}</dd>
            <dt>"Last rotated"</dt><dd>{short_time(&k.last_rotated)}</dd>
            <dt>"Rotation"</dt><dd data-testid="key-detail-rotation">{if k.rotation_due { "due" } else { "up to date" }}</dd>
            <dt>"Owner"</dt><dd>{k.owner.clone().unwrap_or_else(|| "—".into())}</dd>
        </dl>
        <h3>"Versions"</h3>
        <ul data-testid="key-versions">
            {detail.versions.iter().rev().map(|v| view! {
                <li>{format!("v{} — made {}", v.version, short_time(&v.created))}</li>
            }).collect_view()}
        </ul>
    }
}

/// The minimum decryption version, with how many known ciphertexts a raise strands; and
/// the explicit scan that counts them (values read once, never shown).
#[component]
fn MinVersion(
    env: String,
    name: String,
    detail: KeyDetail,
    #[prop(into)] protected: Signal<bool>,
    on_changed: Callback<KeyDetail>,
    reload: Callback<()>,
) -> impl IntoView {
    let latest = detail.key.latest_version;
    let wanted = RwSignal::new(detail.key.min_decryption_version.to_string());
    let counted = !detail.ciphertexts.is_empty();
    let for_warning = detail.clone();
    let warning = move || match wanted.get().trim().parse::<u64>() {
        Ok(v) if v >= 1 && v <= latest => {
            let n = for_warning.ciphertexts_below(v);
            if !counted {
                "No ciphertexts counted yet: scan them first to know what a raise would strand."
                    .to_owned()
            } else {
                format!("{n} known ciphertext(s) would become undecryptable at v{v}.")
            }
        }
        _ => format!("Give a version from 1 to {latest}."),
    };
    let set = {
        let (env, name) = (env.clone(), name.clone());
        Action::new_local(move |v: &u64| {
            let req = KeyUpdate {
                min_decryption_version: Some(*v),
                ..KeyUpdate::default()
            };
            let call = api::update_key(env.clone(), name.clone(), req);
            async move {
                on_changed.try_run(call.await?);
                Ok::<(), ApiError>(())
            }
        })
    };
    let env_sig = Signal::derive({
        let env = env.clone();
        move || env.clone()
    });
    let scan = Action::new_local(move |req: &ScanRequest| {
        let call = api::scan_key(env.clone(), name.clone(), req.clone());
        async move {
            call.await?;
            reload.try_run(());
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || {
        set.value()
            .get()
            .and_then(Result::err)
            .or_else(|| scan.value().get().and_then(Result::err))
    });
    view! {
        <div class="subsection" data-testid="key-min-version">
            <h3>"Minimum decryption version"</h3>
            <label for="key-min-input">"Decrypt down to version"</label>
            <input id="key-min-input" data-testid="key-min-input" type="number" min="1" max=latest bind:value=wanted />
            <p class="warn-text" data-testid="key-min-warning" aria-live="polite">{warning}</p>
            <TypedConfirm env=env_sig protected=protected label="Set minimum" testid="key-min-set"
                disabled=Signal::derive(move || set.pending().get())
                on_confirm=Callback::new(move |()| if let Ok(v) = wanted.get_untracked().trim().parse::<u64>() { set.dispatch(v); }) />
            <Ciphertexts places=detail.ciphertexts scan=scan />
            <ErrorBox error=error />
        </div>
    }
}

/// The known ciphertexts per key version, and the form that scans for them.
#[component]
fn Ciphertexts(
    places: Vec<CiphertextCount>,
    scan: Action<ScanRequest, Result<(), ApiError>>,
) -> impl IntoView {
    let prefix = RwSignal::new(String::new());
    let field = RwSignal::new(String::new());
    view! {
        <h3>"Known ciphertexts"</h3>
        <p class="muted">"Counted per key version by a scan or a rewrap; the lint reads these counts, never the values."</p>
        <ul data-testid="key-ciphertexts">
            {places.into_iter().map(|c| {
                let per: Vec<String> = c.by_version.iter().map(|(v, n)| format!("v{v}: {n}")).collect();
                view! { <li>{format!("{}* field {} — {} ({} by {}, {})", c.prefix, c.field, per.join(", "), c.source, c.by, short_time(&c.at))}</li> }
            }).collect_view()}
        </ul>
        <form class="form-grid" data-testid="key-scan" on:submit=move |ev| {
            ev.prevent_default();
            scan.dispatch(ScanRequest { prefix: prefix.get_untracked(), field: field.get_untracked() });
        }>
            <div><label for="key-scan-prefix">"Credential prefix"</label>
                <input id="key-scan-prefix" data-testid="key-scan-prefix" placeholder="cards/" bind:value=prefix /></div>
            <div><label for="key-scan-field">"Field"</label>
                <input id="key-scan-field" data-testid="key-scan-field" placeholder="pan" required bind:value=field /></div>
            <div><button type="submit" data-testid="key-scan-submit" disabled=move || scan.pending().get()>"Scan ciphertexts"</button></div>
        </form>
    }
}
