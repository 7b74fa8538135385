//! The Notifications page: subscriptions to the activity feed's events (by environment,
//! path prefix and action), delivered signed to webhooks and Slack. A new subscription's
//! signing secret is shown once, right after its creation; each subscription can send a
//! test and retry its dead letters.

use crate::api;
use crate::components::copy_button::CopyButton;
use crate::components::error_box::ErrorBox;
use crate::components::time::short_time;
use crypter_api::{
    ActivityAction, ApiError, DeadLetter, DeliveryResult, NotificationTarget, Subscription,
    SubscriptionCreate, TargetKind,
};
use leptos::prelude::*;

/// What the page asks for: the list, after a change when there is one.
#[derive(Clone)]
enum PageRequest {
    List,
    Create(SubscriptionCreate),
    Delete(String),
}

/// What the page shows: the answer to its last change, each where it was asked (a
/// creation's secret or error by the form, a deletion's error above the list), and the
/// list as read after it.
#[derive(Clone)]
struct PageState {
    created: Option<Result<api::Created, ApiError>>,
    deleted: Option<Result<(), ApiError>>,
    list: Result<Vec<Subscription>, ApiError>,
}

async fn page_request(req: PageRequest) -> PageState {
    let (mut created, mut deleted) = (None, None);
    match req {
        PageRequest::List => {}
        PageRequest::Create(new) => created = Some(api::create_subscription(new).await),
        PageRequest::Delete(id) => deleted = Some(api::delete_subscription(id).await),
    }
    PageState {
        created,
        deleted,
        list: api::subscriptions().await,
    }
}

/// The page and each card are one action each, which does what was asked and then reads
/// what it shows: each further action or resource type would add another copy of leptos's
/// async machinery to the ops bundle, which is close to its size budget.
type PageAction = Action<PageRequest, PageState>;

/// What a card asks for: its dead letters, after a delivery sent now when there is one.
#[derive(Clone)]
enum CardRequest {
    List,
    Test,
    Retry(String),
}

/// What a card shows: the receiver's answer to its last delivery, and its dead letters.
#[derive(Clone)]
struct CardState {
    answer: Option<Result<DeliveryResult, ApiError>>,
    letters: Result<Vec<DeadLetter>, ApiError>,
}

type CardAction = Action<CardRequest, CardState>;

async fn card_request(id: String, req: CardRequest) -> CardState {
    let answer = match req {
        CardRequest::List => None,
        CardRequest::Test => Some(api::deliver(id.clone(), None).await),
        CardRequest::Retry(event) => Some(api::deliver(id.clone(), Some(event)).await),
    };
    CardState {
        answer,
        letters: api::dead_letters(id).await,
    }
}

#[component]
pub fn Notifications() -> impl IntoView {
    let page: PageAction = Action::new_local(|req: &PageRequest| page_request(req.clone()));
    page.dispatch(PageRequest::List);
    let state = move || page.value().get();
    let error = Signal::derive(move || {
        let s = state()?;
        s.deleted.and_then(Result::err).or(s.list.err())
    });
    // While a request runs the action keeps its last state, so the cards stay on screen.
    let list = move || match state().map(|s| s.list) {
        None => view! { <p class="loading" role="status">"Loading subscriptions…"</p> }.into_any(),
        // The error above says why.
        Some(Err(_)) => ().into_any(),
        Some(Ok(list)) => view! { <SubscriptionList list=list page=page /> }.into_any(),
    };
    view! {
        <section class="page" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Notifications"</h1>
                <button type="button" data-testid="notif-refresh"
                    on:click=move |_| { page.dispatch(PageRequest::List); }>"Refresh"</button>
            </div>
            <p class="muted">
                "Each event of the activity feed that a subscription matches (environment, path "
                "prefix, action) is posted to its webhook or Slack channel, signed, at least once, "
                "and never with a value. Only events after a subscription's creation are sent."
            </p>
            <CreateForm page=page />
            <SecretOnce page=page />
            <h2>"Subscriptions"</h2>
            <ErrorBox error=error />
            {list}
        </section>
    }
}

