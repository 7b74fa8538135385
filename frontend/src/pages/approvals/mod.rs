//! The Approvals page: the requests a change to a protected environment became (those the
//! user may act on first), their votes and outcome, approve or reject with a comment; and
//! each environment's rule with the changes that bypassed it. `/requests/{id}` shows one.

mod request_card;
mod rules;

use crate::api;
use crate::auth::Auth;
use crate::components::error_box::ErrorBox;
use crypter_api::{ApiError, ApprovalRequest, RequestState};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use request_card::RequestCard;
use rules::Rules;

/// What the inbox asks for: the list, after a vote or a carry when there is one.
#[derive(Clone)]
enum Ask {
    List,
    Vote {
        id: String,
        approve: bool,
        comment: String,
    },
    Carry(String),
}

/// The answer to the last vote or carry (with its request's id, to show it on that
/// request), and the list as read after it.
#[derive(Clone)]
struct InboxState {
    acted: Option<(String, Result<ApprovalRequest, ApiError>)>,
    list: Result<Vec<ApprovalRequest>, ApiError>,
}

/// One action for the whole inbox: every card dispatches to it, and it re-reads the list.
type InboxAction = Action<Ask, InboxState>;

async fn inbox_request(only: Option<String>, ask: Ask) -> InboxState {
    let acted = match ask {
        Ask::List => None,
        Ask::Vote {
            id,
            approve,
            comment,
        } => Some((id.clone(), api::vote(id, approve, comment).await)),
        Ask::Carry(id) => Some((id.clone(), api::carry(id).await)),
    };
    let list = match only {
        Some(id) => api::approval_request(id).await.map(|r| vec![r]),
        None => api::approval_requests().await,
    };
    InboxState { acted, list }
}

/// Whether `me` can still vote on `r`: it is pending, not their own, and they have not
/// voted (OpenBao has the last word on whether they are an approver).
fn actionable(r: &ApprovalRequest, me: &str) -> bool {
    r.state == RequestState::Pending && r.requested_by != me && r.votes.iter().all(|v| v.by != me)
}

/// Those `me` can act on first, then the rest, each in the order given (stable).
fn inbox_order(mut list: Vec<ApprovalRequest>, me: &str) -> Vec<ApprovalRequest> {
    list.sort_by_key(|r| !actionable(r, me));
    list
}

#[component]
pub fn Approvals() -> impl IntoView {
    let only = use_params_map().with_untracked(|p| p.get("id"));
    let single = only.is_some();
    let inbox: InboxAction =
        Action::new_local(move |ask: &Ask| inbox_request(only.clone(), ask.clone()));
    inbox.dispatch(Ask::List);
    let me = move || {
        Auth::get()
            .session
            .with(|s| s.as_ref().map(|s| s.username.clone()).unwrap_or_default())
    };
    let error = Signal::derive(move || inbox.value().get()?.list.err());
    let list = move || match inbox.value().get().map(|s| s.list) {
        None => view! { <p class="loading" role="status">"Loading requests…"</p> }.into_any(),
        Some(Err(_)) => ().into_any(),
        Some(Ok(list)) if list.is_empty() => {
            view! { <p class="muted" data-testid="requests-empty">"No requests."</p> }.into_any()
        }
        Some(Ok(list)) => {
            let me = me();
            inbox_order(list, &me)
                .into_iter()
                .map(|r| view! { <RequestCard req=r inbox=inbox me=me.clone() /> })
                .collect_view()
                .into_any()
        }
    };
    view! {
        <section class="page" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">{if single { "Request" } else { "Approvals" }}</h1>
                <button type="button" data-testid="requests-refresh"
                    on:click=move |_| { inbox.dispatch(Ask::List); }>"Refresh"</button>
            </div>
            {single.then(|| view! { <p><a href="/requests" data-testid="requests-all">"All requests"</a></p> })}
            <p class="muted">
                "A change to an environment with an approval rule waits here until enough of its "
                "approvers approve it (one rejection closes it; it expires after 72 hours). "
                "Nobody approves their own request."
            </p>
            <h2>{if single { "The request" } else { "Inbox" }}</h2>
            <ErrorBox error=error />
            <div class="request-list" data-testid="requests">{list}</div>
            {(!single).then(|| view! { <Rules /> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::{RequestedChange, Vote};

    fn req(id: &str, by: &str, state: RequestState, voters: &[&str]) -> ApprovalRequest {
        ApprovalRequest {
            id: id.into(),
            environment: "prod".into(),
            change: RequestedChange::KeyRotate { key: "k".into() },
            requested_by: by.into(),
            reason: None,
            created_at: String::new(),
            expires_at: String::new(),
            base_version: None,
            required: 1,
            state,
            votes: voters
                .iter()
                .map(|v| Vote {
                    by: (*v).into(),
                    approve: true,
                    comment: String::new(),
                    at: String::new(),
                })
                .collect(),
            outcome: None,
            applied_version: None,
            same_value: None,
            changed_keys: vec![],
        }
    }

    #[test]
    fn what_i_can_act_on_comes_first() {
        let list = vec![
            req("mine", "me", RequestState::Pending, &[]),
            req("done", "ann", RequestState::Applied, &[]),
            req("voted", "ann", RequestState::Pending, &["me"]),
            req("open", "bob", RequestState::Pending, &["ann"]),
        ];
        let ids: Vec<String> = inbox_order(list, "me").into_iter().map(|r| r.id).collect();
        assert_eq!(ids, ["open", "mine", "done", "voted"]);
    }
}
