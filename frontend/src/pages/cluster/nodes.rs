//! The Cluster page's table of nodes, and the words every part of the page uses for a
//! node: its name, role and health.

use crypter_api::ClusterNode;
use leptos::prelude::*;

/// One row per node. On a narrow screen the less important columns fold away and the
/// table scrolls sideways inside its card, so the Health column is never cut off.
#[component]
pub(super) fn NodesTable(nodes: Vec<ClusterNode>) -> impl IntoView {
    view! {
        <div class="cluster-table-wrap" data-testid="cluster-nodes-scroll" role="region"
            aria-label="Nodes" tabindex="0">
            <table class="cluster-table" data-testid="cluster-nodes">
                <thead>
                    <tr><th>"Node"</th><th>"Data center"</th><th>"Role"</th><th>"Health"</th>
                        <th>"Last contact"</th><th>"Version"</th></tr>
                </thead>
                <tbody>
                    <For each=move || nodes.clone() key=node_key let:node>
                        <NodeRow node=node />
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn NodeRow(node: ClusterNode) -> impl IntoView {
    let key = node_key(&node);
    view! {
        <tr data-testid=format!("cluster-node-{key}") data-healthy=node.healthy.to_string()>
            <td>
                <strong class="node-id">{node_name(&node)}</strong>
                <div class="muted mono">{node.api_addr.clone().unwrap_or_default()}</div>
            </td>
            <td>{node.datacenter.clone().unwrap_or_else(|| "unlabelled".into())}</td>
            <td data-testid="node-role">{role(&node)}</td>
            <td data-testid="node-health-cell">
                <span class=if node.healthy { "badge ok" } else { "badge bad" } data-testid="node-health">
                    {health_word(&node)}
                </span>
                {node
                    .error
                    .clone()
                    .filter(|e| e != health_word(&node))
                    .map(|e| view! { <div class="muted node-error">{e}</div> })}
            </td>
            <td>{node.last_contact.clone().unwrap_or_else(|| "-".into())}</td>
            <td>{node.version.clone().unwrap_or_else(|| "-".into())}</td>
        </tr>
    }
}

pub(super) fn node_key(node: &ClusterNode) -> String {
    node.node_id
        .clone()
        .or_else(|| node.api_addr.clone())
        .or_else(|| node.cluster_addr.clone())
        .unwrap_or_default()
}

pub(super) fn node_name(node: &ClusterNode) -> String {
    node.node_id
        .clone()
        .or_else(|| node.api_addr.clone())
        .unwrap_or_else(|| "unknown".into())
}

pub(super) fn role(node: &ClusterNode) -> &'static str {
    match (node.leader, node.voter, node.standby) {
        (true, _, _) => "leader",
        (false, true, _) => "voter",
        (false, false, Some(true)) => "standby",
        (false, false, _) if node.node_id.is_some() => "non-voter",
        _ => "node",
    }
}

pub(super) fn health_word(node: &ClusterNode) -> &'static str {
    if node.healthy {
        "healthy"
    } else if node.sealed == Some(true) {
        "sealed"
    } else if !node.reachable {
        "unreachable"
    } else {
        "unhealthy"
    }
}
