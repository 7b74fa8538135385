//! A run's timeline as an SVG: a time axis, each step as a bar from its start to its end,
//! incidents as markers. Integer geometry only.

use crypter_api::Runbook;
use leptos::prelude::*;

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-11-25T15:01:48.1Z`).
pub fn epoch(t: &str) -> Option<i64> {
    let n = |a: usize, b: usize| t.get(a..b)?.parse::<i64>().ok();
    let (y, m, d) = (n(0, 4)?, n(5, 7)?, n(8, 10)?);
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(days * 86_400 + n(11, 13)? * 3600 + n(14, 16)? * 60 + n(17, 19)?)
}

const W: i64 = 900;
const LEFT: i64 = 150;
const ROW: i64 = 18;

#[component]
pub fn RunbookTimeline(run: Runbook, now: i64) -> impl IntoView {
    let start = epoch(&run.started_at).unwrap_or(now);
    let end = run
        .ended_at
        .as_deref()
        .and_then(epoch)
        .unwrap_or(now)
        .max(start + 60);
    let span = end - start;
    let x = move |t: i64| LEFT + (t - start).clamp(0, span) * (W - LEFT - 10) / span;
    let height = 40 + ROW * run.steps.len() as i64;
    let bars = run
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let y = 10 + ROW * i as i64;
            let bar = s.started_at.as_deref().and_then(epoch).map(|a| {
                let b = s.ended_at.as_deref().and_then(epoch).unwrap_or(now);
                let (x1, x2) = (x(a), x(b).max(x(a) + 3));
                let class = format!("tl-bar {}", s.state);
                view! { <rect class=class x=x1 y=y + 2 width=x2 - x1 height=ROW - 6><title>{s.step.title.clone()}</title></rect> }
            });
            view! {
                <text class="tl-label" x="4" y=y + 12>{s.step.id.clone()}</text>
                {bar}
            }
        })
        .collect_view();
    let axis_y = height - 24;
    let marks = run
        .incidents
        .iter()
        .filter_map(|inc| {
            let cx = x(epoch(&inc.opened_at)?);
            let label = format!("#{} {} ({})", inc.n, inc.title, inc.severity);
            Some(view! {
                <circle class="tl-incident" data-testid="timeline-incident" cx=cx cy=axis_y - 6 r="6"><title>{label}</title></circle>
            })
        })
        .collect_view();
    let ticks = (0..=4)
        .map(|k| {
            let t = start + span * k / 4;
            let label = format!(
                "{:02}:{:02}:{:02}",
                t % 86_400 / 3600,
                t % 3600 / 60,
                t % 60
            );
            let tx = x(t);
            let lx = (tx - 24).min(W - 66);
            view! {
                <line class="tl-tick" x1=tx x2=tx y1=axis_y y2=axis_y + 5 />
                <text class="tl-label" x=lx y=axis_y + 18>{label}</text>
            }
        })
        .collect_view();
    view! {
        <svg class="timeline" data-testid="timeline-svg" viewBox=format!("0 0 {W} {height}") role="img"
            aria-label="Timeline: steps as bars, incidents as markers">
            {bars}
            <line class="tl-axis" x1=LEFT x2=W - 10 y1=axis_y y2=axis_y />
            {ticks}
            {marks}
        </svg>
    }
}