/// The environments typed as `a, b ,c`: trimmed, without empties or repeats.
fn env_list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for env in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        if !out.iter().any(|o| o == env) {
            out.push(env.to_owned());
        }
    }
    out
}

#[component]
fn CreateForm(page: PageAction) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(TargetKind::Webhook.as_str().to_owned());
    let url = RwSignal::new(String::new());
    let envs = RwSignal::new(String::new());
    let prefix = RwSignal::new(String::new());
    let actions: RwSignal<Vec<ActivityAction>> = RwSignal::new(Vec::new());
    let error = Signal::derive(move || {
        let created = page.value().get().and_then(|s| s.created);
        created.and_then(Result::err)
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let kind = TargetKind::parse(&kind.get_untracked()).unwrap_or(TargetKind::Webhook);
        page.dispatch(PageRequest::Create(SubscriptionCreate {
            name: name.get_untracked().trim().to_owned(),
            target: NotificationTarget {
                kind,
                url: url.get_untracked().trim().to_owned(),
            },
            environments: env_list(&envs.get_untracked()),
            path_prefix: prefix.get_untracked().trim().to_owned(),
            actions: actions.with_untracked(|a| a.iter().map(|a| a.as_str().to_owned()).collect()),
        }));
    };
    view! {
        <form class="card" data-testid="notif-form" aria-labelledby="notif-form-title" on:submit=submit>
            <h2 id="notif-form-title">"New subscription"</h2>
            <div class="form-grid">
                <div>
                    <label for="notif-name">"Name"</label>
                    <input id="notif-name" data-testid="notif-name" bind:value=name
                        autocomplete="off" placeholder="deploys to chat" />
                </div>
                <div>
                    <label for="notif-kind">"Target kind"</label>
                    <select id="notif-kind" data-testid="notif-kind" bind:value=kind>
                        <option value="webhook">"Webhook (the JSON payload)"</option>
                        <option value="slack">"Slack incoming webhook"</option>
                    </select>
                </div>
            </div>
            <label for="notif-url">"URL (https://; plain http:// only to this host)"</label>
            <input id="notif-url" data-testid="notif-url" bind:value=url inputmode="url"
                autocomplete="off" placeholder="https://hooks.example.com/crypter" />
            <label for="notif-envs">"Environments (comma-separated; empty: every environment)"</label>
            <input id="notif-envs" data-testid="notif-envs" bind:value=envs autocomplete="off"
                placeholder="staging, production" />
            <label for="notif-prefix">"Path prefix (empty: every path)"</label>
            <input id="notif-prefix" data-testid="notif-prefix" bind:value=prefix
                autocomplete="off" placeholder="payments/" />
            <ActionPicker chosen=actions />
            <ErrorBox error=error />
            <div class="actions">
                <button type="submit" class="primary" data-testid="notif-create"
                    disabled=move || page.pending().get()>"Create subscription"
                </button>
            </div>
        </form>
    }
}

/// Every action the activity feed names, each a checkbox.
#[component]
fn ActionPicker(chosen: RwSignal<Vec<ActivityAction>>) -> impl IntoView {
    let boxes = ActivityAction::ALL.iter().copied().map(|a| {
        let toggle = move |_| {
            chosen.update(|c| match c.iter().position(|x| *x == a) {
                Some(i) => {
                    c.remove(i);
                }
                None => c.push(a),
            });
        };
        view! {
            <label class="check">
                <input type="checkbox" data-testid="notif-action" value=a.as_str()
                    prop:checked=move || chosen.with(|c| c.contains(&a)) on:change=toggle />
                {a.as_str()}
            </label>
        }
    });
    view! {
        <fieldset class="fields" data-testid="notif-actions">
            <legend>"Actions (at least one)"</legend>
            <div class="check-grid">{boxes.collect_view()}</div>
        </fieldset>
    }
}

