//! One request in the inbox: what it changes, who asked and why, the votes, the outcome,
//! and the buttons to vote on it or carry it out.

use super::{Ask, InboxAction};
use crate::components::error_box::ErrorBox;
use crate::components::time::short_time;
use crypter_api::{ApprovalRequest, ApprovalRuleSet, RequestState, RequestedChange, Vote};
use leptos::prelude::*;

/// The badge class of a state: what needs attention, what went through, what did not.
fn state_class(s: RequestState) -> &'static str {
    match s {
        RequestState::Pending => "badge warn",
        RequestState::Approved => "badge info",
        RequestState::Applied => "badge ok",
        _ => "badge bad",
    }
}

/// A rule as people read it: `2 of ann, bob`, `1 of role release-approvers`.
pub fn rule_text(required: u8, approvers: &[String], role: Option<&str>) -> String {
    if required == 0 {
        return "no rule".into();
    }
    match role {
        Some(role) => format!("{required} of role {role}"),
        None => format!("{required} of {}", approvers.join(", ")),
    }
}

fn rule_set_text(r: &ApprovalRuleSet) -> String {
    match r.required {
        0 => "remove the rule".into(),
        _ => format!(
            "rule: {}",
            rule_text(r.required, &r.approvers, r.approver_role.as_deref())
        ),
    }
}

/// What the change touches: a path, a key, a role or the rule.
fn target(c: &RequestedChange) -> String {
    // Kinds added to the API later are shown by their label until they get their own words.
    #[allow(unreachable_patterns)]
    match c {
        RequestedChange::CredentialWrite { path, fields } => {
            format!("{path} (keys {})", fields.keys.join(", "))
        }
        RequestedChange::CredentialDelete { path } => path.clone(),
        RequestedChange::CredentialDestroy { path, versions } => {
            let v: Vec<String> = versions.iter().map(|v| format!("v{v}")).collect();
            format!("{path} ({})", v.join(", "))
        }
        RequestedChange::CredentialRollback { path, version } => {
            format!("{path} back to v{version}")
        }
        RequestedChange::KeyRotate { key } => format!("key {key}"),
        RequestedChange::KeyConfigure { key, .. } => format!("key {key} (its configuration)"),
        RequestedChange::RoleGrant { role, create } => {
            format!(
                "role {} ({})",
                role.name.as_str(),
                if *create { "new" } else { "changed" }
            )
        }
        RequestedChange::RuleChange { rule } => rule_set_text(rule),
        other => other.label().to_owned(),
    }
}

#[component]
pub fn RequestCard(req: ApprovalRequest, inbox: InboxAction, me: String) -> impl IntoView {
    let id = req.id.clone();
    let error = Signal::derive(move || {
        let (at, result) = inbox.value().get()?.acted?;
        (at == id).then_some(result).and_then(Result::err)
    });
    let own = req.requested_by == me;
    let carry = req.state == RequestState::Approved && req.change.needs_admin();
    let pending = req.state == RequestState::Pending;
    let heading = format!("{} in {}", req.change.label(), req.environment);
    let label = heading.clone();
    view! {
        <article class="card request" data-testid="request" data-id=req.id.clone()
            data-state=req.state.as_str() aria-label=label>
            <div class="page-head">
                <h3><a href=format!("/requests/{}", req.id)>{heading}</a></h3>
                <span class=state_class(req.state) data-testid="request-state">{req.state.as_str()}</span>
            </div>
            <Facts req=req.clone() own=own />
            <Votes votes=req.votes.clone() />
            {req.outcome.clone().map(|o| view! { <p data-testid="request-outcome"><strong>"Outcome: "</strong>{o}</p> })}
            <ErrorBox error=error />
            {pending.then(|| view! { <VoteForm id=req.id.clone() inbox=inbox /> })}
            {carry.then(|| {
                let id = req.id.clone();
                view! {
                    <div class="actions">
                        <button type="button" class="primary" data-testid="request-carry"
                            on:click=move |_| { inbox.dispatch(Ask::Carry(id.clone())); }>"Carry out"</button>
                    </div>
                }
            })}
        </article>
    }
}

#[component]
fn Facts(req: ApprovalRequest, own: bool) -> impl IntoView {
    let by = if own {
        format!("{} (you)", req.requested_by)
    } else {
        req.requested_by.clone()
    };
    let same = req.same_value.map(|same| {
        let text = if same {
            "same as the current value".to_owned()
        } else {
            match req.changed_keys.is_empty() {
                true => "differs from the current value".to_owned(),
                false => format!("differs in {}", req.changed_keys.join(", ")),
            }
        };
        view! { <dt>"Value"</dt><dd data-testid="request-same">{text}</dd> }
    });
    view! {
        <dl class="facts">
            <dt>"Environment"</dt><dd data-testid="request-env">{req.environment.clone()}</dd>
            <dt>"Change"</dt><dd data-testid="request-target">{target(&req.change)}</dd>
            <dt>"Requested by"</dt><dd data-testid="request-by">{by}</dd>
            <dt>"Reason"</dt><dd>{req.reason.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Created"</dt><dd>{short_time(&req.created_at)}</dd>
            <dt>"Expires"</dt><dd>{short_time(&req.expires_at)}</dd>
            <dt>"Approvals needed"</dt><dd data-testid="request-required">{req.required}</dd>
            {req.applied_version.map(|v| view! { <dt>"Applied as"</dt><dd data-testid="request-applied">{format!("v{v}")}</dd> })}
            {same}
        </dl>
    }
}

#[component]
fn Votes(votes: Vec<Vote>) -> impl IntoView {
    if votes.is_empty() {
        return view! { <p class="muted" data-testid="request-no-votes">"No votes yet."</p> }
            .into_any();
    }
    let items = votes
        .into_iter()
        .map(|v| {
            let verb = if v.approve { "Approved" } else { "Rejected" };
            let comment = (!v.comment.is_empty()).then(|| format!(": “{}”", v.comment));
            view! {
                <li data-testid="request-vote" data-approve=v.approve.to_string()>
                    <strong>{verb}</strong>" by "<span data-testid="vote-by">{v.by}</span>
                    " at "{short_time(&v.at)}{comment}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="votes" aria-label="Votes">{items}</ul> }.into_any()
}

#[component]
fn VoteForm(id: String, inbox: InboxAction) -> impl IntoView {
    let comment = RwSignal::new(String::new());
    let field = format!("comment-{id}");
    let id = StoredValue::new(id);
    let cast = move |approve: bool| {
        inbox.dispatch(Ask::Vote {
            id: id.get_value(),
            approve,
            comment: comment.get_untracked(),
        });
    };
    view! {
        <div class="vote-form">
            <label for=field.clone()>"Comment"</label>
            <textarea id=field data-testid="request-comment" rows="2" bind:value=comment></textarea>
            <div class="actions">
                <button type="button" class="primary" data-testid="request-approve"
                    disabled=move || inbox.pending().get() on:click=move |_| cast(true)>"Approve"</button>
                <button type="button" data-testid="request-reject"
                    disabled=move || inbox.pending().get() on:click=move |_| cast(false)>"Reject"</button>
            </div>
        </div>
    }
}
