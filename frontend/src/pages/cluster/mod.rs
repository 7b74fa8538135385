//! The Cluster page: OpenBao nodes grouped by data center, drawn as SVG, refreshed every
//! 5 s (the backend's own health loop runs at the same pace).

mod datacenters;
mod nodes;

use crate::api;
use crate::components::error_box::ErrorBox;
use crypter_api::{ClusterNode, ClusterView};
use datacenters::{Datacenters, OwnConsistency};
use leptos::prelude::*;
use nodes::{health_word, node_key, node_name, role, NodesTable};
use std::collections::BTreeMap;
use std::time::Duration;

const REFRESH: Duration = Duration::from_secs(5);
// Whole pixels: integer formatting keeps float-printing code out of the wasm.
const COLUMN: u32 = 230;
const NODE_H: u32 = 78;
const HEAD_H: u32 = 40;

#[component]
pub fn Cluster() -> impl IntoView {
    let cluster = LocalResource::new(api::cluster);
    // Keep the last good picture on screen while a refresh is in flight or fails.
    let last = Memo::new(
        move |prev: Option<&Option<ClusterView>>| match cluster.get() {
            Some(Ok(view)) => Some(view),
            _ => prev.cloned().flatten(),
        },
    );
    let error = Signal::derive(move || cluster.get().and_then(Result::err));
    if let Ok(handle) = set_interval_with_handle(move || cluster.refetch(), REFRESH) {
        on_cleanup(move || handle.clear());
    }
    view! {
        <section class="page" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Cluster"</h1>
                <button type="button" data-testid="refresh-cluster" on:click=move |_| cluster.refetch()>
                    "Refresh"
                </button>
            </div>
            <p class="muted">"OpenBao nodes by data center. Refreshes every 5 seconds."</p>
            <ErrorBox error=error />
            {move || match last.get() {
                None => view! { <p class="loading" data-testid="cluster-loading">"Asking OpenBao…"</p> }.into_any(),
                Some(view) => view! { <ClusterPicture view=view /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ClusterPicture(view: ClusterView) -> impl IntoView {
    let healthy_nodes = view.nodes.iter().filter(|n| n.healthy).count();
    let total = view.nodes.len();
    let (badge, label) = if view.healthy {
        ("badge ok", "healthy".to_owned())
    } else {
        (
            "badge bad",
            format!("degraded: {} of {total} nodes down", total - healthy_nodes),
        )
    };
    let leader = view.leader.clone().unwrap_or_else(|| "none".into());
    let tolerance = view
        .failure_tolerance
        .map_or_else(|| "unknown".to_owned(), |t| t.to_string());
    let own_dc = view.datacenter.clone();
    let groups = by_datacenter(&view.nodes);
    view! {
        <div class="card">
            <dl class="facts">
                <dt>"Status"</dt>
                <dd><span class=badge data-testid="cluster-status">{label}</span></dd>
                <dt>"Leader"</dt>
                <dd data-testid="cluster-leader">{leader}</dd>
                <dt>"Nodes"</dt>
                <dd data-testid="cluster-node-count">{total}</dd>
                <dt>"Failure tolerance"</dt>
                <dd data-testid="cluster-tolerance">{tolerance}</dd>
                <dt>"This backend's data center"</dt>
                <dd data-testid="cluster-own-dc">{own_dc.clone().unwrap_or_else(|| "not set".into())}</dd>
            </dl>
        </div>
        <div class="card">
            <ClusterSvg groups=groups own_dc=own_dc />
        </div>
        {view.consistency.clone().map(|c| view! { <OwnConsistency consistency=c /> })}
        <Datacenters datacenters=view.datacenters.clone() nodes=view.nodes.clone() />
        <div class="card">
            <h2>"Nodes"</h2>
            <NodesTable nodes=view.nodes.clone() />
            {(!view.warnings.is_empty()).then(|| view! {
                <ul class="muted" data-testid="cluster-warnings">
                    {view.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view()}
                </ul>
            })}
        </div>
    }
}

/// One box per data center, one node box inside it: green when healthy, red (dashed)
/// when not, a star on the leader. Each data center is its own small SVG, so they wrap onto
/// new lines on a narrow screen.
#[component]
fn ClusterSvg(groups: Vec<(String, Vec<ClusterNode>)>, own_dc: Option<String>) -> impl IntoView {
    view! {
        <div class="cluster-dcs" data-testid="cluster-svg">
            {groups.into_iter().map(|(dc, nodes)| {
                let own = own_dc.as_deref() == Some(dc.as_str());
                let box_h = HEAD_H + count(nodes.len()) * NODE_H;
                let height = box_h + 12;
                view! {
                    <svg class="dc" data-testid=format!("cluster-dc-{dc}") role="img"
                        viewBox=format!("0 0 {COLUMN} {height}") width=COLUMN height=height>
                        <title>{format!("Data center {dc}")}</title>
                        <rect class=if own { "dc-box own" } else { "dc-box" } x="6" y="6" rx="10"
                            width=COLUMN - 12 height=box_h />
                        <text class="dc-name" x="20" y="30">
                            {if own { format!("{dc} (this backend)") } else { dc.clone() }}
                        </text>
                        {nodes.into_iter().enumerate().map(|(j, node)| {
                            let y = HEAD_H + count(j) * NODE_H;
                            view! { <NodeBox node=node x=18 y=y /> }
                        }).collect_view()}
                    </svg>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn NodeBox(node: ClusterNode, x: u32, y: u32) -> impl IntoView {
    let class = if node.healthy {
        "node-box up"
    } else {
        "node-box down"
    };
    let title = node_name(&node);
    let contact = match (&node.last_contact, node.healthy) {
        (Some(c), _) => format!("last contact {c}"),
        (None, true) => "last contact -".to_owned(),
        (None, false) => "no contact".to_owned(),
    };
    view! {
        <g data-testid=format!("svg-node-{}", node_key(&node)) data-healthy=node.healthy.to_string()>
            <rect class=class x=x y=y width=COLUMN - 36 height=NODE_H - 12 rx="8" />
            <text class="node-name" x=x + 12 y=y + 22>
                {if node.leader { format!("★ {title}") } else { title }}
            </text>
            <text class="node-meta" x=x + 12 y=y + 40>
                {format!("{} · {}", role(&node), health_word(&node))}
            </text>
            <text class="node-meta" x=x + 12 y=y + 56>{contact}</text>
        </g>
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn by_datacenter(nodes: &[ClusterNode]) -> Vec<(String, Vec<ClusterNode>)> {
    let mut groups: BTreeMap<String, Vec<ClusterNode>> = BTreeMap::new();
    for node in nodes {
        let dc = node
            .datacenter
            .clone()
            .unwrap_or_else(|| "unlabelled".into());
        groups.entry(dc).or_default().push(node.clone());
    }
    groups.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_group_by_data_center_in_name_order_unlabelled_ones_together() {
        let node = |id: &str, dc: Option<&str>| ClusterNode {
            node_id: Some(id.to_owned()),
            datacenter: dc.map(str::to_owned),
            ..ClusterNode::default()
        };
        let nodes = [
            node("c", Some("dc2")),
            node("a", Some("dc1")),
            node("x", None),
            node("b", Some("dc2")),
        ];
        let groups: Vec<(String, Vec<String>)> = by_datacenter(&nodes)
            .into_iter()
            .map(|(dc, ns)| (dc, ns.iter().map(node_name).collect()))
            .collect();
        assert_eq!(
            groups,
            vec![
                ("dc1".to_owned(), vec!["a".to_owned()]),
                ("dc2".to_owned(), vec!["c".to_owned(), "b".to_owned()]),
                ("unlabelled".to_owned(), vec!["x".to_owned()]),
            ]
        );
    }
}