/// The new subscription's signing secret. It lives only in the page action's last state:
/// gone once dismissed (the list is read again) and after a reload; the backend never shows
/// it again.
#[component]
fn SecretOnce(page: PageAction) -> impl IntoView {
    move || {
        let created = page.value().get().and_then(|s| s.created);
        created.and_then(Result::ok).map(|made| {
            let secret = made.secret.clone();
            view! {
                <div class="issued" role="status" data-testid="notif-secret-box">
                    <h3>{format!("Signing secret of {}", made.name)}</h3>
                    <p class="banner warn" data-testid="notif-secret-warning">
                        "Copy it now and store it with the receiver: it is shown only this once and "
                        "cannot be shown again. If it is lost, delete the subscription and make a new one."
                    </p>
                    <p>
                        <code data-testid="notif-secret">{made.secret}</code>" "
                        <CopyButton text=secret testid="notif-secret-copy" />
                    </p>
                    <p class="small">
                        "Receivers check the header " <code>"X-Crypter-Signature: t=<seconds>,v1=<hex>"</code>
                        ": v1 is the HMAC-SHA256, keyed with this secret, of the seconds, a dot and the raw body."
                    </p>
                    <button type="button" data-testid="notif-secret-done"
                        on:click=move |_| { page.dispatch(PageRequest::List); }>"I have stored it"</button>
                </div>
            }
        })
    }
}

#[component]
fn SubscriptionList(list: Vec<Subscription>, page: PageAction) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <p class="muted" data-testid="notif-empty">"No subscriptions yet: make one above."</p>
        }
        .into_any();
    }
    let cards = list
        .into_iter()
        .map(|sub| view! { <SubscriptionCard sub=sub page=page /> })
        .collect_view();
    view! { <div data-testid="notif-list">{cards}</div> }.into_any()
}

#[component]
fn SubscriptionCard(sub: Subscription, page: PageAction) -> impl IntoView {
    let envs = if sub.environments.is_empty() {
        "every environment".to_owned()
    } else {
        sub.environments.join(", ")
    };
    let prefix = if sub.path_prefix.is_empty() {
        "every path".to_owned()
    } else {
        sub.path_prefix.clone()
    };
    let actions: Vec<&str> = sub.actions.iter().map(|a| a.as_str()).collect();
    let created = format!("{} by {}", short_time(&sub.created_at), sub.created_by);
    view! {
        <article class="card" data-testid="notif-sub" data-name=sub.name.clone() aria-label=sub.name.clone()>
            <h3>{sub.name.clone()}</h3>
            <dl class="facts">
                <dt>"Target"</dt>
                <dd data-testid="notif-sub-target">{sub.target.kind.as_str()}" "<code>{sub.target.url.clone()}</code></dd>
                <dt>"Environments"</dt>
                <dd data-testid="notif-sub-envs">{envs}</dd>
                <dt>"Path prefix"</dt>
                <dd data-testid="notif-sub-prefix">{prefix}</dd>
                <dt>"Actions"</dt>
                <dd data-testid="notif-sub-actions">{actions.join(", ")}</dd>
                <dt>"Created"</dt>
                <dd data-testid="notif-sub-created">{created}</dd>
            </dl>
            <Deliveries id=sub.id.clone() />
            <DeleteSubscription id=sub.id.clone() name=sub.name.clone() page=page />
        </article>
    }
}

