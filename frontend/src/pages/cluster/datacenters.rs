//! The Cluster page's data centers: one card each (its nodes, replication lag, whether
//! this instance reads there, partition state), and how consistent this instance is.

use super::nodes::{node_key, node_name, role};
use crate::components::time::local_clock;
use crypter_api::{ClusterNode, Consistency, DatacenterView};
use leptos::prelude::*;

#[component]
pub(super) fn Datacenters(
    datacenters: Vec<DatacenterView>,
    nodes: Vec<ClusterNode>,
) -> impl IntoView {
    let none = datacenters.is_empty().then(|| {
        view! { <p class="muted" data-testid="dc-none">"No data centers reported: a single node."</p> }
    });
    view! {
        <section class="card" data-testid="datacenters" aria-labelledby="dc-title">
            <h2 id="dc-title">"Data centers"</h2>
            {none}
            <div class="dc-cards">
                {datacenters.into_iter().map(|dc| {
                    let members = members(&dc, &nodes);
                    view! { <DatacenterCard dc=dc members=members /> }
                }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn DatacenterCard(dc: DatacenterView, members: Vec<Member>) -> impl IntoView {
    let name = dc.name;
    let unreachable = dc.unreachable_since.as_deref().map(local_clock);
    view! {
        <article class="dc-card" data-testid=format!("dc-card-{name}")
            data-has-leader=dc.has_leader.to_string() data-reads-local=dc.reads_local.to_string()
            data-reachable=dc.unreachable_since.is_none().to_string() aria-label=format!("Data center {name}")>
            <h3>{name.clone()}</h3>
            <p class="dc-badges">
                {dc.has_leader.then(|| view! { <span class="badge ok" data-testid=format!("dc-leader-{name}")>"holds the leader"</span> })}
                {dc.reads_local.then(|| view! { <span class="badge info" data-testid=format!("dc-reads-local-{name}")>"reads answered here"</span> })}
                {unreachable.map(|at| view! { <span class="badge bad" data-testid=format!("dc-unreachable-{name}")>{format!("unreachable since {at}")}</span> })}
            </p>
            <ul class="dc-nodes" data-testid=format!("dc-nodes-{name}")>
                {members.into_iter().map(|m| view! {
                    <li data-testid=format!("dc-node-{}", m.key) data-role=m.role>
                        <span class="node-id">{m.name}</span> " " <span class="muted">{m.role}</span>
                    </li>
                }).collect_view()}
            </ul>
            <p><span class="muted">"Replication lag: "</span>
                <span data-testid=format!("dc-lag-{name}")>{lag_text(dc.lag_index, dc.lag_ms)}</span></p>
        </article>
    }
}

/// How this instance sees the store: the facts behind the data-center banner.
#[component]
pub(super) fn OwnConsistency(consistency: Consistency) -> impl IntoView {
    let c = consistency;
    let reach = match (&c.leader_unreachable_since, c.leader_reachable) {
        (Some(since), _) => format!("no, since {}", local_clock(since)),
        (None, true) => "yes".to_owned(),
        (None, false) => "no".to_owned(),
    };
    view! {
        <section class="card" data-testid="own-consistency" aria-labelledby="own-consistency-title">
            <h2 id="own-consistency-title">"This instance"</h2>
            <dl class="facts">
                <dt>"Data center"</dt>
                <dd>{c.datacenter.clone().unwrap_or_else(|| "not set".into())}</dd>
                <dt>"Reaches the leader"</dt>
                <dd data-testid="own-leader-reachable" data-reachable=c.leader_reachable.to_string()>{reach}</dd>
                <dt>"Fresh as of"</dt>
                <dd data-testid="own-fresh-as-of">{c.fresh_as_of.as_deref().map_or_else(|| "-".to_owned(), local_clock)}</dd>
                <dt>"Reads stale since"</dt>
                <dd data-testid="own-stale-since">{c.stale_since.as_deref().map_or_else(|| "not stale".to_owned(), local_clock)}</dd>
                <dt>"Reads answered by"</dt>
                <dd data-testid="own-read-node">{c.read_node.clone().unwrap_or_else(|| "-".into())}</dd>
            </dl>
        </section>
    }
}

/// A node of a data center as its card lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Member {
    key: String,
    name: String,
    role: &'static str,
}

/// The nodes a data center names (node ids or API addresses), matched to the cluster's
/// nodes for their roles. One the cluster does not list is shown as "not listed".
pub(super) fn members(dc: &DatacenterView, nodes: &[ClusterNode]) -> Vec<Member> {
    dc.nodes
        .iter()
        .map(|id| {
            let names = |n: &&ClusterNode| {
                n.node_id.as_ref() == Some(id) || n.api_addr.as_ref() == Some(id)
            };
            match nodes.iter().find(names) {
                Some(node) => Member {
                    key: node_key(node),
                    name: node_name(node),
                    role: role(node),
                },
                None => Member {
                    key: id.clone(),
                    name: id.clone(),
                    role: "not listed",
                },
            }
        })
        .collect()
}

/// `index gap 3, 120 ms`; what was not measured is left out.
pub(super) fn lag_text(index: Option<u64>, ms: Option<u64>) -> String {
    match (index, ms) {
        (Some(i), Some(ms)) => format!("index gap {i}, {ms} ms"),
        (Some(i), None) => format!("index gap {i}"),
        (None, Some(ms)) => format!("{ms} ms"),
        (None, None) => "not measured".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, addr: &str, leader: bool) -> ClusterNode {
        ClusterNode {
            node_id: (!id.is_empty()).then(|| id.to_owned()),
            api_addr: Some(addr.to_owned()),
            leader,
            voter: true,
            ..ClusterNode::default()
        }
    }

    #[test]
    fn a_data_centers_nodes_are_found_by_id_or_address_with_their_roles() {
        let nodes = [
            node("node1", "http://127.0.0.1:8201", true),
            node("", "http://127.0.0.1:8202", false),
            node("node3", "http://127.0.0.1:8203", false),
        ];
        let dc = DatacenterView {
            name: "dc1".into(),
            nodes: vec![
                "node1".into(),
                "http://127.0.0.1:8202".into(),
                "gone".into(),
            ],
            ..DatacenterView::default()
        };
        let found: Vec<_> = members(&dc, &nodes)
            .into_iter()
            .map(|m| (m.name, m.role))
            .collect();
        assert_eq!(
            found,
            vec![
                ("node1".to_owned(), "leader"),
                ("http://127.0.0.1:8202".to_owned(), "voter"),
                ("gone".to_owned(), "not listed"),
            ]
        );
    }

    #[test]
    fn lag_reads_as_index_gap_and_milliseconds() {
        assert_eq!(lag_text(Some(3), Some(120)), "index gap 3, 120 ms");
        assert_eq!(lag_text(Some(0), None), "index gap 0");
        assert_eq!(lag_text(None, Some(5)), "5 ms");
        assert_eq!(lag_text(None, None), "not measured");
    }
}
