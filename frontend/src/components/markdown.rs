//! A tiny Markdown renderer for runbook instructions and reports: headings, lists, tables,
//! code blocks, `code` and **bold**. Everything becomes escaped text nodes; no inner HTML.

use leptos::prelude::*;

/// Inline `code` and **bold** spans of one line.
fn inline(text: &str) -> AnyView {
    let mut parts = Vec::new();
    for (i, chunk) in text.split('`').enumerate() {
        if i % 2 == 1 {
            parts.push(view! { <code>{chunk.to_owned()}</code> }.into_any());
            continue;
        }
        for (j, b) in chunk.split("**").enumerate() {
            let b = b.to_owned();
            parts.push(if j % 2 == 1 {
                view! { <strong>{b}</strong> }.into_any()
            } else {
                b.into_any()
            });
        }
    }
    parts.into_any()
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner
        .replace("\\|", "\u{1}")
        .split('|')
        .map(|c| c.trim().replace('\u{1}', "|"))
        .collect()
}

#[component]
pub fn Markdown(#[prop(into)] text: String) -> impl IntoView {
    let mut out: Vec<AnyView> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("```") {
            let mut code = String::new();
            for l in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                code.push_str(l);
                code.push('\n');
            }
            out.push(view! { <pre><code>{code}</code></pre> }.into_any());
        } else if let Some(h) = t.strip_prefix("### ") {
            out.push(view! { <h4>{inline(h)}</h4> }.into_any());
        } else if let Some(h) = t.strip_prefix("## ") {
            out.push(view! { <h3>{inline(h)}</h3> }.into_any());
        } else if let Some(h) = t.strip_prefix("# ") {
            out.push(view! { <h2>{inline(h)}</h2> }.into_any());
        } else if t.starts_with('|') {
            let head = cells(t);
            let mut rows = Vec::new();
            while let Some(l) = lines.next_if(|l| l.trim_start().starts_with('|')) {
                if !l.contains("---") {
                    rows.push(cells(l));
                }
            }
            out.push(
                view! {
                    <div class="table-wrap"><table>
                        <thead><tr>{head.iter().map(|c| view! { <th>{inline(c)}</th> }).collect_view()}</tr></thead>
                        <tbody>{rows.iter().map(|r| view! {
                            <tr>{r.iter().map(|c| view! { <td>{inline(c)}</td> }).collect_view()}</tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }
                .into_any(),
            );
        } else if let Some(item) = t.strip_prefix("- ").or_else(|| {
            t.split_once(". ")
                .filter(|(n, _)| n.parse::<u32>().is_ok())
                .map(|(_, r)| r)
        }) {
            let nested = line.len() - t.len() >= 2;
            let class = if nested { "md-li nested" } else { "md-li" };
            out.push(view! { <div class=class>"• " {inline(item)}</div> }.into_any());
        } else if !t.is_empty() {
            out.push(view! { <p>{inline(t)}</p> }.into_any());
        }
    }
    view! { <div class="markdown">{out}</div> }
}