/// "Send test", the receiver's answer to the last test or retry, and the dead letters
/// (listed when the card is shown, and again after each delivery).
#[component]
fn Deliveries(id: String) -> impl IntoView {
    let act: CardAction =
        Action::new_local(move |req: &CardRequest| card_request(id.clone(), req.clone()));
    act.dispatch(CardRequest::List);
    let state = move || act.value().get();
    let error = Signal::derive(move || {
        state().and_then(|s| s.answer.and_then(Result::err).or(s.letters.err()))
    });
    let letters = move || {
        let list = state().and_then(|s| s.letters.ok()).unwrap_or_default();
        if list.is_empty() {
            return view! { <p class="muted small" data-testid="notif-no-dead-letters">"None."</p> }
                .into_any();
        }
        let rows = list
            .into_iter()
            .map(|d| view! { <DeadLetterRow d=d act=act /> });
        view! { <ul class="findings">{rows.collect_view()}</ul> }.into_any()
    };
    view! {
        <div class="actions">
            <button type="button" data-testid="notif-test" disabled=move || act.pending().get()
                on:click=move |_| { act.dispatch(CardRequest::Test); }>
                {move || if matches!(act.input().get(), Some(CardRequest::Test)) { "Sending…" } else { "Send test" }}
            </button>
        </div>
        <ErrorBox error=error />
        {move || {
            let answer = state().and_then(|s| s.answer).and_then(Result::ok);
            answer.map(|r| view! { <DeliveryAnswer result=r /> })
        }}
        <div class="subsection" data-testid="notif-dead-letters">
            <h4>"Dead letters"</h4>
            {letters}
        </div>
    }
}

/// The receiver's answer to one delivery: its status, the time, the start of its body.
#[component]
fn DeliveryAnswer(result: DeliveryResult) -> impl IntoView {
    let status = result
        .status
        .map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"));
    let (class, word) = if result.delivered {
        ("badge ok", "delivered")
    } else {
        ("badge bad", "not delivered")
    };
    view! {
        <p role="status" data-testid="notif-delivery">
            <span class=class data-testid="delivery-outcome">{word}</span>" "
            <span data-testid="delivery-status">{status}</span>
            {format!(" in {} ms. Answer: ", result.millis)}
            <code class="detail" data-testid="delivery-detail">{result.detail}</code>
        </p>
    }
}

#[component]
fn DeadLetterRow(d: DeadLetter, act: CardAction) -> impl IntoView {
    let p = d.payload;
    let place = match &p.environment {
        Some(env) => format!("{env}/{}", p.path),
        None => p.path.clone(),
    };
    let event = p.id.clone();
    let why = format!(
        "{} attempts, the last at {}: {}",
        d.attempts,
        short_time(&d.failed_at),
        d.last_error
    );
    view! {
        <li data-testid="notif-dead-letter" data-event=p.id.clone()>
            <div class="row">
                <span><strong>{p.action.as_str()}</strong>" "<code>{place}</code>{format!(" by {}", p.actor)}</span>
                <button type="button" data-testid="notif-retry" disabled=move || act.pending().get()
                    on:click=move |_| { act.dispatch(CardRequest::Retry(event.clone())); }>"Retry"</button>
            </div>
            <p class="muted small">{why}</p>
        </li>
    }
}

/// Delete, after a second press: the confirmation follows the first button, so Tab
/// reaches it next.
#[component]
fn DeleteSubscription(id: String, name: String, page: PageAction) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let question = format!(
        "Delete {name}? Nothing more is delivered to it, and its dead letters are dropped."
    );
    let confirm = move || {
        let id = id.clone();
        view! {
            <p>{question.clone()}</p>
            <div class="actions">
                <button type="button" class="danger" data-testid="notif-delete-confirm"
                    disabled=move || page.pending().get()
                    on:click=move |_| { page.dispatch(PageRequest::Delete(id.clone())); }>"Delete"</button>
                <button type="button" data-testid="notif-delete-cancel"
                    on:click=move |_| confirming.set(false)>"Cancel"</button>
            </div>
        }
    };
    view! {
        <div class="subsection">
            <button type="button" data-testid="notif-delete" aria-expanded=move || confirming.get().to_string()
                on:click=move |_| confirming.update(|c| *c = !*c)>"Delete…"</button>
            {move || confirming.get().then(confirm.clone())}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::env_list;

    #[test]
    fn typed_environments_are_trimmed_without_empties_or_repeats() {
        assert_eq!(
            env_list(" staging, ,production,staging ,"),
            ["staging", "production"]
        );
        assert!(env_list("  ").is_empty());
    }
}
