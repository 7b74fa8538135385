use super::credential_rows::Rows;
use crypter_api::CredentialSummary;
use leptos::ev::KeyboardEvent;
use leptos::html::Div;
use leptos::prelude::*;

/// Every row has this height (px), so the visible window is pure arithmetic.
pub const ROW_H: usize = 36;
/// The viewport's height in px (kept in step with `.vlist` in main.css).
const VIEW_H: usize = 480;
const OVERSCAN: usize = 8;

/// Where a key moves the active row, if it is a moving key.
fn moved(key: &str, active: usize, len: usize) -> Option<usize> {
    let page = VIEW_H / ROW_H;
    let last = len.checked_sub(1)?;
    Some(match key {
        "ArrowDown" => (active + 1).min(last),
        "ArrowUp" => active.saturating_sub(1),
        "Home" => 0,
        "End" => last,
        "PageDown" => (active + page).min(last),
        "PageUp" => active.saturating_sub(page),
        _ => return None,
    })
}

/// A list of credentials that renders only the rows in view, so 100,000 rows scroll as
/// smoothly as 10. A listbox: Tab focuses it, arrow keys, Page Up/Down, Home and End move
/// the active row (kept in view), Enter or Space opens it; a click does the same.
#[component]
pub fn VirtualList(
    #[prop(into)] rows: Signal<Rows>,
    /// Indices into `rows` of the rows to show, in order.
    #[prop(into)]
    shown: Signal<Vec<u32>>,
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let list: NodeRef<Div> = NodeRef::new();
    let scroll_top = RwSignal::new(0_usize);
    let active = RwSignal::new(0_usize);
    let len = move || shown.with(Vec::len);
    let window = Memo::new(move |_| {
        let total = len();
        let first = (scroll_top.get() / ROW_H).saturating_sub(OVERSCAN);
        let count = VIEW_H / ROW_H + 2 * OVERSCAN;
        (first.min(total), (first + count).min(total))
    });
    let visible = move || {
        let (a, b) = window.get();
        rows.with(|r| {
            shown.with(|s| {
                s[a..b]
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| (a + k, r.items[i as usize].clone()))
                    .collect::<Vec<_>>()
            })
        })
    };
    let keep_in_view = move |i: usize| {
        if let Some(el) = list.get_untracked() {
            let top = i * ROW_H;
            let st = el.scroll_top().max(0) as usize;
            if top < st {
                el.set_scroll_top(top as i32);
            } else if top + ROW_H > st + VIEW_H {
                el.set_scroll_top((top + ROW_H - VIEW_H) as i32);
            }
        }
    };
    let open = move |i: usize| {
        let path = rows.with_untracked(|r| {
            shown.with_untracked(|s| s.get(i).map(|&k| r.items[k as usize].path.clone()))
        });
        if path.is_some() {
            active.set(i);
            selected.set(path);
        }
    };
    let on_key = move |ev: KeyboardEvent| {
        let n = len();
        let current = active.get_untracked().min(n.saturating_sub(1));
        let key = ev.key();
        if matches!(key.as_str(), "Enter" | " ") {
            ev.prevent_default();
            open(current);
        } else if let Some(next) = moved(&key, current, n) {
            ev.prevent_default();
            active.set(next);
            keep_in_view(next);
        }
    };
    let active_id = move || {
        let n = len();
        (n > 0).then(|| format!("cred-opt-{}", active.get().min(n - 1)))
    };
    view! {
        <div class="vlist" data-testid="credential-list" role="listbox" tabindex="0"
            aria-label="Credentials" aria-activedescendant=active_id node_ref=list
            on:keydown=on_key
            on:scroll=move |ev| scroll_top.set(event_target::<web_sys::Element>(&ev).scroll_top().max(0) as usize)>
            <div class="vlist-space" role="presentation" style:height=move || format!("{}px", len() * ROW_H)>
                <For each=visible key=|(i, c)| (*i, c.path.clone(), c.current_version, c.deleted, c.updated_time.clone())
                    children=move |(i, c)| view! { <Row i=i c=c len=Signal::derive(len) active=active selected=selected on_open=Callback::new(open) /> } />
            </div>
        </div>
    }
}

#[component]
fn Row(
    i: usize,
    c: CredentialSummary,
    len: Signal<usize>,
    active: RwSignal<usize>,
    selected: RwSignal<Option<String>>,
    on_open: Callback<usize>,
) -> impl IntoView {
    let path = c.path.clone();
    let is_selected = move || selected.with(|s| s.as_deref() == Some(path.as_str()));
    view! {
        <div class="vrow" role="option" id=format!("cred-opt-{i}") data-testid="credential-row"
            data-path=c.path.clone()
            class:active=move || active.get() == i
            aria-selected=move || is_selected().to_string()
            aria-posinset=i + 1 aria-setsize=move || len.get()
            style:transform=format!("translateY({}px)", i * ROW_H)
            on:click=move |_| on_open.run(i)>
            <span class="vpath">{c.path.clone()}</span>
            <span class="badge">{c.metadata.class.clone().unwrap_or_else(|| "no class".into())}</span>
            <span class="muted vowner">{c.metadata.owner.clone().unwrap_or_default()}</span>
            <span class="muted">"v"{c.current_version}</span>
            {c.deleted.then(|| view! { <span class="badge bad">"deleted"</span> })}
            {c.rotation_due.then(|| view! { <span class="badge warn" data-testid="rotation-due">"rotate"</span> })}
        </div>
    }
}

/// Grey rows in the list's place while its first rows load.
#[component]
pub fn SkeletonRows() -> impl IntoView {
    view! {
        <div class="vlist skeleton" data-testid="credential-list-loading" aria-busy="true">
            <p class="sr-only" role="status">"Loading credentials…"</p>
            {(0..8).map(|_| view! { <div class="skeleton-row" aria-hidden="true"></div> }).collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::moved;

    #[test]
    fn keys_move_within_the_list() {
        assert_eq!(moved("ArrowDown", 0, 3), Some(1));
        assert_eq!(moved("ArrowDown", 2, 3), Some(2));
        assert_eq!(moved("ArrowUp", 0, 3), Some(0));
        assert_eq!(moved("End", 0, 3), Some(2));
        assert_eq!(moved("Home", 2, 3), Some(0));
        assert_eq!(moved("PageDown", 0, 100), Some(13));
        assert_eq!(moved("PageUp", 5, 100), Some(0));
        assert_eq!(moved("ArrowDown", 0, 0), None);
        assert_eq!(moved("a", 0, 3), None);
    }
}
