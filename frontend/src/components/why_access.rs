//! "Why can I do this?": for one credential, the chain OpenBao answers with, from the
//! provider group through OpenBao's group, the policy and the role's grants to the
//! capabilities; and what OpenBao allows there with every policy together.

use crate::api;
use crate::components::error_box::ErrorBox;
use crypter_api::{WhyAnswer, WhyLink, WhyRequest, WhySource};
use leptos::prelude::*;

fn words(list: &[String]) -> String {
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

/// The steps of one link, in order, each a short phrase.
fn steps(link: &WhyLink) -> Vec<String> {
    let mut out = match &link.source {
        WhySource::Group {
            openbao_group,
            provider_group,
        } => {
            let mut s: Vec<String> = provider_group
                .iter()
                .map(|g| format!("provider group {g}"))
                .collect();
            s.push(format!("OpenBao group {openbao_group}"));
            s
        }
        WhySource::Entity => vec!["the identity itself".to_owned()],
        WhySource::Token => vec!["the login's own token policies".to_owned()],
    };
    out.push(format!("policy {}", link.policy));
    if let Some(role) = &link.role {
        out.push(format!("role {role}"));
        out.push(format!("grants: {}", words(&link.grants)));
    }
    out.push(match &link.capabilities {
        Some(c) => format!("capabilities: {}", words(c)),
        None => "capabilities: not probed (a built-in policy)".to_owned(),
    });
    out
}

#[component]
pub fn WhyAccess() -> impl IntoView {
    let env = RwSignal::new(String::new());
    let path = RwSignal::new(String::new());
    let user = RwSignal::new(String::new());
    let method = RwSignal::new("userpass".to_owned());
    let ask = Action::new_local(|q: &WhyRequest| api::why_access(q.clone()));
    let error = Signal::derive(move || ask.value().get().and_then(Result::err));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let who = user.get_untracked().trim().to_owned();
        let someone_else = !who.is_empty();
        ask.dispatch(WhyRequest {
            env: env.get_untracked().trim().to_owned(),
            path: path.get_untracked().trim().to_owned(),
            method: someone_else.then(|| method.get_untracked()),
            user: someone_else.then_some(who),
        });
    };
    view! {
        <section class="card" data-testid="why" aria-labelledby="why-title">
            <h2 id="why-title">"Why can I do this?"</h2>
            <p class="muted">"Ask OpenBao which groups, policies and grants give access to one credential."</p>
            <form data-testid="why-form" aria-label="Why can I do this?" on:submit=submit>
                <div class="form-grid">
                    <div>
                        <label for="why-env">"Environment"</label>
                        <input id="why-env" data-testid="why-env" required autocomplete="off" bind:value=env />
                    </div>
                    <div>
                        <label for="why-path">"Credential path"</label>
                        <input id="why-path" data-testid="why-path" required autocomplete="off"
                            placeholder="db/password" bind:value=path />
                    </div>
                </div>
                <details>
                    <summary>"Someone else (admins)"</summary>
                    <div class="form-grid">
                        <div>
                            <label for="why-user">"User (empty: yourself)"</label>
                            <input id="why-user" data-testid="why-user" autocomplete="off" bind:value=user />
                        </div>
                        <div>
                            <label for="why-method">"Their login method"</label>
                            <select id="why-method" data-testid="why-method" bind:value=method>
                                <option value="userpass">"Username and password"</option>
                                <option value="oidc">"Single sign-on"</option>
                            </select>
                        </div>
                    </div>
                </details>
                <ErrorBox error=error />
                <button type="submit" class="primary" data-testid="why-submit" disabled=move || ask.pending().get()>
                    {move || if ask.pending().get() { "Asking OpenBao…" } else { "Explain" }}
                </button>
            </form>
            {move || ask.value().get().and_then(Result::ok).map(|answer| view! { <WhyResult answer /> })}
        </section>
    }
}

#[component]
fn WhyResult(answer: WhyAnswer) -> impl IntoView {
    let allowed = answer.capabilities.iter().any(|c| c != "deny");
    let none = answer.links.is_empty();
    let links = answer.links.into_iter().map(|link| {
        let chain = steps(&link).join(" → ");
        view! { <li data-testid="why-link">{chain}</li> }
    });
    view! {
        <div class="subsection" data-testid="why-result">
            <p>
                {format!("OpenBao allows {} on ", answer.user)}<code>{answer.path}</code>": "
                <span class=if allowed { "badge ok" } else { "badge bad" } data-testid="why-capabilities">
                    {words(&answer.capabilities)}
                </span>
            </p>
            {none.then(|| view! { <p class="muted">"No policy of theirs names this path."</p> })}
            <ol class="why-chain">{links.collect_view()}</ol>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::RoleName;

    #[test]
    fn a_group_link_reads_from_provider_group_to_capabilities() {
        let link = WhyLink {
            source: WhySource::Group {
                openbao_group: "crypter-sso-devs".into(),
                provider_group: Some("devs".into()),
            },
            policy: "crypter-role-dev".into(),
            role: Some(RoleName::parse("dev").unwrap()),
            grants: vec!["qa: read".into()],
            capabilities: Some(vec!["read".into(), "list".into()]),
        };
        assert_eq!(
            steps(&link).join(" → "),
            "provider group devs → OpenBao group crypter-sso-devs → policy crypter-role-dev \
             → role dev → grants: qa: read → capabilities: read, list"
        );
        let builtin = WhyLink {
            source: WhySource::Token,
            policy: "default".into(),
            role: None,
            grants: vec![],
            capabilities: None,
        };
        assert_eq!(
            steps(&builtin).join(" → "),
            "the login's own token policies → policy default → capabilities: not probed (a built-in policy)"
        );
    }
}
