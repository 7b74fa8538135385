use crypter_api::Environment;
use leptos::prelude::*;

const BAR_H: f64 = 26.0;
const GAP: f64 = 10.0;
const LABEL_W: f64 = 120.0;
const WIDTH: f64 = 520.0;

/// Credentials per environment as a horizontal SVG bar chart.
#[component]
pub fn EnvChart(envs: Vec<Environment>) -> impl IntoView {
    let max = envs
        .iter()
        .filter_map(|e| e.credential_count)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let height = (envs.len() as f64) * (BAR_H + GAP) + GAP;
    let bars = envs
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let y = GAP + (i as f64) * (BAR_H + GAP);
            let count = e.credential_count.unwrap_or(0);
            let w = ((WIDTH - LABEL_W - 50.0) * count as f64 / max).max(2.0);
            view! {
                <g data-testid="chart-bar" data-env=e.name.clone() data-count=count.to_string()>
                    <text x="0" y=y + BAR_H * 0.7 class="chart-label">{e.name.clone()}</text>
                    <rect x=LABEL_W y=y width=w height=BAR_H rx="4" fill=e.color.clone()></rect>
                    <text x=LABEL_W + w + 6.0 y=y + BAR_H * 0.7 class="chart-value">{count.to_string()}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="chart" data-testid="env-chart" role="img"
            aria-label="Credentials per environment"
            viewBox=format!("0 0 {WIDTH} {height}") width="100%">
            {bars}
        </svg>
    }
}
