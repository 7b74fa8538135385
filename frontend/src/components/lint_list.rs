use crypter_api::{LintFinding, Severity};
use leptos::prelude::*;

/// Lint findings as a list; `env` keeps only one environment's.
#[component]
pub fn LintList(
    #[prop(into)] findings: Signal<Vec<LintFinding>>,
    #[prop(optional, into)] env: Option<Signal<String>>,
) -> impl IntoView {
    let shown = move || {
        let only = env.map(|e| e.get());
        findings
            .get()
            .into_iter()
            .filter(|f| {
                only.as_ref()
                    .is_none_or(|e| f.environment.as_ref() == Some(e))
            })
            .collect::<Vec<_>>()
    };
    view! {
        <Show when=move || !shown().is_empty()
            fallback=|| view! { <p class="muted" data-testid="lint-clean">"No findings."</p> }>
            <ul class="findings" data-testid="lint-findings">
                {move || shown().into_iter().map(|f| {
                    let sev = match f.severity {
                        Severity::Error => "badge bad",
                        Severity::Warning => "badge warn",
                        Severity::Info => "badge",
                    };
                    let place = format!(
                        "{}/{}",
                        f.environment.clone().unwrap_or_default(),
                        f.path.clone().unwrap_or_default()
                    );
                    view! {
                        <li data-testid="lint-finding" data-rule=f.rule.clone()>
                            <span class=sev>{f.rule.clone()}</span>
                            " "<code>{place}</code>": "{f.message.clone()}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Show>
    }
}
