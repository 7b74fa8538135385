use super::confirm::TypedConfirm;
use super::error_box::ErrorBox;
use crate::api;
use crypter_api::{
    ApiError, CompareEntry, Comparison, CredentialPath, CredentialWritten, EnvName, Environment,
    PromoteRequest,
};
use leptos::prelude::*;

/// Two environments side by side: which paths each holds and whether the values are equal
/// (hashes compared on the server). Promote copies a path from left to right.
#[component]
pub fn CompareView(#[prop(into)] envs: Signal<Vec<Environment>>) -> impl IntoView {
    let left = RwSignal::new(String::new());
    let right = RwSignal::new(String::new());
    let prefix = RwSignal::new(String::new());
    // The comparison last asked for; it is read again after each promote.
    let asked = RwSignal::new(None::<(String, String, String)>);
    let comparison = LocalResource::new(move || {
        let asked = asked.get();
        async move {
            match asked {
                Some((l, r, p)) => Some(api::compare(l, r, p).await),
                None => None,
            }
        }
    });
    let promote = Action::new_local(move |req: &PromoteRequest| {
        let call = api::promote(req.clone());
        async move {
            let written = call.await;
            if written.is_ok() {
                comparison.refetch();
            }
            written
        }
    });
    let error = Signal::derive(move || {
        promote
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| comparison.get().flatten().and_then(Result::err))
    });
    let picker = move |id: &'static str, sig: RwSignal<String>, text: &'static str| {
        view! {
            <div>
                <label for=id>{text}</label>
                <select id=id data-testid=id prop:value=move || sig.get()
                    on:change=move |ev| sig.set(event_target_value(&ev))>
                    <option value="" disabled=true>"Pick an environment"</option>
                    {move || envs.get().into_iter().map(|e| view! { <option value=e.name.to_string()>{e.name.to_string()}</option> }).collect_view()}
                </select>
            </div>
        }
    };
    view! {
        <section class="card" data-testid="compare" aria-labelledby="compare-title">
            <h2 id="compare-title">"Compare and promote"</h2>
            <form class="filters" on:submit=move |ev| {
                ev.prevent_default();
                asked.set(Some((left.get_untracked(), right.get_untracked(), prefix.get_untracked())));
            }>
                {picker("compare-left", left, "Left")}
                {picker("compare-right", right, "Right")}
                <div>
                    <label for="compare-prefix">"Prefix"</label>
                    <input id="compare-prefix" data-testid="compare-prefix" bind:value=prefix />
                </div>
                <div><button type="submit" class="primary" data-testid="compare-run"
                    disabled=move || left.get().is_empty() || right.get().is_empty()>"Compare"</button></div>
            </form>
            <ErrorBox error=error />
            {move || comparison.get().flatten().and_then(Result::ok).map(|c: Comparison| {
                let (l, r) = (c.left.clone(), c.right.clone());
                view! {
                    <table class="compare-table" data-testid="compare-table">
                        <caption class="sr-only">"Comparison"</caption>
                        <thead><tr><th>"Path"</th><th>{l.clone()}</th><th>{r.clone()}</th><th>"Values"</th><th><span class="sr-only">"Action"</span></th></tr></thead>
                        <tbody>
                            {c.entries.into_iter().map(|e: CompareEntry| view! {
                                <CompareRow entry=e left=l.clone() right=r.clone() envs=envs promote=promote />
                            }).collect_view()}
                        </tbody>
                    </table>
                }
            })}
        </section>
    }
}

/// One path of a comparison; promote copies it from left to right where it is missing or
/// different there.
#[component]
fn CompareRow(
    entry: CompareEntry,
    left: String,
    right: String,
    envs: Signal<Vec<Environment>>,
    promote: Action<PromoteRequest, Result<CredentialWritten, ApiError>>,
) -> impl IntoView {
    let e = entry;
    let mark = |b: bool| if b { "present" } else { "missing" };
    let equal = match e.equal {
        Some(true) => "equal",
        Some(false) => "different",
        None => "-",
    };
    // A path made behind Crypter's back may break the path rule: no promote for it.
    let req = match (
        EnvName::parse(&left),
        EnvName::parse(&right),
        CredentialPath::parse(&e.path),
    ) {
        (Ok(from), Ok(to), Ok(path)) => Some(PromoteRequest {
            from,
            to,
            path,
            overwrite: e.in_right,
        }),
        _ => None,
    };
    let can = e.in_left && e.equal != Some(true);
    // Overwriting in a protected environment needs its name typed.
    let overwrite = e.in_right;
    let right_protected = envs.with_untracked(|l| l.iter().any(|x| x.name == right && x.protected));
    view! {
        <tr data-testid="compare-row" data-path=e.path.clone()>
            <td><code>{e.path.clone()}</code></td>
            <td>{mark(e.in_left)}</td>
            <td>{mark(e.in_right)}</td>
            <td data-testid="compare-equal">{equal}</td>
            <td>{req.filter(|_| can).map(|req| if overwrite {
                view! {
                    <TypedConfirm env=right.clone() protected=right_protected
                        label="Promote (overwrite)" testid="promote"
                        on_confirm=Callback::new(move |_| { promote.dispatch(req.clone()); }) />
                }.into_any()
            } else {
                view! {
                    <button type="button" data-testid="promote" on:click=move |_| { promote.dispatch(req.clone()); }>"Promote"</button>
                }.into_any()
            })}</td>
        </tr>
    }
}
