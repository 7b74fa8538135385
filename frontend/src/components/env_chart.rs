use crypter_api::Environment;
use leptos::prelude::*;

// Integers only: formatting floats would pull float printing into the wasm.
const BAR_H: u64 = 26;
const GAP: u64 = 10;
const LABEL_W: u64 = 120;
const WIDTH: u64 = 520;
const TEXT_DY: u64 = 18;

/// Credentials per environment as a horizontal SVG bar chart.
#[component]
pub fn EnvChart(envs: Vec<Environment>) -> impl IntoView {
    let max = envs
        .iter()
        .filter_map(|e| e.credential_count)
        .max()
        .unwrap_or(0)
        .max(1);
    let height = (envs.len() as u64) * (BAR_H + GAP) + GAP;
    let bars = envs
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let y = GAP + (i as u64) * (BAR_H + GAP);
            let count = e.credential_count.unwrap_or(0);
            let w = ((WIDTH - LABEL_W - 50) * count / max).max(2);
            view! {
                <g data-testid="chart-bar" data-env=e.name.to_string() data-count=count.to_string()>
                    <text x="0" y=(y + TEXT_DY).to_string() class="chart-label">{e.name.to_string()}</text>
                    <rect x=LABEL_W.to_string() y=y.to_string() width=w.to_string() height=BAR_H.to_string() rx="4" fill=e.color.clone()></rect>
                    <text x=(LABEL_W + w + 6).to_string() y=(y + TEXT_DY).to_string() class="chart-value">{count.to_string()}</text>
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
