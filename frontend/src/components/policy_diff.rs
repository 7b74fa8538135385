//! A line diff of two policies: the live HCL against the one Crypter would write.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Same,
    Added,
    Removed,
}

/// Longest-common-subsequence line diff. Policies are small (tens of lines), so the
/// quadratic table is cheap.
pub fn line_diff(old: &str, new: &str) -> Vec<(Change, String)> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push((Change::Same, a[i].to_owned()));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push((Change::Added, b[j].to_owned()));
            j += 1;
        } else {
            out.push((Change::Removed, a[i].to_owned()));
            i += 1;
        }
    }
    out
}

/// The diff, `-` for lines only in the live policy and `+` for lines only in the new one.
#[component]
pub fn PolicyDiff(live: Option<String>, derived: String) -> impl IntoView {
    let is_new = live.is_none();
    let lines = line_diff(live.as_deref().unwrap_or(""), &derived);
    let changed = lines.iter().filter(|(c, _)| *c != Change::Same).count();
    let summary = if is_new {
        "New policy: every line is added.".to_owned()
    } else if changed == 0 {
        "No change: the live policy already matches.".to_owned()
    } else {
        format!("{changed} changed lines against the live policy.")
    };
    view! {
        <div class="policy-diff" data-testid="policy-diff">
            <p class="muted" data-testid="policy-diff-summary">{summary}</p>
            <pre>
                {lines
                    .into_iter()
                    .map(|(change, line)| {
                        let (class, mark) = match change {
                            Change::Same => ("same", "  "),
                            Change::Added => ("added", "+ "),
                            Change::Removed => ("removed", "- "),
                        };
                        view! { <span class=class data-testid=format!("diff-{class}")>{mark}{line}"\n"</span> }
                    })
                    .collect_view()}
            </pre>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_added_and_removed_lines() {
        let d = line_diff("a\nb\nc", "a\nc\nd");
        assert_eq!(
            d,
            vec![
                (Change::Same, "a".into()),
                (Change::Removed, "b".into()),
                (Change::Same, "c".into()),
                (Change::Added, "d".into()),
            ]
        );
        assert!(line_diff("x", "x").iter().all(|(c, _)| *c == Change::Same));
    }
}
