use crypter_api::CredentialSummary;
use leptos::prelude::*;

/// Every row has this height (px), so the visible window is pure arithmetic.
pub const ROW_H: usize = 36;
/// The viewport's height in px (kept in step with `.vlist` in main.css).
const VIEW_H: usize = 480;
const OVERSCAN: usize = 8;

/// A list of credentials that renders only the rows in view, so 10,000 rows scroll as
/// smoothly as 10.
#[component]
pub fn VirtualList(
    #[prop(into)] rows: Signal<Vec<CredentialSummary>>,
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let scroll_top = RwSignal::new(0_usize);
    let window = Memo::new(move |_| {
        let total = rows.with(Vec::len);
        let first = (scroll_top.get() / ROW_H).saturating_sub(OVERSCAN);
        let count = VIEW_H / ROW_H + 2 * OVERSCAN;
        (first.min(total), (first + count).min(total))
    });
    let visible = move || {
        let (a, b) = window.get();
        rows.with(|r| {
            r[a..b]
                .iter()
                .enumerate()
                .map(|(i, c)| (a + i, c.clone()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="vlist" data-testid="credential-list" role="listbox" aria-label="Credentials"
            on:scroll=move |ev| scroll_top.set(event_target::<web_sys::Element>(&ev).scroll_top().max(0) as usize)>
            <div class="vlist-space" style:height=move || format!("{}px", rows.with(Vec::len) * ROW_H)>
                <For each=visible key=|(i, c)| (*i, c.path.clone(), c.current_version, c.deleted)
                    children=move |(i, c)| {
                        let path = c.path.clone();
                        let path2 = c.path.clone();
                        let is_selected = move || selected.get().as_deref() == Some(path.as_str());
                        view! {
                            <div class="vrow" role="option" data-testid="credential-row"
                                data-path=c.path.clone()
                                aria-selected=move || is_selected().to_string()
                                style:transform=format!("translateY({}px)", i * ROW_H)
                                on:click=move |_| selected.set(Some(path2.clone()))>
                                <span class="vpath">{c.path.clone()}</span>
                                <span class="badge">{c.metadata.class.clone().unwrap_or_else(|| "no class".into())}</span>
                                <span class="muted vowner">{c.metadata.owner.clone().unwrap_or_default()}</span>
                                <span class="muted">"v"{c.current_version}</span>
                                {c.deleted.then(|| view! { <span class="badge bad">"deleted"</span> })}
                                {c.rotation_due.then(|| view! { <span class="badge warn" data-testid="rotation-due">"rotate"</span> })}
                            </div>
                        }
                    } />
            </div>
        </div>
    }
}
