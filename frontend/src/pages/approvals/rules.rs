//! An environment's approval rule: see it, set, change or remove it (a change of an
//! existing rule becomes a request), and the changes that bypassed it.

use super::request_card::rule_text;
use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::time::short_time;
use crypter_api::{ApiError, ApprovalRule, ApprovalRuleSet, BypassedWrites};
use leptos::prelude::*;

/// What the section shows for one environment: the answer to its last save, its rule and
/// its bypassed changes, read after it.
#[derive(Clone)]
struct RuleState {
    saved: Option<Result<api::RuleSaved, ApiError>>,
    rule: Result<ApprovalRule, ApiError>,
    bypassed: Result<BypassedWrites, ApiError>,
}

type RuleAction = Action<(String, Option<ApprovalRuleSet>), RuleState>;

async fn rule_request(env: String, set: Option<ApprovalRuleSet>) -> RuleState {
    let saved = match set {
        Some(set) => Some(api::set_rule(env.clone(), set).await),
        None => None,
    };
    RuleState {
        rule: api::approval_rule(env.clone()).await,
        bypassed: api::bypassed(env).await,
        saved,
    }
}

#[component]
pub fn Rules() -> impl IntoView {
    let envs = Action::new_local(|_: &()| api::environment_names());
    envs.dispatch(());
    let act: RuleAction = Action::new_local(|(env, set): &(String, Option<ApprovalRuleSet>)| {
        rule_request(env.clone(), set.clone())
    });
    let options = move || {
        let names = envs.value().get().and_then(Result::ok).unwrap_or_default();
        names
            .into_iter()
            .map(|e| {
                let n = e.name.as_str().to_owned();
                let v = n.clone();
                view! { <option value=v>{n}</option> }
            })
            .collect_view()
    };
    let error = Signal::derive(move || {
        let s = act.value().get()?;
        s.rule.err().or(s.bypassed.err())
    });
    let body = move || {
        act.value()
            .get()
            .map(|s| match (s.rule.clone(), s.bypassed.clone()) {
                (Ok(rule), Ok(bypassed)) => view! {
                    <RuleForm rule=rule saved=s.saved.clone() act=act />
                    <Bypassed bypassed=bypassed />
                }
                .into_any(),
                _ => ().into_any(),
            })
    };
    view! {
        <section class="card" data-testid="rules" aria-labelledby="rules-title">
            <h2 id="rules-title">"Rules"</h2>
            <label for="rule-env">"Environment"</label>
            <select id="rule-env" data-testid="rule-env"
                on:change=move |ev| { act.dispatch((event_target_value(&ev), None)); }>
                <option value="">"Pick an environment"</option>
                {options}
            </select>
            <ErrorBox error=Signal::derive(move || envs.value().get().and_then(Result::err)) />
            <ErrorBox error=error />
            {body}
        </section>
    }
}

/// The rule as it stands and a form to change it, filled with it.
#[component]
fn RuleForm(
    rule: ApprovalRule,
    saved: Option<Result<api::RuleSaved, ApiError>>,
    act: RuleAction,
) -> impl IntoView {
    let env = rule.environment.clone();
    let required = RwSignal::new(rule.required.to_string());
    let approvers = RwSignal::new(rule.approvers.join(", "));
    let role = RwSignal::new(rule.approver_role.clone().unwrap_or_default());
    let reason = RwSignal::new(String::new());
    let now = match rule.required {
        0 => "No rule: changes here need no approval.".to_owned(),
        n => format!(
            "{n} approval{} needed: {} (set by {} at {}).",
            if n == 1 { "" } else { "s" },
            rule_text(
                rule.required,
                &rule.approvers,
                rule.approver_role.as_deref()
            ),
            rule.set_by.clone().unwrap_or_default(),
            short_time(&rule.set_at.clone().unwrap_or_default()),
        ),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = |s: RwSignal<String>| {
            Some(s.get_untracked().trim().to_owned()).filter(|s| !s.is_empty())
        };
        let set = ApprovalRuleSet {
            required: required.get_untracked().trim().parse().unwrap_or(0),
            approvers: approvers
                .get_untracked()
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect(),
            approver_role: text(role),
            reason: text(reason),
        };
        act.dispatch((env.clone(), Some(set)));
    };
    view! {
        <p data-testid="rule-now">{now}</p>
        <Saved saved=saved />
        <form data-testid="rule-form" aria-label="Approval rule" on:submit=submit>
            <div class="form-grid">
                <div>
                    <label for="rule-required">"Approvals needed (0 removes the rule)"</label>
                    <input id="rule-required" data-testid="rule-required" type="number" min="0" max="3" bind:value=required />
                </div>
                <div>
                    <label for="rule-role">"Or an approver role"</label>
                    <input id="rule-role" data-testid="rule-role" autocomplete="off" bind:value=role />
                </div>
            </div>
            <label for="rule-approvers">"Approvers (user names, comma-separated)"</label>
            <input id="rule-approvers" data-testid="rule-approvers" autocomplete="off" placeholder="ann, bob" bind:value=approvers />
            <label for="rule-reason">"Reason"</label>
            <input id="rule-reason" data-testid="rule-reason" autocomplete="off" bind:value=reason />
            <div class="actions">
                <button type="submit" class="primary" data-testid="rule-save" disabled=move || act.pending().get()>"Save rule"</button>
            </div>
        </form>
    }
}

/// The last save's answer: the rule set, a request opened, or why not.
#[component]
fn Saved(saved: Option<Result<api::RuleSaved, ApiError>>) -> impl IntoView {
    match saved {
        None => ().into_any(),
        Some(Err(e)) => view! { <ErrorBox error=Signal::stored(Some(e)) /> }.into_any(),
        Some(Ok(api::RuleSaved::Set(_))) => {
            view! { <p class="ok" role="status" data-testid="rule-saved">"Rule saved: it applies now."</p> }.into_any()
        }
        Some(Ok(api::RuleSaved::Requested(r))) => view! {
            <p role="status" data-testid="rule-requested">
                "Changing a rule needs approval: it became a request for " {r.required} " approvals. "
                <a href=format!("/requests/{}", r.id) data-testid="rule-request-link">"See the request"</a>
            </p>
        }.into_any(),
    }
}

/// Every change to the environment since its rule was set that no approved request made.
#[component]
fn Bypassed(bypassed: BypassedWrites) -> impl IntoView {
    let rows = bypassed.writes.into_iter().map(|w| view! {
        <tr data-testid="bypass-row">
            <td>{short_time(&w.time)}</td><td>{w.actor}</td><td>{w.action.as_str()}</td><td>{w.target}</td>
        </tr>
    }).collect_view();
    let empty = rows.is_empty();
    view! {
        <h3>"Changes that bypassed the rule"</h3>
        {(!bypassed.feed.connected).then(|| view! { <p class="muted">"No audit log is connected: bypasses cannot be listed."</p> })}
        {if empty { view! { <p class="muted" data-testid="bypass-empty">"None."</p> }.into_any() } else { view! {
            <div class="table-wrap"><table data-testid="bypassed">
                <thead><tr><th>"Time"</th><th>"Actor"</th><th>"Action"</th><th>"Target"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table></div>
        }.into_any() }}
    }
}
